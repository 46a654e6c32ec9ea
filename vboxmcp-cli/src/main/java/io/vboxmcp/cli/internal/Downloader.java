package io.vboxmcp.cli.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.ProgressEvent;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.VboxmcpException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** Downloads a package over HTTP(S) into a file, reporting BYTES progress. */
final class Downloader {
    /** Packages larger than this are refused (templates are small; images come through catalogs). */
    static final long MAX_BYTES = 1L << 30;

    private Downloader() {
    }

    static boolean isUrl(String s) {
        String l = s.toLowerCase(java.util.Locale.ROOT);
        return l.startsWith("http://") || l.startsWith("https://");
    }

    /**
     * @param uri  http or https
     * @param dir  an empty folder the file is written into
     * @param step progress step name
     * @return the downloaded file, named after the URL's last path segment when it is a safe package name
     */
    static Path download(URI uri, Path dir, String step, ProgressListener progress) throws VboxmcpException {
        String last = uri.getPath() == null ? "" : uri.getPath().replaceAll(".*/", "");
        String name = last.matches("[A-Za-z0-9][A-Za-z0-9._+-]{0,200}\\.(tar\\.gz|tgz)") ? last : "template.tar.gz";
        Path file = dir.resolve(name);
        HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(30)).build();
        long start = System.nanoTime();
        try {
            HttpRequest req = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(10)).GET()
                    .header("User-Agent", "vboxmcp").build();
            HttpResponse<InputStream> resp = client.send(req, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = resp.body()) {
                if (resp.statusCode() != 200) {
                    throw new VboxmcpException(ErrorCode.SOURCE_UNAVAILABLE, "download of " + uri + " failed: HTTP "
                            + resp.statusCode());
                }
                long total = resp.headers().firstValueAsLong("Content-Length").orElse(-1);
                if (total > MAX_BYTES) {
                    throw new VboxmcpException(ErrorCode.ARCHIVE_INVALID, uri + " is " + total + " bytes, more than the "
                            + MAX_BYTES + " a template package may have");
                }
                long done = 0;
                byte[] buf = new byte[64 * 1024];
                try (OutputStream out = Files.newOutputStream(file)) {
                    progress.onEvent(event(step, uri.toString(), 0, total, start));
                    int n;
                    while ((n = in.read(buf)) >= 0) {
                        done += n;
                        if (done > MAX_BYTES) {
                            throw new VboxmcpException(ErrorCode.ARCHIVE_INVALID, uri + " sends more than the "
                                    + MAX_BYTES + " bytes a template package may have");
                        }
                        out.write(buf, 0, n);
                        progress.onEvent(event(step, uri.toString(), done, total, start));
                    }
                }
                if (total >= 0 && done != total) {
                    throw new VboxmcpException(ErrorCode.SOURCE_UNAVAILABLE, "download of " + uri + " ended after "
                            + done + " of " + total + " bytes");
                }
                progress.onEvent(event(step, uri.toString(), done, total < 0 ? done : total, start));
                return file;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VboxmcpException(ErrorCode.CANCELLED, "download of " + uri + " was interrupted", e);
        } catch (IOException | IllegalArgumentException e) {
            throw new VboxmcpException(ErrorCode.SOURCE_UNAVAILABLE, "cannot download " + uri + ": " + e, e);
        }
    }

    private static ProgressEvent event(String step, String message, long done, long total, long start) {
        return new ProgressEvent(ProgressEvent.Kind.BYTES, null, step, message, done, total,
                Duration.ofNanos(System.nanoTime() - start));
    }
}

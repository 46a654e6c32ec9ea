package io.vboxmcp.cli.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.ProgressEvent;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.VboxmcpException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Downloads a package over HTTP(S) into a file, reporting BYTES progress, in bounded time: a connect timeout, an
 * idle timeout on every read (headers and body: a server that stalls fails), and a total timeout enforced by
 * closing the connection (a server that drips a byte every few seconds fails too; IDX-14). Redirects are followed
 * at most {@link #MAX_REDIRECTS} times and never from https to http.
 */
final class Downloader {
    /** Packages larger than this are refused (templates are small; images come through catalogs). */
    static final long MAX_BYTES = 1L << 30;
    static final int MAX_REDIRECTS = 5;

    /** The three bounds of a download. */
    record Timeouts(Duration connect, Duration idle, Duration total) {
        static Timeouts configured() throws VboxmcpException {
            return new Timeouts(CliKeys.seconds(CliKeys.DOWNLOAD_CONNECT_TIMEOUT, 30),
                    CliKeys.seconds(CliKeys.DOWNLOAD_IDLE_TIMEOUT, 60),
                    CliKeys.seconds(CliKeys.DOWNLOAD_TOTAL_TIMEOUT, 1800));
        }
    }

    private Downloader() {
    }

    static boolean isUrl(String s) {
        String l = s.toLowerCase(java.util.Locale.ROOT);
        return l.startsWith("http://") || l.startsWith("https://");
    }

    /**
     * @param uri  http or https
     * @param dir  an empty folder the file is written into (the caller deletes it)
     * @param step progress step name
     * @return the downloaded file, named after the URL's last path segment when it is a safe package name
     * @throws VboxmcpException {@code TIMEOUT} when a bound is reached, {@code SOURCE_UNAVAILABLE} for HTTP and
     *                          network failures, {@code ARCHIVE_INVALID} when the body is too large
     */
    static Path download(URI uri, Path dir, String step, ProgressListener progress, Timeouts t) throws VboxmcpException {
        String last = uri.getPath() == null ? "" : uri.getPath().replaceAll(".*/", "");
        String name = last.matches("[A-Za-z0-9][A-Za-z0-9._+-]{0,200}\\.(tar\\.gz|tgz)") ? last : "template.tar.gz";
        Path file = dir.resolve(name);
        String shown = Session.safe(uri.toString());
        long start = System.nanoTime();
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread th = new Thread(r, "download-deadline");
            th.setDaemon(true);
            return th;
        });
        AtomicBoolean expired = new AtomicBoolean();
        HttpURLConnection[] current = new HttpURLConnection[1];
        // closing the connection unblocks a read that is waiting: the total bound holds whatever the server does
        ScheduledFuture<?> deadline = timer.schedule(() -> {
            expired.set(true);
            synchronized (current) {
                if (current[0] != null) current[0].disconnect();
            }
        }, t.total().toMillis(), TimeUnit.MILLISECONDS);
        try {
            HttpURLConnection c = open(uri, t, current, expired);
            try (InputStream in = c.getInputStream()) {
                long total = c.getContentLengthLong();
                if (total > MAX_BYTES) {
                    throw new VboxmcpException(ErrorCode.ARCHIVE_INVALID, shown + " is " + total + " bytes, more than the "
                            + MAX_BYTES + " a template package may have");
                }
                long done = 0;
                byte[] buf = new byte[64 * 1024];
                try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    progress.onEvent(event(step, shown, 0, total, start));
                    int n;
                    while ((n = in.read(buf)) >= 0) {
                        if (expired.get()) throw totalTimeout(shown, t);
                        done += n;
                        if (done > MAX_BYTES) {
                            throw new VboxmcpException(ErrorCode.ARCHIVE_INVALID, shown + " sends more than the "
                                    + MAX_BYTES + " bytes a template package may have");
                        }
                        out.write(buf, 0, n);
                        progress.onEvent(event(step, shown, done, total, start));
                    }
                }
                if (expired.get()) throw totalTimeout(shown, t);
                if (total >= 0 && done != total) {
                    throw new VboxmcpException(ErrorCode.SOURCE_UNAVAILABLE, "download of " + shown + " ended after "
                            + done + " of " + total + " bytes");
                }
                progress.onEvent(event(step, shown, done, total < 0 ? done : total, start));
                return file;
            }
        } catch (SocketTimeoutException e) {
            throw new VboxmcpException(ErrorCode.TIMEOUT, "download of " + shown + " stalled: no data for "
                    + t.idle().toSeconds() + " s (" + CliKeys.DOWNLOAD_IDLE_TIMEOUT + ")", e);
        } catch (IOException | IllegalArgumentException e) {
            if (expired.get()) throw totalTimeout(shown, t);
            throw new VboxmcpException(ErrorCode.SOURCE_UNAVAILABLE, "cannot download " + shown + ": "
                    + Session.safe(String.valueOf(e.getMessage())), e);
        } finally {
            deadline.cancel(false);
            timer.shutdownNow();
            synchronized (current) {
                if (current[0] != null) current[0].disconnect();
            }
        }
    }

    /** Connects, following at most {@link #MAX_REDIRECTS} redirects, never from https to http. */
    private static HttpURLConnection open(URI uri, Timeouts t, HttpURLConnection[] current, AtomicBoolean expired)
            throws IOException, VboxmcpException {
        URI at = uri;
        for (int hop = 0; ; hop++) {
            URL url = at.toURL();
            HttpURLConnection c = (HttpURLConnection) url.openConnection();
            synchronized (current) {
                if (expired.get()) throw new IOException("deadline passed");
                current[0] = c;
            }
            c.setInstanceFollowRedirects(false);
            c.setConnectTimeout((int) Math.min(Integer.MAX_VALUE, t.connect().toMillis()));
            c.setReadTimeout((int) Math.min(Integer.MAX_VALUE, t.idle().toMillis()));
            c.setRequestProperty("User-Agent", "vboxmcp");
            c.setRequestProperty("Accept-Encoding", "identity");
            int status = c.getResponseCode();
            if (status >= 300 && status < 400 && c.getHeaderField("Location") != null) {
                URI next = at.resolve(c.getHeaderField("Location"));
                c.disconnect();
                if (hop + 1 > MAX_REDIRECTS) {
                    throw new VboxmcpException(ErrorCode.SOURCE_UNAVAILABLE, "download of " + Session.safe(uri.toString())
                            + " was redirected more than " + MAX_REDIRECTS + " times");
                }
                if ("https".equalsIgnoreCase(at.getScheme()) && !"https".equalsIgnoreCase(next.getScheme())) {
                    throw new VboxmcpException(ErrorCode.SOURCE_UNAVAILABLE, "download of " + Session.safe(uri.toString())
                            + " was redirected from https to " + Session.safe(next.toString()) + "; refused");
                }
                if (!isUrl(next.toString())) {
                    throw new VboxmcpException(ErrorCode.SOURCE_UNAVAILABLE, "download of " + Session.safe(uri.toString())
                            + " was redirected to a non-http URL; refused");
                }
                at = next;
                continue;
            }
            if (status != 200) {
                c.disconnect();
                throw new VboxmcpException(ErrorCode.SOURCE_UNAVAILABLE, "download of " + Session.safe(uri.toString())
                        + " failed: HTTP " + status);
            }
            return c;
        }
    }

    private static VboxmcpException totalTimeout(String shown, Timeouts t) {
        return new VboxmcpException(ErrorCode.TIMEOUT, "download of " + shown + " took longer than "
                + t.total().toSeconds() + " s (" + CliKeys.DOWNLOAD_TOTAL_TIMEOUT + ")");
    }

    private static ProgressEvent event(String step, String message, long done, long total, long start) {
        return new ProgressEvent(ProgressEvent.Kind.BYTES, null, step, message, done, total,
                Duration.ofNanos(System.nanoTime() - start));
    }
}

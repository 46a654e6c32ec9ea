package io.vboxmcp.testkit.http;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * A PEP 503 "simple" package index on {@code 127.0.0.1} serving the given wheels, so that a real {@code pip} (on the
 * host, or in a guest at {@code http://10.0.2.2:<port>/simple/} with {@code trusted-host}) installs without PyPI:
 * {@code /simple/} lists the projects, {@code /simple/<normalized-name>/} links each file with its
 * {@code #sha256=} fragment, {@code /files/<file>} serves it. The layout is written to {@code dir} and served by a
 * {@link StaticHttpServer}.
 *
 * @since 0.2.0
 */
public final class PipIndexServer implements AutoCloseable {
    private final StaticHttpServer http;

    private PipIndexServer(StaticHttpServer http) {
        this.http = http;
    }

    /**
     * @param dir    an empty folder the index is written to
     * @param wheels the wheels to serve
     * @return a started index; close it to stop
     */
    public static PipIndexServer serve(Path dir, Collection<Wheels.Wheel> wheels) throws IOException {
        Files.createDirectories(dir.resolve("files"));
        Map<String, List<Wheels.Wheel>> byProject = new TreeMap<>(wheels.stream()
                .collect(Collectors.groupingBy(w -> Wheels.normalize(w.project()))));
        StringBuilder root = new StringBuilder("<!DOCTYPE html>\n<html><body>\n");
        for (Map.Entry<String, List<Wheels.Wheel>> p : byProject.entrySet()) {
            root.append("<a href=\"/simple/").append(p.getKey()).append("/\">").append(p.getKey()).append("</a>\n");
            StringBuilder page = new StringBuilder("<!DOCTYPE html>\n<html><body>\n");
            for (Wheels.Wheel w : p.getValue()) {
                Files.write(dir.resolve("files").resolve(w.fileName()), w.content());
                page.append("<a href=\"/files/").append(w.fileName()).append("#sha256=").append(w.sha256())
                        .append("\">").append(w.fileName()).append("</a>\n");
            }
            Files.createDirectories(dir.resolve("simple").resolve(p.getKey()));
            Files.writeString(dir.resolve("simple").resolve(p.getKey()).resolve("index.html"),
                    page.append("</body></html>\n"));
        }
        Files.createDirectories(dir.resolve("simple"));
        Files.writeString(dir.resolve("simple").resolve("index.html"), root.append("</body></html>\n"));
        return new PipIndexServer(StaticHttpServer.serve(dir));
    }

    /** @return {@code http://127.0.0.1:<port>/simple/} */
    public URI indexUrl() {
        return http.uri("simple/");
    }

    /** @return the port on 127.0.0.1 */
    public int port() {
        return http.port();
    }

    /** @return the request paths seen so far */
    public List<String> requests() {
        return http.requests();
    }

    @Override
    public void close() {
        http.close();
    }
}

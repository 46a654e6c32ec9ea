package io.vboxmcp.mcp.internal;

import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.server.transport.ServerTransportSecurityException;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

import java.io.ByteArrayInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;

/**
 * Jetty on a loopback address hosting the SDK's Streamable HTTP servlet at {@code /mcp}, with the SDK's Host/Origin
 * check (DNS rebinding) and a filter that bounds each request body and passes it through the {@link CancelTap}.
 */
public final class HttpHost implements AutoCloseable {
    /** Largest request body accepted; bigger ones get HTTP 413 before any JSON is parsed. */
    public static final int MAX_BODY = 4 * 1024 * 1024;

    private final Server server;
    private final int port;

    private HttpHost(Server server, int port) {
        this.server = server;
        this.port = port;
    }

    /**
     * The SDK transport with a Host/Origin check (DNS rebinding: a web page must not reach the server through a
     * name that resolves to 127.0.0.1): Host must be a loopback name with the bound port, Origin, if sent, too.
     */
    static HttpServletStreamableServerTransportProvider transport(java.util.function.IntSupplier port) {
        return HttpServletStreamableServerTransportProvider.builder().mcpEndpoint("/mcp")
                .securityValidator(headers -> {
                    String host = header(headers, "host");
                    String origin = header(headers, "origin");
                    if (host == null || !loopback(host, port.getAsInt())
                            || (origin != null && !(origin.startsWith("http://") && loopback(origin.substring(7), port.getAsInt())))) {
                        throw new ServerTransportSecurityException(403, "only loopback Host and Origin headers are allowed");
                    }
                })
                .maxRequestSize(MAX_BODY).build();
    }

    private static boolean loopback(String hostPort, int port) {
        return hostPort.equals("127.0.0.1:" + port) || hostPort.equals("localhost:" + port)
                || hostPort.equals("[::1]:" + port);
    }

    private static String header(java.util.Map<String, List<String>> headers, String name) {
        for (var e : headers.entrySet()) {
            if (e.getKey() != null && e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty()) {
                return e.getValue().get(0);
            }
        }
        return null;
    }

    static HttpHost start(InetSocketAddress address, HttpServletStreamableServerTransportProvider servlet, CancelTap tap)
            throws Exception {
        if (!address.getAddress().isLoopbackAddress()) {
            // the protocol has no authentication here: whoever reaches the port drives the VMs
            throw new IllegalArgumentException("the MCP HTTP server listens on loopback addresses only, not "
                    + address.getHostString());
        }
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost(address.getHostString());
        connector.setPort(address.getPort());
        server.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler();
        context.setContextPath("/");
        context.addServlet(new ServletHolder(servlet), "/mcp");
        context.addFilter(new FilterHolder(new TapFilter(tap)), "/mcp", EnumSet.of(jakarta.servlet.DispatcherType.REQUEST));
        server.setHandler(context);
        server.start();
        return new HttpHost(server, connector.getLocalPort());
    }

    public int port() {
        return port;
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            org.slf4j.LoggerFactory.getLogger(HttpHost.class).warn("stopping the HTTP server: {}", e.toString());
        }
    }

    /** Bounds and taps POST bodies. */
    private record TapFilter(CancelTap tap) implements Filter {
        @Override
        public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
                throws IOException, ServletException {
            HttpServletRequest http = (HttpServletRequest) request;
            if (!"POST".equals(http.getMethod())) {
                chain.doFilter(request, response);
                return;
            }
            if (http.getContentLengthLong() > MAX_BODY) {
                ((HttpServletResponse) response).sendError(413, "request body over " + MAX_BODY + " bytes");
                return;
            }
            byte[] body = http.getInputStream().readNBytes(MAX_BODY + 1);
            if (body.length > MAX_BODY) {
                ((HttpServletResponse) response).sendError(413, "request body over " + MAX_BODY + " bytes");
                return;
            }
            String session = http.getHeader("Mcp-Session-Id");
            byte[] tapped = tap.filter(session == null ? "-" : session, new String(body, StandardCharsets.UTF_8))
                    .getBytes(StandardCharsets.UTF_8);
            chain.doFilter(new Body(http, tapped), response);
        }
    }

    /** A request whose body is the tapped bytes. */
    private static final class Body extends HttpServletRequestWrapper {
        private final byte[] bytes;

        Body(HttpServletRequest request, byte[] bytes) {
            super(request);
            this.bytes = bytes;
        }

        @Override
        public ServletInputStream getInputStream() {
            ByteArrayInputStream in = new ByteArrayInputStream(bytes);
            return new ServletInputStream() {
                @Override
                public boolean isFinished() {
                    return in.available() == 0;
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setReadListener(ReadListener l) {
                    throw new UnsupportedOperationException("synchronous reads only");
                }

                @Override
                public int read() {
                    return in.read();
                }

                @Override
                public int read(byte[] b, int off, int len) {
                    return in.read(b, off, len);
                }
            };
        }

        @Override
        public BufferedReader getReader() {
            return new BufferedReader(new InputStreamReader(getInputStream(), StandardCharsets.UTF_8));
        }

        @Override
        public int getContentLength() {
            return bytes.length;
        }

        @Override
        public long getContentLengthLong() {
            return bytes.length;
        }
    }
}

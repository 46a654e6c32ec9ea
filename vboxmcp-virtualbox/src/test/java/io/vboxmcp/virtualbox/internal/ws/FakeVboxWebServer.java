package io.vboxmcp.virtualbox.internal.ws;

import com.sun.net.httpserver.HttpServer;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback stand-in for vboxwebsrv: a JDK HttpServer on 127.0.0.1 that reads document/literal SOAP requests and
 * answers in the envelope shape gSOAP's vboxwebsrv sends (SOAP-ENV/vbox prefixes, {@code returnval} children, HTTP
 * 500 with a {@code RuntimeFault} detail for VirtualBox errors), from a {@link FakeVboxWebService} model.
 */
final class FakeVboxWebServer implements AutoCloseable {
    private static final String HEAD = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<SOAP-ENV:Envelope "
            + "xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\" "
            + "xmlns:SOAP-ENC=\"http://schemas.xmlsoap.org/soap/encoding/\" "
            + "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" "
            + "xmlns:vbox=\"http://www.virtualbox.org/\"><SOAP-ENV:Body>";
    private static final String TAIL = "</SOAP-ENV:Body></SOAP-ENV:Envelope>";

    final FakeVboxWebService model;
    final HttpServer server;
    final List<String> rawRequests = new CopyOnWriteArrayList<>();
    volatile String cannedBody;
    volatile int cannedStatus;

    FakeVboxWebServer(FakeVboxWebService model) throws Exception {
        this.model = model;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            byte[] req = ex.getRequestBody().readAllBytes();
            rawRequests.add(new String(req, StandardCharsets.UTF_8));
            int status = 200;
            String body;
            if (cannedBody != null) {
                status = cannedStatus;
                body = cannedBody;
            } else {
                try {
                    Element op = operation(req);
                    Map<String, List<String>> params = new LinkedHashMap<>();
                    for (Node n = op.getFirstChild(); n != null; n = n.getNextSibling()) {
                        if (n instanceof Element e) {
                            params.computeIfAbsent(e.getLocalName(), k -> new ArrayList<>()).add(e.getTextContent());
                        }
                    }
                    StringBuilder b = new StringBuilder(HEAD).append("<vbox:").append(op.getLocalName()).append("Response>");
                    for (String v : model.call(op.getLocalName(), params)) {
                        b.append("<returnval>").append(SoapVboxWebPort.escape(v)).append("</returnval>");
                    }
                    body = b.append("</vbox:").append(op.getLocalName()).append("Response>").append(TAIL).toString();
                } catch (FakeVboxWebService.Fault f) {
                    status = 500;
                    body = HEAD + "<SOAP-ENV:Fault><faultcode>SOAP-ENV:Client</faultcode><faultstring>"
                            + SoapVboxWebPort.escape(f.getMessage()) + "</faultstring>"
                            + (f.resultCode == null ? "" : "<detail><vbox:RuntimeFault><resultCode>" + f.resultCode
                            + "</resultCode><returnval>4e3b1a2c9d8f7e61-00000000000000ff</returnval></vbox:RuntimeFault></detail>")
                            + "</SOAP-ENV:Fault>" + TAIL;
                } catch (Exception e) {
                    status = 500;
                    body = HEAD + "<SOAP-ENV:Fault><faultcode>SOAP-ENV:Client</faultcode><faultstring>bad request: "
                            + SoapVboxWebPort.escape(String.valueOf(e)) + "</faultstring></SOAP-ENV:Fault>" + TAIL;
                }
            }
            byte[] out = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "text/xml; charset=utf-8");
            ex.sendResponseHeaders(status, out.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(out);
            }
        });
        server.start();
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
    }

    private static Element operation(byte[] req) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        Document d = f.newDocumentBuilder().parse(new ByteArrayInputStream(req));
        Node body = d.getElementsByTagNameNS("http://schemas.xmlsoap.org/soap/envelope/", "Body").item(0);
        for (Node n = body.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e) {
                if (!"http://www.virtualbox.org/".equals(e.getNamespaceURI())) {
                    throw new IllegalArgumentException("operation not in the VirtualBox namespace");
                }
                return e;
            }
        }
        throw new IllegalArgumentException("empty body");
    }

    @Override
    public void close() {
        server.stop(0);
    }
}

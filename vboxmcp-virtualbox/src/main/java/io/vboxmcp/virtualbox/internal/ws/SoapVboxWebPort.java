package io.vboxmcp.virtualbox.internal.ws;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;
import io.vboxmcp.VboxmcpException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link VboxWebPort} over hand-built SOAP 1.1 (document/literal, namespace {@code http://www.virtualbox.org/}),
 * posted with the JDK's HTTP client. No generated classes: Maven Central only has vboxjws 4.1.4, 4.2.6 and 4.2.8,
 * whose 4.2-shaped calls (createMachine, launchVMProcess, deleteConfig...) are wrong on the wire for 7.x.
 */
public final class SoapVboxWebPort {
    static final String SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/";
    static final String VBOX_NS = "http://www.virtualbox.org/";

    private SoapVboxWebPort() {
    }

    /**
     * @param endpoint the vboxwebsrv URL, for example {@code http://127.0.0.1:18083/}
     * @param timeout  per request
     */
    public static VboxWebPort create(URI endpoint, Duration timeout) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(timeout).version(HttpClient.Version.HTTP_1_1).build();
        return (VboxWebPort) Proxy.newProxyInstance(VboxWebPort.class.getClassLoader(), new Class<?>[] {VboxWebPort.class},
                (proxy, method, args) -> {
                    if (method.getDeclaringClass() == Object.class) {
                        return switch (method.getName()) {
                            case "toString" -> "SoapVboxWebPort[" + endpoint + "]";
                            case "hashCode" -> System.identityHashCode(proxy);
                            case "equals" -> proxy == args[0];
                            default -> throw new UnsupportedOperationException(method.getName());
                        };
                    }
                    return convert(method, call(http, endpoint, timeout, method, args == null ? new Object[0] : args));
                });
    }

    static String envelope(String op, List<String[]> params) {
        StringBuilder b = new StringBuilder();
        b.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
                .append("<soapenv:Envelope xmlns:soapenv=\"").append(SOAP_NS).append("\" xmlns:vbox=\"").append(VBOX_NS)
                .append("\"><soapenv:Body><vbox:").append(op).append('>');
        for (String[] p : params) {
            b.append('<').append(p[0]).append('>').append(escape(p[1])).append("</").append(p[0]).append('>');
        }
        return b.append("</vbox:").append(op).append("></soapenv:Body></soapenv:Envelope>").toString();
    }

    private static List<String> call(HttpClient http, URI endpoint, Duration timeout, Method m, Object[] args)
            throws VboxmcpException {
        String op = m.getAnnotation(SoapOp.class).value();
        List<String[]> params = new ArrayList<>();
        Annotation[][] ann = m.getParameterAnnotations();
        for (int i = 0; i < args.length; i++) {
            String name = ((SoapParam) ann[i][0]).value();
            Object v = args[i];
            if (v == null) {
                continue;
            }
            if (v instanceof List<?> list) {
                list.forEach(item -> params.add(new String[] {name, String.valueOf(item)}));
            } else {
                params.add(new String[] {name, String.valueOf(v)});
            }
        }
        HttpRequest req = HttpRequest.newBuilder(endpoint).timeout(timeout)
                .header("Content-Type", "text/xml; charset=utf-8").header("SOAPAction", "\"\"")
                .POST(HttpRequest.BodyPublishers.ofString(envelope(op, params), StandardCharsets.UTF_8)).build();
        HttpResponse<byte[]> resp;
        try {
            resp = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new HypervisorException("cannot reach vboxwebsrv at " + endpoint + " (" + op + "): " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HypervisorException(ErrorCode.CANCELLED, "interrupted while calling vboxwebsrv " + op, e);
        }
        return parseResponse(op, resp.statusCode(), resp.body());
    }

    /** @return the text of every {@code returnval} child of the response element, in order */
    static List<String> parseResponse(String op, int status, byte[] body) throws VboxmcpException {
        Element payload;
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            Document doc = f.newDocumentBuilder().parse(new ByteArrayInputStream(body));
            NodeList bodies = doc.getElementsByTagNameNS(SOAP_NS, "Body");
            payload = bodies.getLength() == 0 ? null : firstElement(bodies.item(0));
        } catch (Exception e) {
            throw new HypervisorException("vboxwebsrv answered " + op + " with HTTP " + status + " and no SOAP envelope", e);
        }
        if (payload == null) {
            throw new HypervisorException("vboxwebsrv answered " + op + " with HTTP " + status + " and an empty body");
        }
        if ("Fault".equals(payload.getLocalName()) && SOAP_NS.equals(payload.getNamespaceURI())) {
            String text = childText(payload, "faultstring");
            Integer rc = null;
            NodeList codes = payload.getElementsByTagName("resultCode");
            if (codes.getLength() > 0) {
                try {
                    rc = (int) Long.parseLong(codes.item(0).getTextContent().strip());
                } catch (NumberFormatException ignored) {
                    // leave it unknown
                }
            }
            throw new WebServiceFault(op, text == null ? "(no faultstring)" : text.strip(), rc);
        }
        if (status != 200) {
            throw new HypervisorException("vboxwebsrv answered " + op + " with HTTP " + status);
        }
        if (!(op + "Response").equals(payload.getLocalName())) {
            throw new HypervisorException("vboxwebsrv answered " + op + " with <" + payload.getLocalName() + ">");
        }
        List<String> out = new ArrayList<>();
        for (Node n = payload.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && "returnval".equals(e.getLocalName())) {
                out.add(e.getTextContent());
            }
        }
        return out;
    }

    private static Object convert(Method m, List<String> values) throws VboxmcpException {
        Class<?> t = m.getReturnType();
        if (t == void.class) {
            return null;
        }
        if (t == List.class) {
            return List.copyOf(values);
        }
        String op = m.getAnnotation(SoapOp.class).value();
        if (values.isEmpty()) {
            throw new HypervisorException("vboxwebsrv answered " + op + " without a returnval");
        }
        String v = values.get(0).strip();
        try {
            if (t == String.class) {
                return values.get(0);
            } else if (t == int.class) {
                return (int) Long.parseLong(v);
            } else if (t == long.class) {
                return Long.parseLong(v);
            } else if (t == boolean.class) {
                return Boolean.parseBoolean(v);
            }
        } catch (NumberFormatException e) {
            throw new HypervisorException("vboxwebsrv answered " + op + " with a non-number: " + v, e);
        }
        throw new IllegalStateException("unsupported return type " + t);
    }

    private static Element firstElement(Node parent) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e) {
                return e;
            }
        }
        return null;
    }

    private static String childText(Element parent, String localName) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && localName.equals(e.getLocalName())) {
                return e.getTextContent();
            }
        }
        return null;
    }

    static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&apos;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}

package io.vboxmcp.virtualbox.internal.cli;

import io.vboxmcp.virtualbox.internal.NatRule;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads NIC 1's NAT rules from a machine's {@code .vbox} settings file. Only used on VirtualBox 7.0.0, whose
 * {@code showvminfo} drops the rules once there are two or more (the workaround Vagrant's Version_7_0 driver uses).
 */
final class SettingsFileForwards {
    private SettingsFileForwards() {
    }

    static List<NatRule> read(Path cfgFile) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        f.setNamespaceAware(false);
        Document doc = f.newDocumentBuilder().parse(cfgFile.toFile());
        List<NatRule> out = new ArrayList<>();
        NodeList adapters = doc.getElementsByTagName("Adapter");
        for (int i = 0; i < adapters.getLength(); i++) {
            Element a = (Element) adapters.item(i);
            if (!"0".equals(a.getAttribute("slot"))) {
                continue;
            }
            NodeList rules = a.getElementsByTagName("Forwarding");
            for (int j = 0; j < rules.getLength(); j++) {
                Element r = (Element) rules.item(j);
                out.add(new NatRule(1, r.getAttribute("name"), "0".equals(r.getAttribute("proto")) ? "udp" : "tcp",
                        r.getAttribute("hostip"), Integer.parseInt(r.getAttribute("hostport")), r.getAttribute("guestip"),
                        Integer.parseInt(r.getAttribute("guestport"))));
            }
        }
        return out;
    }
}

package io.vboxmcp.libvirt.internal;

import io.vboxmcp.HypervisorException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.TransformerException;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import java.io.StringWriter;
import java.util.Map;

/**
 * The libvirt domain XML of a recorded machine, built as a DOM so that every name and path is escaped by the XML
 * writer, never by string concatenation. q35, virtio disk (the pool's overlay) and seed, serial console to a file
 * in the pool, {@code vmgenid}, virtio RNG, 9p shares, and QEMU user-mode networking with the host forwards.
 *
 * <p>libvirt 9.0's own {@code <interface type='user'>} forwards ports only with the passt backend, which Debian 12
 * does not install by default, so the NIC is QEMU's own {@code -netdev user,hostfwd=...} through the
 * {@code qemu:commandline} passthrough, pinned to slot 0x10 of the root complex (left to QEMU, it would take slot 1,
 * where libvirt puts its first PCIe root port).
 */
final class DomainXml {
    static final String QEMU_NS = "http://libvirt.org/schemas/domain/qemu/1.0";
    static final String NIC_ADDRESS = "0x10";

    private DomainXml() {
    }

    /**
     * @param r            the machine
     * @param domainType   {@code qemu} (TCG) or {@code kvm}
     * @param machine      machine type
     * @param consolePath  the serial log's path on the libvirt host
     * @param kernelPath   the kernel volume's path on the libvirt host, null to boot from the disk
     * @param initrdPath   the initrd volume's path, may be null
     */
    static String build(DomainRecord r, String domainType, String machine, String consolePath, String kernelPath,
                        String initrdPath) throws HypervisorException {
        Document d = newDocument();
        Element dom = d.createElement("domain");
        d.appendChild(dom);
        dom.setAttribute("type", domainType);
        dom.setAttributeNS(XMLConstants.XMLNS_ATTRIBUTE_NS_URI, "xmlns:qemu", QEMU_NS);
        text(d, dom, "name", r.domain());
        text(d, dom, "title", "vboxmcp VM " + r.name());
        dom.appendChild(d.createElement("genid")); // vmgenid: libvirt generates the id
        text(d, dom, "memory", Integer.toString(r.memoryMb())).setAttribute("unit", "MiB");
        text(d, dom, "vcpu", Integer.toString(r.cpus()));
        Element os = child(d, dom, "os");
        if (r.uefi()) {
            os.setAttribute("firmware", "efi");
        }
        Element type = text(d, os, "type", "hvm");
        type.setAttribute("arch", "x86_64");
        type.setAttribute("machine", machine);
        if (kernelPath != null) {
            text(d, os, "kernel", kernelPath);
            if (initrdPath != null) {
                text(d, os, "initrd", initrdPath);
            }
            if (r.kernelArgs() != null) {
                text(d, os, "cmdline", r.kernelArgs());
            }
        } else {
            child(d, os, "boot").setAttribute("dev", "hd");
        }
        child(d, child(d, dom, "features"), "acpi");
        text(d, dom, "on_poweroff", "destroy");
        text(d, dom, "on_reboot", "restart");
        text(d, dom, "on_crash", "destroy");
        Element dev = child(d, dom, "devices");
        disk(d, dev, r.pool(), r.diskVolume(), "qcow2", "vda", false);
        disk(d, dev, r.pool(), r.seedVolume(), "raw", "vdb", true);
        for (DomainRecord.Share s : r.shares()) {
            Element fs = child(d, dev, "filesystem");
            fs.setAttribute("type", "mount");
            fs.setAttribute("accessmode", "passthrough");
            child(d, fs, "source").setAttribute("dir", s.hostPath());
            child(d, fs, "target").setAttribute("dir", s.tag());
            if (s.readOnly()) {
                child(d, fs, "readonly");
            }
        }
        Element serial = child(d, dev, "serial");
        serial.setAttribute("type", "file");
        child(d, serial, "source").setAttribute("path", consolePath);
        child(d, serial, "target").setAttribute("port", "0");
        Element rng = child(d, dev, "rng");
        rng.setAttribute("model", "virtio");
        text(d, rng, "backend", "/dev/urandom").setAttribute("model", "random");
        child(d, dev, "memballoon").setAttribute("model", "none");
        Element cl = d.createElementNS(QEMU_NS, "qemu:commandline");
        dom.appendChild(cl);
        for (String arg : new String[] {"-netdev", netdev(r.ports()), "-device",
                "virtio-net-pci,netdev=vboxmcp0,bus=pcie.0,addr=" + NIC_ADDRESS}) {
            Element a = d.createElementNS(QEMU_NS, "qemu:arg");
            a.setAttribute("value", arg);
            cl.appendChild(a);
        }
        return write(d);
    }

    /** QEMU's user-mode netdev with one {@code hostfwd} per forward, all bound to 127.0.0.1 of the libvirt host. */
    static String netdev(Map<Integer, Integer> ports) {
        StringBuilder b = new StringBuilder("user,id=vboxmcp0");
        ports.forEach((guest, host) -> b.append(",hostfwd=tcp:127.0.0.1:").append(host).append("-:").append(guest));
        return b.toString();
    }

    private static void disk(Document d, Element dev, String pool, String volume, String format, String target,
                             boolean readOnly) {
        Element disk = child(d, dev, "disk");
        disk.setAttribute("type", "volume");
        disk.setAttribute("device", "disk");
        Element driver = child(d, disk, "driver");
        driver.setAttribute("name", "qemu");
        driver.setAttribute("type", format);
        if (!readOnly) {
            driver.setAttribute("discard", "unmap");
        }
        Element src = child(d, disk, "source");
        src.setAttribute("pool", pool);
        src.setAttribute("volume", volume);
        Element t = child(d, disk, "target");
        t.setAttribute("dev", target);
        t.setAttribute("bus", "virtio");
        if (readOnly) {
            child(d, disk, "readonly");
        }
    }

    private static Element child(Document d, Element parent, String name) {
        Element e = d.createElement(name);
        parent.appendChild(e);
        return e;
    }

    private static Element text(Document d, Element parent, String name, String text) {
        Element e = child(d, parent, name);
        e.setTextContent(text);
        return e;
    }

    private static Document newDocument() throws HypervisorException {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            return f.newDocumentBuilder().newDocument();
        } catch (ParserConfigurationException e) {
            throw new HypervisorException("no XML support in this JDK: " + e.getMessage(), e);
        }
    }

    private static String write(Document d) throws HypervisorException {
        try {
            var t = TransformerFactory.newInstance().newTransformer();
            t.setOutputProperty(OutputKeys.INDENT, "yes");
            t.setOutputProperty(OutputKeys.OMIT_XML_DECLARATION, "yes");
            StringWriter w = new StringWriter();
            t.transform(new DOMSource(d), new StreamResult(w));
            return w.toString();
        } catch (TransformerException e) {
            throw new HypervisorException("could not write the domain XML: " + e.getMessage(), e);
        }
    }
}

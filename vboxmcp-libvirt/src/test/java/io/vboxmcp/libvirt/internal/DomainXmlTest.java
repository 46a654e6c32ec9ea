package io.vboxmcp.libvirt.internal;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathFactory;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class DomainXmlTest {

    private static DomainRecord record(String name, List<DomainRecord.Share> shares) {
        Map<Integer, Integer> ports = new LinkedHashMap<>();
        ports.put(22, 40022);
        ports.put(8080, 40080);
        return new DomainRecord(name, "libvirt", "qemu:///system", "vboxmcp", "vboxmcp-web-1234abcd", "iid-1", "web",
                "vboxmcp-test:1", "vboxmcp-base-sha256-aa", "qcow2", "vboxmcp-kernel-sha256-bb", "vboxmcp-initrd-sha256-cc",
                "console=ttyS0 root=/dev/vda", false, "vboxmcp-web-1234abcd-disk.qcow2", "vboxmcp-web-1234abcd-seed.iso",
                "vboxmcp-web-1234abcd-console.log", 512, 2, 1L << 30, "127.0.0.1", 40022, ports, shares);
    }

    private static Document parse(String xml) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
    }

    private static String x(Document d, String path) throws Exception {
        return (String) XPathFactory.newInstance().newXPath().evaluate(path, d, XPathConstants.STRING);
    }

    @Test
    void build_describesATcgQ35MachineFromTheRecord() throws Exception {
        Document d = parse(DomainXml.build(record("web", List.of()), "qemu", "q35", "/pool/c.log", "/pool/k", "/pool/i"));
        assertThat(x(d, "/domain/@type")).isEqualTo("qemu");
        assertThat(x(d, "/domain/name")).isEqualTo("vboxmcp-web-1234abcd");
        assertThat(x(d, "/domain/memory")).isEqualTo("512");
        assertThat(x(d, "/domain/memory/@unit")).isEqualTo("MiB");
        assertThat(x(d, "/domain/vcpu")).isEqualTo("2");
        assertThat(x(d, "/domain/os/type/@machine")).isEqualTo("q35");
        assertThat(x(d, "/domain/os/kernel")).isEqualTo("/pool/k");
        assertThat(x(d, "/domain/os/cmdline")).isEqualTo("console=ttyS0 root=/dev/vda");
        assertThat(x(d, "count(/domain/genid)")).isEqualTo("1");
        assertThat(x(d, "/domain/devices/disk[target/@dev='vda']/source/@volume")).isEqualTo("vboxmcp-web-1234abcd-disk.qcow2");
        assertThat(x(d, "/domain/devices/disk[target/@dev='vda']/target/@bus")).isEqualTo("virtio");
        assertThat(x(d, "count(/domain/devices/disk[target/@dev='vdb']/readonly)")).isEqualTo("1");
        assertThat(x(d, "/domain/devices/serial/source/@path")).isEqualTo("/pool/c.log");
        Element cl = (Element) d.getElementsByTagNameNS(DomainXml.QEMU_NS, "commandline").item(0);
        assertThat(cl).isNotNull();
        assertThat(((Element) cl.getElementsByTagNameNS(DomainXml.QEMU_NS, "arg").item(1)).getAttribute("value"))
                .isEqualTo("user,id=vboxmcp0,hostfwd=tcp:127.0.0.1:40022-:22,hostfwd=tcp:127.0.0.1:40080-:8080");
    }

    @Test
    void build_bootsFromTheDiskWithoutAKernel() throws Exception {
        Document d = parse(DomainXml.build(record("web", List.of()), "kvm", "q35", "/c", null, null));
        assertThat(x(d, "/domain/@type")).isEqualTo("kvm");
        assertThat(x(d, "count(/domain/os/kernel)")).isEqualTo("0");
        assertThat(x(d, "/domain/os/boot/@dev")).isEqualTo("hd");
    }

    @Test
    void build_escapesHostileNamesAndPaths() throws Exception {
        String evil = "x'/><devices><hostdev mode='subsystem'/></devices><name>&amp;";
        DomainRecord r = record(evil, List.of(new DomainRecord.Share("s", "s", "/tmp/a'\"<b>&", "/mnt/s", true)));
        Document d = parse(DomainXml.build(r, "qemu", "q35", "/c", null, null));
        assertThat(x(d, "count(//hostdev)")).isEqualTo("0");
        assertThat(x(d, "/domain/title")).isEqualTo("vboxmcp VM " + evil);
        assertThat(x(d, "/domain/devices/filesystem/source/@dir")).isEqualTo("/tmp/a'\"<b>&");
        assertThat(x(d, "count(/domain/devices/filesystem/readonly)")).isEqualTo("1");
    }
}

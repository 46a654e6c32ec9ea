package io.vboxmcp.core.internal.image;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.image.ImageCache;
import io.vboxmcp.spi.Firmware;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class ImageCatalogTest {
    private static final URI REMOTE = URI.create("https://images.example.org/v1/catalog.json");
    private static final URI LOCAL = URI.create("file:///srv/images/catalog.json");
    private static final String SHA256 = "ab".repeat(32);
    private static final String SHA512 = "cd".repeat(64);
    private final ObjectMapper mapper = new ObjectMapper();

    private ImageCatalog parse(URI source, String diskJson) throws VboxmcpException {
        return parse(source, diskJson, "");
    }

    private ImageCatalog parse(URI source, String diskJson, String extra) throws VboxmcpException {
        String doc = "{\"catalogVersion\":1,\"images\":[{\"reference\":\"x:1\"" + extra + ",\"disk\":" + diskJson + "}]}";
        return ImageCatalog.parse(source, doc.getBytes(StandardCharsets.UTF_8), mapper);
    }

    private VboxmcpException refused(URI source, String diskJson) {
        return catchThrowableOfType(VboxmcpException.class, () -> parse(source, diskJson));
    }

    @Test
    void builtinCatalog_everyEntryParsesWithHttpsUrlAndStrongDigest() throws Exception {
        byte[] json;
        try (InputStream in = ImageStore.class.getResourceAsStream("default-catalog.json")) {
            assertThat(in).as("the built-in catalog resource").isNotNull();
            json = in.readAllBytes();
        }
        ImageCatalog c = ImageCatalog.parse(ImageCache.BUILTIN_CATALOG, json, mapper);

        assertThat(c.entries()).extracting(ImageCatalog.Entry::reference).containsExactly("ubuntu:22.04",
                "ubuntu:24.04", "debian:12", "debian:13", "fedora:43", "alpine:3.22", "rocky:9", "almalinux:9",
                "archlinux");
        for (ImageCatalog.Entry e : c.entries()) {
            assertThat(e.disk().url().getScheme()).as(e.reference() + " url").isEqualTo("https");
            assertThat(e.disk().digests()).as(e.reference() + " digests").hasSize(1);
            assertThat(e.disk().primary().toString()).as(e.reference() + " digest").matches("sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128}");
            assertThat(e.disk().size()).as(e.reference() + " size (unknown upstream: the cap applies)").isEqualTo(-1);
            assertThat(e.description()).as(e.reference() + " description").isNotBlank();
            assertThat(e.kernel()).isNull();
        }
        Map<String, Firmware> firmware = c.entries().stream()
                .collect(Collectors.toMap(ImageCatalog.Entry::reference, ImageCatalog.Entry::firmware));
        assertThat(firmware.get("alpine:3.22")).isEqualTo(Firmware.UEFI);
        assertThat(firmware.entrySet().stream().filter(x -> !x.getKey().equals("alpine:3.22")))
                .allSatisfy(x -> assertThat(x.getValue()).as(x.getKey()).isEqualTo(Firmware.ANY));
        // spot checks against docs/research cloud-images.md
        ImageCatalog.Entry debian = c.entries().get(2);
        assertThat(debian.disk().primary().algorithm()).isEqualTo("sha512");
        assertThat(debian.disk().primary().hex()).startsWith("6c2607f1846ee860").endsWith("0c42647bb");
        assertThat(c.entries().get(0).disk().url().toString()).endsWith("ubuntu-22.04-server-cloudimg-amd64.img");
    }

    @Test
    void parse_legacySha256FieldAndFirmware() throws Exception {
        ImageCatalog c = parse(LOCAL, "{\"url\":\"disk.qcow2\",\"format\":\"qcow2\",\"sha256\":\"" + SHA256.toUpperCase()
                + "\",\"size\":12}", ",\"firmware\":\"uefi\"");

        ImageCatalog.Entry e = c.entries().get(0);
        assertThat(e.disk().digests()).containsExactly(new Digest("sha256", SHA256));
        assertThat(e.disk().url()).isEqualTo(URI.create("file:///srv/images/disk.qcow2"));
        assertThat(e.disk().size()).isEqualTo(12);
        assertThat(e.firmware()).isEqualTo(Firmware.UEFI);
        assertThat(e.diskFormat()).isEqualTo("qcow2");
    }

    @Test
    void parse_bothAlgorithmsListed_sha512NamesTheFile() throws Exception {
        ImageCatalog c = parse(REMOTE, "{\"url\":\"d.img\",\"digest\":[\"sha256:" + SHA256 + "\",\"sha512:" + SHA512
                + "\"]}");

        ImageCatalog.Artifact a = c.entries().get(0).disk();
        assertThat(a.digests()).extracting(Digest::algorithm).containsExactly("sha512", "sha256");
        assertThat(a.primary().fileName()).isEqualTo("sha512-" + SHA512);
        assertThat(c.entries().get(0).diskFormat()).as("no format: the file's magic decides").isNull();
        assertThat(c.entries().get(0).firmware()).isEqualTo(Firmware.ANY);
    }

    @Test
    void parse_refusesOnlyAnUnknownAlgorithm_ART03() {
        VboxmcpException e = refused(REMOTE, "{\"url\":\"d.img\",\"digest\":\"md5:" + "ab".repeat(16) + "\"}");

        assertThat(e).isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThat(e.getMessage()).contains("unknown digest algorithm 'md5'");
    }

    @Test
    void parse_refusesAnUnknownAlgorithmBesideAKnownOne_ART03() {
        VboxmcpException e = refused(REMOTE, "{\"url\":\"d.img\",\"sha256\":\"" + SHA256
                + "\",\"digest\":\"sha3-256:" + SHA256 + "\"}");

        assertThat(e).isNotNull();
        assertThat(e.getMessage()).contains("unknown digest algorithm 'sha3-256'");
    }

    @Test
    void parse_refusesMissingMalformedOrConflictingDigests() {
        for (String disk : List.of("{\"url\":\"d.img\"}",
                "{\"url\":\"d.img\",\"digest\":\"sha256:" + SHA256.substring(1) + "\"}",
                "{\"url\":\"d.img\",\"digest\":\"sha512:" + "zz".repeat(64) + "\"}",
                "{\"url\":\"d.img\",\"digest\":\"" + SHA256 + "\"}",
                "{\"url\":\"d.img\",\"digest\":42}",
                "{\"url\":\"d.img\",\"sha256\":\"" + SHA256 + "\",\"digest\":\"sha256:" + "ef".repeat(32) + "\"}")) {
            VboxmcpException e = refused(REMOTE, disk);
            assertThat(e).as(disk).isNotNull();
            assertThat(e.code()).as(disk).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        }
    }

    @Test
    void parse_refusesUnknownFirmwareFormatAndDuplicateReferences() {
        VboxmcpException fw = catchThrowableOfType(VboxmcpException.class, () -> parse(REMOTE,
                "{\"url\":\"d.img\",\"sha256\":\"" + SHA256 + "\"}", ",\"firmware\":\"coreboot\""));
        assertThat(fw.getMessage()).contains("unknown firmware 'coreboot'");

        VboxmcpException fmt = refused(REMOTE, "{\"url\":\"d.img\",\"format\":\"img\",\"sha256\":\"" + SHA256 + "\"}");
        assertThat(fmt.getMessage()).contains("unknown disk format 'img'");

        String dup = "{\"images\":[{\"reference\":\"a\",\"disk\":{\"url\":\"d\",\"sha256\":\"" + SHA256 + "\"}},"
                + "{\"reference\":\"a\",\"disk\":{\"url\":\"e\",\"sha256\":\"" + SHA256 + "\"}}]}";
        VboxmcpException d = catchThrowableOfType(VboxmcpException.class,
                () -> ImageCatalog.parse(REMOTE, dup.getBytes(StandardCharsets.UTF_8), mapper));
        assertThat(d.getMessage()).contains("listed twice");
    }

    @Test
    void parse_remoteCatalogMayNotClimbOutOfItsFolder_ART08() {
        for (String url : List.of("../secret/disk.img", "images/../../x.img", "%2e%2e/x.img", "a/%2E%2E/%2e%2e/x")) {
            VboxmcpException e = refused(REMOTE, "{\"url\":\"" + url + "\",\"sha256\":\"" + SHA256 + "\"}");
            assertThat(e).as(url).isNotNull();
            assertThat(e.code()).as(url).isEqualTo(ErrorCode.POLICY_VIOLATION);
            assertThat(e.getMessage()).as(url).contains("outside its folder");
        }
    }

    @Test
    void parse_remoteOrBuiltinCatalogMayNotNameHostFiles_ART08() {
        for (URI source : List.of(REMOTE, ImageCache.BUILTIN_CATALOG)) {
            VboxmcpException e = refused(source, "{\"url\":\"file:///etc/shadow\",\"sha256\":\"" + SHA256 + "\"}");
            assertThat(e).as(source.toString()).isNotNull();
            assertThat(e.code()).isEqualTo(ErrorCode.POLICY_VIOLATION);
        }
    }

    @Test
    void parse_localCatalogMayNameSiblingFolders() throws Exception {
        ImageCatalog c = parse(LOCAL, "{\"url\":\"../builds/disk.qcow2\",\"sha256\":\"" + SHA256 + "\"}");

        assertThat(c.entries().get(0).disk().url()).isEqualTo(URI.create("file:///srv/builds/disk.qcow2"));
    }
}

package io.vboxmcp.libvirt.internal;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.vboxmcp.spi.CloudInitSeed;
import io.vboxmcp.spi.Machine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the driver knows about one machine: its {@code libvirt.json}, written <em>before</em> the first libvirt
 * object is made, so that a destroy from any process and any state knows every name to remove (removing a name that
 * was never made is a no-op). The base, kernel and initrd volumes are shared per digest and never removed here.
 *
 * @param domain        libvirt domain name (unique per VM folder)
 * @param baseVolume    the uploaded base image (shared)
 * @param kernelVolume  the uploaded kernel for direct boot (shared), null to boot the disk's loader
 * @param initrdVolume  the uploaded initrd (shared), may be null
 * @param diskVolume    the per-VM qcow2 overlay
 * @param seedVolume    the per-VM NoCloud seed
 * @param consoleVolume the per-VM serial console log, a file in the pool once the domain has started
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record DomainRecord(String name, String driver, String uri, String pool, String domain, String instanceId,
                    String hostname, String image, String baseVolume, String baseFormat, String kernelVolume,
                    String initrdVolume, String kernelArgs, boolean uefi, String diskVolume, String seedVolume,
                    String consoleVolume, int memoryMb, int cpus, long diskBytes, String sshHost, int sshPort,
                    Map<Integer, Integer> ports, List<Share> shares) {

    static final String FILE = "libvirt.json";
    static final String DOMAIN_XML = "domain.xml";
    static final String SEED_ISO = "seed.iso";
    private static final long MAX_JSON = 1024 * 1024;
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .enable(SerializationFeature.INDENT_OUTPUT);

    /** A 9p shared folder; {@code tag} is its mount tag. */
    record Share(String name, String tag, String hostPath, String guestPath, boolean readOnly) {
    }

    DomainRecord {
        ports = ports == null ? Map.of() : new LinkedHashMap<>(ports);
        shares = shares == null ? List.of() : List.copyOf(shares);
    }

    /** @return the record of {@code vmDir}; empty if there is none or it is unreadable (not ours) */
    static Optional<DomainRecord> read(Path vmDir) {
        Path f = vmDir.resolve(FILE);
        try {
            if (!Files.isRegularFile(f) || Files.size(f) > MAX_JSON) {
                return Optional.empty();
            }
            return Optional.ofNullable(MAPPER.readValue(f.toFile(), DomainRecord.class));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    void write(Path vmDir) throws IOException {
        Path tmp = vmDir.resolve(FILE + ".tmp");
        Files.write(tmp, MAPPER.writeValueAsBytes(this));
        Files.move(tmp, vmDir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** {@code vboxmcp-<hostname>-<8 hex of the VM folder>}: unique per VM folder, so two homes never collide. */
    static String domainName(String vmName, Path vmDir) {
        String h = CloudInitSeed.hostname(vmName);
        return "vboxmcp-" + h.substring(0, Math.min(h.length(), 40)) + "-" + sha256Hex(vmDir.toString()).substring(0, 8);
    }

    private static String sha256Hex(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @return the per-VM volumes, the ones destroy removes */
    List<String> ownVolumes() {
        return List.of(diskVolume, seedVolume, consoleVolume);
    }

    Machine toMachine(Path vmDir) {
        return toMachine(vmDir, sshHost, ports);
    }

    /** @param reach guest port to the port the caller reaches it on at {@code host} (a jump's local ends) */
    Machine toMachine(Path vmDir, String host, Map<Integer, Integer> reach) {
        Map<String, String> attrs = new LinkedHashMap<>();
        attrs.put("uri", uri);
        attrs.put("domain", domain);
        attrs.put("pool", pool);
        attrs.put("disk", diskVolume);
        attrs.put("console", consoleVolume);
        attrs.put("instanceId", instanceId);
        if (reach != ports) {
            attrs.put("jump", "ssh to " + sshHost + ":" + sshPort + " through the libvirt host");
        }
        return new Machine(name, LibvirtDriver.ID, vmDir, host, reach.getOrDefault(22, sshPort), reach, attrs);
    }
}

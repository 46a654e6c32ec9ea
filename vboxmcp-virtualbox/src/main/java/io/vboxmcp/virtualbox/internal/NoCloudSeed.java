package io.vboxmcp.virtualbox.internal;

import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The cloud-init NoCloud seed: an ISO labelled {@code cidata} with {@code meta-data} (instance id, host name) and
 * {@code user-data} (one user with the per-VM SSH key and password-less sudo).
 */
public final class NoCloudSeed {
    private NoCloudSeed() {
    }

    /** @return the ISO image bytes */
    public static byte[] iso(String instanceId, String hostName, String user, String sshPublicKey, ZonedDateTime time) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("meta-data", metaData(instanceId, hostName).getBytes(StandardCharsets.UTF_8));
        files.put("user-data", userData(user, sshPublicKey).getBytes(StandardCharsets.UTF_8));
        return Iso9660Writer.write("cidata", files, time);
    }

    static String metaData(String instanceId, String hostName) {
        return "instance-id: " + yamlString(instanceId) + "\nlocal-hostname: " + yamlString(hostName) + "\n";
    }

    static String userData(String user, String sshPublicKey) {
        return "#cloud-config\n"
                + "users:\n"
                + "  - name: " + yamlString(user) + "\n"
                + "    sudo: \"ALL=(ALL) NOPASSWD:ALL\"\n"
                + "    shell: /bin/sh\n"
                + "    lock_passwd: true\n"
                + "    ssh_authorized_keys:\n"
                + "      - " + yamlString(sshPublicKey.strip()) + "\n"
                + "ssh_pwauth: false\n";
    }

    /** Double-quoted YAML scalar: keys and names never reach YAML as syntax. */
    static String yamlString(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\x%02x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}

package io.vboxmcp.virtualbox.internal;

import io.vboxmcp.spi.Machine;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;

/** The driver's state for one machine, {@code <vmDir>/virtualbox-machine.properties}, so find() works in another process. */
final class MachineRecord {
    static final String FILE = "virtualbox-machine.properties";

    private MachineRecord() {
    }

    static void write(Machine m) throws IOException {
        Properties p = new Properties();
        p.setProperty("name", m.name());
        p.setProperty("sshHost", m.sshHost());
        p.setProperty("sshPort", String.valueOf(m.sshPort()));
        m.ports().forEach((g, h) -> p.setProperty("port." + g, String.valueOf(h)));
        m.attributes().forEach((k, v) -> p.setProperty("attr." + k, v));
        StringWriter w = new StringWriter();
        p.store(w, "vboxmcp VirtualBox driver state; do not edit");
        Path target = m.vmDir().resolve(FILE);
        Path tmp = m.vmDir().resolve(FILE + ".tmp");
        Files.writeString(tmp, w.toString(), StandardCharsets.UTF_8);
        try {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    static Optional<Machine> read(String driverId, Path vmDir) throws IOException {
        Path f = vmDir.resolve(FILE);
        if (!Files.isRegularFile(f)) {
            return Optional.empty();
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        Map<Integer, Integer> ports = new TreeMap<>();
        Map<String, String> attrs = new LinkedHashMap<>();
        try {
            for (String k : p.stringPropertyNames()) {
                if (k.startsWith("port.")) {
                    ports.put(Integer.valueOf(k.substring(5)), Integer.valueOf(p.getProperty(k)));
                } else if (k.startsWith("attr.")) {
                    attrs.put(k.substring(5), p.getProperty(k));
                }
            }
            return Optional.of(new Machine(p.getProperty("name"), driverId, vmDir, p.getProperty("sshHost", "127.0.0.1"),
                    Integer.parseInt(p.getProperty("sshPort", "0")), ports, new TreeMap<>(attrs)));
        } catch (RuntimeException e) {
            throw new UncheckedIOException(new IOException("corrupt " + f + ": " + e.getMessage(), e));
        }
    }

    static void delete(Path vmDir) throws IOException {
        Files.deleteIfExists(vmDir.resolve(FILE));
    }
}

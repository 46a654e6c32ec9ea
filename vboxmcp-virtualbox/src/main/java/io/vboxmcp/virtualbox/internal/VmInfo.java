package io.vboxmcp.virtualbox.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parsed {@code VBoxManage showvminfo <vm> --machinereadable} (or {@code snapshot <vm> list --machinereadable}).
 * Tolerates every irregular line the notes list: bare {@code Encryption:} lines (7.0.0), {@code <not set>},
 * {@code VideoMode="..."@0,0 1}, {@code VRDEClients==0}, the {@code cpuid=} line printed without a newline, the
 * bare {@code rec_screen0} token, quoted keys, and backslash-escaped values (Windows paths).
 *
 * @param entries  every {@code key=value} in output order (keys repeat, e.g. {@code Forwarding(0)} per NIC)
 * @param unparsed lines that are not {@code key=value}
 */
public record VmInfo(List<Map.Entry<String, String>> entries, List<String> unparsed) {
    private static final Pattern NIC = Pattern.compile("^nic(\\d+)$");
    private static final Pattern FWD = Pattern.compile("^Forwarding\\((\\d+)\\)$");
    private static final Pattern CPUID_RUN_ON = Pattern.compile("^((?:[0-9a-fA-F]{8},){5}[0-9a-fA-F]{8})(\\S.*=.*)$");
    private static final Pattern ATTACHMENT = Pattern.compile("^(.+)-(\\d+)-(\\d+)$");
    private static final Pattern SNAPSHOT_NAME = Pattern.compile("^SnapshotName(-\\d+)*$");

    public VmInfo {
        entries = List.copyOf(entries);
        unparsed = List.copyOf(unparsed);
    }

    /** @param text the command's stdout; CRLF tolerated */
    public static VmInfo parse(String text) {
        List<Map.Entry<String, String>> entries = new ArrayList<>();
        List<String> unparsed = new ArrayList<>();
        for (String line : text.replace("\r\n", "\n").split("\n")) {
            parseLine(line, entries, unparsed);
        }
        return new VmInfo(entries, unparsed);
    }

    private static void parseLine(String line, List<Map.Entry<String, String>> entries, List<String> unparsed) {
        if (line.isBlank()) {
            return;
        }
        String key;
        int pos;
        if (line.startsWith("\"")) {
            int[] end = new int[1];
            key = readQuoted(line, 0, end);
            pos = end[0];
            if (key == null || pos >= line.length() || line.charAt(pos) != '=') {
                unparsed.add(line);
                return;
            }
        } else {
            int eq = line.indexOf('=');
            if (eq <= 0 || line.substring(0, eq).contains(" ") && !line.startsWith("GuestAdditionsFacility_")) {
                unparsed.add(line);
                return;
            }
            key = line.substring(0, eq);
            pos = eq;
        }
        String rest = line.substring(pos + 1);
        if (rest.startsWith("=")) {
            rest = rest.substring(1); // VRDEClients==0: the key itself was printed with its '='
        }
        String value;
        if (rest.startsWith("\"")) {
            int[] end = new int[1];
            value = readQuoted(rest, 0, end);
            if (value == null) {
                value = rest;
            }
        } else {
            value = rest;
        }
        if (key.equals("cpuid")) {
            Matcher m = CPUID_RUN_ON.matcher(value);
            if (m.matches()) {
                entries.add(Map.entry(key, m.group(1)));
                parseLine(m.group(2), entries, unparsed);
                return;
            }
        }
        entries.add(Map.entry(key, value));
    }

    /** Reads a {@code "..."} string starting at {@code start}, undoing VBoxManage's {@code \"} and {@code \\} escapes. */
    private static String readQuoted(String s, int start, int[] end) {
        StringBuilder b = new StringBuilder();
        for (int i = start + 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                b.append(s.charAt(++i));
            } else if (c == '"') {
                end[0] = i + 1;
                return b.toString();
            } else {
                b.append(c);
            }
        }
        return null;
    }

    /** @return the first value of {@code key} */
    public Optional<String> get(String key) {
        for (Map.Entry<String, String> e : entries) {
            if (e.getKey().equals(key)) {
                return Optional.of(e.getValue());
            }
        }
        return Optional.empty();
    }

    /** @return first value per key, in output order */
    public Map<String, String> values() {
        Map<String, String> m = new LinkedHashMap<>();
        entries.forEach(e -> m.putIfAbsent(e.getKey(), e.getValue()));
        return Collections.unmodifiableMap(m);
    }

    public Optional<String> name() {
        return get("name");
    }

    public Optional<String> uuid() {
        return get("UUID");
    }

    /** @return the short state name ({@code poweroff}, {@code running}, ...) */
    public Optional<String> state() {
        return get("VMState");
    }

    public Optional<String> cfgFile() {
        return get("CfgFile");
    }

    /** @return whether VirtualBox cannot read this machine's settings */
    public boolean inaccessible() {
        return "<inaccessible>".equals(get("name").orElse(null));
    }

    public Optional<Integer> memoryMb() {
        return get("memory").map(Integer::valueOf);
    }

    public Optional<Integer> cpus() {
        return get("cpus").map(Integer::valueOf);
    }

    /** @return NAT rules per NIC number; the NIC is the last {@code nicN=} line before each {@code Forwarding(i)=} */
    public List<NatRule> forwards() {
        List<NatRule> out = new ArrayList<>();
        int nic = 0;
        for (Map.Entry<String, String> e : entries) {
            Matcher n = NIC.matcher(e.getKey());
            if (n.matches()) {
                nic = Integer.parseInt(n.group(1));
            } else if (FWD.matcher(e.getKey()).matches()) {
                NatRule.parse(nic, e.getValue()).ifPresent(out::add);
            }
        }
        return out;
    }

    /** @return the shared folder names (machine mappings) */
    public List<String> sharedFolders() {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, String> e : entries) {
            if (e.getKey().startsWith("SharedFolderNameMachineMapping")) {
                out.add(e.getValue());
            }
        }
        return out;
    }

    /** @return snapshot names, in tree order */
    public List<String> snapshotNames() {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, String> e : entries) {
            if (SNAPSHOT_NAME.matcher(e.getKey()).matches()) {
                out.add(e.getValue());
            }
        }
        return out;
    }

    /** @return storage controllers in output order */
    public List<Controller> controllers() {
        List<Controller> out = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            Optional<String> name = get("storagecontrollername" + i);
            if (name.isEmpty()) {
                continue;
            }
            out.add(new Controller(name.get(), get("storagecontrollertype" + i).orElse(""),
                    get("storagecontrollerportcount" + i).map(Integer::valueOf).orElse(0),
                    get("storagecontrollermaxportcount" + i).map(Integer::valueOf).orElse(0)));
        }
        return out;
    }

    /** @return every attachment slot of every controller, including empty ones ({@code none}) */
    public List<Attachment> attachments() {
        List<Attachment> out = new ArrayList<>();
        List<Controller> ctls = controllers();
        for (Map.Entry<String, String> e : entries) {
            Matcher m = ATTACHMENT.matcher(e.getKey());
            if (!m.matches()) {
                continue;
            }
            String ctl = m.group(1);
            if (ctls.stream().noneMatch(c -> c.name().equals(ctl))) {
                continue;
            }
            int port = Integer.parseInt(m.group(2));
            int dev = Integer.parseInt(m.group(3));
            String uuid = get(ctl + "-ImageUUID-" + port + "-" + dev).orElse(null);
            out.add(new Attachment(ctl, port, dev, e.getValue(), uuid));
        }
        return out;
    }

    /** A storage controller. */
    public record Controller(String name, String type, int portCount, int maxPortCount) {
        /** @return whether it is an IDE controller (two ports, two devices each) */
        public boolean ide() {
            return type.startsWith("PIIX") || type.equals("ICH6");
        }

        public boolean sata() {
            return type.equals("IntelAhci");
        }
    }

    /** One {@code "<controller>-<port>-<device>"="<medium path>|none|emptydrive"} slot. */
    public record Attachment(String controller, int port, int device, String medium, String imageUuid) {
        public boolean empty() {
            return "none".equals(medium);
        }

        /** @return whether a disk image (not a DVD/ISO) is attached */
        public boolean disk() {
            String m = medium.toLowerCase(java.util.Locale.ROOT);
            return !empty() && !"emptydrive".equals(m) && !m.endsWith(".iso");
        }
    }
}

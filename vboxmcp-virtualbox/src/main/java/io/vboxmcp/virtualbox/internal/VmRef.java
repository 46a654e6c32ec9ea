package io.vboxmcp.virtualbox.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One line of {@code VBoxManage list vms}: {@code "name" {uuid}}. The name is printed unescaped, so the pattern
 * is greedy and anchors the UUID at the end of the line.
 *
 * @param name never null ({@code <inaccessible>} for VMs VirtualBox cannot read)
 * @param uuid never null
 */
public record VmRef(String name, String uuid) {
    private static final Pattern LINE = Pattern.compile("^\"(.*)\" \\{([0-9a-fA-F-]{36})\\}\\s*$");

    public VmRef {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(uuid, "uuid");
    }

    /** @param output stdout of {@code list vms}; CRLF tolerated, other lines ignored */
    public static List<VmRef> parseList(String output) {
        List<VmRef> out = new ArrayList<>();
        for (String line : output.replace("\r\n", "\n").split("\n")) {
            Matcher m = LINE.matcher(line);
            if (m.matches()) {
                out.add(new VmRef(m.group(1), m.group(2)));
            }
        }
        return out;
    }
}

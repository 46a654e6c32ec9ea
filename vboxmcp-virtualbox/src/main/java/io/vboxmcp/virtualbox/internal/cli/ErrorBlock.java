package io.vboxmcp.virtualbox.internal.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The error block VBoxManage prints on stderr:
 * <pre>
 * VBoxManage: error: Could not find a registered machine named 'al2023'
 * VBoxManage: error: Details: code VBOX_E_OBJECT_NOT_FOUND (0x80bb0001), component VirtualBoxWrap, interface IVirtualBox, callee nsISupports
 * VBoxManage: error: Context: "FindMachine(...)" at line 228 of file VBoxManageMisc.cpp
 * </pre>
 * On Windows the prefix is {@code VBoxManage.exe: error:}.
 *
 * @param message   the error lines other than Details/Context, joined by a space; empty if none
 * @param code      for example {@code VBOX_E_OBJECT_NOT_FOUND}, null if no Details line
 * @param hresult   for example {@code 0x80bb0001}, null if no Details line
 * @param component for example {@code VirtualBoxWrap}, null if absent
 * @param iface     for example {@code IVirtualBox}, null if absent
 * @param context   the Context line's text, null if absent
 */
public record ErrorBlock(String message, String code, String hresult, String component, String iface, String context) {
    public static final String OBJECT_NOT_FOUND = "VBOX_E_OBJECT_NOT_FOUND";
    public static final String INVALID_OBJECT_STATE = "VBOX_E_INVALID_OBJECT_STATE";

    private static final Pattern LINE = Pattern.compile("^VBoxManage(?:\\.exe)?: error: ?(.*)$", Pattern.MULTILINE);
    private static final Pattern DETAILS = Pattern.compile(
            "^Details: code (\\w+) \\((0x[0-9a-fA-F]+)\\)(?:, component (\\w+))?(?:, interface (\\w+))?.*$");
    private static final Pattern CONTEXT = Pattern.compile("^Context: (.*)$");

    /** @return whether stderr holds at least one {@code VBoxManage: error:} line */
    public static boolean present(String stderr) {
        return LINE.matcher(stderr).find();
    }

    /** @param stderr never null; CRLF tolerated */
    public static ErrorBlock parse(String stderr) {
        Matcher m = LINE.matcher(stderr.replace("\r\n", "\n"));
        List<String> msg = new ArrayList<>();
        String code = null;
        String hr = null;
        String comp = null;
        String iface = null;
        String ctx = null;
        while (m.find()) {
            String text = m.group(1).strip();
            Matcher d = DETAILS.matcher(text);
            Matcher c = CONTEXT.matcher(text);
            if (d.matches()) {
                code = d.group(1);
                hr = d.group(2).toLowerCase(java.util.Locale.ROOT);
                comp = d.group(3);
                iface = d.group(4);
            } else if (c.matches()) {
                ctx = c.group(1);
            } else if (!text.isEmpty()) {
                msg.add(text);
            }
        }
        return new ErrorBlock(String.join(" ", msg), code, hr, comp, iface, ctx);
    }
}

package io.vboxmcp.virtualbox.internal.cli;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;

import java.util.List;
import java.util.Optional;

/**
 * A VBoxManage command failed. Carries what its error block said, so callers can act on the VirtualBox result code
 * instead of matching message text.
 */
public final class VBoxManageException extends HypervisorException {
    private static final long serialVersionUID = 1L;
    private final transient ErrorBlock block;
    private final int exitCode;
    private final List<String> argv;

    VBoxManageException(List<String> argv, int exitCode, ErrorBlock block, String stderr) {
        super(codeFor(block), message(argv, exitCode, block, stderr), null);
        this.block = block;
        this.exitCode = exitCode;
        this.argv = List.copyOf(argv);
    }

    /** @return the parsed error block, never null (empty fields if VBoxManage printed none) */
    public ErrorBlock block() {
        return block;
    }

    /** @return the VirtualBox result code name, for example {@code VBOX_E_OBJECT_NOT_FOUND} */
    public Optional<String> vboxCode() {
        return Optional.ofNullable(block.code());
    }

    public int exitCode() {
        return exitCode;
    }

    public List<String> argv() {
        return argv;
    }

    /** @return whether the machine (or another object) named in the command does not exist */
    public boolean isNotFound() {
        return ErrorBlock.OBJECT_NOT_FOUND.equals(block.code())
                || block.message().contains("Could not find a registered machine");
    }

    /** @return whether another session holds the machine's lock: the only error worth retrying */
    public boolean isSessionLock() {
        String m = block.message();
        return ErrorBlock.INVALID_OBJECT_STATE.equals(block.code()) && (m.contains("locked") || m.contains("lock"))
                || m.contains("The object is not ready");
    }

    private static ErrorCode codeFor(ErrorBlock b) {
        if (ErrorBlock.OBJECT_NOT_FOUND.equals(b.code()) || b.message().contains("Could not find a registered machine")) {
            return ErrorCode.VM_NOT_FOUND;
        }
        if (ErrorBlock.INVALID_OBJECT_STATE.equals(b.code())) {
            return ErrorCode.LOCKED;
        }
        return ErrorCode.HYPERVISOR;
    }

    private static String message(List<String> argv, int exit, ErrorBlock b, String stderr) {
        String cmd = argv.size() > 1 ? argv.get(1) : "";
        StringBuilder s = new StringBuilder("VBoxManage ").append(cmd).append(" failed (exit ").append(exit).append(')');
        if (!b.message().isEmpty()) {
            s.append(": ").append(b.message());
        } else if (!stderr.isBlank()) {
            String t = stderr.strip();
            s.append(": ").append(t.length() > 300 ? t.substring(0, 300) + "..." : t);
        }
        if (b.code() != null) {
            s.append(" [").append(b.code()).append(b.hresult() == null ? "" : " " + b.hresult()).append(']');
        }
        return s.toString();
    }
}

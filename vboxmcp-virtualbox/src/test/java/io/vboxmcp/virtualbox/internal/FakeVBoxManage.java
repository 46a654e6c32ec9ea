package io.vboxmcp.virtualbox.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * Installs the fake {@code VBoxManage} bash script (src/test/resources/fake-vboxmanage) into a folder; its state
 * lives in {@code <folder>/state}. Test hooks are files in that state folder (see the script's header).
 */
public final class FakeVBoxManage {
    public final Path executable;
    public final Path state;

    private FakeVBoxManage(Path executable) {
        this.executable = executable;
        this.state = executable.getParent().resolve("state");
    }

    public static FakeVBoxManage installIn(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path exe = dir.resolve("VBoxManage");
        try (InputStream in = FakeVBoxManage.class.getResourceAsStream("/fake-vboxmanage/VBoxManage")) {
            Files.copy(in, exe, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.setPosixFilePermissions(exe, PosixFilePermissions.fromString("rwxr-xr-x"));
        FakeVBoxManage f = new FakeVBoxManage(exe);
        Files.createDirectories(f.state);
        return f;
    }

    /** Writes a hook file, for example {@code hook("sleep-list", "30")}. */
    public FakeVBoxManage hook(String name, String content) throws IOException {
        Files.writeString(state.resolve(name), content, StandardCharsets.UTF_8);
        return this;
    }

    /** @return every invocation so far, as {@code LC_ALL=<value> <args...>} */
    public List<String> calls() throws IOException {
        Path log = state.resolve("calls.log");
        return Files.exists(log) ? Files.readAllLines(log) : List.of();
    }
}

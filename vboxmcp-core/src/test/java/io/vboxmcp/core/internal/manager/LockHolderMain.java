package io.vboxmcp.core.internal.manager;

import io.vboxmcp.core.internal.store.VmStore;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Holds one VM's lock from a separate JVM until killed, for the cross-process lock tests: prints {@code HELD} once
 * it holds the lock, then waits for stdin to close (or for SIGKILL).
 */
public final class LockHolderMain {
    private LockHolderMain() {
    }

    public static void main(String[] args) throws Exception {
        try (var held = new VmStore(Path.of(args[0]), Duration.ofSeconds(30)).lock(args[1])) {
            System.out.println("HELD");
            System.out.flush();
            while (System.in.read() >= 0) {
                // a crash is what the test wants to see; a closed stdin ends the holder politely
            }
        }
    }
}

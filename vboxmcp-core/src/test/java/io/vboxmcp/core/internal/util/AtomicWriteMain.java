package io.vboxmcp.core.internal.util;

import java.nio.file.Path;
import java.util.Arrays;

/** Rewrites one store file with two alternating versions until killed, for the torn-write test (LCY-11). */
public final class AtomicWriteMain {
    private AtomicWriteMain() {
    }

    public static void main(String[] args) throws Exception {
        Path target = Path.of(args[0]);
        int size = Integer.parseInt(args[1]);
        byte[] a = new byte[size];
        byte[] b = new byte[size];
        Arrays.fill(a, (byte) 'a');
        Arrays.fill(b, (byte) 'b');
        System.out.println("WRITING");
        System.out.flush();
        for (long i = 0; ; i++) {
            AtomicFiles.write(target, i % 2 == 0 ? b : a);
        }
    }
}

package io.vboxmcp.testkit;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What a VM holds on the host, for tests that check a destroy or a failed create left nothing: the processes whose
 * command line names the VM's folder (its QEMU) and the TCP ports they listen on. Looked up in {@code /proc} (through
 * {@link ProcessHandle}) and with {@code ss}, the host's own view, not the driver's.
 *
 * <pre>{@code
 * List<Integer> held = VmHostResidue.listeningPorts(vmDir);   // while the VM runs
 * ... destroy ...
 * assertThat(VmHostResidue.processes(vmDir)).isEmpty();
 * assertThat(VmHostResidue.portsInUse(held)).isEmpty();
 * }</pre>
 *
 * @since 0.3.0
 */
public final class VmHostResidue {
    private VmHostResidue() {
    }

    /**
     * @param vmDir the VM's folder ({@code <home>/vms/<name>}), which its hypervisor process names in its arguments
     * @return the ids of the live processes whose command line contains {@code vmDir}, this one excluded
     */
    public static List<Long> processes(Path vmDir) {
        String needle = vmDir.toAbsolutePath().normalize().toString();
        long self = ProcessHandle.current().pid();
        return ProcessHandle.allProcesses().filter(p -> p.pid() != self && p.isAlive())
                .filter(p -> p.info().commandLine().map(c -> c.contains(needle)).orElse(false))
                .map(ProcessHandle::pid).toList();
    }

    /**
     * @param vmDir the VM's folder
     * @return the TCP ports the VM's processes ({@link #processes}) listen on (SSH and template port forwards)
     * @throws IOException if {@code ss} cannot run or does not end within 30 s
     */
    public static List<Integer> listeningPorts(Path vmDir) throws IOException, InterruptedException {
        List<Long> pids = processes(vmDir);
        List<Integer> ports = new ArrayList<>();
        if (pids.isEmpty()) {
            return ports;
        }
        Process p = new ProcessBuilder("ss", "-Hltnp").redirectErrorStream(true).start();
        String ss = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("ss -Hltnp failed: " + ss);
        }
        for (String line : ss.split("\n")) {
            // users:(("qemu-system-x86",pid=1234,fd=12)): the 4th column is the local address:port
            if (pids.stream().anyMatch(pid -> line.contains("pid=" + pid + ","))) {
                String local = line.trim().split("\\s+")[3];
                ports.add(Integer.parseInt(local.substring(local.lastIndexOf(':') + 1)));
            }
        }
        return ports;
    }

    /**
     * @param ports TCP ports on the loopback address
     * @return those of {@code ports} that cannot be bound on {@code 127.0.0.1} now (someone still holds them)
     */
    public static List<Integer> portsInUse(Collection<Integer> ports) {
        List<Integer> held = new ArrayList<>();
        for (int port : ports) {
            try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                s.setReuseAddress(true);
            } catch (IOException e) {
                held.add(port);
            }
        }
        return held;
    }
}

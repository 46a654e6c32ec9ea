package io.vboxmcp.qemu.internal;

import io.vboxmcp.HypervisorException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code qemu-system-x86_64} command line of a recorded machine: no defaults, no display, virtio disk and seed,
 * user networking with the recorded host forwards, 9p shares, serial console to a file, QMP on a unix socket,
 * daemonized with a pid file.
 */
final class QemuCommandLine {
    /** The identity port's name, as the guest sees it in {@code /sys/class/virtio-ports/<port>/name}. */
    static final String IDENTITY_PORT = "io.vboxmcp.identity";

    private final QemuSettings settings;

    QemuCommandLine(QemuSettings settings) {
        this.settings = settings;
    }

    List<String> build(MachineRecord m, Path vmDir, String accel) throws HypervisorException {
        List<String> a = new ArrayList<>();
        a.add(settings.qemu());
        a.addAll(List.of("-name", "guest=" + opt(QemuDriver.hostname(m.name())),
                "-nodefaults", "-no-user-config", "-display", "none",
                "-machine", settings.machine() + ",accel=" + accel,
                "-m", String.valueOf(m.memoryMb()), "-smp", String.valueOf(m.cpus())));
        if ("kvm".equals(accel)) {
            a.addAll(List.of("-cpu", "host"));
        }
        a.addAll(BootFirmware.args(m, vmDir));
        if (m.kernel() != null) {
            a.addAll(List.of("-kernel", m.kernel()));
            if (m.initrd() != null) {
                a.addAll(List.of("-initrd", m.initrd()));
            }
            if (m.kernelArgs() != null) {
                a.addAll(List.of("-append", m.kernelArgs()));
            }
        }
        a.addAll(List.of(
                "-drive", "file=" + opt(vmDir.resolve(MachineFolder.DISK).toString()) + ",if=virtio,format=qcow2,discard=unmap",
                "-drive", "file=" + opt(vmDir.resolve(MachineFolder.SEED).toString()) + ",if=virtio,format=raw,readonly=on"));
        StringBuilder net = new StringBuilder("user,id=net0");
        for (MachineRecord.Port p : m.ports()) {
            net.append(",hostfwd=tcp:").append(p.address()).append(':').append(p.host()).append("-:").append(p.guest());
        }
        if (Boolean.TRUE.equals(m.restrictNetwork())) {
            // restrict=on cuts the guest off; host forwards (SSH) and guest forwards still work
            net.append(",restrict=on");
            for (String f : m.guestForwards()) {
                NetworkSettings.Forward fw = NetworkSettings.Forward.parse(f);
                net.append(",guestfwd=tcp:").append(NetworkSettings.GUEST_HOST).append(':').append(fw.guestPort())
                        .append("-cmd:").append(opt(m.relay() + " - TCP:" + fw.host() + ":" + fw.port()));
            }
        }
        a.addAll(List.of("-netdev", net.toString(), "-device", "virtio-net-pci,netdev=net0",
                "-device", "virtio-rng-pci",
                // free page reporting: memory the guest frees (its page cache dropped before a ready snapshot is
                // saved, for one) is handed back and reads as zeros, so a saved state carries only what is in use
                "-device", "virtio-balloon-pci,free-page-reporting=on",
                // a VM generation id: a clone restored from a ready snapshot gets a new one, and Linux reseeds its
                // RNG on the change; a cold boot gets a fresh one too, harmlessly
                "-device", "vmgenid,guid=auto",
                // the identity port: a virtio-serial port whose host end is a socket only this host reaches; a ready
                // snapshot's clone gets its identity through it (QemuSnapshots), without a first SSH login
                "-device", "virtio-serial-pci,id=vbxser",
                "-chardev", "socket,id=vbxid,path=" + opt(MachineFolder.siblingSocket(m.qmpSocket(),
                        MachineFolder.IDENTITY_SOCKET).toString()) + ",server=on,wait=off",
                "-device", "virtserialport,bus=vbxser.0,chardev=vbxid,name=" + IDENTITY_PORT));
        int n = 0;
        for (MachineRecord.Share s : m.shares()) {
            String v = "local,path=" + opt(s.hostPath()) + ",mount_tag=" + s.tag()
                    + ",security_model=none,id=fs" + (n++);
            if (s.readOnly()) {
                v += ",readonly=on";
            }
            a.addAll(List.of("-virtfs", v));
        }
        a.addAll(List.of("-serial", "file:" + vmDir.resolve(MachineFolder.CONSOLE),
                "-qmp", "unix:" + opt(m.qmpSocket()) + ",server=on,wait=off",
                "-pidfile", vmDir.resolve(MachineFolder.PID).toString(), "-daemonize"));
        return a;
    }

    /** QEMU option values escape commas by doubling them. */
    static String opt(String v) {
        return v.replace(",", ",,");
    }
}

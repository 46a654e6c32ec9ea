package io.vboxmcp.qemu.internal;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.vboxmcp.spi.Machine;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the driver knows about one machine: the content of its {@code machine.json}. Everything a start, stop or
 * destroy from another process needs is here; machines written before a field existed read it as null (firmware
 * null means SeaBIOS).
 *
 * @param accel    the accelerator of the last start, null before the first
 * @param ovmfCode the OVMF code file of a UEFI machine, null for BIOS
 * @param restrictNetwork true for {@code restrict=on} user networking, null (older machines) or false for open
 * @param guestForwards   what a restricted guest may reach: {@code guestPort=host:port}, relayed by {@code relay}
 * @param relay           the relay command of {@code guestForwards}, null when there are none
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record MachineRecord(String name, String driver, String instanceId, String hostname, String image, String baseDisk,
                     String baseDigest, String kernel, String initrd, String kernelArgs, String firmware,
                     String ovmfCode, int memoryMb, int cpus, long diskBytes, String sshHost, Integer sshPort,
                     List<Port> ports, List<Share> shares, String qmpSocket, String accel,
                     Boolean restrictNetwork, List<String> guestForwards, String relay) {

    /** A forwarded TCP port: {@code address:host} on the host to {@code guest} in the guest. */
    record Port(int guest, int host, String address) {
    }

    /** A 9p shared folder; {@code tag} is its mount tag. */
    record Share(String name, String tag, String hostPath, String guestPath, boolean readOnly) {
    }

    MachineRecord {
        ports = ports == null ? List.of() : List.copyOf(ports);
        shares = shares == null ? List.of() : List.copyOf(shares);
        guestForwards = guestForwards == null ? List.of() : List.copyOf(guestForwards);
    }

    MachineRecord withAccel(String newAccel) {
        return new MachineRecord(name, driver, instanceId, hostname, image, baseDisk, baseDigest, kernel, initrd,
                kernelArgs, firmware, ovmfCode, memoryMb, cpus, diskBytes, sshHost, sshPort, ports, shares,
                qmpSocket, newAccel, restrictNetwork, guestForwards, relay);
    }

    /** @return the SPI view of this machine in {@code vmDir} */
    Machine toMachine(Path vmDir) {
        Map<Integer, Integer> portMap = new LinkedHashMap<>();
        for (Port p : ports) {
            portMap.put(p.guest(), p.host());
        }
        Map<String, String> attrs = new LinkedHashMap<>();
        attrs.put("qmpSocket", qmpSocket);
        attrs.put("console", vmDir.resolve(MachineFolder.CONSOLE).toString());
        attrs.put("disk", vmDir.resolve(MachineFolder.DISK).toString());
        attrs.put("instanceId", instanceId);
        attrs.put("firmware", firmware == null ? BootFirmware.BIOS : firmware);
        if (accel != null) {
            attrs.put("accel", accel);
        }
        return new Machine(name, QemuDriver.ID, vmDir, sshHost, sshPort, portMap, attrs);
    }
}

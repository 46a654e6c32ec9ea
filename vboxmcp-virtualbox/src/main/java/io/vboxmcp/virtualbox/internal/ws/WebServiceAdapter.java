package io.vboxmcp.virtualbox.internal.ws;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.virtualbox.internal.NatRule;
import io.vboxmcp.virtualbox.internal.VBoxVersion;
import io.vboxmcp.virtualbox.internal.VirtualBoxPort;
import io.vboxmcp.virtualbox.internal.VmRef;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * EXPERIMENTAL adapter for a remote {@code vboxwebsrv}: not yet run against a real VirtualBox 7.x web service.
 * Logs on, checks the server's API version and refuses anything but {@link #SUPPORTED_APIS}, then drives machines
 * with the 7.x call shapes (createMachine with or without {@code platform}, launchVMProcess with an environment
 * array, createSharedFolder with autoMountPoint, unregister + deleteConfig). It cannot upload images: the master VM
 * ({@code vboxmcp-master-<digest>} with snapshot {@code base}, or {@code virtualbox.ws.master}) must already be
 * registered on the server, and file paths (the seed ISO, shared folders) must be valid on the server's host.
 * Settings changes hold the websession's one {@code ISession}, so they are serialised adapter-wide.
 */
public final class WebServiceAdapter implements VirtualBoxPort {
    /** API versions whose call shapes this adapter sends. */
    public static final Set<String> SUPPORTED_APIS = Set.of("7_0", "7_1", "7_2");

    private final VboxWebPort port;
    private final String endpoint;
    private final String user;
    private final String password;
    private String vbox;
    private String session;
    private String api;
    private VBoxVersion version;
    private boolean closed;

    public WebServiceAdapter(VboxWebPort port, String endpoint, String user, String password) {
        this.port = port;
        this.endpoint = endpoint;
        this.user = user == null ? "" : user;
        this.password = password == null ? "" : password;
    }

    @Override
    public String adapterId() {
        return "webservice";
    }

    /** Logs on once and checks the API version; every other call goes through here first. */
    private synchronized String connect() throws VboxmcpException {
        if (closed) {
            throw new IllegalStateException("web-service adapter is closed");
        }
        if (vbox != null) {
            return vbox;
        }
        String ref = port.logon(user, password);
        String apiVersion = port.getAPIVersion(ref).strip();
        String full = port.getVersion(ref).strip();
        if (!SUPPORTED_APIS.contains(apiVersion)) {
            try {
                port.logoff(ref);
            } catch (VboxmcpException ignored) {
                // we are refusing anyway
            }
            throw new HypervisorException("vboxwebsrv at " + endpoint + " runs VirtualBox " + full + " (API " + apiVersion
                    + "); the experimental web-service adapter only sends the call shapes of APIs "
                    + String.join(", ", new java.util.TreeSet<>(SUPPORTED_APIS))
                    + " and refuses others; use the vboxmanage adapter on that host instead");
        }
        version = VBoxVersion.parse(full).orElseThrow(() -> new HypervisorException(
                "vboxwebsrv at " + endpoint + " reported an unreadable version: " + full));
        session = port.getSessionObject(ref);
        api = apiVersion;
        vbox = ref;
        return ref;
    }

    @Override
    public VBoxVersion version() throws VboxmcpException {
        connect();
        return version;
    }

    @Override
    public List<VmRef> listVms() throws VboxmcpException {
        String v = connect();
        List<VmRef> out = new ArrayList<>();
        for (String m : port.getMachines(v)) {
            out.add(new VmRef(port.machineGetName(m), port.machineGetId(m)));
        }
        return out;
    }

    private Optional<String> find(String vm) throws VboxmcpException {
        String v = connect();
        try {
            return Optional.of(port.findMachine(v, vm));
        } catch (WebServiceFault f) {
            if (f.isNotFound()) {
                return Optional.empty();
            }
            throw f;
        }
    }

    private String require(String vm) throws VboxmcpException {
        return find(vm).orElseThrow(() -> new HypervisorException(ErrorCode.VM_NOT_FOUND,
                "no machine '" + vm + "' on vboxwebsrv at " + endpoint, null));
    }

    @Override
    public Optional<VmStatus> status(String vm) throws VboxmcpException {
        Optional<String> m = find(vm);
        if (m.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new VmStatus(port.machineGetName(m.get()), port.machineGetId(m.get()),
                shortState(port.machineGetState(m.get()))));
    }

    /** Maps the API's MachineState names to the short names VBoxManage prints, which the driver understands. */
    static String shortState(String apiState) {
        return switch (apiState) {
            case "PoweredOff" -> "poweroff";
            case "AbortedSaved" -> "aborted-saved";
            case "Stuck" -> "gurumeditation";
            case "DeletingSnapshotOnline" -> "deletingsnapshotlive";
            case "DeletingSnapshotPaused" -> "deletingsnapshotlivepaused";
            default -> apiState.toLowerCase(Locale.ROOT);
        };
    }

    @Override
    public List<String> snapshots(String vm) throws VboxmcpException {
        String m = require(vm);
        try {
            port.machineFindSnapshot(m, "base");
            return List.of("base");
        } catch (WebServiceFault f) {
            return List.of();
        }
    }

    @Override
    public String importAppliance(Path appliance, String name, Path baseFolder) throws VboxmcpException {
        throw cannotUpload(name);
    }

    @Override
    public String createFromDisk(String name, Path disk, String diskFormat, Path baseFolder) throws VboxmcpException {
        throw cannotUpload(name);
    }

    @Override
    public void useEfiFirmware(String vm) throws VboxmcpException {
        // only reached after registering a master, which this adapter cannot do
        throw cannotUpload(vm);
    }

    private HypervisorException cannotUpload(String master) {
        return new HypervisorException("the experimental web-service adapter cannot register images on the server: "
                + "register a VM named '" + master + "' with a snapshot named 'base' on the vboxwebsrv host (for example "
                + "with the vboxmanage adapter there), or set virtualbox.ws.master to an existing one");
    }

    @Override
    public synchronized void takeSnapshot(String vm, String snapshot) throws VboxmcpException {
        String m = require(vm);
        port.machineLockMachine(m, session, "Shared");
        try {
            waitProgress("takeSnapshot", port.machineTakeSnapshot(port.sessionGetMachine(session), snapshot, "", false));
        } finally {
            port.sessionUnlockMachine(session);
        }
    }

    @Override
    public String cloneVm(String source, String snapshot, boolean linked, String name, Path baseFolder)
            throws VboxmcpException {
        String v = connect();
        String src = require(source);
        String from = snapshot == null ? src : port.snapshotGetMachine(port.machineFindSnapshot(src, snapshot));
        String target = port.createMachine(v, "", name, api.equals("7_0") ? null : "x86", List.of(),
                port.machineGetOSTypeId(src), "", "", "", "");
        waitProgress("cloneTo", port.machineCloneTo(from, target, "MachineState", linked ? List.of("Link") : List.of()));
        port.registerMachine(v, target);
        return port.machineGetId(target);
    }

    /** Runs {@code edit} on the mutable machine under a write lock, then saves. */
    private synchronized void edit(String vm, Edit edit) throws VboxmcpException {
        String m = require(vm);
        port.machineLockMachine(m, session, "Write");
        try {
            String mutable = port.sessionGetMachine(session);
            edit.apply(mutable);
            port.machineSaveSettings(mutable);
        } finally {
            port.sessionUnlockMachine(session);
        }
    }

    private interface Edit {
        void apply(String mutableMachine) throws VboxmcpException;
    }

    @Override
    public void setResources(String vm, int memoryMb, int cpus) throws VboxmcpException {
        edit(vm, m -> {
            port.machineSetMemorySize(m, memoryMb);
            port.machineSetCPUCount(m, cpus);
        });
    }

    @Override
    public OptionalLong primaryDiskCapacityMb(String vm) {
        return OptionalLong.empty();
    }

    @Override
    public void resizePrimaryDisk(String vm, int diskMb) throws VboxmcpException {
        throw new HypervisorException("the experimental web-service adapter cannot resize disks");
    }

    @Override
    public void serialConsoleToFile(String vm, Path file) {
        // not over the web service: the file would be on the server's host
    }

    @Override
    public void replaceForwards(String vm, List<NatRule> rules) throws VboxmcpException {
        edit(vm, m -> {
            String nic = port.machineGetNetworkAdapter(m, 0);
            port.networkAdapterSetEnabled(nic, true);
            port.networkAdapterSetAttachmentType(nic, "NAT");
            String nat = port.networkAdapterGetNATEngine(nic);
            for (String existing : port.natEngineGetRedirects(nat)) {
                port.natEngineRemoveRedirect(nat, existing.split(",", 2)[0]);
            }
            for (NatRule r : rules) {
                port.natEngineAddRedirect(nat, r.name(), r.protocol().toUpperCase(Locale.ROOT), r.hostIp(), r.hostPort(),
                        r.guestIp(), r.guestPort());
            }
        });
    }

    @Override
    public void addSharedFolder(String vm, String name, Path hostPath, boolean readOnly) throws VboxmcpException {
        edit(vm, m -> port.machineCreateSharedFolder(m, name, hostPath.toString(), !readOnly, false, ""));
    }

    @Override
    public void attachDvd(String vm, Path iso) throws VboxmcpException {
        String v = connect();
        edit(vm, m -> {
            String medium = port.openMedium(v, iso.toString(), "DVD", "ReadOnly", false);
            for (String ctl : port.machineGetStorageControllers(m)) {
                String bus = port.storageControllerGetBus(ctl);
                String name = port.storageControllerGetName(ctl);
                int[][] slots = "IDE".equals(bus) ? new int[][] {{1, 0}, {1, 1}, {0, 1}, {0, 0}}
                        : "SATA".equals(bus) ? sataSlots() : new int[0][];
                for (int[] s : slots) {
                    try {
                        port.machineAttachDevice(m, name, s[0], s[1], "DVD", medium);
                        return;
                    } catch (WebServiceFault occupied) {
                        // slot taken (or port beyond the count); try the next one
                    }
                }
            }
            port.machineAddStorageController(m, "IDE", "IDE");
            port.machineAttachDevice(m, "IDE", 0, 0, "DVD", medium);
        });
    }

    private static int[][] sataSlots() {
        int[][] s = new int[29][];
        for (int i = 0; i < s.length; i++) {
            s[i] = new int[] {i + 1, 0};
        }
        return s;
    }

    @Override
    public synchronized void start(String vm) throws VboxmcpException {
        String m = require(vm);
        String progress = port.machineLaunchVMProcess(m, session, "headless", List.of());
        try {
            waitProgress("launchVMProcess", progress);
        } finally {
            port.sessionUnlockMachine(session);
        }
    }

    private synchronized void withConsole(String vm, ConsoleCall call) throws VboxmcpException {
        String m = require(vm);
        port.machineLockMachine(m, session, "Shared");
        try {
            call.apply(port.sessionGetConsole(session));
        } finally {
            port.sessionUnlockMachine(session);
        }
    }

    private interface ConsoleCall {
        void apply(String console) throws VboxmcpException;
    }

    @Override
    public void acpiShutdown(String vm) throws VboxmcpException {
        withConsole(vm, port::consolePowerButton);
    }

    @Override
    public void powerOff(String vm) throws VboxmcpException {
        Optional<VmStatus> s = status(vm);
        if (s.isEmpty() || !s.get().active()) {
            return;
        }
        withConsole(vm, c -> waitProgress("powerDown", port.consolePowerDown(c)));
    }

    @Override
    public void delete(String vm) throws VboxmcpException {
        Optional<String> m = find(vm);
        if (m.isEmpty()) {
            return;
        }
        List<String> media = port.machineUnregister(m.get(), "DetachAllReturnHardDisksOnly");
        waitProgress("deleteConfig", port.machineDeleteConfig(m.get(), media));
    }

    private void waitProgress(String what, String progress) throws VboxmcpException {
        port.progressWaitForCompletion(progress, -1);
        int rc = port.progressGetResultCode(progress);
        if (rc != 0) {
            String text;
            try {
                text = port.errorInfoGetText(port.progressGetErrorInfo(progress));
            } catch (VboxmcpException e) {
                text = "(no error info)";
            }
            throw new HypervisorException(String.format("vboxwebsrv %s failed: %s [0x%08x]", what, text, rc));
        }
    }

    @Override
    public synchronized void close() throws VboxmcpException {
        if (closed) {
            return;
        }
        closed = true;
        if (vbox != null) {
            port.logoff(vbox);
        }
    }
}

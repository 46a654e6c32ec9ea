package io.vboxmcp.junit5.internal;

import io.vboxmcp.VboxmcpException;
import io.vboxmcp.Vm;
import io.vboxmcp.VmManager;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * This JVM's managers (one per home) and the VMs the extension created, so that they are destroyed however the run
 * ends: by the extension after a class or test, by a shutdown hook when the JVM exits early (Ctrl-C, SIGTERM), and,
 * when the JVM was killed outright, by the next run's sweep of VMs labelled {@code junit-<pid>-} whose process is
 * gone. The label is the VM name's prefix: names are all a VM carries that every manager lists.
 */
public final class VmRegistry {
    /** Prefix of every throw-away VM's name; the pid of the JVM that made it follows. */
    public static final String LABEL = "junit-";
    static final String REUSE_LABEL = LABEL + "reuse-";
    private static final Pattern OWNED = Pattern.compile(Pattern.quote(LABEL) + "(\\d+)-\\d+");
    private static final VmRegistry INSTANCE = new VmRegistry(ProcessHandle.current().pid());

    private final long pid;
    private final AtomicInteger sequence = new AtomicInteger();
    private final Map<Path, VmManager> managers = new LinkedHashMap<>();
    private final Set<Vm> live = ConcurrentHashMap.newKeySet();
    private Thread hook;

    VmRegistry(long pid) {
        this.pid = pid;
    }

    /** @return the registry of this JVM */
    public static VmRegistry get() {
        return INSTANCE;
    }

    /** @return a fresh throw-away VM name carrying this JVM's label */
    public String nextName() {
        return LABEL + pid + "-" + sequence.incrementAndGet();
    }

    /**
     * @return the manager of {@code home} (null: the default home), built and swept on first use
     */
    public synchronized VmManager manager(Path home) throws VboxmcpException {
        Path key = home == null ? Path.of("") : home;
        VmManager m = managers.get(key);
        if (m == null) {
            VmManager.Builder b = VmManager.builder();
            if (home != null) {
                b.home(home);
            }
            m = b.build();
            managers.put(key, m);
            sweep(m);
            if (hook == null) {
                hook = new Thread(this::destroyAll, "vboxmcp-junit5-cleanup");
                Runtime.getRuntime().addShutdownHook(hook);
            }
        }
        return m;
    }

    /**
     * Destroys VMs whose label names a process that no longer runs (a killed earlier run).
     *
     * @return the names destroyed
     */
    public List<String> sweep(VmManager manager) throws VboxmcpException {
        List<String> gone = new ArrayList<>();
        for (Vm vm : manager.vms()) {
            Matcher m = OWNED.matcher(vm.name());
            if (m.matches()) {
                long owner = Long.parseLong(m.group(1));
                if (owner != pid && ProcessHandle.of(owner).map(ProcessHandle::isAlive).orElse(false)) {
                    continue;   // another run that is still going
                }
                if (owner == pid && live.stream().anyMatch(v -> v.name().equals(vm.name()))) {
                    continue;
                }
                vm.destroy();
                gone.add(vm.name());
            }
        }
        return gone;
    }

    /** Records a VM to destroy if the JVM exits before the extension does. */
    public void track(Vm vm) {
        live.add(vm);
    }

    /** Destroys a tracked VM now. */
    public void destroy(Vm vm) throws VboxmcpException {
        try {
            vm.destroy();
        } finally {
            live.remove(vm);
        }
    }

    /** The shutdown hook: every VM still tracked, then the managers. */
    void destroyAll() {
        for (Vm vm : List.copyOf(live)) {
            try {
                destroy(vm);
            } catch (VboxmcpException | RuntimeException e) {
                System.err.println("vboxmcp-junit5: could not destroy " + vm.name() + ": " + e.getMessage());
            }
        }
        synchronized (this) {
            managers.values().forEach(VmManager::close);
            managers.clear();
        }
    }
}

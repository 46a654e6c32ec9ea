package io.vboxmcp.cli.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vboxmcp.CreateVmRequest;
import io.vboxmcp.SnapshotPolicy;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.PackageMirrors;
import io.vboxmcp.SshEndpoint;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VersionFormatException;
import io.vboxmcp.Vm;
import io.vboxmcp.VmManager;
import io.vboxmcp.VmPlan;
import io.vboxmcp.VmState;
import io.vboxmcp.core.CoreKeys;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** VM lifecycle: plan, create, stop, destroy, and the helpers {@link StatusCommand} and {@link SshCommand} share. */
final class VmCommands {
    private VmCommands() {
    }

    static String checkVmName(VboxmcpCommand.Sub cmd, String name) {
        if (!TemplateRef.isValidName(name)) {
            throw cmd.usage("'" + name + "' is not a VM name: use lower-case letters, digits and '-', starting with a "
                    + "letter or digit, at most 63 characters");
        }
        return name;
    }

    static Vm find(Session s, String name) throws VboxmcpException {
        return s.manager().vm(name).orElseThrow(() -> new VboxmcpException(ErrorCode.VM_NOT_FOUND,
                "no VM named '" + name + "' (see 'vboxmcp status')"));
    }

    static String state(Vm vm) {
        try {
            return vm.state().name();
        } catch (VboxmcpException | RuntimeException e) {
            return VmState.UNKNOWN.name();
        }
    }

    /** @return {@code --image-catalog} values as URIs: URLs as given, paths made absolute */
    static List<String> catalogUris(List<String> catalogs) {
        List<String> uris = new ArrayList<>();
        for (String c : catalogs) {
            uris.add(c.matches("(?i)(file|https?):.*") ? c : Path.of(c).toAbsolutePath().normalize().toUri().toString());
        }
        return uris;
    }

    /**
     * The options plan and create share (fields of a superclass, not a mixin, so that --help keeps working); the
     * package mirror options are {@link MirrorOptions}, which {@code test} takes too.
     */
    abstract static class VmOptions extends VboxmcpCommand.Sub {
        @Option(names = {"-t", "--template"}, required = true, paramLabel = "T",
                description = "Template name, or NAME@RANGE (python-dev@^1.0).")
        String template;

        @Option(names = "--version", paramLabel = "V", description = "Version or range (default: the highest release).")
        String version;

        @Option(names = "--memory", paramLabel = "MB", description = "Guest memory (default: the template minimum).")
        Integer memory;

        @Option(names = "--cpus", paramLabel = "N", description = "Guest vCPUs (default: the template minimum).")
        Integer cpus;

        @Option(names = "--disk-size", paramLabel = "MB", description = "Guest disk (default: the template minimum).")
        Integer diskSize;

        @Option(names = "--driver", paramLabel = "ID", description = "Hypervisor driver: qemu, libvirt (see "
                + "--libvirt-uri) or virtualbox (default: the best available).")
        String driver;

        @Option(names = "--share", paramLabel = "NAME=PATH", description = "Host folder for the template's shared "
                + "folder NAME (repeatable); it must lie under an --allow-share-root.")
        Map<String, String> shares = new LinkedHashMap<>();

        @Option(names = "--allow-write", paramLabel = "NAME", description = "Let the guest write to the template's "
                + "shared folder NAME if the template asks for that (repeatable); without it such a template is refused.")
        List<String> writableShares = new ArrayList<>();

        @Option(names = "--allow-share-root", paramLabel = "DIR", description = "Allow shared folders under DIR "
                + "(repeatable); without it no folder is shared.")
        List<Path> shareRoots = new ArrayList<>();

        @Mixin
        ReadyTimeoutOption readyTimeout = new ReadyTimeoutOption();

        @Option(names = "--lock", paramLabel = "FILE", description = "vboxmcp.lock to resolve the template's bases and "
                + "features by (default: the one inside the template, if any).")
        Path lockFile;

        @Option(names = "--frozen", description = "Fail, listing every difference, unless the lockfile is exactly what "
                + "resolution gives now (newer version, other digest or signer, missing or extra entry, image).")
        boolean frozen;

        @Option(names = "--image-catalog", paramLabel = "FILE|URL", description = "Image catalog that resolves the "
                + "template's base_image, consulted first (repeatable; default $VBOXMCP_IMAGE_CATALOG), then "
                + "<home>/images/catalog.json, then the built-in catalog.")
        List<String> catalogs = new ArrayList<>();

        @Mixin
        MirrorOptions mirrorOptions = new MirrorOptions();

        CreateVmRequest request(String vmName, boolean keepOnFailure, Session s) {
            VboxmcpCommand.Sub cmd = this;
            checkVmName(cmd, vmName);
            TemplateRef ref;
            try {
                if (template.contains("@")) {
                    if (version != null) {
                        throw cmd.usage("give the version either in --template NAME@RANGE or in --version, not both");
                    }
                    ref = TemplateRef.parse(template);
                } else {
                    ref = TemplateRef.of(template, version);
                }
            } catch (VersionFormatException e) {
                throw cmd.usage(e.getMessage());
            }
            for (Object[] p : new Object[][] {{"--memory", memory}, {"--cpus", cpus}, {"--disk-size", diskSize}}) {
                if (p[1] != null && (Integer) p[1] < 1) {
                    throw cmd.usage(p[0] + " must be a positive number");
                }
            }
            Duration ready = readyTimeout.duration();
            if (driver != null && !driver.matches("[a-z0-9][a-z0-9-]{0,31}")) {
                throw cmd.usage("'" + driver + "' is not a driver id");
            }
            CreateVmRequest.Builder b = CreateVmRequest.builder(vmName, ref).keepOnFailure(keepOnFailure)
                    .progress(s.progress());
            if (memory != null) {
                b.memoryMb(memory);
            }
            if (cpus != null) {
                b.cpus(cpus);
            }
            if (diskSize != null) {
                b.diskSizeMb(diskSize);
            }
            if (driver != null) {
                b.driver(driver);
            }
            if (ready != null) {
                b.readyTimeout(ready);
            }
            shares.forEach((name, path) -> b.hostPath(name, Path.of(path).toAbsolutePath().normalize().toString()));
            writableShares.forEach(b::allowWritableShare);
            if (lockFile != null) {
                b.lockFile(regularInput(lockFile, "lockfile").toAbsolutePath().normalize());
            }
            return b.frozen(frozen).build();
        }

        VmManager manager(Session s) throws VboxmcpException {
            List<String> uris = catalogUris(catalogs);
            PackageMirrors mirrors = mirrorOptions.mirrors();
            return s.manager(b -> {
                b.packageMirrors(mirrors);
                if (!uris.isEmpty()) {
                    b.property(CoreKeys.IMAGE_CATALOG, String.join(",", uris));
                }
                shareRoots.forEach(r -> b.allowSharedFolderRoot(r.toAbsolutePath().normalize()));
                if (driver != null) {
                    b.defaultDriver(driver);
                }
            });
        }
    }

    @Command(name = "plan", header = "Print what create would do (dry run)",
        description = "Prints what 'create' would do (template, signer, image, driver, resources, "
            + "ports, shares, packages, scripts) without creating anything.")
    static final class Plan extends VmOptions {
        @Parameters(index = "0", paramLabel = "VM")
        String vm;

        @Override
        int run(Session s) throws VboxmcpException {
            CreateVmRequest req = request(vm, false, s);
            VmPlan plan = manager(s).plan(req);
            if (!s.json()) {
                s.out().print(Session.safe(plan.describe()));
            }
            ObjectNode doc = Json.obj();
            doc.set("plan", Json.plan(plan));
            s.emitJson(true, doc);
            return Main.OK;
        }
    }

    @Command(name = "create", header = "Create and provision a VM from a template",
        description = "Creates and provisions a VM from a template, showing each step live. On "
            + "failure everything done so far is undone (unless --keep-on-failure).")
    static final class Create extends VmOptions {
        @Parameters(index = "0", paramLabel = "VM")
        String vm;

        @Option(names = "--keep-on-failure", description = "Keep a VM whose provisioning failed (state FAILED) to inspect it.")
        boolean keepOnFailure;

        @Option(names = "--snapshot", paramLabel = "POLICY", description = "Ready snapshots: reuse (restore a clone of a "
                + "matching provisioned snapshot, else create cold and save one), refresh (create cold, replace the "
                + "snapshot) or never (default: $VBOXMCP_SNAPSHOT_POLICY, else never).")
        String snapshot;

        @Override
        int run(Session s) throws VboxmcpException {
            CreateVmRequest req = request(vm, keepOnFailure, s);
            if (snapshot != null) {
                SnapshotPolicy policy;
                try {
                    policy = SnapshotPolicy.parse(snapshot);
                } catch (VboxmcpException e) {
                    throw usage("--snapshot: " + e.getMessage());
                }
                req = withSnapshots(req, policy);
            }
            CreateVmRequest request = req;
            long start = System.nanoTime();
            Vm created = undoneOnCtrlC(() -> manager(s).createFromTemplate(request));
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            VmPlan p = created.plan();
            s.progress().interrupt();
            s.result("created " + created.name() + " from " + p.template().coordinates() + " on " + p.driverId()
                    + " in " + ProgressDisplay.format(took));
            SshEndpoint e = created.sshEndpoint();
            s.say("  ssh:  vboxmcp ssh " + created.name() + "   (" + e.user() + "@" + e.host() + ":" + e.port() + ")");
            new TreeMap<>(created.forwardedPorts()).forEach((g, h) -> s.say("  port: guest " + g + " -> 127.0.0.1:" + h));
            ObjectNode doc = vmJson(created).put("seconds", took.toMillis() / 1000.0);
            s.emitJson(true, doc);
            return Main.OK;
        }
    }

    static CreateVmRequest withSnapshots(CreateVmRequest r, SnapshotPolicy policy) {
        return new CreateVmRequest(r.vmName(), r.template(), r.memoryMb(), r.cpus(), r.diskSizeMb(), r.driverId(),
                r.hostPaths(), r.keepOnFailure(), r.readyTimeout(), r.progress(), r.writableShares(), r.lockFile(),
                r.frozen(), policy);
    }

    /** The create call, as something that may be interrupted. */
    @FunctionalInterface
    interface Creation {
        Vm run() throws VboxmcpException;
    }

    /**
     * Runs a create so that Ctrl-C (SIGINT, SIGTERM) interrupts it instead of killing the JVM mid-way: the shutdown
     * hook interrupts the creating thread and waits for the manager to undo what it did, so no QEMU process, disk or
     * port outlives the command.
     */
    static Vm undoneOnCtrlC(Creation creation) throws VboxmcpException {
        Thread creator = Thread.currentThread();
        java.util.concurrent.CountDownLatch finished = new java.util.concurrent.CountDownLatch(1);
        Thread hook = new Thread(() -> {
            creator.interrupt();
            try {
                finished.await(2, java.util.concurrent.TimeUnit.MINUTES);
            } catch (InterruptedException ignored) {
                // the JVM is going down anyway
            }
        }, "vboxmcp-undo-on-interrupt");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return creation.run();
        } finally {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it returns now that the undo is done
            }
        }
    }

    static ObjectNode vmJson(Vm vm) {
        VmPlan p = vm.plan();
        ObjectNode n = Json.obj().put("name", vm.name()).put("state", state(vm)).put("template", p.template().name())
                .put("version", p.template().version().toString()).put("driver", p.driverId())
                .put("memoryMb", p.memoryMb()).put("cpus", p.cpus()).put("diskMb", p.diskMb());
        n.set("ssh", Json.ssh(vm.sshEndpoint()));
        n.set("ports", Json.ports(vm.forwardedPorts()));
        return n;
    }
}

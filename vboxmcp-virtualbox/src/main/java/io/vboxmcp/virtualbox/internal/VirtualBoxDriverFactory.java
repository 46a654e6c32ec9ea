package io.vboxmcp.virtualbox.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;
import io.vboxmcp.ProgressEvent;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.spi.HypervisorDriver;
import io.vboxmcp.spi.HypervisorDriverFactory;
import io.vboxmcp.spi.ProviderContext;
import io.vboxmcp.spi.support.DriverSettings;
import io.vboxmcp.virtualbox.VirtualBoxKeys;
import io.vboxmcp.virtualbox.internal.cli.CommandRunner;
import io.vboxmcp.virtualbox.internal.cli.ProcessCommandRunner;
import io.vboxmcp.virtualbox.internal.cli.Sleeper;
import io.vboxmcp.virtualbox.internal.cli.VBoxManageAdapter;
import io.vboxmcp.virtualbox.internal.ws.SoapVboxWebPort;
import io.vboxmcp.virtualbox.internal.ws.WebServiceAdapter;

import java.io.File;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Factory for the {@code virtualbox} driver; preferred (priority 200) wherever VirtualBox 7.x is usable. */
public final class VirtualBoxDriverFactory implements HypervisorDriverFactory {
    public static final int PRIORITY = 200;
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(10);

    private final CommandRunner runner;
    private final Map<String, String> env;

    public VirtualBoxDriverFactory() {
        this(new ProcessCommandRunner(), System.getenv());
    }

    /** For tests: a command runner and an environment to search for VBoxManage in. */
    public VirtualBoxDriverFactory(CommandRunner runner, Map<String, String> env) {
        this.runner = runner;
        this.env = Map.copyOf(env);
    }

    @Override
    public String id() {
        return VirtualBoxDriver.ID;
    }

    @Override
    public int priority() {
        return PRIORITY;
    }

    @Override
    public Optional<String> unavailableReason(ProviderContext context) {
        try (VirtualBoxPort port = port(context, PROBE_TIMEOUT)) {
            VBoxVersion v = port.version();
            if (v.kernelModuleMissing()) {
                return Optional.of("VirtualBox " + v + " is installed but cannot start VMs: "
                        + v.warnings().stream().filter(w -> w.contains("vboxdrv") || w.contains("kernel module"))
                        .findFirst().orElse(""));
            }
            return Optional.empty();
        } catch (VboxmcpException e) {
            return Optional.of(e.getMessage());
        } catch (RuntimeException e) {
            return Optional.of("VirtualBox probe failed: " + e);
        }
    }

    @Override
    public HypervisorDriver create(ProviderContext context) throws VboxmcpException {
        VirtualBoxPort port = port(context, DriverSettings.seconds(context, VirtualBoxKeys.COMMAND_TIMEOUT, 120));
        port.version();
        Path masters = context.config(VirtualBoxKeys.MASTER_FOLDER).map(Path::of)
                .orElse(context.cacheDir(VirtualBoxDriver.ID).resolve("masters"));
        Path base = context.config(VirtualBoxKeys.BASE_FOLDER).map(Path::of).orElse(null);
        boolean linked = !"false".equalsIgnoreCase(context.config(VirtualBoxKeys.LINKED_CLONES).orElse("true").strip());
        String master = port.adapterId().equals("webservice")
                ? context.config(VirtualBoxKeys.WS_MASTER).filter(s -> !s.isBlank()).orElse(null) : null;
        Path vdiFolder = context.config(VirtualBoxKeys.VDI_FOLDER).map(Path::of)
                .orElse(context.cacheDir(VirtualBoxDriver.ID).resolve("vdi"));
        Duration longTimeout = DriverSettings.seconds(context, VirtualBoxKeys.LONG_COMMAND_TIMEOUT, 1800);
        VdiCache vdis = new VdiCache(context.config(VirtualBoxKeys.QEMU_IMG).filter(s -> !s.isBlank()).orElse("qemu-img")
                .strip(), vdiFolder, runner, longTimeout);
        return new VirtualBoxDriver(port, masters, base, linked, context.hostPorts(), context.seedWriter(),
                Sleeper.REAL, Duration.ofMillis(500), master, vdis);
    }

    private VirtualBoxPort port(ProviderContext ctx, Duration timeout) throws VboxmcpException {
        String adapter = ctx.config(VirtualBoxKeys.ADAPTER).orElse("vboxmanage").strip().toLowerCase(java.util.Locale.ROOT);
        switch (adapter) {
            case "vboxmanage" -> {
                String exe = locate(ctx.config(VirtualBoxKeys.VBOXMANAGE).orElse(null));
                Duration longTimeout = DriverSettings.seconds(ctx, VirtualBoxKeys.LONG_COMMAND_TIMEOUT, 1800);
                return new VBoxManageAdapter(exe, runner, Sleeper.REAL, timeout, longTimeout, w -> info(ctx, w));
            }
            case "webservice" -> {
                String url = ctx.config(VirtualBoxKeys.WS_URL).filter(s -> !s.isBlank()).orElseThrow(() ->
                        new HypervisorException(ErrorCode.INVALID_ARGUMENT, VirtualBoxKeys.ADAPTER + "=webservice needs "
                                + VirtualBoxKeys.WS_URL + " (for example http://127.0.0.1:18083/)", null));
                URI uri;
                try {
                    uri = URI.create(url.strip());
                } catch (IllegalArgumentException e) {
                    throw new HypervisorException(ErrorCode.INVALID_ARGUMENT, "bad " + VirtualBoxKeys.WS_URL + ": " + url, e);
                }
                info(ctx, "using the EXPERIMENTAL VirtualBox web-service adapter at " + uri);
                return new WebServiceAdapter(SoapVboxWebPort.create(uri, timeout), uri.toString(),
                        ctx.config(VirtualBoxKeys.WS_USER).orElse(""), ctx.config(VirtualBoxKeys.WS_PASSWORD).orElse(""));
            }
            default -> throw new HypervisorException(ErrorCode.INVALID_ARGUMENT, "unknown " + VirtualBoxKeys.ADAPTER
                    + " '" + adapter + "': use vboxmanage or webservice", null);
        }
    }

    /** Finds VBoxManage the way Vagrant does: configured path, PATH, the installer's variables, usual folders. */
    String locate(String configured) throws HypervisorException {
        if (configured != null && !configured.isBlank()) {
            Path p = Path.of(configured.strip());
            if (Files.isExecutable(p)) {
                return p.toString();
            }
            throw new HypervisorException(VirtualBoxKeys.VBOXMANAGE + " is set to '" + configured
                    + "', which is not an executable file");
        }
        List<Path> candidates = new ArrayList<>();
        String path = env.getOrDefault("PATH", env.getOrDefault("Path", ""));
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isBlank()) {
                candidates.add(Path.of(dir, "VBoxManage"));
                candidates.add(Path.of(dir, "VBoxManage.exe"));
            }
        }
        for (String var : List.of("VBOX_MSI_INSTALL_PATH", "VBOX_INSTALL_PATH")) {
            for (String dir : env.getOrDefault(var, "").split(";")) {
                if (!dir.isBlank()) {
                    candidates.add(Path.of(dir.strip(), "VBoxManage.exe"));
                }
            }
        }
        candidates.add(Path.of("/usr/bin/VBoxManage"));
        candidates.add(Path.of("/usr/local/bin/VBoxManage"));
        candidates.add(Path.of("/Applications/VirtualBox.app/Contents/MacOS/VBoxManage"));
        candidates.add(Path.of("C:\\Program Files\\Oracle\\VirtualBox\\VBoxManage.exe"));
        for (Path c : candidates) {
            if (Files.isRegularFile(c) && Files.isExecutable(c)) {
                return c.toString();
            }
        }
        throw new HypervisorException("VBoxManage not found on PATH, in VBOX_MSI_INSTALL_PATH/VBOX_INSTALL_PATH or the "
                + "usual install folders; install VirtualBox 7.x or set " + VirtualBoxKeys.VBOXMANAGE);
    }

    private static void info(ProviderContext ctx, String message) {
        try {
            ctx.progress().onEvent(new ProgressEvent(ProgressEvent.Kind.INFO, null, "virtualbox", message, -1, -1,
                    Duration.ZERO));
        } catch (RuntimeException ignored) {
            // listeners must not throw
        }
    }
}

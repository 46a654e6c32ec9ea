package io.vboxmcp.core.internal.provision;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.ExecResult;
import io.vboxmcp.GuestCommand;
import io.vboxmcp.PlannedSharedFolder;
import io.vboxmcp.ProgressEvent;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.ProvisioningException;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmPlan;
import io.vboxmcp.spi.GuestChannel;
import io.vboxmcp.template.Script;
import io.vboxmcp.template.TemplateDefinition;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Provisions a running guest, in this order: environment (also persisted for login shells), shared folders,
 * {@code packages.system} through the guest's package manager, {@code packages.python} through pip, other package
 * managers, then the scripts in order. Everything runs inside the guest; the first failure stops provisioning.
 */
public final class Provisioner {
    private static final Pattern PACKAGE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9+._:=~<>@/-]{0,200}");
    private static final int LAST_LINES = 20;
    private static final Duration PACKAGE_TIMEOUT = Duration.ofMinutes(30);
    private static final Duration SHORT = Duration.ofMinutes(2);

    /** Install commands per system package manager, in detection order. */
    static final Map<String, String> SYSTEM_INSTALLERS = new java.util.LinkedHashMap<>();

    static {
        SYSTEM_INSTALLERS.put("apt-get", "export DEBIAN_FRONTEND=noninteractive; apt-get update -q && apt-get install -y -q ");
        SYSTEM_INSTALLERS.put("dnf", "dnf install -y ");
        SYSTEM_INSTALLERS.put("yum", "yum install -y ");
        SYSTEM_INSTALLERS.put("apk", "apk add --no-cache ");
        SYSTEM_INSTALLERS.put("zypper", "zypper --non-interactive install ");
        SYSTEM_INSTALLERS.put("tpkg", "tpkg install ");
    }

    /** Install commands for language package managers. */
    static final Map<String, String> OTHER_INSTALLERS = Map.of(
            "python", "python3 -m pip install ",
            "npm", "npm install -g ",
            "gem", "gem install ");

    private final GuestChannel guest;
    private final ProgressListener progress;
    private final String vmName;
    private final Duration defaultScriptTimeout;

    public Provisioner(GuestChannel guest, ProgressListener progress, String vmName, Duration defaultScriptTimeout) {
        this.guest = guest;
        this.progress = progress;
        this.vmName = vmName;
        this.defaultScriptTimeout = defaultScriptTimeout;
    }

    /**
     * @param mountCommand the driver's mount command for each shared folder
     * @throws ProvisioningException naming the failing item, its exit code and last output lines
     */
    public void provision(VmPlan plan, Function<PlannedSharedFolder, String> mountCommand) throws VboxmcpException {
        TemplateDefinition t = plan.template();
        environment(t.environment());
        for (PlannedSharedFolder f : plan.sharedFolders()) {
            run("shared folder " + f.name(), "mkdir -p " + q(f.guestPath()) + " && " + mountCommand.apply(f), null, null,
                    Map.of(), SHORT);
        }
        List<String> system = t.packages("system");
        if (!system.isEmpty()) {
            String manager = detectSystemManager();
            run("packages.system", SYSTEM_INSTALLERS.get(manager) + packages("system", system), null, null,
                    t.environment(), PACKAGE_TIMEOUT);
        }
        for (Map.Entry<String, List<String>> e : t.packages().entrySet()) {
            if (e.getKey().equals("system") || e.getValue().isEmpty()) {
                continue;
            }
            String installer = OTHER_INSTALLERS.get(e.getKey());
            if (installer == null) {
                throw new ProvisioningException(ErrorCode.PROVISIONING, "packages." + e.getKey(), -1, List.of(),
                        "no installer for package manager '" + e.getKey() + "' (known: system, "
                                + String.join(", ", OTHER_INSTALLERS.keySet()) + ")", null);
            }
            run("packages." + e.getKey(), installer + packages(e.getKey(), e.getValue()), null, null, t.environment(),
                    PACKAGE_TIMEOUT);
        }
        for (Script s : t.scripts()) {
            if (s.runAs() != null && !s.runAs().equals("root")) {
                ensureUser(s.runAs());
            }
            if (s.workingDir() != null) {
                String owner = s.runAs() == null ? "root" : s.runAs();
                run("working_dir of " + s.name(), "[ -d " + q(s.workingDir()) + " ] || { mkdir -p " + q(s.workingDir())
                        + " && chown " + owner + " " + q(s.workingDir()) + "; }", null, null, Map.of(), SHORT);
            }
            run(s.name(), s.command(), s.runAs(), s.workingDir(), t.environment(),
                    s.timeout() == null ? defaultScriptTimeout : s.timeout());
        }
    }

    private void environment(Map<String, String> env) throws VboxmcpException {
        if (env.isEmpty()) {
            return;
        }
        StringBuilder profile = new StringBuilder("# written by vboxmcp from the template's environment\n");
        StringBuilder etcEnv = new StringBuilder();
        for (Map.Entry<String, String> e : env.entrySet()) {
            profile.append("export ").append(e.getKey()).append('=').append(q(e.getValue())).append('\n');
            etcEnv.append(e.getKey()).append('=').append('"').append(e.getValue().replace("\\", "\\\\")
                    .replace("\"", "\\\"")).append('"').append('\n');
        }
        emit("environment", "persisting " + env.size() + " variables");
        guest.upload(profile.toString().getBytes(StandardCharsets.UTF_8), "/etc/profile.d/vboxmcp.sh", 0644);
        guest.upload(etcEnv.toString().getBytes(StandardCharsets.UTF_8), "/etc/vboxmcp/environment", 0644);
        run("environment", "touch /etc/environment && grep -v -F -x -f /etc/vboxmcp/environment /etc/environment "
                + "> /etc/environment.vboxmcp; cat /etc/vboxmcp/environment >> /etc/environment.vboxmcp && "
                + "mv /etc/environment.vboxmcp /etc/environment", null, null, Map.of(), SHORT);
    }

    private String detectSystemManager() throws VboxmcpException {
        StringBuilder probe = new StringBuilder("for m in");
        SYSTEM_INSTALLERS.keySet().forEach(m -> probe.append(' ').append(m));
        probe.append("; do if command -v $m >/dev/null 2>&1; then echo $m; exit 0; fi; done; exit 3");
        ExecResult r = guest.exec(GuestCommand.of(probe.toString()).withTimeout(SHORT));
        String m = r.stdout().trim();
        if (!r.succeeded() || !SYSTEM_INSTALLERS.containsKey(m)) {
            throw new ProvisioningException(ErrorCode.PROVISIONING, "packages.system", r.exitCode(), List.of(),
                    "the guest has no known package manager (looked for " + String.join(", ", SYSTEM_INSTALLERS.keySet())
                            + ")", null);
        }
        return m;
    }

    private void ensureUser(String user) throws VboxmcpException {
        run("user " + user, "id -u " + user + " >/dev/null 2>&1 || useradd -m " + user + " 2>/dev/null || adduser -D "
                + user, null, null, Map.of(), SHORT);
    }

    private static String packages(String manager, List<String> pkgs) throws ProvisioningException {
        StringBuilder b = new StringBuilder();
        for (String p : pkgs) {
            if (!PACKAGE.matcher(p).matches()) {
                throw new ProvisioningException(ErrorCode.PROVISIONING, "packages." + manager, -1, List.of(),
                        "refusing package name '" + p + "'", null);
            }
            b.append(q(p)).append(' ');
        }
        return b.toString().trim();
    }

    private void run(String item, String command, String user, String dir, Map<String, String> env, Duration timeout)
            throws VboxmcpException {
        long start = System.nanoTime();
        emit(item, "running");
        GuestCommand c = new GuestCommand(command, user, dir, env, timeout,
                line -> progress.onEvent(new ProgressEvent(ProgressEvent.Kind.OUTPUT, vmName, item, line, -1, -1,
                        Duration.ofNanos(System.nanoTime() - start))));
        ExecResult r = guest.exec(c);
        if (r.timedOut()) {
            throw new ProvisioningException(ErrorCode.TIMEOUT, item, -1, lastLines(r),
                    "'" + item + "' ran longer than its timeout of " + timeout.toSeconds() + " s and was killed", null);
        }
        if (r.exitCode() != 0) {
            List<String> last = lastLines(r);
            throw new ProvisioningException(ErrorCode.PROVISIONING, item, r.exitCode(), last, "'" + item + "' exited with "
                    + r.exitCode() + (last.isEmpty() ? "" : "; last output:\n  " + String.join("\n  ", last)), null);
        }
    }

    private static List<String> lastLines(ExecResult r) {
        List<String> lines = new ArrayList<>();
        for (String s : (r.stdout() + "\n" + r.stderr()).split("\n")) {
            if (!s.isBlank()) {
                lines.add(s);
            }
        }
        return List.copyOf(lines.subList(Math.max(0, lines.size() - LAST_LINES), lines.size()));
    }

    private void emit(String item, String message) {
        progress.onEvent(new ProgressEvent(ProgressEvent.Kind.INFO, vmName, "provision", item + ": " + message, -1, -1,
                Duration.ZERO));
    }

    private static String q(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}

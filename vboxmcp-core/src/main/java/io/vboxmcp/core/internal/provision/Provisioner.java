package io.vboxmcp.core.internal.provision;

import io.vboxmcp.PackageMirrors;
import io.vboxmcp.PlannedSharedFolder;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.ProvisioningException;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmPlan;
import io.vboxmcp.spi.GuestChannel;
import io.vboxmcp.template.Script;
import io.vboxmcp.template.TemplateDefinition;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Provisions a running guest, in this order: package mirrors, environment (also persisted for login shells), the
 * template's files, shared folders, the package groups through the distribution's manager ({@code system} first,
 * then the others in document order), the pip environment and the {@code pip} group, the {@code npm} group, then the
 * scripts in order. Everything runs inside the guest; the first failure stops provisioning. See docs/templates.md.
 */
public final class Provisioner {
    private final GuestSteps steps;
    private final Duration defaultScriptTimeout;
    private final PackageMirrors mirrors;
    private final PythonEnv python = new PythonEnv();
    private PackageGroups.DistroManager distro;

    public Provisioner(GuestChannel guest, ProgressListener progress, String vmName, Duration defaultScriptTimeout,
                       PackageMirrors mirrors) {
        this.steps = new GuestSteps(guest, progress, vmName);
        this.defaultScriptTimeout = defaultScriptTimeout;
        this.mirrors = mirrors;
    }

    /**
     * @param templateDir  the verified template's folder, whose files (not its definition, manifest or signatures) go
     *                     to the guest; null for none
     * @param mountCommand the driver's mount command for each shared folder
     * @throws ProvisioningException naming the failing item, its exit code and last output lines
     */
    public void provision(VmPlan plan, Path templateDir, Function<PlannedSharedFolder, String> mountCommand)
            throws VboxmcpException {
        TemplateDefinition t = plan.template();
        PackageGroups.check(t.packages());  // refuse a hostile name before anything runs in the guest
        List<Map.Entry<String, List<String>>> groups = PackageGroups.distroGroups(t.packages());
        if (!groups.isEmpty() || !mirrors.apt().isEmpty()) {
            distro = detectOrNull(groups.isEmpty() ? null : PackageGroups.item(groups.get(0).getKey()));
        }
        if (!mirrors.isEmpty()) {
            MirrorSetup.apply(steps, mirrors, distro != null && distro.command().equals("apt-get"));
        }
        environment(t.environment());
        if (!t.scripts().isEmpty() || templateDir != null) {
            TemplateFiles.upload(steps, templateDir);
        }
        for (PlannedSharedFolder f : plan.sharedFolders()) {
            steps.run("shared folder " + f.name(), "mkdir -p " + GuestSteps.q(f.guestPath()) + " && "
                    + mountCommand.apply(f));
        }
        distroGroups(groups, t.environment());
        pip(t);
        npm(t);
        for (Script s : t.scripts()) {
            script(s, t.environment());
        }
    }

    /** @param item the first group's item, for the error if there is no manager; null: no manager is fine (mirrors) */
    private PackageGroups.DistroManager detectOrNull(String item) throws VboxmcpException {
        try {
            return PackageGroups.detect(steps, item == null ? MirrorSetup.ITEM : item);
        } catch (ProvisioningException e) {
            if (item == null) {
                return null;
            }
            throw e;
        }
    }

    private void distroGroups(List<Map.Entry<String, List<String>>> groups, Map<String, String> templateEnv)
            throws VboxmcpException {
        if (groups.isEmpty()) {
            return;
        }
        Map<String, String> env = new LinkedHashMap<>(distro.environment());
        env.putAll(templateEnv);
        if (distro.refresh() != null) {
            // once per provisioning, not per group: the index does not change between groups
            steps.run("packages (" + distro.refresh() + ")", distro.refresh(), null, null, env, PackageGroups.TIMEOUT);
        }
        for (Map.Entry<String, List<String>> g : groups) {
            steps.run(PackageGroups.item(g.getKey()), PackageGroups.command(distro.install(), g.getValue()), null, null,
                    env, PackageGroups.TIMEOUT);
        }
    }

    private void pip(TemplateDefinition t) throws VboxmcpException {
        List<String> names = t.packages(PackageGroups.PIP);
        if (names.isEmpty()) {
            return;
        }
        String item = PackageGroups.item(PackageGroups.PIP);
        PythonEnv.Kind kind = python.ensure(steps, item);
        if (kind == PythonEnv.Kind.NONE) {
            throw GuestSteps.refused(item, "the guest has no python3 for the 'pip' group: install python3 and "
                    + "python3-pip (Debian/Ubuntu names) in the 'system' group");
        }
        steps.run(item, PackageGroups.command(PythonEnv.python(kind)
                        + " -m pip install --no-input --disable-pip-version-check", names), null, null,
                PythonEnv.scriptEnvironment(kind, t.environment()), PackageGroups.TIMEOUT);
    }

    private void npm(TemplateDefinition t) throws VboxmcpException {
        List<String> names = t.packages(PackageGroups.NPM);
        if (names.isEmpty()) {
            return;
        }
        String item = PackageGroups.item(PackageGroups.NPM);
        String registry = MirrorSetup.npmRegistry(mirrors);
        String install = PackageGroups.command("npm install -g --no-fund --no-audit", names);
        steps.run(item, "command -v npm >/dev/null 2>&1 || { echo \"the guest has no npm for the 'npm' group: install "
                        + "npm in the 'system' group\" >&2; exit 127; }; " + (registry == null ? "" : registry + " && ")
                        + install, null, null, t.environment(), PackageGroups.TIMEOUT);
    }

    private void script(Script s, Map<String, String> templateEnv) throws VboxmcpException {
        if (s.runAs() != null && !s.runAs().equals("root")) {
            steps.run("user " + s.runAs(), "id -u " + s.runAs() + " >/dev/null 2>&1 || useradd -m " + s.runAs()
                    + " 2>/dev/null || adduser -D " + s.runAs());
        }
        String dir = TemplateFiles.GUEST_DIR;
        if (s.workingDir() != null) {
            dir = s.workingDir();
            String owner = s.runAs() == null ? "root" : s.runAs();
            steps.run("working_dir of " + s.name(), "[ -d " + GuestSteps.q(dir) + " ] || { mkdir -p " + GuestSteps.q(dir)
                    + " && chown " + owner + " " + GuestSteps.q(dir) + "; }");
            steps.run("template files into " + dir + " for " + s.name(), TemplateFiles.copyInto(dir), s.runAs(), null,
                    Map.of(), GuestSteps.SHORT);
        }
        Map<String, String> env = PythonEnv.scriptEnvironment(python.ensure(steps, s.name()), templateEnv);
        env.putIfAbsent(TemplateFiles.ENV, TemplateFiles.GUEST_DIR);
        steps.run(s.name(), s.command(), s.runAs(), dir, env, s.timeout() == null ? defaultScriptTimeout : s.timeout());
    }

    private void environment(Map<String, String> env) throws VboxmcpException {
        if (env.isEmpty()) {
            return;
        }
        StringBuilder profile = new StringBuilder("# written by vboxmcp from the template's environment\n");
        StringBuilder etcEnv = new StringBuilder();
        for (Map.Entry<String, String> e : env.entrySet()) {
            profile.append("export ").append(e.getKey()).append('=').append(GuestSteps.q(e.getValue())).append('\n');
            etcEnv.append(e.getKey()).append('=').append('"').append(e.getValue().replace("\\", "\\\\")
                    .replace("\"", "\\\"")).append('"').append('\n');
        }
        steps.emit("environment", "persisting " + env.size() + " variables");
        steps.guest.upload(profile.toString().getBytes(StandardCharsets.UTF_8), "/etc/profile.d/vboxmcp.sh", 0644);
        steps.guest.upload(etcEnv.toString().getBytes(StandardCharsets.UTF_8), "/etc/vboxmcp/environment", 0644);
        steps.run("environment", "touch /etc/environment && grep -v -F -x -f /etc/vboxmcp/environment /etc/environment "
                + "> /etc/environment.vboxmcp; cat /etc/vboxmcp/environment >> /etc/environment.vboxmcp && "
                + "mv /etc/environment.vboxmcp /etc/environment");
    }
}

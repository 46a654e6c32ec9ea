package io.vboxmcp.virtualbox.internal.ws;

import io.vboxmcp.testkit.StubProviderContext;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;
import io.vboxmcp.PlannedSharedFolder;
import io.vboxmcp.PortForward;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmPlan;
import io.vboxmcp.VmState;
import io.vboxmcp.spi.BaseImage;
import io.vboxmcp.spi.Machine;
import io.vboxmcp.spi.MachineSpec;
import io.vboxmcp.template.TemplateDefinition;
import io.vboxmcp.template.TemplateMetadata;
import io.vboxmcp.virtualbox.internal.VirtualBoxDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The experimental web-service adapter, (a) over real HTTP/SOAP against a loopback fake vboxwebsrv and (b) through a
 * {@code java.lang.reflect.Proxy} port, both backed by the same scripted model.
 */
class WebServiceAdapterTest {
    static final String DIGEST = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    @TempDir
    Path tmp;
    FakeVboxWebService model;
    FakeVboxWebServer server;

    @BeforeEach
    void start() throws Exception {
        model = new FakeVboxWebService();
        server = new FakeVboxWebServer(model);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    WebServiceAdapter soapAdapter(String user, String password) {
        return new WebServiceAdapter(SoapVboxWebPort.create(server.uri(), Duration.ofSeconds(5)), server.uri().toString(),
                user, password);
    }

    VirtualBoxDriver driver(WebServiceAdapter adapter) {
        StubProviderContext ctx = new StubProviderContext(tmp.resolve("home"));
        return new VirtualBoxDriver(adapter, tmp.resolve("masters"), null, true, ctx.hostPorts(), ctx.seedWriter(),
                d -> { }, Duration.ofMillis(10), null, null);
    }

    MachineSpec spec(String name) throws Exception {
        TemplateDefinition t = new TemplateDefinition("python-dev", SemanticVersion.parse("1.0.0"), null, null,
                "ubuntu:22.04", 0, 0, 0, Map.of(), List.of(), Map.of(), List.of(), List.of(), TemplateMetadata.EMPTY, Map.of());
        Path share = Files.createDirectories(tmp.resolve("share"));
        VmPlan plan = new VmPlan(name, t, DIGEST, null, "virtualbox", 2048, 2, 512,
                List.of(new PortForward(22, 0, "127.0.0.1")), List.of(new PlannedSharedFolder("data", share, "/mnt/data", true)));
        Path vmDir = Files.createDirectories(tmp.resolve("vms").resolve(name));
        Path disk = Files.write(tmp.resolve("disk.vmdk"), new byte[] {1});
        return new MachineSpec(plan, vmDir, new BaseImage("ubuntu:22.04", disk, "vmdk", DIGEST, null, null, null),
                "ssh-ed25519 AAAAtest", "vboxmcp", "iid-1", ProgressListener.NONE);
    }

    @Test
    void soap_lifecycle_logonCheckFindCreateConfigureStartStopDestroy() throws Exception {
        WebServiceAdapter adapter = soapAdapter("mcp", "s3cret");
        VirtualBoxDriver d = driver(adapter);
        Machine m = d.create(spec("mcp-ws"));
        assertThat(m.attributes()).containsEntry("uuid", "id-mor-mcp-ws").containsEntry("adapter", "webservice")
                .containsEntry("virtualboxVersion", "7.1.4");
        d.start(m);
        assertThat(d.state(m)).isEqualTo(VmState.RUNNING);
        d.stop(m, Duration.ofSeconds(5));
        assertThat(d.state(m)).isEqualTo(VmState.STOPPED);
        d.destroy(m);
        assertThat(d.state(m)).isEqualTo(VmState.DESTROYED);
        d.close();

        int ssh = m.sshPort();
        assertThat(model.calls).containsSubsequence(
                "IWebsessionManager_logon(username=mcp, password=s3cret)",
                "IVirtualBox_getAPIVersion(_this=4e3b1a2c9d8f7e61-0000000000000001)",
                "IVirtualBox_getVersion(_this=4e3b1a2c9d8f7e61-0000000000000001)",
                "IWebsessionManager_getSessionObject(refIVirtualBox=4e3b1a2c9d8f7e61-0000000000000001)",
                "IVirtualBox_findMachine(_this=4e3b1a2c9d8f7e61-0000000000000001, nameOrId=mcp-ws)",
                "IVirtualBox_findMachine(_this=4e3b1a2c9d8f7e61-0000000000000001, nameOrId=vboxmcp-master-0123456789abcdef)",
                "IMachine_findSnapshot(_this=mor-master, nameOrId=base)",
                "IMachine_findSnapshot(_this=mor-master, nameOrId=base)",
                "ISnapshot_getMachine(_this=mor-snapshot-base)",
                "IVirtualBox_createMachine(_this=4e3b1a2c9d8f7e61-0000000000000001, settingsFile=, name=mcp-ws, "
                        + "platform=x86, osTypeId=Ubuntu_64, flags=, cipher=, passwordId=, password=)",
                "IMachine_cloneTo(_this=mor-snapshot-machine, target=mor-mcp-ws, mode=MachineState, options=Link)",
                "IProgress_waitForCompletion(_this=mor-progress-IMachine_cloneTo, timeout=-1)",
                "IProgress_getResultCode(_this=mor-progress-IMachine_cloneTo)",
                "IVirtualBox_registerMachine(_this=4e3b1a2c9d8f7e61-0000000000000001, machine=mor-mcp-ws)",
                // configure: write lock, edit the session's machine, save, unlock
                "IMachine_lockMachine(_this=mor-mcp-ws, session=4e3b1a2c9d8f7e61-0000000000000002, lockType=Write)",
                "ISession_getMachine(_this=4e3b1a2c9d8f7e61-0000000000000002)",
                "IMachine_setMemorySize(_this=mutable-mor-mcp-ws, memorySize=2048)",
                "IMachine_setCPUCount(_this=mutable-mor-mcp-ws, CPUCount=2)",
                "IMachine_saveSettings(_this=mutable-mor-mcp-ws)",
                "ISession_unlockMachine(_this=4e3b1a2c9d8f7e61-0000000000000002)",
                "INetworkAdapter_setAttachmentType(_this=mor-nic-0, attachmentType=NAT)",
                "INATEngine_removeRedirect(_this=mor-nat, name=ssh)",
                "INATEngine_addRedirect(_this=mor-nat, name=ssh, proto=TCP, hostIP=127.0.0.1, hostPort=" + ssh
                        + ", guestIP=, guestPort=22)",
                "IMachine_createSharedFolder(_this=mutable-mor-mcp-ws, name=data, hostPath=" + tmp.resolve("share")
                        + ", writable=false, automount=false, autoMountPoint=)",
                "IMachine_attachDevice(_this=mutable-mor-mcp-ws, name=SATA Controller, controllerPort=1, device=0, "
                        + "type=DVD, medium=mor-medium-iso)",
                "IMachine_attachDevice(_this=mutable-mor-mcp-ws, name=SATA Controller, controllerPort=2, device=0, "
                        + "type=DVD, medium=mor-medium-iso)",
                // start
                "IMachine_launchVMProcess(_this=mor-mcp-ws, session=4e3b1a2c9d8f7e61-0000000000000002, name=headless)",
                "IProgress_waitForCompletion(_this=mor-progress-IMachine_launchVMProcess, timeout=-1)",
                // stop
                "IMachine_lockMachine(_this=mor-mcp-ws, session=4e3b1a2c9d8f7e61-0000000000000002, lockType=Shared)",
                "IConsole_powerButton(_this=mor-console)",
                // destroy
                "IMachine_unregister(_this=mor-mcp-ws, cleanupMode=DetachAllReturnHardDisksOnly)",
                "IMachine_deleteConfig(_this=mor-mcp-ws, media=mor-medium-disk)",
                "IWebsessionManager_logoff(refIVirtualBox=4e3b1a2c9d8f7e61-0000000000000001)");
        assertThat(server.rawRequests).as("document/literal in the VirtualBox namespace")
                .allSatisfy(r -> assertThat(r).contains("xmlns:vbox=\"http://www.virtualbox.org/\""));
        assertThat(server.rawRequests).filteredOn(r -> r.contains("IVirtualBox_createMachine")).singleElement()
                .satisfies(r -> assertThat(r).contains("<platform>x86</platform>").doesNotContain("<groups>"));
    }

    @Test
    void api70_createMachineHasNoPlatformElement() throws Exception {
        model.apiVersion = "7_0";
        model.version = "7.0.20";
        WebServiceAdapter a = new WebServiceAdapter(model.proxyPort(), "proxy", "mcp", "s3cret");
        a.cloneVm("vboxmcp-master-0123456789abcdef", "base", true, "mcp-70", tmp);
        assertThat(model.params).filteredOn(p -> p.containsKey("osTypeId")).singleElement()
                .satisfies(p -> assertThat(p).doesNotContainKey("platform").containsKey("cipher"));
        assertThat(a.version().shortString()).isEqualTo("7.0.20");
    }

    @Test
    void refusesUnsupportedApiVersion_withClearMessage_andLogsOff() throws Exception {
        model.apiVersion = "6_1";
        model.version = "6.1.50";
        WebServiceAdapter a = soapAdapter("mcp", "s3cret");
        HypervisorException e = catchThrowableOfType(HypervisorException.class, () -> a.status("anything"));
        assertThat(e.getMessage()).contains("VirtualBox 6.1.50 (API 6_1)").contains("7_0, 7_1, 7_2")
                .contains("use the vboxmanage adapter");
        assertThat(model.calls).extracting(c -> c.substring(0, c.indexOf('('))).containsExactly(
                "IWebsessionManager_logon", "IVirtualBox_getAPIVersion", "IVirtualBox_getVersion",
                "IWebsessionManager_logoff");
    }

    @Test
    void wrongPassword_isTypedErrorFromThePlainFault() {
        WebServiceAdapter a = soapAdapter("mcp", "wrong");
        WebServiceFault f = catchThrowableOfType(WebServiceFault.class, a::version);
        assertThat(f.resultCode()).isNull();
        assertThat(f.getMessage()).contains("IWebsessionManager_logon").contains("Invalid username or password");
        assertThat(f.code()).isEqualTo(ErrorCode.HYPERVISOR);
    }

    @Test
    void runtimeFaultNotFound_meansNoSuchMachine() throws Exception {
        WebServiceAdapter a = soapAdapter("mcp", "s3cret");
        assertThat(a.status("nope")).isEmpty();
        a.delete("nope");
        HypervisorException e = catchThrowableOfType(HypervisorException.class, () -> a.setResources("nope", 1, 1));
        assertThat(e.code()).isEqualTo(ErrorCode.VM_NOT_FOUND);
        assertThat(server.rawRequests).noneMatch(r -> r.contains("lockMachine"));
    }

    @Test
    void failedProgress_reportsTheErrorInfoText() {
        model.progressResult = 0x80004005;
        WebServiceAdapter a = soapAdapter("mcp", "s3cret");
        HypervisorException e = catchThrowableOfType(HypervisorException.class,
                () -> a.cloneVm("vboxmcp-master-0123456789abcdef", "base", true, "x", tmp));
        assertThat(e.getMessage()).contains("cloneTo failed: Could not clone: disk full [0x80004005]");
    }

    @Test
    void missingMaster_explainsWhatToRegisterOnTheServer() throws Exception {
        model.registered.clear();
        VirtualBoxDriver d = driver(new WebServiceAdapter(model.proxyPort(), "proxy", "mcp", "s3cret"));
        MachineSpec spec = spec("mcp-ws");
        VboxmcpException e = catchThrowableOfType(VboxmcpException.class, () -> d.create(spec));
        assertThat(e.getMessage()).contains("cannot register images on the server")
                .contains("vboxmcp-master-0123456789abcdef").contains("'base'").contains("virtualbox.ws.master");
        assertThat(model.calls).noneMatch(c -> c.startsWith("IVirtualBox_createMachine"));
        try (var files = Files.list(spec.vmDir())) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void proxyPort_configureSequenceIsExact() throws Exception {
        WebServiceAdapter a = new WebServiceAdapter(model.proxyPort(), "proxy", "mcp", "s3cret");
        a.setResources("vboxmcp-master-0123456789abcdef", 4096, 4);
        assertThat(model.calls).extracting(c -> c.substring(0, c.indexOf('('))).containsExactly(
                "IWebsessionManager_logon", "IVirtualBox_getAPIVersion", "IVirtualBox_getVersion",
                "IWebsessionManager_getSessionObject", "IVirtualBox_findMachine", "IMachine_lockMachine",
                "ISession_getMachine", "IMachine_setMemorySize", "IMachine_setCPUCount", "IMachine_saveSettings",
                "ISession_unlockMachine");
        assertThat(model.lockedBy).as("the session lock is released").isNull();
        a.close();
        a.close();
        assertThat(model.calls).filteredOn(c -> c.startsWith("IWebsessionManager_logoff")).hasSize(1);
        assertThat(catchThrowableOfType(IllegalStateException.class, a::version)).isNotNull();
    }

    @Test
    void lockHeldElsewhere_isTypedLocked_andSessionStaysUsable() throws Exception {
        WebServiceAdapter a = new WebServiceAdapter(model.proxyPort(), "proxy", "mcp", "s3cret");
        a.version();
        model.lockedBy = "someone-else";
        VboxmcpException e = catchThrowableOfType(VboxmcpException.class,
                () -> a.setResources("vboxmcp-master-0123456789abcdef", 1, 1));
        assertThat(e.code()).isEqualTo(ErrorCode.LOCKED);
    }

    @Test
    void transportFailures_areTypedHypervisorErrors() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        VboxWebPort dead = SoapVboxWebPort.create(URI.create("http://127.0.0.1:" + closed + "/"), Duration.ofSeconds(2));
        HypervisorException e = catchThrowableOfType(HypervisorException.class, () -> dead.logon("a", "b"));
        assertThat(e.getMessage()).contains("cannot reach vboxwebsrv at http://127.0.0.1:" + closed);

        server.cannedStatus = 502;
        server.cannedBody = "<html>Bad gateway</html>";
        VboxWebPort port = SoapVboxWebPort.create(server.uri(), Duration.ofSeconds(2));
        HypervisorException e2 = catchThrowableOfType(HypervisorException.class, () -> port.logon("a", "b"));
        assertThat(e2.getMessage()).contains("HTTP 502");
    }

    @Test
    void envelope_escapesValues() {
        String env = SoapVboxWebPort.envelope("IVirtualBox_findMachine", List.<String[]>of(new String[] {"nameOrId", "a<b>&\"c'"}));
        assertThat(env).contains("<vbox:IVirtualBox_findMachine><nameOrId>a&lt;b&gt;&amp;&quot;c&apos;</nameOrId>"
                + "</vbox:IVirtualBox_findMachine>");
    }

    @Test
    void machineStates_mapToVBoxManageShortNames() {
        assertThat(WebServiceAdapter.shortState("PoweredOff")).isEqualTo("poweroff");
        assertThat(WebServiceAdapter.shortState("Running")).isEqualTo("running");
        assertThat(WebServiceAdapter.shortState("AbortedSaved")).isEqualTo("aborted-saved");
        assertThat(WebServiceAdapter.shortState("Stuck")).isEqualTo("gurumeditation");
    }
}

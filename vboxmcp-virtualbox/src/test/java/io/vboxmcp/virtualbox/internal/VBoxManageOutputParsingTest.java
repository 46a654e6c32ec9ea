package io.vboxmcp.virtualbox.internal;

import io.vboxmcp.virtualbox.internal.cli.ErrorBlock;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class VBoxManageOutputParsingTest {

    @Test
    void showvminfo70_toleratesBareEncryptionLine_andReadsControllers() {
        VmInfo info = VmInfo.parse(Fixtures.read("showvminfo-7.0.0-sampleB.txt"));
        assertThat(info.name()).contains("vagrant-test_default_1665781960041_56631");
        assertThat(info.unparsed()).as("the 7.0.0 human line is kept aside, not fatal")
                .containsExactly("Encryption:     disabled");
        assertThat(info.get("groups")).contains("/");
        assertThat(info.state()).contains("poweroff");
        assertThat(info.memoryMb()).contains(1024);
        assertThat(info.controllers()).extracting(VmInfo.Controller::name)
                .containsExactly("IDE Controller", "SATA Controller");
        assertThat(info.controllers().get(0).ide()).isTrue();
        assertThat(info.attachments()).filteredOn(VmInfo.Attachment::disk).singleElement()
                .satisfies(a -> assertThat(a.imageUuid()).isEqualTo("32583b48-693e-45d4-882f-e9196d4f43c6"));
        assertThat(info.attachments()).filteredOn(a -> a.controller().equals("IDE Controller") && a.port() == 1
                && a.device() == 0).singleElement().satisfies(a -> assertThat(a.medium()).isEqualTo("emptydrive"));
        assertThat(info.forwards()).as("7.0.0 lists no forwards once there are two").isEmpty();
    }

    @Test
    void showvminfo71_readsForwardsSnapshotsSharesAndOddLines() {
        VmInfo info = VmInfo.parse(Fixtures.read("showvminfo-7.1-sampleC.txt"));
        assertThat(info.get("platformArchitecture")).contains("x86");
        assertThat(info.uuid()).contains("4f6c1f0e-9d7a-4b53-8a3e-2f1f0f7c9a10");
        assertThat(info.cpus()).contains(2);
        assertThat(info.forwards()).containsExactly(
                new NatRule(1, "ssh", "tcp", "127.0.0.1", 2222, "", 22),
                new NatRule(1, "http", "tcp", "127.0.0.1", 8080, "", 80));
        assertThat(info.snapshotNames()).containsExactly("base");
        assertThat(info.sharedFolders()).containsExactly("work");
        assertThat(info.get("BandwidthGroup0")).as("quoted name, unquoted tail dropped").contains("limit");
        assertThat(info.unparsed()).containsExactly(" rec_screen0");
        assertThat(info.get("rec_screen_id")).as("lines after the bare token still parse").contains("0");
        assertThat(info.attachments()).singleElement().satisfies(a -> {
            assertThat(a.controller()).isEqualTo("SATA Controller");
            assertThat(a.imageUuid()).isEqualTo("0b8f3c7e-1111-2222-3333-444455556666");
        });
    }

    @Test
    void showvminfo72_unescapesWindowsPathsAndQuotes_andSplitsCpuidRunOn() {
        VmInfo info = VmInfo.parse(Fixtures.read("showvminfo-7.2-running-windows.txt"));
        assertThat(info.name()).contains("mcp \"quoted\" vm");
        assertThat(info.cfgFile()).contains("C:\\Users\\dev\\VirtualBox VMs\\mcp vm\\mcp vm.vbox");
        assertThat(info.get("cpuid")).contains("00000001,00000000,000306a9,00100800,1fbae3bf,bfebfbff");
        assertThat(info.get("hwvirtex")).as("the key glued to the cpuid line is recovered").contains("on");
        assertThat(info.get("VideoMode")).contains("1024,768,32");
        assertThat(info.get("VRDEClients")).contains("0");
        assertThat(info.get("vrdeproperty[TCP/Address]")).contains("<not set>");
        assertThat(info.get("GuestAdditionsFacility_VirtualBox Base Driver")).contains("50,1740902410000");
        assertThat(info.get("GuestAdditionsVersion")).contains("7.2.0 r168464");
        assertThat(info.state()).contains("running");
        assertThat(info.forwards()).as("Forwarding(i) restarts at 0 per NIC; the NIC comes from the last nicN line")
                .containsExactly(
                        new NatRule(1, "ssh", "tcp", "127.0.0.1", 50022, "", 22),
                        new NatRule(1, "tcp8080", "tcp", "127.0.0.1", 50080, "", 8080),
                        new NatRule(2, "dns", "udp", "", 5353, "", 53));
        assertThat(info.attachments()).extracting(VmInfo.Attachment::medium).containsExactly(
                "C:\\Users\\dev\\VirtualBox VMs\\mcp vm\\mcp vm.vdi", "C:\\Users\\dev\\.vboxmcp\\vms\\mcp\\seed.iso");
        assertThat(info.attachments()).filteredOn(VmInfo.Attachment::disk).hasSize(1);
        assertThat(info.unparsed()).isEmpty();
    }

    @Test
    void showvminfo_inaccessibleMachine() {
        VmInfo info = VmInfo.parse(Fixtures.read("showvminfo-inaccessible.txt"));
        assertThat(info.inaccessible()).isTrue();
        assertThat(info.state()).isEmpty();
    }

    @Test
    void snapshotList_readsTheWholeTree() {
        VmInfo info = VmInfo.parse(Fixtures.read("snapshot-list-packer.txt"));
        assertThat(info.snapshotNames()).containsExactly("Imported", "Snapshot 1", "Snapshot 2", "Snapshot-Export");
    }

    @Test
    void listVms_handlesCrlfQuotesInNamesAndInaccessible() {
        List<VmRef> vms = VmRef.parseList(Fixtures.read("list-vms-windows-crlf.txt"));
        assertThat(Fixtures.read("list-vms-windows-crlf.txt")).contains("\r\n");
        assertThat(vms).containsExactly(
                new VmRef("Ubuntu", "2e16b1fc-675d-4a7a-a9a1-e89a8bde7874"),
                new VmRef("AlmaLinux9", "6ebc2119-de35-467b-a695-047eb2e424f5"),
                new VmRef("say \"hi\" vm", "0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5"),
                new VmRef("<inaccessible>", "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"));
        assertThat(VmRef.parseList("")).isEmpty();
    }

    @Test
    void version_plainAndDistroBuilds() {
        VBoxVersion v = VBoxVersion.parse(Fixtures.read("version-7.1.4.txt")).orElseThrow();
        assertThat(v).extracting(VBoxVersion::major, VBoxVersion::minor, VBoxVersion::patch, VBoxVersion::revision)
                .containsExactly(7, 1, 4, 165100L);
        assertThat(v.supported()).isTrue();
        assertThat(v.tested()).isTrue();
        assertThat(v.warnings()).isEmpty();
        VBoxVersion ubuntu = VBoxVersion.parse(Fixtures.read("version-6.1.38-ubuntu.txt")).orElseThrow();
        assertThat(ubuntu.shortString()).isEqualTo("6.1.38");
        assertThat(ubuntu.flavour()).isEqualTo("_Ubuntu");
        assertThat(ubuntu.revision()).isEqualTo(153438L);
        assertThat(ubuntu.supported()).isFalse();
        assertThat(VBoxVersion.parse("7.0.0r154998\n").orElseThrow().forwardListingBroken()).isTrue();
        assertThat(VBoxVersion.parse("7.0.14r161095\n").orElseThrow().forwardListingBroken()).isFalse();
        assertThat(VBoxVersion.parse("8.0.2r170000").orElseThrow().tested()).isFalse();
        assertThat(VBoxVersion.parse("")).isEmpty();
        assertThat(VBoxVersion.parse("VBoxManage: command not found")).isEmpty();
    }

    @Test
    void version_collectsWarningParagraphsBeforeTheVersion() {
        VBoxVersion kernel = VBoxVersion.parse(Fixtures.read("version-warning-kernel-6.0.12.txt")).orElseThrow();
        assertThat(kernel.shortString()).isEqualTo("6.0.12");
        assertThat(kernel.warnings()).singleElement().asString()
                .startsWith("The vboxdrv kernel module is not loaded.")
                .contains("sudo /sbin/vboxconfig").contains("You will not be able to start VMs");
        assertThat(kernel.kernelModuleMissing()).isTrue();
        VBoxVersion logname = VBoxVersion.parse(Fixtures.read("version-warning-logname-7.1.4.txt")).orElseThrow();
        assertThat(logname.shortString()).isEqualTo("7.1.4");
        assertThat(logname.warnings()).containsExactly(
                "Environment variable LOGNAME or USER does not correspond to effective user id.");
        assertThat(logname.kernelModuleMissing()).isFalse();
    }

    @Test
    void errorBlock_notFound() {
        ErrorBlock b = ErrorBlock.parse(Fixtures.read("error-not-found-unregistervm.txt"));
        assertThat(b.message()).isEqualTo("Could not find a registered machine named 'al2023'");
        assertThat(b.code()).isEqualTo("VBOX_E_OBJECT_NOT_FOUND");
        assertThat(b.hresult()).isEqualTo("0x80bb0001");
        assertThat(b.component()).isEqualTo("VirtualBoxWrap");
        assertThat(b.iface()).isEqualTo("IVirtualBox");
        assertThat(b.context()).startsWith("\"FindMachine(");
    }

    @Test
    void errorBlock_windowsPrefixAndCrlf() {
        String stderr = Fixtures.read("error-locked-windows-crlf.txt");
        assertThat(stderr).contains("\r\n");
        assertThat(ErrorBlock.present(stderr)).isTrue();
        ErrorBlock b = ErrorBlock.parse(stderr);
        assertThat(b.code()).isEqualTo("VBOX_E_INVALID_OBJECT_STATE");
        assertThat(b.message()).isEqualTo("The machine 'mcp-1' is already locked by a session (or being locked or unlocked)");
        assertThat(b.iface()).isEqualTo("IMachine");
    }

    @Test
    void errorBlock_afterProgressOutput_andAbsent() {
        ErrorBlock b = ErrorBlock.parse(Fixtures.read("error-file-exists.txt"));
        assertThat(b.code()).isEqualTo("VBOX_E_FILE_ERROR");
        assertThat(b.message()).startsWith("Machine settings file '").endsWith("already exists");
        assertThat(ErrorBlock.present("0%...10%...100%\n")).isFalse();
        ErrorBlock none = ErrorBlock.parse("");
        assertThat(none.code()).isNull();
        assertThat(none.message()).isEmpty();
    }
}

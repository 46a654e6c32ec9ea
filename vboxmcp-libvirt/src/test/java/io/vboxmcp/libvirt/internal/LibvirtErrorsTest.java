package io.vboxmcp.libvirt.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.libvirt.LibvirtException;
import io.vboxmcp.libvirt.LibvirtException.Kind;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The texts are what virsh 9.0 printed on this machine (qemu:///system and qemu+ssh://), copied verbatim. */
class LibvirtErrorsTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "CONNECTION_REFUSED|error: failed to connect to the hypervisor\\nerror: unable to connect to server at '127.0.0.1:1': Connection refused",
            "CONNECTION_REFUSED|error: failed to connect to the hypervisor\\nerror: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory",
            "AUTHENTICATION_FAILED|error: failed to connect to the hypervisor\\nerror: Cannot recv data: Host key verification failed.: Connection reset by peer",
            "AUTHENTICATION_FAILED|error: failed to connect to the hypervisor\\nerror: Cannot recv data: root@127.0.0.1: Permission denied (publickey).: Connection reset by peer",
            "ALREADY_EXISTS|error: Failed to define domain from dom.xml\\nerror: operation failed: domain 'vboxmcp-try' already exists with uuid 322e7e09-fee2-45ec-b8ca-8ae51545fd5f",
            "POOL_FULL|error: Failed to create vol zz-big\\nerror: cannot allocate 536870912000 bytes in file '/var/lib/libvirt/images/vboxmcp/zz-big': No space left on device",
            "NOT_FOUND|error: failed to get domain 'nope'",
            "NOT_FOUND|error: failed to get vol 'nonexist'\\nerror: Storage volume not found: no storage vol with matching path 'nonexist'",
            "OTHER|error: Failed to start domain 'vboxmcp-try'\\nerror: internal error: qemu unexpectedly closed the monitor: cannot initialize fsdev 'fsdev-fs0': failed to open '/tmp/lvtry/share': Permission denied",
    })
    void kind_isReadFromVirshsMessage(Kind expected, String stderr) {
        assertThat(LibvirtErrors.kind(LibvirtErrors.clean(stderr.replace("\\n", "\n")))).isEqualTo(expected);
    }

    @Test
    void map_carriesCodeUriAndLibvirtsWordsWithoutPrefix() {
        LibvirtException e = LibvirtErrors.map("define domain x", "qemu:///system",
                "error: Failed to define domain from x.xml\nerror: operation failed: domain 'x' already exists with uuid 1\n");
        assertThat(e.kind()).isEqualTo(Kind.ALREADY_EXISTS);
        assertThat(e.code()).isEqualTo(ErrorCode.VM_EXISTS);
        assertThat(e.getMessage()).isEqualTo("define domain x failed on qemu:///system: Failed to define domain from x.xml; "
                + "operation failed: domain 'x' already exists with uuid 1");
    }

    @Test
    void map_poolFullIsResourceLimit() {
        assertThat(LibvirtErrors.map("upload", "qemu:///system", "error: No space left on device").code())
                .isEqualTo(ErrorCode.RESOURCE_LIMIT);
    }

    @Test
    void clean_capsAHugeMessage() {
        assertThat(LibvirtErrors.clean("error: " + "x".repeat(100_000))).hasSizeLessThan(2100).endsWith(" ...");
    }
}

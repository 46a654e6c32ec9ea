package io.vboxmcp.core.internal.snapshot;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.ExecResult;
import io.vboxmcp.GuestCommand;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.spi.GuestChannel;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static io.vboxmcp.core.internal.ssh.SshGuestChannel.quote;

/**
 * Gives a clone restored from a ready snapshot its own identity before anyone else logs in (LCY-16 for clones):
 * the clock set to now, host randomness mixed into the kernel pool (the driver's new VM generation id has made
 * Linux reseed already where the hypervisor has one), a new machine id, the VM's hostname, cloud-init told that
 * this is the clone's own instance (so a reboot does not redo per-instance work with a different result), this
 * VM's key in place of the saved VM's and the snapshot's keys in every {@code authorized_keys}, new SSH host keys
 * and the SSH server restarted to serve them (sessions, this one included, survive: OpenSSH under systemd and
 * dropbear under busybox init both fork a process per session). Runs as root over the snapshot's login key.
 */
public final class GuestIdentity {
    private static final SecureRandom RANDOM = new SecureRandom();
    /** On the guest's run-time file system (tmpfs on both guests): gone at the next boot whatever happens. */
    private static final String SCRIPT = "/run/vboxmcp-identity.sh";

    private GuestIdentity() {
    }

    /**
     * @param guest      a channel logged in as root with the snapshot's login key
     * @param hostname   the clone's hostname
     * @param instanceId the clone's cloud-init instance id (its seed's)
     * @param newKey     the clone's own {@code authorized_keys} line
     * @param oldKeys    the lines to remove (the saved VM's key, the snapshot's login key)
     * @return the guest's uptime at each phase ({@code phase=seconds ...}), for the progress events
     * @throws VboxmcpException {@code PROVISIONING} if the reset failed in the guest
     */
    public static String reset(GuestChannel guest, String hostname, String instanceId, String newKey, List<String> oldKeys)
            throws VboxmcpException {
        String script = script(hostname, instanceId, newKey, oldKeys, Instant.now().getEpochSecond(), seed());
        // as a file: dropbear refuses exec requests of more than a few KiB, and the keys make the script long
        guest.upload(script.getBytes(StandardCharsets.UTF_8), SCRIPT, 0700);
        ExecResult r = guest.exec(new GuestCommand("/bin/sh " + SCRIPT + "; rc=$?; rm -f " + SCRIPT + "; exit $rc", null,
                null, Map.of(), Duration.ofSeconds(60), null));
        if (r.exitCode() != 0) {
            throw new VboxmcpException(ErrorCode.PROVISIONING, "could not give the restored clone its own identity (exit "
                    + r.exitCode() + "): " + (r.stderr() + r.stdout()).strip());
        }
        return r.stdout().strip().replace('\n', ' ');
    }

    private static String seed() {
        byte[] b = new byte[64];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** The reset as one POSIX shell script (busybox ash and dash both run it). */
    static String script(String hostname, String instanceId, String newKey, List<String> oldKeys, long now, String seed) {
        StringBuilder old = new StringBuilder();
        for (String k : oldKeys) {
            String[] f = k.trim().split("\\s+");
            if (f.length >= 2) {
                old.append(" -e ").append(quote(f[1]));  // the key blob: comments may differ
            }
        }
        String h = quote(hostname);
        String iid = quote(instanceId);
        return String.join("\n",
                "set -e",
                "export PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                "mark() { printf '%s=%s\\n' \"$1\" \"$(cut -d' ' -f1 /proc/uptime)\"; }",
                "mark start",
                "date -u -s @" + now + " >/dev/null 2>&1 || true",
                "printf %s " + quote(seed) + " > /dev/urandom",
                "if [ -e /etc/machine-id ]; then tr -d '-' < /proc/sys/kernel/random/uuid > /etc/machine-id.new;"
                        + " chmod 444 /etc/machine-id.new; mv -f /etc/machine-id.new /etc/machine-id; fi",
                "if [ -f /var/lib/dbus/machine-id ] && [ ! -L /var/lib/dbus/machine-id ]; then"
                        + " cp /etc/machine-id /var/lib/dbus/machine-id; fi",
                "printf '%s\\n' " + h + " > /etc/hostname; hostname " + h,
                "if grep -q '^127\\.0\\.1\\.1[[:space:]]' /etc/hosts 2>/dev/null; then"
                        + " sed -i \"s/^127\\.0\\.1\\.1[[:space:]].*/127.0.1.1 $(cat /etc/hostname)/\" /etc/hosts;"
                        + " else printf '127.0.1.1 %s\\n' " + h + " >> /etc/hosts; fi",
                // busybox test image: its cloud-init keeps the instance id in one file
                "if [ -f /var/lib/cloud/instance-id ]; then printf '%s\\n' " + iid + " > /var/lib/cloud/instance-id; fi",
                // cloud-init: the saved instance's state becomes the clone's (its per-instance semaphores included)
                "if [ -d /var/lib/cloud/data ]; then old=$(cat /var/lib/cloud/data/instance-id 2>/dev/null || true);"
                        + " if [ -n \"$old\" ] && [ -d \"/var/lib/cloud/instances/$old\" ]; then"
                        + " mv \"/var/lib/cloud/instances/$old\" /var/lib/cloud/instances/" + iid + ";"
                        + " ln -sfn /var/lib/cloud/instances/" + iid + " /var/lib/cloud/instance; fi;"
                        + " printf '%s\\n' " + iid + " > /var/lib/cloud/data/instance-id;"
                        + " printf '%s\\n' " + iid + " > /var/lib/cloud/data/previous-instance-id; fi",
                "for home in $(cut -d: -f6 /etc/passwd | sort -u); do f=\"$home/.ssh/authorized_keys\";"
                        + " [ -f \"$f\" ] && [ ! -L \"$f\" ] || continue;"
                        + " grep -qF" + old + " \"$f\" || continue;"
                        + " { grep -vF" + old + " \"$f\" || true; printf '%s\\n' " + quote(newKey) + "; } > \"$f.new\";"
                        + " chown \"$(stat -c %u:%g \"$f\")\" \"$f.new\"; chmod 600 \"$f.new\"; mv -f \"$f.new\" \"$f\"; done",
                "mark ids",
                "if [ -d /etc/dropbear ] && command -v dropbearkey >/dev/null 2>&1; then",
                "  rm -f /etc/dropbear/dropbear_*_host_key",
                "  dropbearkey -t ed25519 -f /etc/dropbear/dropbear_ed25519_host_key >/dev/null 2>&1",
                "  dropbearkey -t ecdsa -s 256 -f /etc/dropbear/dropbear_ecdsa_host_key >/dev/null 2>&1",
                // the listener is init's child; its sessions (this one) are the listener's and survive it
                "  listeners=''; for p in $(pidof dropbear); do"
                        + " [ \"$(cut -d' ' -f4 /proc/$p/stat)\" = 1 ] && listeners=\"$listeners $p\"; done",
                "  [ -z \"$listeners\" ] || kill $listeners",
                // until the old listener is gone, nobody may meet the old host key; init respawns a new one
                "  n=0; for p in $listeners; do while kill -0 $p 2>/dev/null && [ $n -lt 500 ]; do"
                        + " n=$((n+1)); sleep 0.01; done; done",
                "elif [ -f /etc/ssh/sshd_config ]; then",
                "  rm -f /etc/ssh/ssh_host_*key /etc/ssh/ssh_host_*key.pub",
                // not `ssh-keygen -A`: its RSA key takes seconds under TCG; sshd serves the two it finds
                "  ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key",
                "  ssh-keygen -q -t ecdsa -N '' -f /etc/ssh/ssh_host_ecdsa_key",
                "  mark hostkeys",
                "  systemctl restart ssh 2>/dev/null || systemctl restart sshd 2>/dev/null || service ssh restart",
                "fi",
                "mark sshd",
                "sync",
                "mark sync");
    }
}

package io.vboxmcp.core.internal.snapshot;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.ExecResult;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.core.internal.ssh.SshKeys;
import org.apache.sshd.common.config.keys.PublicKeyEntry;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static io.vboxmcp.core.internal.ssh.SshGuestChannel.quote;

/**
 * Gives a clone restored from a ready snapshot its own identity before anyone else logs in (LCY-16 for clones):
 * the clock set to now, host randomness mixed into the kernel pool (the driver's new VM generation id has made
 * Linux reseed already where the hypervisor has one), a new machine id, the VM's hostname, cloud-init told that
 * this is the clone's own instance (so a reboot does not redo per-instance work with a different result), this
 * VM's key in place of the saved VM's and the snapshot's keys in every {@code authorized_keys}, a new SSH host key
 * served by the SSH server, and the clone's shared folders mounted. One script over one channel of the session
 * logged in with the snapshot's key, run as root.
 *
 * <p>Speed matters here (it is most of a clone's create): OpenSSH's new host key is made on the host (an
 * {@code ssh-keygen} in a TCG guest takes about a second) and pushed, and sshd is sent {@code SIGHUP} (it re-executes
 * itself and reads its keys again) as the first thing, so its restart overlaps the rest of the script; the script
 * ends only once a new listening socket exists, that is once the server that will answer the next login holds the
 * new key. The key's fingerprint is returned so that the caller pins it <em>before</em> that login: no later
 * connection can meet (and pin) the old, shared host key. Dropbear (the busybox test image) makes its new key in the
 * guest and the script prints it.
 */
public final class GuestIdentity {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String HOST_KEY = "hostkey=";
    /** Linux's free page reporting threshold (an order of pages), lowered while a ready snapshot is saved. */
    public static final String PAGE_REPORTING_ORDER = "/sys/module/page_reporting/parameters/page_reporting_order";
    /** Where the save keeps the threshold it lowered. */
    public static final String SAVED_PAGE_REPORTING_ORDER = "/run/vboxmcp-page-reporting-order";
    /** Shell: sets the threshold back if the save lowered it (builtins only). */
    public static final String RESET_PAGE_REPORTING = "if [ -r " + SAVED_PAGE_REPORTING_ORDER + " ] && read -r po < "
            + SAVED_PAGE_REPORTING_ORDER + " && [ -w " + PAGE_REPORTING_ORDER + " ]; then echo \"$po\" > "
            + PAGE_REPORTING_ORDER + " || true; fi";
    /** The phase mark printed once the server with the new key listens. */
    private static final String SERVING = "sshd=";

    /**
     * What the reset sets.
     *
     * @param hostname   the clone's hostname
     * @param instanceId the clone's cloud-init instance id (its seed's)
     * @param newKey     the clone's own {@code authorized_keys} line
     * @param oldKeys    the lines to remove (the saved VM's key, the snapshot's login key)
     * @param mounts     shell commands that mount the clone's shared folders, run last
     */
    public record Request(String hostname, String instanceId, String newKey, List<String> oldKeys, List<String> mounts) { }

    /**
     * What the reset did.
     *
     * @param hostKeyFingerprint the clone's new SSH host key ({@code SHA256:...}): pin it before connecting again
     * @param phases             the guest's uptime at each phase ({@code phase=seconds ...}), for the progress events
     */
    public record Outcome(String hostKeyFingerprint, String phases) { }

    /** Runs one script as root in the guest: an SSH session's {@code runScript}, or the {@link IdentityAgent}. */
    @FunctionalInterface
    public interface Runner {
        /**
         * @param script  a POSIX shell script
         * @param timeout how long it may run
         * @param lines   receives each line of its output as it arrives, on an I/O thread
         * @return its exit status and output
         * @throws VboxmcpException {@code TIMEOUT} if the guest did not finish in time or the channel was lost
         */
        ExecResult run(byte[] script, Duration timeout, java.util.function.Consumer<String> lines) throws VboxmcpException;
    }

    private GuestIdentity() {
    }

    /**
     * @param guest   runs the script as root: a session logged in with the snapshot's login key, or the identity agent
     * @param serving called once, with the new host key's fingerprint, as soon as the SSH server that holds it
     *                listens (while the script goes on with the mounts and {@code sync}), on an I/O thread: it must
     *                not block
     * @throws VboxmcpException {@code PROVISIONING} if the reset failed in the guest
     */
    public static Outcome reset(Runner guest, Request request, java.util.function.Consumer<String> serving)
            throws VboxmcpException {
        KeyPair hostKey;
        String privateKey;
        String publicKey;
        try {
            hostKey = SshKeys.newEd25519();
            privateKey = new String(SshKeys.openSshPrivateKey(hostKey, "root@" + request.hostname()),
                    StandardCharsets.US_ASCII);
            publicKey = PublicKeyEntry.toString(hostKey.getPublic()) + " root@" + request.hostname();
        } catch (IOException | GeneralSecurityException e) {
            throw new VboxmcpException(ErrorCode.INTERNAL, "could not make the clone's host key: " + e.getMessage(), e);
        }
        String script = script(request, Instant.now().getEpochSecond(), hex(64), hex(16), privateKey, publicKey);
        java.util.concurrent.atomic.AtomicReference<String> printed = new java.util.concurrent.atomic.AtomicReference<>();
        ExecResult r = guest.run(script.getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(60), line -> {
            if (line.startsWith(HOST_KEY)) {
                printed.set(line.substring(HOST_KEY.length()));
            } else if (line.startsWith(SERVING)) {
                try {
                    serving.accept(SshKeys.fingerprint(printed.get() == null ? hostKey.getPublic()
                            : parse(printed.get())));
                } catch (VboxmcpException e) {
                    // reported again below, when the whole output is read
                }
            }
        });
        if (r.exitCode() != 0) {
            throw new VboxmcpException(ErrorCode.PROVISIONING, "could not give the restored clone its own identity (exit "
                    + r.exitCode() + "): " + (r.stderr() + r.stdout()).strip());
        }
        PublicKey served = hostKey.getPublic();
        List<String> phases = new ArrayList<>();
        for (String line : r.stdout().strip().split("\n")) {
            if (line.startsWith(HOST_KEY)) {
                served = parse(line.substring(HOST_KEY.length()));
            } else if (!line.isBlank()) {
                phases.add(line.strip());
            }
        }
        return new Outcome(SshKeys.fingerprint(served), String.join(" ", phases));
    }

    private static PublicKey parse(String line) throws VboxmcpException {
        try {
            return PublicKeyEntry.parsePublicKeyEntry(line.strip()).resolvePublicKey(null, Map.of(), null);
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw new VboxmcpException(ErrorCode.PROVISIONING, "the clone's new host key is unreadable: " + line, e);
        }
    }

    private static String hex(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /**
     * The reset as one POSIX shell script (busybox ash and dash both run it), with as few programs started as can be:
     * every one costs its code's translation under TCG.
     */
    static String script(Request q, long now, String seed, String machineId, String privateKey, String publicKey) {
        StringBuilder old = new StringBuilder();
        for (String k : q.oldKeys()) {
            String[] f = k.trim().split("\\s+");
            if (f.length >= 2) {
                old.append(old.isEmpty() ? "" : "|").append("*").append(quote(f[1])).append("*");  // the key blob
            }
        }
        String oldPattern = old.isEmpty() ? "''" : old.toString();
        String h = quote(q.hostname());
        String iid = quote(q.instanceId());
        List<String> s = new ArrayList<>(List.of(
                "set -e",
                "umask 077",
                "export PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                "mark() { read -r up _ < /proc/uptime; printf '%s=%s\\n' \"$1\" \"$up\"; }",
                // the inode of the socket listening on port 22: a new one means a new server with the new key
                "listener() { for t in /proc/net/tcp /proc/net/tcp6; do [ -r $t ] || continue;"
                        + " while read -r _ l _ st _ _ _ _ _ ino _; do"
                        + " if [ \"$st\" = 0A ]; then case $l in *:0016) echo \"$ino\"; return;; esac; fi;"
                        + " done < $t; done; true; }",
                "served=",
                "mark start",
                // keys first: the SSH server's restart then overlaps everything else
                // in every authorized_keys holding one of the old keys: those lines out, the clone's key in; in
                // place (owner and mode stay), by the shell alone
                "while IFS=: read -r _ _ _ _ _ home _; do f=\"$home/.ssh/authorized_keys\";"
                        + " [ -f \"$f\" ] && [ ! -L \"$f\" ] || continue; kept=; hit=;"
                        + " while IFS= read -r l || [ -n \"$l\" ]; do case $l in " + oldPattern + ") hit=1;;"
                        + " *) kept=\"$kept$l\n\";; esac; done < \"$f\";"
                        + " [ -n \"$hit\" ] || continue;"
                        + " printf '%s%s\\n' \"$kept\" " + quote(q.newKey()) + " > \"$f\"; done < /etc/passwd",
                "old=$(listener)",
                "if [ -z \"$old\" ]; then echo 'nothing listens on port 22 in the guest' >&2; exit 4; fi",
                "if [ -f /etc/ssh/sshd_config ]; then",
                "  rm -f /etc/ssh/ssh_host_*key /etc/ssh/ssh_host_*key.pub",
                "  printf '%s\\n' " + quote(privateKey.strip()) + " > /etc/ssh/ssh_host_ed25519_key",
                "  umask 022; printf '%s\\n' " + quote(publicKey) + " > /etc/ssh/ssh_host_ed25519_key.pub; umask 077",
                // OpenSSH before 9.8 re-executes itself for every connection, and that process reads the host
                // keys from disk: the next login meets the new key without a restart. From 9.8 on, sshd-session
                // gets the keys from the listener, which must re-read them (SIGHUP): the listener is found by its
                // pid file, else as the sshd whose parent is init (socket activation: none, and each connection's
                // sshd reads the keys anew)
                "  if [ -e /usr/lib/openssh/sshd-session ] || [ -e /usr/libexec/openssh/sshd-session ]"
                        + " || [ -e /usr/libexec/sshd-session ] || [ -e /usr/lib/ssh/sshd-session ]; then",
                "  pid=; [ -r /run/sshd.pid ] && read -r pid < /run/sshd.pid || true",
                "  if [ -z \"$pid\" ]; then for p in $(pidof sshd || true); do"
                        + " read -r _ _ _ pp _ < /proc/$p/stat; if [ \"$pp\" = 1 ]; then pid=$p; fi; done; fi",
                "  if [ -n \"$pid\" ]; then kill -HUP \"$pid\"; else old=none; fi",
                "  else old=none; served=1; mark sshd; fi",
                "elif [ -d /etc/dropbear ] && command -v dropbearkey >/dev/null 2>&1; then",
                "  rm -f /etc/dropbear/dropbear_*_host_key",
                "  dropbearkey -t ed25519 -f /etc/dropbear/dropbear_ed25519_host_key 2>/dev/null"
                        + " | while read -r l; do case $l in ssh-ed25519\\ *) echo \"" + HOST_KEY + "$l\";; esac; done",
                // the listener is init's child; its sessions (this one) are the listener's and survive it
                "  for p in $(pidof dropbear || true); do read -r _ _ _ pp _ < /proc/$p/stat;"
                        + " if [ \"$pp\" = 1 ]; then kill $p; fi; done",
                "else echo 'no OpenSSH or dropbear server found' >&2; exit 3; fi",
                "mark keys",
                // the clock after the keys: date is the script's first program, and the next login waits for the keys
                "date -u -s @" + now + " >/dev/null 2>&1 || true",
                "printf %s " + quote(seed) + " > /dev/urandom",
                "if [ -f /etc/machine-id ]; then printf '%s\\n' " + machineId + " > /etc/machine-id; fi",
                "if [ -f /var/lib/dbus/machine-id ] && [ ! -L /var/lib/dbus/machine-id ]; then"
                        + " printf '%s\\n' " + machineId + " > /var/lib/dbus/machine-id; fi",
                "printf '%s\\n' " + h + " > /etc/hostname; printf %s " + h + " > /proc/sys/kernel/hostname",
                "hosts=; while IFS= read -r l || [ -n \"$l\" ]; do case $l in 127.0.1.1[[:space:]]*) ;;"
                        + " *) hosts=\"$hosts$l\n\";; esac; done < /etc/hosts;"
                        + " printf '%s127.0.1.1 %s\\n' \"$hosts\" " + h + " > /etc/hosts",
                // busybox test image: its cloud-init keeps the instance id in one file
                "if [ -f /var/lib/cloud/instance-id ]; then printf '%s\\n' " + iid + " > /var/lib/cloud/instance-id; fi",
                // cloud-init: the saved instance's state becomes the clone's (its per-instance semaphores included)
                "if [ -d /var/lib/cloud/data ]; then old_iid=; read -r old_iid < /var/lib/cloud/data/instance-id || true;"
                        + " if [ -n \"$old_iid\" ] && [ -d \"/var/lib/cloud/instances/$old_iid\" ]; then"
                        + " mv \"/var/lib/cloud/instances/$old_iid\" /var/lib/cloud/instances/" + iid + ";"
                        + " ln -sfn /var/lib/cloud/instances/" + iid + " /var/lib/cloud/instance; fi;"
                        + " printf '%s\\n' " + iid + " > /var/lib/cloud/data/instance-id;"
                        + " printf '%s\\n' " + iid + " > /var/lib/cloud/data/previous-instance-id; fi",
                RESET_PAGE_REPORTING,
                "mark ids",
                // until a new listener runs, the next login could meet the old, shared host key (and fail its pin)
                "if [ \"$old\" != none ]; then n=0; new=$(listener);"
                        + " while { [ -z \"$new\" ] || [ \"$new\" = \"$old\" ]; } && [ $n -lt 1000 ]; do"
                        + " n=$((n+1)); sleep 0.01; new=$(listener); done;"
                        + " if [ -z \"$new\" ] || [ \"$new\" = \"$old\" ]; then"
                        + " echo 'the SSH server did not come back with its new host key' >&2; exit 4; fi;"
                        + " fi",
                "[ -n \"$served\" ] || mark sshd"));
        for (String mount : q.mounts()) {
            s.add(mount);
        }
        if (!q.mounts().isEmpty()) {
            s.add("mark mounts");
        }
        s.add("sync");
        s.add("mark sync");
        return String.join("\n", s) + "\n";
    }
}

#!/usr/bin/env bash
# Starts virtlogd and libvirtd without systemd (CI containers, our build machine) for the libvirt driver's tests,
# and lets libvirt's QEMU run as root so that 9p shared folders under the tests' private temp folders (mode 0700,
# owned by the test user) are readable. Idempotent: daemons already answering are left alone. Run as root.
# Afterwards `virsh -c qemu:///system version` answers.
set -euo pipefail
conf=/etc/libvirt/qemu.conf
changed=0
for kv in 'user = "root"' 'group = "root"'; do
  key=${kv%% *}
  if ! grep -qxF "$kv" "$conf"; then
    sed -i "/^#\?${key} = /d" "$conf"
    echo "$kv" >> "$conf"
    changed=1
  fi
done
pid_of() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
pid_of /run/virtlogd.pid || virtlogd -d
if pid_of /run/libvirtd.pid && [ "$changed" = 1 ]; then
  kill "$(cat /run/libvirtd.pid)"
  for _ in $(seq 1 50); do pid_of /run/libvirtd.pid || break; sleep 0.1; done
fi
pid_of /run/libvirtd.pid || libvirtd -d
for _ in $(seq 1 100); do
  if virsh -q -c qemu:///system version >/dev/null 2>&1; then exit 0; fi
  sleep 0.1
done
echo "libvirtd did not answer on qemu:///system within 10 s" >&2
exit 1

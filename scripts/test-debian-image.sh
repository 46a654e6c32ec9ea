#!/usr/bin/env bash
# Smoke test of the vboxmcp Debian 12 image under raw QEMU (no vboxmcp code): the baseline for benchmarks.
#
#   scripts/test-debian-image.sh [--bios | --uefi] [--apt-mirror DIR]
#
# Builds (or reuses) the image with scripts/build-debian-image.sh, then for each firmware (both by default):
# boots a qcow2 overlay (4 GiB, so growpart has room) under TCG with its own boot loader and a NoCloud seed
# (root key login, a sudoer `developer`, hostname: the two shapes of vboxmcp's seed), waits for an SSH login,
# runs `cloud-init status --wait` (must end `status: done`),
# checks that the root file system grew, that the VM made its own machine id and SSH host keys, that no unit
# failed and that the ACPI power button powers it off, and prints seconds from QEMU start to first login and to
# cloud-init done.
# With --apt-mirror DIR (from scripts/build-apt-mirror.sh) the last VM's apt is pointed only at DIR served by
# `python3 -m http.server` on 127.0.0.1, and `apt-get install -y git curl python3-pip` must succeed.
# Everything it starts is stopped on exit; its temporary folder is removed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
firmwares="bios uefi"
mirror_dir=
while [ $# -gt 0 ]; do
  case $1 in
    --bios) firmwares=bios ;;
    --uefi) firmwares=uefi ;;
    --apt-mirror) mirror_dir=${2:?--apt-mirror needs a folder}; shift ;;
    *) echo "usage: $0 [--bios|--uefi] [--apt-mirror DIR]" >&2; exit 2 ;;
  esac
  shift
done
boot_timeout=${VBOXMCP_TEST_BOOT_TIMEOUT:-300}
ovmf_code=/usr/share/OVMF/OVMF_CODE_4M.fd
ovmf_vars=/usr/share/OVMF/OVMF_VARS_4M.fd

log() { echo "test-debian-image: $*" >&2; }
die() { log "FAIL: $*"; exit 1; }

for tool in qemu-system-x86_64 qemu-img genisoimage ssh ssh-keygen python3; do
  command -v "$tool" >/dev/null || die "missing host tool: $tool (run scripts/install-deps.sh)"
done
if [ -n "$mirror_dir" ]; then
  [ -f "$mirror_dir/dists/bookworm/InRelease" ] && [ -f "$mirror_dir/mirror-key.gpg" ] \
    || die "$mirror_dir is not a mirror made by scripts/build-apt-mirror.sh"
  mirror_dir=$(cd "$mirror_dir" && pwd)
fi

image_dir=$("$here/build-debian-image.sh" --print-dir)
disk=$image_dir/disk.qcow2
[ -f "$disk" ] || die "no disk in $image_dir"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vboxmcp-debian-test.XXXXXX")
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

ssh-keygen -q -t ed25519 -N '' -C vboxmcp-test -f "$tmp/id"
mkdir "$tmp/seed"
cat > "$tmp/seed/user-data" <<EOF
#cloud-config
disable_root: false
ssh_authorized_keys:
  - $(cat "$tmp/id.pub")
hostname: vboxmcp-debian-test
users:
  - default
  - name: developer
    sudo: ALL=(ALL) NOPASSWD:ALL
    ssh_authorized_keys:
      - $(cat "$tmp/id.pub")
EOF
printf 'instance-id: vboxmcp-test-%s\nlocal-hostname: vboxmcp-debian-test\n' "$RANDOM" > "$tmp/seed/meta-data"
genisoimage -quiet -output "$tmp/seed.iso" -volid cidata -joliet -rock "$tmp/seed/user-data" "$tmp/seed/meta-data"

port=
vm() { ssh -i "$tmp/id" -p "$port" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
         -o BatchMode=yes -o ConnectTimeout=5 root@127.0.0.1 "$@"; }
elapsed() { python3 -c "import time; print(f'{time.monotonic() - $1:.1f}')"; }
now() { python3 -c 'import time; print(time.monotonic())'; }

apt_install_from_mirror() {
  local http_port t0 out
  http_port=$(free_port)
  python3 -m http.server --bind 127.0.0.1 "$http_port" --directory "$mirror_dir" >"$tmp/http.log" 2>&1 &
  pids+=($!)
  vm 'mkdir -p /etc/apt/keyrings && cat > /etc/apt/keyrings/mirror.gpg' < "$mirror_dir/mirror-key.gpg"
  vm "rm -f /etc/apt/sources.list /etc/apt/sources.list.d/* &&
      echo 'deb [signed-by=/etc/apt/keyrings/mirror.gpg] http://10.0.2.2:$http_port/ bookworm main' > /etc/apt/sources.list.d/mirror.list"
  t0=$(now)
  out=$(vm 'export DEBIAN_FRONTEND=noninteractive; apt-get update -q && apt-get install -y -q git curl python3-pip' 2>&1) \
    || { printf '%s\n' "$out" | tail -n 30 >&2; die "apt-get install from the mirror failed"; }
  printf '%s\n' "$out" | grep -q '^W: ' && { printf '%s\n' "$out" | grep '^W: ' >&2; die "apt warned (unsigned or partial mirror?)"; }
  vm 'git --version && curl --version | head -n 1 && pip3 --version' >&2 || die "installed tools do not run"
  log "apt-get update + install git curl python3-pip from the mirror: $(elapsed "$t0") s"
}

boot() { # bios|uefi
  local fw=$1 overlay=$tmp/$1.qcow2 console=$tmp/$1-console.log qemu_pid t0 t_login status fwargs=()
  port=$(free_port)
  qemu-img create -q -f qcow2 -F qcow2 -b "$disk" "$overlay" 4G
  if [ "$fw" = uefi ]; then
    cp "$ovmf_vars" "$tmp/uefi-vars.fd"
    fwargs=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=$ovmf_code"
            -drive "if=pflash,format=raw,unit=1,file=$tmp/uefi-vars.fd")
  fi
  t0=$(now)
  qemu-system-x86_64 -machine q35,accel=tcg -cpu max -m 1024 -smp 2 -display none -monitor "unix:$tmp/$fw.monitor,server=on,wait=off" \
    -serial "file:$console" "${fwargs[@]}" \
    -drive "file=$overlay,format=qcow2,if=virtio" \
    -drive "file=$tmp/seed.iso,format=raw,if=virtio,readonly=on" \
    -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:22" -device virtio-net-pci,netdev=n0 \
    -device virtio-rng-pci &
  qemu_pid=$!
  pids+=("$qemu_pid")
  until vm true 2>/dev/null; do
    kill -0 "$qemu_pid" 2>/dev/null || { tail -n 30 "$console" >&2; die "$fw: QEMU exited before SSH login"; }
    [ "$(elapsed "$t0" | cut -d. -f1)" -lt "$boot_timeout" ] || { tail -n 30 "$console" >&2; die "$fw: no SSH login within $boot_timeout s"; }
    sleep 1 # polling interval, not a wait for success
  done
  t_login=$(elapsed "$t0")
  status=$(vm cloud-init status --wait 2>&1 | tail -n 1) || true
  local t_done; t_done=$(elapsed "$t0")
  [ "$status" = "status: done" ] || { vm 'cloud-init status --long; grep -iE "error|warn" /var/log/cloud-init.log | tail -n 20' >&2 || true; die "$fw: cloud-init ended '$status'"; }
  log "$fw: first SSH login after $t_login s, cloud-init done after $t_done s (from QEMU start)"
  # the VM made its own identity and grew its root file system to the overlay's 4 GiB
  vm 'test -s /etc/machine-id && test -s /etc/ssh/ssh_host_ed25519_key.pub' || die "$fw: no machine id or host key"
  local root_kb; root_kb=$(vm "df -k --output=size / | tail -n 1" | tr -d ' ')
  [ "$root_kb" -gt $((3 * 1024 * 1024)) ] || die "$fw: root file system did not grow ($root_kb KiB)"
  [ "$(vm hostname)" = vboxmcp-debian-test ] || die "$fw: hostname from the seed not set"
  vm 'getent hosts vboxmcp-debian-test' >/dev/null || die "$fw: /etc/hosts does not name the VM's hostname"
  # the seed's second shape (vboxmcp with a non-root user): a sudoer logging in with the same key
  ssh -i "$tmp/id" -p "$port" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
    -o BatchMode=yes developer@127.0.0.1 'sudo -n true' || die "$fw: user developer cannot log in and sudo"
  local failed; failed=$(vm 'systemctl list-units --failed --plain --no-legend' || true)
  [ -z "$failed" ] || die "$fw: failed units: $failed"
  vm 'ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub' | awk '{print $2}' > "$tmp/$fw.hostkey"
  vm 'systemd-analyze 2>/dev/null | head -n 1; systemd-analyze blame 2>/dev/null | head -n 8' >&2 || true
  if [ -n "$mirror_dir" ] && [ "$fw" = "${firmwares##* }" ]; then apt_install_from_mirror; fi
  # stop as vboxmcp's driver does: ACPI power button (QEMU system_powerdown), bounded wait
  local t_stop; t_stop=$(now)
  python3 - "$tmp/$fw.monitor" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1]); s.sendall(b"system_powerdown\n")
seen = b""
while seen.count(b"(qemu)") < 2:  # the banner's prompt, then the prompt after our command ran
    chunk = s.recv(4096)
    if not chunk:
        break
    seen += chunk
s.close()
PY
  local i
  for i in $(seq 1 60); do kill -0 "$qemu_pid" 2>/dev/null || break; sleep 1; done
  kill -0 "$qemu_pid" 2>/dev/null && die "$fw: no power-off within 60 s of the ACPI power button"
  wait "$qemu_pid" 2>/dev/null || true
  log "$fw: powered off $(elapsed "$t_stop") s after the ACPI power button"
  rm -f "$overlay"
}

for fw in $firmwares; do boot "$fw"; done
if [ "$firmwares" = "bios uefi" ] && cmp -s "$tmp/bios.hostkey" "$tmp/uefi.hostkey"; then
  die "two VMs from one image share an SSH host key"
fi
log "OK ($firmwares)"

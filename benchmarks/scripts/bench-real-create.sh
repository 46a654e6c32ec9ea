#!/usr/bin/env bash
# Cold create of a real Debian 12 guest as a user runs it: `./vboxmcp create` of a template on vboxmcp-debian:12
# (systemd + cloud-init, booted by its own boot loader) with a small package group from a local signed apt mirror,
# against a raw `qemu-system-x86_64` boot of the same image (same qcow2 base, overlay size, machine, memory, cpus,
# firmware, devices, NoCloud seed with an ed25519 root key, user networking with a forward) to the same point:
# first SSH login, then `cloud-init status --wait` done (vboxmcp's readiness for a cloud-init guest).
# The CLI's plain progress lines are timestamped as they arrive, so vboxmcp's time to `guest-ready: done` (from
# process start) is reported apart from its provisioning (apt-get update + install from the mirror) and its total.
# Alternating, RUNS each; every run printed with the load average at its start; medians and ratio (issue #10:
# guest-ready / raw cloud-init done <= 1.10). The destroy after each vboxmcp run and the raw shutdown are untimed.
#
#   benchmarks/scripts/bench-real-create.sh [RUNS]        RUNS defaults to 3 (each run takes minutes under TCG)
#   BENCH_LOGS=DIR keeps each create's timestamped progress lines and the raw guests' systemd-analyze there.
#
# Needs the built CLI, scripts/build-debian-image.sh (root the first time), scripts/build-apt-mirror.sh (network to
# a Debian mirror the first time), QEMU, genisoimage, ssh, python3.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=bench-lib.sh
. "$root/benchmarks/scripts/bench-lib.sh"
cli=${BENCH_CLI:-$root/vboxmcp}  # another build's launcher (a copy of the repository) to measure that one
runs=${1:-3}
memory=1024 cpus=2 disk_mb=4096
packages="tree jq"
# the default 180 s ready timeout ran out once at load average 14 (cloud-init still in modules-final)
ready_timeout=${BENCH_READY_TIMEOUT:-600}

catalog=$("$root/scripts/build-debian-image.sh")
image=$(dirname "$catalog")

bench_start real

"$root/scripts/build-apt-mirror.sh" "$tmp/mirror" $packages >/dev/null
http_port=$(bench_free_port)
python3 -m http.server --bind 127.0.0.1 "$http_port" --directory "$tmp/mirror" >"$tmp/http.log" 2>&1 &
pids+=($!)

mkdir "$tmp/bench-debian"
cat > "$tmp/bench-debian/template-definition.yaml" <<EOF
name: "bench-debian"
version: "1.0.0"
description: "benchmarks/scripts/bench-real-create.sh: Debian 12 with a small package group from a local mirror"
base_image: "vboxmcp-debian:12"
min_ram: $memory
min_cores: $cpus
packages:
  system: [$(echo "$packages" | sed 's/ /, /g')]
EOF
"$cli" --home "$home" -q install "$tmp/bench-debian" >/dev/null
# the image in the VM home's cache, as a user's second create finds it (download and digest are not the subject)
"$cli" --home "$home" -q images pull vboxmcp-debian:12 --image-catalog "$catalog" >/dev/null
# a verification record made within 2 s of the file's ctime is not trusted (docs/image-catalog.md, "racily
# clean"), so the first create would hash the 718 MiB disk once more; a second pull after that window records it
sleep 2.1
"$cli" --home "$home" -q images pull vboxmcp-debian:12 --image-catalog "$catalog" >/dev/null

# NAME: one whole `vboxmcp create`; every progress line prefixed with seconds since the process started
vbox_create() {
  local t0; t0=$(bench_now)
  set +e
  "$cli" --home "$home" create "$1" --template bench-debian --version 1.0.0 --memory "$memory" \
    --cpus "$cpus" --disk-size "$disk_mb" --image-catalog "$catalog" --ready-timeout "$ready_timeout" \
    --apt-mirror "http://10.0.2.2:$http_port/" --apt-suite bookworm --apt-key "$tmp/mirror/mirror-key.asc" 2>&1 |
    while IFS= read -r line; do printf '%s %s\n' "$(bench_since "$t0")" "$line"; done > "$tmp/$1.log"
  local rc=${PIPESTATUS[0]}
  set -e
  echo "$(bench_since "$t0") exit $rc" >> "$tmp/$1.log"
  [ "$rc" = 0 ] || { cat "$tmp/$1.log" >&2; exit 1; }
}
at() { awk -v p="$2" 'index($0, p) { print $1; exit }' "$tmp/$1.log"; }          # NAME PREFIX: arrival time
step() { sed -n "s/^[0-9.]* $2: done in \([0-9.]*\)s.*/\1/p" "$tmp/$1.log" | head -n 1; }

ssh-keygen -q -t ed25519 -N '' -C vboxmcp-bench -f "$tmp/id"
# prints "LOGIN_S CLOUD_INIT_DONE_S" from the start of the raw run
raw_boot() {
  local dir=$tmp/raw port t0 tl status qemu_pid
  rm -rf "$dir"; mkdir "$dir"
  port=$(bench_free_port)
  t0=$(bench_now)
  qemu-img create -q -f qcow2 -b "$image/disk.qcow2" -F qcow2 "$dir/disk.qcow2" "${disk_mb}M"
  printf 'instance-id: iid-raw-%s\nlocal-hostname: raw\n' "$RANDOM$RANDOM" > "$dir/meta-data"
  printf '#cloud-config\nhostname: raw\ndisable_root: false\nssh_authorized_keys:\n  - "%s"\n' "$(cat "$tmp/id.pub")" > "$dir/user-data"
  genisoimage -quiet -output "$dir/seed.iso" -volid cidata -joliet -rock "$dir/user-data" "$dir/meta-data"
  # the devices vboxmcp's QEMU driver gives a disk-booting BIOS guest (see a VM's qemu.log)
  qemu-system-x86_64 -nodefaults -no-user-config -display none -machine q35,accel=tcg -m "$memory" -smp "$cpus" \
    -drive "file=$dir/disk.qcow2,if=virtio,format=qcow2,discard=unmap" \
    -drive "file=$dir/seed.iso,if=virtio,format=raw,readonly=on" \
    -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:22" -device virtio-net-pci,netdev=n0 -device virtio-rng-pci \
    -serial "file:$dir/console.log" >"$dir/qemu.log" 2>&1 &
  qemu_pid=$!
  echo "$qemu_pid" > "$tmp/raw.pid"
  vm() { ssh -i "$tmp/id" -p "$port" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
           -o BatchMode=yes -o ConnectTimeout=5 root@127.0.0.1 "$@"; }
  until vm true 2>/dev/null; do
    kill -0 "$qemu_pid" 2>/dev/null || { tail -n 20 "$dir/console.log" >&2; echo "raw QEMU exited" >&2; exit 1; }
    sleep 0.25
  done
  tl=$(bench_since "$t0")
  status=$(vm cloud-init status --wait 2>&1 | tail -n 1) || true
  [ "$status" = "status: done" ] || { echo "raw: cloud-init ended '$status'" >&2; exit 1; }
  echo "$tl $(bench_since "$t0")"
  [ -z "${BENCH_LOGS:-}" ] || vm 'systemd-analyze; systemd-analyze blame | head -n 12' > "$BENCH_LOGS/raw-$(date +%s).analyze" 2>&1 || true
  kill "$qemu_pid"; wait "$qemu_pid" 2>/dev/null || true; rm -f "$tmp/raw.pid"
}

bench_header "QEMU $(qemu-system-x86_64 --version | head -n 1 | awk '{ print $4 }'), TCG, -m $memory -smp $cpus, vboxmcp-debian:12 (BIOS), packages: $packages"
echo "# command: benchmarks/scripts/bench-real-create.sh $runs"
tr=; tp=; tt=; tl=; td=
for i in $(seq 1 "$runs"); do
  l1=$(bench_load); vbox_create "deb$i"
  r=$(at "deb$i" "guest-ready: done"); p=$(step "deb$i" provision); t=$(at "deb$i" "exit 0")
  [ -z "${BENCH_LOGS:-}" ] || cp "$tmp/deb$i.log" "$BENCH_LOGS/"
  "$cli" --home "$home" -q destroy "deb$i" >/dev/null
  l2=$(bench_load); read -r lg dn < <(raw_boot)
  tr="$tr $r"; tp="$tp $p"; tt="$tt $t"; tl="$tl $lg"; td="$td $dn"
  echo "run $i: vboxmcp (load $l1) guest-ready at $r s, provision ${p} s, exit at $t s | raw qemu (load $l2): first login $lg s, cloud-init done $dn s"
done
bench_summary "vboxmcp guest-ready" "raw qemu cloud-init done" "$tr" "$td"
echo "median raw qemu first login: $(bench_median $tl) s"
echo "median vboxmcp provisioning ($packages from the mirror, apt-get update included): $(bench_median $tp) s; whole create: $(bench_median $tt) s"

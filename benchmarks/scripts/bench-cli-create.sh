#!/usr/bin/env bash
# Cold create as a user runs it: `./vboxmcp create` of a minimal template (no packages, no scripts) on the busybox
# test image (vboxmcp-test:1), timed as a whole process from its start to its exit with the VM ready, against a raw
# `qemu-system-x86_64` boot of the same image (same kernel, initrd, kernel arguments, qcow2 overlay on the same
# base disk, NoCloud seed with an ed25519 key, memory, cpus, machine, accel, user networking with a forward) timed
# from the start of its overlay to (a) the SSH banner and (b) an SSH login that ran a command (vboxmcp's
# readiness: an SSH session that runs `cloud-init status --wait` or finds no cloud-init). Alternating, RUNS each;
# every run printed with the load average at its start, then medians, ratios and the worst vboxmcp run against
# its median (issue #13: ratio <= 1.15, no run over 1.5x the median). The destroy after each vboxmcp run and the
# raw VM's shutdown are not timed.
#
#   benchmarks/scripts/bench-cli-create.sh [RUNS]        RUNS defaults to 5
#
# Needs the built CLI (mvn -B -ntp -DskipTests package), QEMU, genisoimage, ssh, python3. The KVM probe's
# answer is cached per host boot (docs/qemu.md); a first create after a reboot pays for the probe, so one untimed
# warm-up create runs first (it also fills the VM home's image cache, as a user's second create would find it).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=bench-lib.sh
. "$root/benchmarks/scripts/bench-lib.sh"
cli=${BENCH_CLI:-$root/vboxmcp}  # another build's launcher (a copy of the repository) to measure that one
runs=${1:-5}
memory=256 cpus=1

catalog=$("$root/scripts/build-test-image.sh")
image=$(dirname "$catalog")
kernel_args=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["images"][0]["kernelArgs"])' "$catalog")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vboxmcp-bench-create.XXXXXX")
home=$tmp/home
trap 'bench_cleanup "$cli" "$home" "$tmp"' EXIT
trap 'exit 130' INT TERM

mkdir "$tmp/bench-min"
cat > "$tmp/bench-min/template-definition.yaml" <<'EOF'
name: "bench-min"
version: "1.0.0"
description: "Minimal template of benchmarks/scripts/bench-cli-create.sh: no packages, no scripts"
base_image: "vboxmcp-test:1"
min_ram: 256
min_cores: 1
EOF
"$cli" --home "$home" -q install "$tmp/bench-min" >/dev/null

vbox_create() { # NAME: one whole `vboxmcp create`, plain progress lines kept in $tmp/NAME.log
  "$cli" --home "$home" create "$1" --template bench-min --version 1.0.0 --memory "$memory" \
    --cpus "$cpus" --image-catalog "$catalog" >"$tmp/$1.log" 2>&1 || { cat "$tmp/$1.log" >&2; exit 1; }
}
vbox_destroy() { "$cli" --home "$home" -q destroy "$1" >/dev/null; }
step_time() { sed -n "s/^$2: done in \([0-9.]*\)s.*/\1/p" "$tmp/$1.log" | head -n 1; }

ssh-keygen -q -t ed25519 -N '' -C vboxmcp-bench -f "$tmp/id"
# prints "BANNER_S LOGIN_S" from the start of the raw run
raw_boot() {
  local dir=$tmp/raw port t0 tb qemu_pid
  rm -rf "$dir"; mkdir "$dir"
  port=$(bench_free_port)
  t0=$(bench_now)
  qemu-img create -q -f qcow2 -b "$image/disk.qcow2" -F qcow2 "$dir/disk.qcow2" 512M
  printf 'instance-id: iid-raw-%s\nlocal-hostname: raw\n' "$RANDOM$RANDOM" > "$dir/meta-data"
  printf '#cloud-config\nhostname: raw\ndisable_root: false\nssh_authorized_keys:\n  - "%s"\n' "$(cat "$tmp/id.pub")" > "$dir/user-data"
  genisoimage -quiet -output "$dir/seed.iso" -volid cidata -joliet -rock "$dir/user-data" "$dir/meta-data"
  qemu-system-x86_64 -nodefaults -no-user-config -display none -machine q35,accel=tcg -m "$memory" -smp "$cpus" \
    -kernel "$image/vmlinuz" -initrd "$image/initrd.img" -append "$kernel_args" \
    -drive "file=$dir/disk.qcow2,if=virtio,format=qcow2" -drive "file=$dir/seed.iso,if=virtio,format=raw,readonly=on" \
    -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:22" -device virtio-net-pci,netdev=n0 -device virtio-rng-pci \
    -serial "file:$dir/console.log" >"$dir/qemu.log" 2>&1 &
  qemu_pid=$!
  echo "$qemu_pid" > "$tmp/raw.pid"
  # the banner: a fresh TCP connection every 250 ms, each waiting at most 1 s for "SSH-"
  python3 - "$port" <<'PY'
import socket, sys, time
deadline = time.monotonic() + 300
while time.monotonic() < deadline:
    try:
        with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1) as s:
            s.settimeout(1)
            if s.recv(4).startswith(b"SSH-"):
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.25)
sys.exit(1)
PY
  tb=$(bench_since "$t0")
  until ssh -i "$tmp/id" -p "$port" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
          -o BatchMode=yes -o ConnectTimeout=5 root@127.0.0.1 true 2>/dev/null; do
    sleep 0.25
  done
  echo "$tb $(bench_since "$t0")"
  kill "$qemu_pid"; wait "$qemu_pid" 2>/dev/null || true; rm -f "$tmp/raw.pid"
}

vbox_create warmup; vbox_destroy warmup
bench_header "QEMU $(qemu-system-x86_64 --version | head -n 1 | awk '{ print $4 }'), TCG, -m $memory -smp $cpus, busybox test image"
echo "# command: benchmarks/scripts/bench-cli-create.sh $runs"
tv=; tb=; tl=; tg=
for i in $(seq 1 "$runs"); do
  l1=$(bench_load); t=$(bench_now); vbox_create "bench$i"; v=$(bench_since "$t")
  g=$(step_time "bench$i" guest-ready); s=$(step_time "bench$i" qemu.start)
  vbox_destroy "bench$i"
  l2=$(bench_load); read -r b lg < <(raw_boot)
  tv="$tv $v"; tb="$tb $b"; tl="$tl $lg"; tg="$tg $g"
  echo "run $i: vboxmcp create $v s (load $l1; qemu.start ${s}s, guest-ready ${g}s) | raw qemu (load $l2): banner $b s, login $lg s"
done
bench_summary "vboxmcp create" "raw qemu to login" "$tv" "$tl"
echo "median raw qemu to banner: $(bench_median $tb) s (vboxmcp create / banner: $(bench_ratio "$(bench_median $tv)" "$(bench_median $tb)"))"
echo "median vboxmcp guest-ready step: $(bench_median $tg) s"

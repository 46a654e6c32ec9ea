#!/usr/bin/env bash
# Ready snapshots as a user runs them (issue #13): `./vboxmcp create --snapshot reuse` restoring a clone of a
# provisioned real Debian 12 guest, against a cold `./vboxmcp create --snapshot never` of the same template, both
# whole processes to the same point (the command returns: SSH login done, cloud-init done, provisioned), alternating.
# The template: vboxmcp-debian:12 (systemd, cloud-init, OpenSSH) with a package group from a local signed apt
# mirror, so the cold side provisions (apt-get update + install) and the clone has it already. One untimed
# `--snapshot refresh` create saves the snapshot first. Every run is printed with the load average at its start and
# the clone's step times; then the medians, the ratio and the issue's target (clone create-to-ready <= 3 s).
#
#   benchmarks/scripts/bench-snapshot.sh [RUNS]           RUNS defaults to 3 (each cold run takes minutes under TCG)
#   BENCH_MEMORY=MB (default 1024)  BENCH_PACKAGES="..." (default "tree jq")
#
# Needs the built CLI, scripts/build-debian-image.sh (root the first time), scripts/build-apt-mirror.sh, QEMU.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=bench-lib.sh
. "$root/benchmarks/scripts/bench-lib.sh"
cli=${BENCH_CLI:-$root/vboxmcp}
runs=${1:-3}
memory=${BENCH_MEMORY:-1024} cpus=2 disk_mb=4096
packages=${BENCH_PACKAGES:-tree jq}

bench_debian_setup vboxmcp-bench-snapshot bench-snap \
  "benchmarks/scripts/bench-snapshot.sh: Debian 12 with a package group from a local mirror"

# NAME POLICY: one whole `vboxmcp create`, its progress lines kept; prints the seconds it took
create() {
  local t0 rc; t0=$(bench_now)
  set +e
  "$cli" --home "$home" create "$1" --template bench-snap --version 1.0.0 --memory "$memory" --cpus "$cpus" \
    --disk-size "$disk_mb" --image-catalog "$catalog" --ready-timeout 900 --snapshot "$2" \
    "${mirror_args[@]}" > "$tmp/$1.log" 2>&1
  rc=$?
  set -e
  [ "$rc" = 0 ] || { cat "$tmp/$1.log" >&2; exit 1; }
  bench_since "$t0"
}
step() { sed -n "s/^$2: done in \([0-9.]*\)s.*/\1/p" "$tmp/$1.log" | head -n 1; }

bench_header "QEMU $(qemu-system-x86_64 --version | head -n 1 | awk '{ print $4 }'), TCG, -m $memory -smp $cpus, vboxmcp-debian:12, packages: $packages"
echo "# command: benchmarks/scripts/bench-snapshot.sh $runs"
t=$(create warm refresh)
echo "saving run (untimed for the ratio): cold create + save took $t s; save step $(step warm snapshot) s; $(du -sh "$home/cache/snapshots" | cut -f1) in the cache"
"$cli" --home "$home" -q destroy warm >/dev/null
tc=; tr=
for i in $(seq 1 "$runs"); do
  l1=$(bench_load); c=$(create "cold$i" never)
  "$cli" --home "$home" -q destroy "cold$i" >/dev/null
  l2=$(bench_load); r=$(create "clone$i" reuse)
  grep -q '^restore: done' "$tmp/clone$i.log" || { echo "clone$i did not restore:" >&2; cat "$tmp/clone$i.log" >&2; exit 1; }
  echo "run $i: cold (load $l1) $c s (provision $(step "cold$i" provision) s) | clone (load $l2) $r s:" \
    "restore $(step "clone$i" restore) s, identity $(step "clone$i" identity) s, guest-ready $(step "clone$i" guest-ready) s"
  "$cli" --home "$home" -q destroy "clone$i" >/dev/null
  tc="$tc $c"; tr="$tr $r"
done
bench_summary "clone" "cold" "$tr" "$tc" "create-to-ready (whole process)"
m=$(bench_median $tr)
echo "target: clone create-to-ready <= 3 s: $(awk -v m="$m" 'BEGIN { print (m <= 3 ? "met" : "not met") }') ($m s)"

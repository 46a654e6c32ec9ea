#!/usr/bin/env bash
# Ready snapshots as a user runs them (issue #13): `./vboxmcp create --snapshot reuse` restoring a clone of the
# provisioned real python-dev template (examples/templates/python-dev on debian:12), against a cold
# `./vboxmcp create --snapshot never` of the same template, both whole processes to the same point (the command
# returns: SSH login done, cloud-init done, provisioned, shares mounted), alternating. The image of
# scripts/build-debian-image.sh is served as debian:12 from 127.0.0.1 (as scripts/quickstart.sh does), apt and pip go
# to a local signed apt mirror (git, curl, python3-pip) and a PEP 503 index, so the cold side provisions everything
# the template asks and the clone has it already. One untimed `--snapshot refresh` create saves the snapshot first.
# Every run is printed with the load average at its start and the clone's step times; then the medians, the ratio
# and the issue's target (clone create-to-ready <= 3 s).
#
#   benchmarks/scripts/bench-snapshot.sh [RUNS]           RUNS defaults to 3 (each cold run takes minutes under TCG)
#
# Needs the built CLI, scripts/build-debian-image.sh (root the first time), scripts/build-apt-mirror.sh,
# scripts/build-pip-mirror.sh, QEMU.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=bench-lib.sh
. "$root/benchmarks/scripts/bench-lib.sh"
cli=${BENCH_CLI:-$root/vboxmcp}
runs=${1:-3}
catalog=$("$root/scripts/build-debian-image.sh")
bench_start snapshot

"$root/scripts/build-apt-mirror.sh" "$tmp/apt" git curl python3-pip >/dev/null
"$root/scripts/build-pip-mirror.sh" "$tmp/pip" >/dev/null
serve() {  # DIR VAR: an HTTP server for DIR on a free port of 127.0.0.1, its port in VAR
  local port; port=$(bench_free_port)
  python3 -m http.server --bind 127.0.0.1 "$port" --directory "$1" >"$tmp/http-$port.log" 2>&1 &
  pids+=($!)
  printf -v "$2" %s "$port"
}
serve "$(dirname "$catalog")" image_port; serve "$tmp/apt" apt_port; serve "$tmp/pip" pip_port
python3 - "$catalog" "http://127.0.0.1:$image_port/disk.qcow2" >"$tmp/catalog.json" <<'PY'
import json, sys
built = json.load(open(sys.argv[1]))["images"][0]
print(json.dumps({"catalogVersion": 1, "images": [{"reference": "debian:12", "firmware": built.get("firmware", "any"),
    "description": "vboxmcp-debian:12 built here, served on 127.0.0.1", "disk": dict(built["disk"], url=sys.argv[2])}]}))
PY
mkdir -p "$tmp/projects" "$tmp/datasets"
echo "sepal_length,species" >"$tmp/datasets/iris.csv"
"$cli" --home "$home" -q install "$root/examples/templates/python-dev" >/dev/null
sleep 1  # the servers bind
"$cli" --home "$home" -q images pull debian:12 --image-catalog "$tmp/catalog.json" >/dev/null
sleep 2.1  # see bench-real-create.sh: a verification record needs 2 s past the file's ctime to be trusted
"$cli" --home "$home" -q images pull debian:12 --image-catalog "$tmp/catalog.json" >/dev/null

# NAME POLICY: one whole `vboxmcp create`, its progress lines kept; prints the seconds it took
create() {
  local t0 rc; t0=$(bench_now)
  set +e
  "$cli" --home "$home" create "$1" --template python-dev --version 1.0.0 --image-catalog "$tmp/catalog.json" \
    --ready-timeout 1800 --snapshot "$2" \
    --apt-mirror "http://10.0.2.2:$apt_port/" --apt-suite bookworm --apt-key "$tmp/apt/mirror-key.asc" \
    --pip-index "http://10.0.2.2:$pip_port/simple/" --pip-trusted-host \
    --share code="$tmp/projects" --share datasets="$tmp/datasets" --allow-write code --allow-share-root "$tmp" \
    > "$tmp/$1.log" 2>&1
  rc=$?
  set -e
  [ "$rc" = 0 ] || { cat "$tmp/$1.log" >&2; exit 1; }
  bench_since "$t0"
}
# LOG STEP: the seconds the step took ("done in 12.3s" or "done in 4m22s")
step() { sed -n "s/^$2: done in \([0-9.ms]*\)s .*/\1/p; s/^$2: done in \([0-9.ms]*\)s$/\1/p" "$tmp/$1.log" | head -n 1 |
  awk -F'm' '{ if (NF == 2) printf "%.1f\n", $1 * 60 + $2; else print $1 }'; }

bench_header "QEMU $(qemu-system-x86_64 --version | head -n 1 | awk '{ print $4 }'), TCG, python-dev@1.0.0 (-m 2048 -smp 2) on vboxmcp-debian:12 as debian:12"
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
    "restore $(step "clone$i" restore) s, identity $(step "clone$i" identity) s, guest-ready $(step "clone$i" guest-ready) s;" \
    "$(grep -m1 'qemu.restore: done' "$tmp/clone$i.log" | sed 's/.*resumed //'); $(grep -m1 -e 'logged in to the clone' -e 'through the identity agent' "$tmp/clone$i.log" | sed 's/^identity: //'); $(grep -m1 'identity reset' "$tmp/clone$i.log" | sed 's/.*(guest uptime at each phase: /guest uptime /; s/)$//')"
  "$cli" --home "$home" -q destroy "clone$i" >/dev/null
  tc="$tc $c"; tr="$tr $r"
done
bench_summary "clone" "cold" "$tr" "$tc" "create-to-ready (whole process)"
m=$(bench_median $tr)
echo "target: clone create-to-ready <= 3 s: $(awk -v m="$m" 'BEGIN { print (m <= 3 ? "met" : "not met") }') ($m s)"

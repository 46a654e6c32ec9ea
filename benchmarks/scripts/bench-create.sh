#!/usr/bin/env bash
# VM creation benchmark: create-to-ready time of the vboxmcp QEMU driver against a raw qemu-system-x86_64 boot of
# the same test image to the same readiness point (SSH banner on the forwarded port). Runs alternate in one JVM;
# prints each run, the medians and the ratio (target <= 1.15).
#
#   benchmarks/scripts/bench-create.sh [RUNS] [--record]     RUNS defaults to 5; --record appends the result to
#                                                 docs/benchmarks.md under "VM creation"
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
runs=5
record=false
for a in "$@"; do
  case "$a" in --record) record=true ;; [0-9]*) runs=$a ;; *) echo "usage: $0 [RUNS] [--record]" >&2; exit 2 ;; esac
done
cd "$root"
"$root/scripts/build-test-image.sh" >/dev/null
offline=-o
[ -n "${BENCH_ONLINE:-}" ] && offline=
cpfile=$(mktemp)
resfile=$(mktemp)
trap 'rm -f "$cpfile" "$resfile"' EXIT
# one reactor build: the class path names the modules' target/classes (testkit's DriverBench, core), never a stale
# vboxmcp jar in ~/.m2; every module of -am writes the file, vboxmcp-qemu (built last) last
mvn -q $offline -pl vboxmcp-qemu -am test-compile dependency:build-classpath -DskipTests \
  -Dmdep.outputFile="$cpfile" -Dmdep.includeScope=test >&2
cp="$root/vboxmcp-qemu/target/test-classes:$root/vboxmcp-qemu/target/classes:$(cat "$cpfile")"
java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$cp" io.vboxmcp.qemu.BenchCreate "$runs" | tee "$resfile"
out=$(cat "$resfile")
if $record; then
  doc="$root/docs/benchmarks.md"
  mkdir -p "$root/docs"
  touch "$doc"
  {
    grep -q '^## VM creation' "$doc" || printf '\n## VM creation\n\n'
    echo "Run $(date -u +%Y-%m-%d) on $(nproc) cores, $(qemu-system-x86_64 --version | head -n 1), \`benchmarks/scripts/bench-create.sh $runs\`:"
    echo
    echo '```'
    echo "$out"
    echo '```'
    echo
  } >> "$doc"
fi

# Shared helpers of the whole-process benchmarks (benchmarks/scripts/bench-cli-*.sh, benchmarks/scripts/bench-real-create.sh).
# Sourced, not run. Every benchmark times processes as a user runs them, alternates the two sides so both see the
# same machine load, prints every run with the load average at its start, then the medians and their ratio.

bench_now() { date +%s.%N; }                       # wall clock, seconds with nanoseconds
bench_since() { awk -v a="$1" -v b="$(bench_now)" 'BEGIN { printf "%.2f", b - a }'; }
bench_load() { cut -d' ' -f1 /proc/loadavg; }        # 1-minute load average
bench_free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# bench_median V...: the median of the numbers (mean of the middle two for an even count)
bench_median() {
  printf '%s\n' "$@" | sort -g | awk -v f="%.${BENCH_DIGITS:-2}f\n" '{ v[NR] = $1 } END {
    if (NR == 0) { print "nan"; exit }
    if (NR % 2) printf f, v[(NR + 1) / 2]; else printf f, (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
bench_max() { printf '%s\n' "$@" | sort -g | tail -n 1; }
bench_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "nan"; else printf "%.3f\n", a / b }'; }

# bench_summary LABEL_A LABEL_B "A times" "B times" [WHAT]: medians, ratio A/B, and A's worst run against its median
bench_summary() {
  local la=$1 lb=$2 ta=$3 tb=$4 what=${5:-time}
  # shellcheck disable=SC2086
  local ma mb wa
  ma=$(bench_median $ta); mb=$(bench_median $tb); wa=$(bench_max $ta)
  echo "median $what: $la $ma s, $lb $mb s, ratio $(bench_ratio "$ma" "$mb")"
  # each run's pair ran back to back under about the same load: the median of their ratios resists load swings
  # between runs that the ratio of the medians does not
  local ra=($ta) rb=($tb) rs= i
  for i in "${!ra[@]}"; do rs="$rs $(bench_ratio "${ra[$i]}" "${rb[$i]}")"; done
  # shellcheck disable=SC2086
  echo "per-run ratios:$rs; their median $(BENCH_DIGITS=3 bench_median $rs)"
  echo "worst $la run: $wa s = $(bench_ratio "$wa" "$ma") x its median"
}

# bench_header: what the numbers were measured on, printed first by every benchmark
bench_header() {
  echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# $(java -version 2>&1 | head -n 1)${1:+, $1}"
}

# bench_cleanup CLI HOME TMP: destroys the VMs left in the benchmark's vboxmcp home, stops a raw QEMU still running
# (raw boots run in a subshell and leave their pid in TMP/raw.pid), removes TMP. For an EXIT trap.
bench_cleanup() {
  local cli=$1 home=$2 tmp=$3 vm
  if [ -f "$tmp/raw.pid" ]; then kill "$(cat "$tmp/raw.pid")" 2>/dev/null || true; fi
  for vm in $("$cli" --home "$home" -q status 2>/dev/null | awk 'NR > 1 { print $1 }'); do
    "$cli" --home "$home" -q destroy "$vm" >/dev/null 2>&1 || true
  done
  rm -rf "$tmp"
}

# bench_start NAME: a temporary folder $tmp holding the vboxmcp home $home, and $pids for background servers; on exit
# the servers are stopped and bench_cleanup runs (uses $cli)
bench_start() {
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/vboxmcp-bench-$1.XXXXXX")
  home=$tmp/home
  pids=()
  trap bench_stop EXIT
  trap 'exit 130' INT TERM
}
bench_stop() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  bench_cleanup "$cli" "$home" "$tmp"
}

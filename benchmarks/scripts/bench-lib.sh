# Shared helpers of the whole-process benchmarks (benchmarks/scripts/bench-cli-*.sh, bench-real-create.sh, bench-snapshot.sh).
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

# bench_debian_setup PREFIX TEMPLATE DESCRIPTION: what the benchmarks on a real Debian 12 guest (bench-real-create.sh,
# bench-snapshot.sh) need before their first timed run. Reads root, cli, memory, cpus and packages; sets catalog (the
# image's catalog), image (its folder), tmp (removed on exit, with every VM left in the home destroyed), home,
# http_port and mirror_args (the create options that point the guest's apt at the mirror). Builds (or finds cached)
# vboxmcp-debian:12 and a signed apt mirror of $packages served on 127.0.0.1 (the guest reaches it at 10.0.2.2),
# installs TEMPLATE (that image, min_ram/min_cores, the packages as its system group) and pulls the image into the
# home's cache with a trusted verification record, as a user's second create finds it.
bench_debian_setup() {
  local prefix=$1 template=$2 description=$3
  catalog=$("$root/scripts/build-debian-image.sh")
  image=$(dirname "$catalog")
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/$prefix.XXXXXX")
  home=$tmp/home
  bench_pids=()
  trap bench_debian_cleanup EXIT
  trap 'exit 130' INT TERM
  # shellcheck disable=SC2086
  "$root/scripts/build-apt-mirror.sh" "$tmp/mirror" $packages >/dev/null
  http_port=$(bench_free_port)
  python3 -m http.server --bind 127.0.0.1 "$http_port" --directory "$tmp/mirror" >"$tmp/http.log" 2>&1 &
  bench_pids+=($!)
  mirror_args=(--apt-mirror "http://10.0.2.2:$http_port/" --apt-suite bookworm --apt-key "$tmp/mirror/mirror-key.asc")

  mkdir "$tmp/$template"
  cat > "$tmp/$template/template-definition.yaml" <<EOF
name: "$template"
version: "1.0.0"
description: "$description"
base_image: "vboxmcp-debian:12"
min_ram: $memory
min_cores: $cpus
packages:
  system: [$(echo "$packages" | sed 's/ /, /g')]
EOF
  "$cli" --home "$home" -q install "$tmp/$template" >/dev/null
  "$cli" --home "$home" -q images pull vboxmcp-debian:12 --image-catalog "$catalog" >/dev/null
  # a verification record made within 2 s of the file's ctime is not trusted (docs/image-catalog.md, "racily
  # clean"), so the first create would hash the 718 MiB disk once more; a second pull after that window records it
  sleep 2.1
  "$cli" --home "$home" -q images pull vboxmcp-debian:12 --image-catalog "$catalog" >/dev/null
}

# bench_debian_cleanup: the EXIT trap of bench_debian_setup (the mirror's server, then bench_cleanup)
bench_debian_cleanup() {
  local p
  for p in "${bench_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  bench_cleanup "$cli" "$home" "$tmp"
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

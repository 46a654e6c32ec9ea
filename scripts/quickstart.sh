#!/usr/bin/env bash
# The main job, end to end: build, prepare the Debian 12 guest image and local package mirrors, then create,
# provision, check and destroy a real VM from the seed's template (examples/templates/python-dev) with the
# `vboxmcp` command, timing each step. Our machines cannot reach Debian's or PyPI's servers from a guest, so
# everything the guest needs is served on 127.0.0.1 (the guest reaches it at 10.0.2.2 through QEMU user networking):
#   - the image of scripts/build-debian-image.sh under the reference debian:12 (a user catalog that overrides the
#     built-in entry; the first build needs root),
#   - a signed apt repository with git, curl and python3-pip (scripts/build-apt-mirror.sh),
#   - a PEP 503 index with the template's requirement vboxmcp-hello (scripts/build-pip-mirror.sh).
# Needs the packages of scripts/install-deps.sh. Uses a fresh home under $TMPDIR (removed at the end) unless
# VBOXMCP_HOME is set. On any exit the VM is destroyed and the servers are stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d "${TMPDIR:-/tmp}/vboxmcp-quickstart.XXXXXX")
if [ -z "${VBOXMCP_HOME:-}" ]; then
  export VBOXMCP_HOME=$work/home
fi
vm=my-python-dev
pids=()

cleanup() {
  ./vboxmcp -q destroy "$vm" >/dev/null 2>&1 || true
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

elapsed() { local ms=$(( ($(date +%s%N) - $1) / 1000000 )); printf '%d.%01d' $((ms / 1000)) $((ms % 1000 / 100)); }
step() {  # step NAME COMMAND...: runs the command and prints how long it took
  local name=$1; shift
  local t0; t0=$(date +%s%N)
  "$@"
  printf '== %-8s %6s s\n' "$name" "$(elapsed "$t0")" >&2
}
serve() {  # serve DIR: python3's static HTTP server on 127.0.0.1 and a free port; prints the port
  local log; log=$(mktemp "$work/http.XXXXXX")
  python3 -u -m http.server --bind 127.0.0.1 --directory "$1" 0 >"$log" 2>&1 &
  pids+=($!)
  local i port
  for i in $(seq 100); do
    port=$(sed -n 's/^Serving HTTP on .* port \([0-9]*\) .*/\1/p' "$log")
    if [ -n "$port" ]; then echo "$port"; return; fi
    sleep 0.1
  done
  echo "quickstart: the HTTP server for $1 did not start: $(cat "$log")" >&2
  return 1
}

step build   mvn -B -ntp -q -DskipTests package
t0=$(date +%s%N)
image_catalog=$(scripts/build-debian-image.sh)   # built from Debian packages the first time (root), then cached
printf '== %-8s %6s s\n' image "$(elapsed "$t0")" >&2
t0=$(date +%s%N)
scripts/build-apt-mirror.sh "$work/apt" git curl python3-pip >/dev/null   # .debs cached after the first run
scripts/build-pip-mirror.sh "$work/pip" >/dev/null
printf '== %-8s %6s s\n' mirrors "$(elapsed "$t0")" >&2

# the servers (started in this shell, so that the trap can stop them)
image_dir=$(dirname "$image_catalog")
serve "$image_dir" >"$work/image.port"; image_port=$(cat "$work/image.port")
serve "$work/apt" >"$work/apt.port"; apt_port=$(cat "$work/apt.port")
serve "$work/pip" >"$work/pip.port"; pip_port=$(cat "$work/pip.port")
python3 - "$image_catalog" "http://127.0.0.1:$image_port/disk.qcow2" >"$work/catalog.json" <<'PY'
import json, sys
built = json.load(open(sys.argv[1]))["images"][0]
disk = dict(built["disk"], url=sys.argv[2])
print(json.dumps({"catalogVersion": 1, "images": [{
    "reference": "debian:12", "description": "vboxmcp-debian:12 built here, served on 127.0.0.1",
    "firmware": built.get("firmware", "any"), "disk": disk}]}, indent=2))
PY
mkdir -p "$work/projects" "$work/datasets"
echo "sepal_length,species" >"$work/datasets/iris.csv"

step install ./vboxmcp install examples/templates/python-dev
step create  ./vboxmcp create "$vm" --template python-dev --version 1.0.0 --image-catalog "$work/catalog.json" \
                 --apt-mirror "http://10.0.2.2:$apt_port/" --apt-suite bookworm --apt-key "$work/apt/mirror-key.asc" \
                 --pip-index "http://10.0.2.2:$pip_port/simple/" --pip-trusted-host \
                 --share code="$work/projects" --share datasets="$work/datasets" --allow-write code \
                 --allow-share-root "$work" --ready-timeout 900
check() {
  local page; page=$(./vboxmcp ssh "$vm" -- curl -s http://127.0.0.1:8000/)
  echo "guest port 8000 says: $page"
  [[ $page == "hello from python-dev"* ]] || { echo "quickstart: unexpected answer on port 8000" >&2; return 1; }
  ./vboxmcp ssh "$vm" -- "python3 -c 'import vboxmcp_hello, sys; print(\"vboxmcp_hello imported by\", sys.executable)'"
  ./vboxmcp ssh "$vm" -- dpkg-query -W git curl python3-pip
}
step check   check
step destroy ./vboxmcp destroy "$vm"
echo "quickstart: a VM was created from python-dev@1.0.0 on debian:12, provisioned, checked and destroyed" >&2

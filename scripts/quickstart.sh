#!/usr/bin/env bash
# The main job, end to end: build, prepare the guest image, then create, provision, check and destroy a real VM
# from the example template (examples/templates/python-dev) with the `vboxmcp` command, timing each step.
# Needs the packages of scripts/install-deps.sh. Uses a fresh home under $TMPDIR unless VBOXMCP_HOME is set.
set -euo pipefail
cd "$(dirname "$0")/.."
export VBOXMCP_HOME=${VBOXMCP_HOME:-$(mktemp -d "${TMPDIR:-/tmp}/vboxmcp-quickstart.XXXXXX")}
vm=my-python-dev

step() {  # step NAME COMMAND...: runs the command and prints how long it took
  local name=$1; shift
  local t0; t0=$(date +%s%N)
  "$@"
  local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  printf '== %-8s %4d.%01d s\n' "$name" $((ms / 1000)) $((ms % 1000 / 100)) >&2
}
cleanup() { ./vboxmcp -q destroy "$vm" >/dev/null 2>&1 || true; }
trap cleanup EXIT

step build   mvn -B -ntp -q -DskipTests install
t0=$(date +%s%N)
catalog=$(scripts/build-test-image.sh)   # built from Debian packages the first time, then cached by content
ms=$(( ($(date +%s%N) - t0) / 1000000 )); printf '== %-8s %4d.%01d s\n' image $((ms / 1000)) $((ms % 1000 / 100)) >&2
step install ./vboxmcp install examples/templates/python-dev
step create  ./vboxmcp create "$vm" --template python-dev --version 1.0.0 \
                 --memory 512 --cpus 1 --disk-size 1024 --image-catalog "$catalog"
step check   ./vboxmcp ssh "$vm" -- 'wget -q -O - http://127.0.0.1:8000/'
step destroy ./vboxmcp destroy "$vm"
trap - EXIT
echo "quickstart: a VM was created from python-dev@1.0.0, provisioned, checked and destroyed (home: $VBOXMCP_HOME)" >&2

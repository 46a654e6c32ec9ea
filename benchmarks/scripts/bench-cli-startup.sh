#!/usr/bin/env bash
# The command line's fixed cost, as a user meets it: `./vboxmcp validate` of the seed template (a whole JVM process)
# against `vagrant validate` of an equivalent Vagrantfile (a whole Ruby process), alternating, RUNS each.
# Prints every run with the load average at its start, the medians and the ratio (issue #13: <= 0.5).
#
#   benchmarks/scripts/bench-cli-startup.sh [RUNS]      RUNS defaults to 10
#
# Needs the built CLI (mvn -B -ntp -DskipTests package) and Debian's `vagrant` package (apt-get install vagrant;
# a peer for this benchmark only, not a dependency of vboxmcp). VBOXMCP_JAVA_OPTS is passed through, so the
# launcher's JVM options can be compared: VBOXMCP_JAVA_OPTS='-Xshare:off' benchmarks/scripts/bench-cli-startup.sh
# BENCH_BEFORE=/other/checkout/vboxmcp adds that launcher (e.g. an older build) as a third contender in the same
# alternation, for before/after numbers measured under the same load.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=bench-lib.sh
. "$root/benchmarks/scripts/bench-lib.sh"
runs=${1:-10}
command -v vagrant >/dev/null || { echo "bench-cli-startup: needs vagrant (apt-get install -y vagrant)" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vboxmcp-bench-startup.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# the seed template, as docs/templates.md and the core tests have it
mkdir "$tmp/python-dev"
cp "$root/vboxmcp-core/src/test/resources/templates/seed-python-dev/template-definition.yaml" "$tmp/python-dev/"
# the same VM for Vagrant: box, resources, packages, script, environment, ports, shared folder
mkdir "$tmp/vagrant"
cat > "$tmp/vagrant/Vagrantfile" <<'EOF'
# Vagrantfile equivalent of the seed's python-dev template (vboxmcp's docs/templates.md)
Vagrant.configure("2") do |config|
  config.vm.box = "ubuntu/jammy64"
  config.vm.box_version = "~> 20240000"
  config.vm.provider "virtualbox" do |vb|
    vb.memory = 2048
    vb.cpus = 2
  end
  config.vm.network "forwarded_port", guest: 8000, host: 8000
  config.vm.network "forwarded_port", guest: 8080, host: 8080
  config.vm.synced_folder "~/projects", "/home/developer/code"
  config.vm.provision "shell", env: { "PYTHONUNBUFFERED" => "1" }, inline: <<-SHELL
    apt-get update && apt-get install -y git curl python3.10 python3-pip python3-venv
    cd /tmp && pip install -r requirements.txt
  SHELL
end
EOF

vbox() { "$root/vboxmcp" --home "$tmp/home" validate "$tmp/python-dev" >/dev/null; }
# --ignore-provider: VirtualBox is not installed here; validation of the Vagrantfile itself still runs
# HOME: Vagrant checks that the synced folder's host path (~/projects) exists
mkdir -p "$tmp/user/projects"
vagr() { (cd "$tmp/vagrant" && HOME=$tmp/user VAGRANT_HOME=$tmp/vagrant-home vagrant validate --ignore-provider >/dev/null); }
before=${BENCH_BEFORE:-}
old() { "$before" --home "$tmp/home" validate "$tmp/python-dev" >/dev/null; }
vbox; vagr  # both must succeed before anything is timed (and the page cache holds both)

bench_header "JVM options: ${VBOXMCP_JAVA_OPTS:-launcher default}; $(vagrant --version)"
[ -z "$before" ] || old
echo "# command: ${BENCH_BEFORE:+BENCH_BEFORE=$BENCH_BEFORE }benchmarks/scripts/bench-cli-startup.sh $runs"
ta=; tb=; tc=
for i in $(seq 1 "$runs"); do
  l=$(bench_load); t=$(bench_now); vbox; a=$(bench_since "$t")
  t=$(bench_now); vagr; b=$(bench_since "$t")
  c=
  if [ -n "$before" ]; then t=$(bench_now); old; c=$(bench_since "$t"); tc="$tc $c"; fi
  ta="$ta $a"; tb="$tb $b"
  echo "run $i (load $l): vboxmcp validate $a s, vagrant validate $b s${c:+, before $c s}"
done
bench_summary "vboxmcp validate" "vagrant validate" "$ta" "$tb"
[ -z "$before" ] || echo "median before: $(bench_median $tc) s; after / before: $(bench_ratio "$(bench_median $ta)" "$(bench_median $tc)")"

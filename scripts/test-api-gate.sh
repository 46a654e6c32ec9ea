#!/usr/bin/env bash
# Tests the API compatibility gate (japicmp in vboxmcp-api/pom.xml) the way it will meet a real change: copies of
# the api module, built by the real pom, are compared with the api jar just built as if that were the previous
# release (named 0.0.1, so a copy at 0.1.0-SNAPSHOT is a minor version later):
#   unchanged         must pass  (the gate does not fail on its own)
#   removed-method    must fail  (ExecResult.succeeded() removed: binary incompatible)
#   spi-method        must fail  (an abstract method added to HypervisorDriver: users' drivers stop compiling)
#   major             must pass  (both changes, but the version is 1.0.0-SNAPSHOT: a major version may break)
# One Maven reactor with --fail-at-end builds all four. Needs vboxmcp-api/target/vboxmcp-api-*.jar (run after
# `mvn package` or `mvn verify`). Exits non-zero, printing the evidence, if any case behaves otherwise.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d /tmp/vboxmcp-api-gate.XXXXXX)"
trap '[ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
shopt -s nullglob
jars=("$ROOT"/vboxmcp-api/target/vboxmcp-api-*[0-9T].jar)
[ ${#jars[@]} -eq 1 ] || { echo "api-gate: build vboxmcp-api first (found: ${jars[*]:-none})" >&2; exit 2; }
cp "${jars[0]}" "$WORK/vboxmcp-api-0.0.1.jar"

mkdir -p "$WORK/parent"
cp "$ROOT/pom.xml" "$WORK/parent/pom.xml"
cases=(unchanged removed-method spi-method major)
{
  echo '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
  echo '<groupId>io.vboxmcp.gate</groupId><artifactId>gate</artifactId><version>1</version><packaging>pom</packaging><modules>'
  for c in "${cases[@]}"; do echo "<module>$c</module>"; done
  echo '</modules></project>'
} > "$WORK/pom.xml"
for c in "${cases[@]}"; do
  mkdir -p "$WORK/$c"
  cp -r "$ROOT/vboxmcp-api/src" "$WORK/$c/src"
  rm -rf "$WORK/$c/src/test"
  version_line=''
  [ "$c" = major ] && version_line='<version>1.0.0-SNAPSHOT</version>'
  sed -e "s|<artifactId>vboxmcp-parent</artifactId><version>\([^<]*\)</version></parent>|<artifactId>vboxmcp-parent</artifactId><version>\1</version><relativePath>../parent/pom.xml</relativePath></parent>|" \
      -e "s|<artifactId>vboxmcp-api</artifactId>|<artifactId>vboxmcp-api-gate-$c</artifactId>$version_line|" \
      "$ROOT/vboxmcp-api/pom.xml" > "$WORK/$c/pom.xml"
  grep -q "vboxmcp-api-gate-$c" "$WORK/$c/pom.xml" || { echo "api-gate: could not rename the copy's artifact" >&2; exit 2; }
done
api="src/main/java/io/vboxmcp"
for c in removed-method major; do
  sed -i 's|    public boolean succeeded() {|    public boolean succeededWithin(java.time.Duration limit) {|' "$WORK/$c/$api/ExecResult.java"
  grep -q succeededWithin "$WORK/$c/$api/ExecResult.java"
done
for c in spi-method major; do
  sed -i 's|^    Machine create(MachineSpec spec) throws VboxmcpException;|&\n\n    /** @param machine m @return r @throws VboxmcpException e */\n    boolean paused(Machine machine) throws VboxmcpException;|' "$WORK/$c/$api/spi/HypervisorDriver.java"
  grep -q 'boolean paused' "$WORK/$c/$api/spi/HypervisorDriver.java"
done

log="$WORK/build.log"
set +e
mvn -B -ntp -o -f "$WORK/pom.xml" --fail-at-end -DskipTests -Dmaven.javadoc.skip=true \
  -Dapi.baseline.jar="$WORK/vboxmcp-api-0.0.1.jar" verify > "$log" 2>&1
set -e
# the reactor summary lists the modules in build order, which is the order of $cases
mapfile -t results < <(sed -n '/Reactor Summary/,/BUILD/p' "$log" | grep -E 'vboxmcp API and SPI' | grep -oE 'SUCCESS|FAILURE|SKIPPED')
fail=0
for i in "${!cases[@]}"; do
  c=${cases[$i]}
  want=SUCCESS
  if [ "$c" = removed-method ] || [ "$c" = spi-method ]; then want=FAILURE; fi
  if [ "${results[$i]:-none}" != "$want" ]; then echo "api-gate: case $c: expected $want, got ${results[$i]:-none}" >&2; fail=1; fi
done
grep -q 'ExecResult.succeeded().*METHOD_REMOVED' "$log" || { echo "api-gate: the report does not name the removed method" >&2; fail=1; }
grep -q 'HypervisorDriver.paused.*METHOD_ADDED_TO_INTERFACE' "$log" || { echo "api-gate: the report does not name the method added to the SPI" >&2; fail=1; }
if [ $fail -ne 0 ]; then
  echo "--- build log ($log) ---"; grep -E 'ERROR|japicmp|Reactor|SUCCESS|FAILURE|incompatib' "$log" | head -60
  exit 1
fi
echo "api-gate: unchanged passed, removed method and new abstract SPI method failed with the report, the major version passed"
grep -E 'Incompatibility detected|^\[ERROR\] Failed to execute goal' "$log" | cut -c1-220 | sed 's/^/  /' | head -6 || true
echo "api-gate: ${#cases[@]} passed, 0 failed"

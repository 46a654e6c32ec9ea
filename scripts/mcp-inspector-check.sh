#!/usr/bin/env bash
# Runs `vboxmcp mcp` (stdio) under a client we did not write: the MCP Inspector's command-line mode
# (npm package @modelcontextprotocol/inspector). It lists the tools and calls search_templates and plan_vm against
# a throw-away home with the example template web-demo installed; exits non-zero if any answer is wrong.
# Needs node and npm (scripts/install-deps.sh); the Inspector is installed once into
# ${XDG_CACHE_HOME:-~/.cache}/vboxmcp/mcp-inspector. Build vboxmcp first (mvn -B -ntp -DskipTests package).
# CliMcpInspectorTest runs this script in `mvn verify`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=${MCP_INSPECTOR_VERSION:-2.12.0}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/vboxmcp/mcp-inspector
inspector=$cache/node_modules/.bin/mcp-inspector
if [ ! -x "$inspector" ] || ! grep -q "\"version\": \"$version\"" "$cache/node_modules/@modelcontextprotocol/inspector/package.json" 2>/dev/null; then
  mkdir -p "$cache"
  (cd "$cache" && npm install --no-audit --no-fund --silent "@modelcontextprotocol/inspector@$version" >&2)
fi
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
"$root/vboxmcp" --home "$home" --quiet install "$root/examples/templates/web-demo" >/dev/null

fail() { echo "mcp-inspector-check: $*" >&2; exit 1; }
# the Inspector starts servers with a minimal environment: hand over what the launcher reads
envs=(-e "VBOXMCP_CLI_CLASSES=${VBOXMCP_CLI_CLASSES:-0}")
[ -n "${JAVA_HOME:-}" ] && envs+=(-e "JAVA_HOME=$JAVA_HOME")
run() { timeout 120 "$inspector" --cli "${envs[@]}" "$root/vboxmcp" --home "$home" mcp "$@" 2>/dev/null; }

tools=$(run --method tools/list) || fail "tools/list failed"
for t in search_templates describe_template plan_vm create_vm list_vms vm_status exec_in_vm copy_to_vm copy_from_vm stop_vm destroy_vm; do
  grep -q "\"name\": \"$t\"" <<<"$tools" || fail "tools/list lacks $t"
done
grep -q '"outputSchema"' <<<"$tools" || fail "tools/list has no output schemas"

search=$(run --method tools/call --tool-name search_templates --tool-arg query=web) || fail "search_templates failed"
grep -q '"name": "web-demo"' <<<"$search" || fail "search_templates did not find web-demo: $search"

plan=$(run --method tools/call --tool-name plan_vm --tool-arg name=inspected --tool-arg template=web-demo \
  --tool-arg memory_mb=512) || fail "plan_vm failed"
grep -q '"memory_mb": 512' <<<"$plan" || fail "plan_vm did not plan 512 MB: $plan"
grep -q '"isError": false' <<<"$plan" || fail "plan_vm answered an error: $plan"

bad=$(run --method tools/call --tool-name plan_vm --tool-arg name=Bad_Name --tool-arg template=web-demo) || true
grep -q 'INVALID_ARGUMENT' <<<"$bad" || fail "a bad VM name was not refused: $bad"
echo "mcp-inspector-check: ok (MCP Inspector $version: tools/list, search_templates, plan_vm)"

#!/usr/bin/env bash
# Speed of the agent loop (`omc run --agent`), release build, offline: the echo provider answers
# in-process at once, so what is left is omc's own time.
#  1. omc's time per agent turn beyond the provider's and the tool's: a run of TURNS turns (each
#     calls a command tool, printf, whose output asks echo for the next call) against a run of
#     1 turn, whole process (hyperfine), less the provider's and the tool's time per turn as
#     the --json transcript reports them.                                       (aim: <= 2 ms)
#  2. an MCP stdio call's overhead beyond the server's own time: 1 call against CALLS calls to a
#     tiny Python MCP server that logs its own time per call; and omc's measure of each call
#     (duration_ms) less the server's.                                          (aim: <= 1 ms)
#  3. `omc run --agent` with one MCP server (the tiny one; mcp-server-time too when installed),
#     whole process of a one-turn run: start, MCP start-up and listing, first request, exit.
# Usage: benches/agent.sh [TURNS] [CALLS]   (defaults 101 and 101; needs hyperfine, jq, python3)
# OMC_BENCH_BIN=path runs another build of omc (e.g. target/debug/omc) without building.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
turns=${1:-101}
calls=${2:-101}
for tool in hyperfine jq python3; do
  command -v "$tool" >/dev/null || { echo "install $tool first" >&2; exit 1; }
done
if [ -n "${OMC_BENCH_BIN:-}" ]; then
  omc=$OMC_BENCH_BIN
else
  echo "building the release binary…" >&2
  cargo build --release --locked --quiet --bin omc
  omc=$root/target/release/omc
fi
# The interpreter itself, not a version manager's shim (which costs a process start per call).
python=$(python3 -c 'import sys; print(sys.executable)')

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMC_HOME=$work/home DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent
OMC_MASTER_KEY=$("$omc" init --backend env 2>/dev/null)
export OMC_MASTER_KEY
printf 'echo-key' | "$omc" add echo --name echo --no-validate --key-stdin -q
mkdir -p "$OMC_HOME/agents"

# A stdio MCP server speaking just enough JSON-RPC, logging its own time per tools/call (ms).
cat >"$work/mcp_ping.py" <<'EOF'
import json, sys, time
log = open(sys.argv[1], "a")
for line in sys.stdin:
    t0 = time.perf_counter()
    msg = json.loads(line)
    method, mid = msg.get("method"), msg.get("id")
    if mid is None:
        continue
    if method == "initialize":
        result = {"protocolVersion": msg["params"]["protocolVersion"],
                  "capabilities": {"tools": {}}, "serverInfo": {"name": "ping", "version": "1"}}
    elif method == "tools/list":
        result = {"tools": [{"name": "ping", "description": "Answer pong",
                             "inputSchema": {"type": "object", "properties": {"i": {"type": "integer"}}}}]}
    elif method == "tools/call":
        result = {"content": [{"type": "text", "text": "pong"}], "isError": False}
    else:
        reply = {"jsonrpc": "2.0", "id": mid, "error": {"code": -32601, "message": "no such method"}}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
        continue
    sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": mid, "result": result}) + "\n")
    sys.stdout.flush()
    if method == "tools/call":
        log.write("%.4f\n" % ((time.perf_counter() - t0) * 1000))
        log.flush()
EOF

cat >"$OMC_HOME/agents/loop.toml" <<'EOF'
description = "benchmark: every call's output asks for the next one"
models = ["echo"]
max_turns = 100000
[[tool]]
name = "next"
command = ["printf", "/call next {\"i\":\"%sx\"}", "{i}"]
parameters = { type = "object", properties = { i = { type = "string" } } }
approve = "auto"
EOF
cat >"$OMC_HOME/agents/ping.toml" <<EOF
description = "benchmark: one stdio MCP server"
models = ["echo"]
[mcp.p]
command = "$python"
args = ["$work/mcp_ping.py", "$work/server.log"]
approve = "auto"
EOF
cat >"$OMC_HOME/agents/none.toml" <<'EOF'
description = "benchmark: no tools"
models = ["echo"]
EOF
mcp_time=${OMC_TEST_MCP_TIME:-$root/target/mcp-venv/bin/mcp-server-time}
if [ -x "$mcp_time" ]; then
  printf 'models = ["echo"]\n[mcp.time]\ncommand = "%s"\napprove = "auto"\n' "$mcp_time" \
    >"$OMC_HOME/agents/time.toml"
fi

mean() { jq -r '.results[0].mean * 1000' "$1"; } # hyperfine's mean, in ms
ms() { printf '%.3f' "$1"; }

echo "== 1. per agent turn (echo provider, printf tool; $turns turns vs 1)" >&2
start='/call next {"i":"x"}'
"$omc" run --agent loop --max-turns "$turns" --json "$start" >"$work/turns.json" 2>/dev/null || true
[ "$(jq -r '.stop_reason' "$work/turns.json")" = max_turns ] || { echo "the loop run did not reach max_turns" >&2; exit 1; }
for n in 1 "$turns"; do
  hyperfine -N -i --warmup 3 --runs 20 --export-json "$work/t$n.json" \
    "$omc run --agent loop --max-turns $n '$start'" >&2
done
provider=$(jq '[.turns[].latency_ms] | add / length' "$work/turns.json")
tool=$(jq '[.turns[].tool_calls[].duration_ms] | add / length' "$work/turns.json")
whole=$(jq -n --argjson a "$(mean "$work/t$turns.json")" --argjson b "$(mean "$work/t1.json")" \
  --argjson n "$turns" '($a - $b) / ($n - 1)')
own=$(jq -n --argjson w "$whole" --argjson p "$provider" --argjson t "$tool" '$w - $p - $t')

echo "== 2. per MCP stdio call (tiny Python server; $calls calls vs 1)" >&2
prompt_of() { # N: a prompt of N calls with distinct arguments
  local i
  for ((i = 0; i < $1; i++)); do printf '/call p_ping {"i":%d}\n' "$i"; done
}
prompt1=$(prompt_of 1)
promptn=$(prompt_of "$calls")
: >"$work/server.log"
"$omc" run --agent ping --json "$promptn" >"$work/calls.json" 2>/dev/null
omc_call=$(jq '[.turns[].tool_calls[].duration_ms] | add / length' "$work/calls.json")
server=$(awk '{ s += $1; n++ } END { print s / n }' "$work/server.log")
printf '%s' "$prompt1" >"$work/p1"
printf '%s' "$promptn" >"$work/pn"
for n in 1 "$calls"; do
  file=$work/p1
  [ "$n" = 1 ] || file=$work/pn
  # Through a shell, for the redirection: its start-up is the same in both and cancels out.
  hyperfine --warmup 3 --runs 15 --export-json "$work/c$n.json" \
    "$omc run --agent ping <$file" >&2
done
call_whole=$(jq -n --argjson a "$(mean "$work/c$calls.json")" --argjson b "$(mean "$work/c1.json")" \
  --argjson n "$calls" --argjson s "$server" '($a - $b) / ($n - 1) - $s')
call_own=$(jq -n --argjson c "$omc_call" --argjson s "$server" '$c - $s')

echo "== 3. one-turn run, whole process" >&2
cmds=("$omc run --agent none hi" "$omc run --agent ping hi")
[ -f "$OMC_HOME/agents/time.toml" ] && cmds+=("$omc run --agent time hi")
hyperfine -N --warmup 3 --runs 20 --export-json "$work/start.json" "${cmds[@]}" >&2

echo
echo "| measure | ms |"
echo "|---|---|"
echo "| per turn, whole process, ($turns turns - 1 turn) / $((turns - 1)) | $(ms "$whole") |"
echo "| … of which the provider (echo, in-process), per turn | $(ms "$provider") |"
echo "| … of which the tool (printf, spawn to exit as omc times it), per turn | $(ms "$tool") |"
echo "| **omc's own time per turn** | **$(ms "$own")** |"
echo "| MCP call as omc times it, less the server's own time | $(ms "$call_own") |"
echo "| MCP call, whole process ($calls calls - 1) / $((calls - 1)), less the server's time | $(ms "$call_whole") |"
echo "| the server's own time per call | $(ms "$server") |"
jq -r '.results[] | "| `\(.command | sub(".*/omc "; "omc "))`, start to exit | \(.mean * 1000 | . * 1000 | round / 1000) |"' "$work/start.json"

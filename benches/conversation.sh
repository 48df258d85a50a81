#!/usr/bin/env bash
# What continuing a conversation costs: `omc run -c` against `omc run`, release build, offline
# (the echo provider answers in-process), with N stored conversations (default 1,000) in the
# store. Whole process, hyperfine. Two pairs:
#  1. --no-log: nothing is written, so the difference is only what -c adds before the request
#     (finding the profile's last conversation, decrypting it, sending the history).
#                                                                        (aim: <= 1 ms more)
#  2. as users run them: `omc run` stores a new conversation, `omc run -c` re-seals the last one
#     with the new exchange (which grows by one exchange per timed run).
# Usage: benches/conversation.sh [N]   (needs hyperfine)
# OMC_BENCH_BIN=path runs another build of omc (e.g. target/debug/omc) without building.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
n=${1:-1000}
command -v hyperfine >/dev/null || { echo "install hyperfine first" >&2; exit 1; }
if [ -n "${OMC_BENCH_BIN:-}" ]; then
  omc=$OMC_BENCH_BIN
else
  echo "building the release binary…" >&2
  cargo build --release --locked --quiet --bin omc
  omc=$root/target/release/omc
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMC_HOME=$work/home DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent
OMC_MASTER_KEY=$("$omc" init --backend env 2>/dev/null)
export OMC_MASTER_KEY
printf 'echo-key' | "$omc" add echo --name echo --no-validate --key-stdin -q

echo "storing $n conversations (one exchange each, the last one two)…" >&2
for i in $(seq 1 "$n"); do
  "$omc" run "conversation $i: a prompt of a dozen or so words, about what people ask" >/dev/null
done
"$omc" run -c "and a follow-up question" >/dev/null
echo "$("$omc" log --limit 100000 --json | grep -c '"id"') conversations stored" >&2

prompt='say something short'
hyperfine -N --warmup 20 --runs 300 --export-json "$work/no-log.json" \
  -n 'run --no-log' "$omc run --no-log '$prompt'" \
  -n 'run -c --no-log' "$omc run -c --no-log '$prompt'"
hyperfine -N --warmup 10 --runs 100 --export-json "$work/logged.json" \
  -n 'run' "$omc run '$prompt'" \
  -n 'run -c' "$omc run -c '$prompt'"

python3 - "$work/no-log.json" "$work/logged.json" <<'EOF'
import json, sys
for path in sys.argv[1:]:
    r = json.load(open(path))["results"]
    a, b = (x["median"] * 1000 for x in r)
    print(f"{r[1]['command']:>16} − {r[0]['command']:<13} median: {b - a:+.2f} ms "
          f"({a:.2f} → {b:.2f} ms)")
EOF

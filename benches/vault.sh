#!/usr/bin/env bash
# Whole-process wall time of the vault's hot commands, on the release binary, beside
# `omc --version` (the floor: process start and exit):
#   `omc list` over 10,000 credentials (never unlocks the master key; target ≤ 15 ms),
#   `omc key NAME` with OMC_MASTER_KEY set (target ≤ 2× `omc --version`), and
#   `omc key NAME` on a `file` store inside an `omc unlock` window (Linux; target ≤ 10 ms).
# With valgrind on PATH it also counts each command's instructions (callgrind), a figure that,
# unlike the times, is the same in every hour of a shared VM.
# Usage: benches/vault.sh [N_CREDENTIALS]   (needs hyperfine: apt-get install hyperfine;
#                                            valgrind is optional: apt-get install valgrind)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
command -v hyperfine >/dev/null || { echo "install hyperfine first (apt-get install hyperfine)" >&2; exit 1; }
cargo build --release --locked --quiet

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Timed as installed: install.sh copies the binary (as `cargo install` copied aichat). The same
# bytes start measurably faster from a copy written in one go than from the file the linker
# wrote (11 % for `--version`, 16 % for `omc key` on this VM; the kernel likely keeps the copy's
# pages in larger pieces, so each start-up page fault maps more at once).
mkdir -p "$work/bin"
install -m 755 "$PWD/target/release/omc" "$work/bin/omc"
omc=$work/bin/omc
export OMC_HOME=$work/home
OMC_MASTER_KEY=$("$omc" init --backend env 2>/dev/null)
export OMC_MASTER_KEY
export DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent

echo "populating $n credentials…" >&2
# shellcheck disable=SC2016 # $0 is expanded by the inner sh
seq 1 "$n" | xargs -P 2 -I{} sh -c \
  'printf "sk-bench-%08d-abcdefghijklmnop" {} | "$0" add openai --name c{} --no-validate --key-stdin -q' "$omc"

# A `file` store (master.age, scrypt) unlocked once into the kernel keyring.
file_home=$work/file-home
file_omc() { env -u OMC_MASTER_KEY OMC_HOME="$file_home" OMC_PASSPHRASE=bench-passphrase "$omc" "$@"; }
file_omc init --backend file -q
printf 'sk-bench-file-abcdefghijklmnop' | file_omc add openai --name f1 --no-validate --key-stdin -q
file_cmd=()
if file_omc unlock --for 10m -q; then
  # No passphrase here: the key must come from the unlock window.
  file_cmd=("env -u OMC_MASTER_KEY OMC_HOME=$file_home $omc key f1")
else
  echo "omc unlock is not available here: the file-store figure is skipped" >&2
fi

hyperfine --warmup 5 --runs 50 -N \
  --export-markdown "$work/result.md" --export-json "$work/result.json" \
  "$omc --version" \
  "$omc list" \
  "$omc list --json" \
  "$omc key c$((n / 2))" \
  "${file_cmd[@]}"
cat "$work/result.md"
# Medians, which one descheduled run on a shared VM does not move, against the targets.
python3 - "$work/result.json" <<'PY'
import json, sys
median = {r["command"].split("/bin/omc ", 1)[-1]: r["median"] * 1000
          for r in json.load(open(sys.argv[1]))["results"]}
for command, ms in median.items():
    print(f"median {ms:6.2f} ms  {command}")
version = median["--version"]
key = next(ms for c, ms in median.items() if c.startswith("key c"))
print(f"omc list (median): {median['list']:.1f} ms  (target ≤ 15 ms)")
print(f"omc key / omc --version (medians): {key / version:.2f}  (target ≤ 2)")
PY
echo "interleaved, 60 rounds:"
benches/interleave.py -n 60 --commands "$omc --version" "$omc key c$((n / 2))" "$omc list"

if command -v valgrind >/dev/null; then
  echo
  echo "| Command | Instructions (callgrind) |"
  echo "|:---|---:|"
  for args in "--version" "list" "list --json" "key c$((n / 2))"; do
    # shellcheck disable=SC2086 # $args is several words on purpose
    ir=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$omc" $args 2>&1 >/dev/null |
      sed -n 's/.*Collected : *\([0-9]*\).*/\1/p')
    # shellcheck disable=SC2016 # the backquotes are Markdown, not a command
    printf '| `omc %s` | %s |\n' "$args" "$ir"
  done
fi
file_omc lock -q 2>/dev/null || true

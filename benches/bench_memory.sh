#!/usr/bin/env bash
# Memory of a long benchmark: omc bench's peak RSS at 10,000 and at N requests (default
# 1,000,000) against the in-process echo provider, which answers faster than the results can be
# recorded, so anything that piles up per request shows. Goal: flat (the same few MB either way).
#
# Usage: benches/bench_memory.sh [N]      PROFILE=dev measures the debug build instead.
set -euo pipefail
# shellcheck source=benches/common.sh
source "$(dirname "$0")/common.sh"
n=${1:-1000000}
profile=${PROFILE:-release}
cargo build --profile "$profile" --locked --quiet --bin omc
dir=$([ "$profile" = dev ] && echo debug || echo "$profile")
omc=$root/target/$dir/omc
export OMC_HOME=$work/home DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent
OMC_MASTER_KEY=$("$omc" init --backend env 2>/dev/null)
export OMC_MASTER_KEY
printf 'echo-key-0123456789' | "$omc" add echo --no-validate --key-stdin -q
printf '%-12s %12s %12s\n' requests "max RSS" "req/s"
for runs in 10000 "$n"; do
  /usr/bin/time -v -o "$work/time.txt" "$omc" bench --provider echo --runs "$runs" \
    --concurrency 64 --prompt "hi there" --max-tokens 4 --json -q >"$work/report.json"
  rss=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$work/time.txt")
  printf '%-12s %9.1f MB %12.0f\n' "$runs" "$(echo "$rss / 1024" | bc -l)" \
    "$(jq '.targets[0].requests_per_s' "$work/report.json")"
done

#!/usr/bin/env bash
# Capacity: how many streamed requests per second omc bench drives on this machine, and its
# peak memory as the run grows, against a fake provider (its own process) that answers at once.
# Then oha (in alternating rounds) and wrk against the same endpoint with the same request body,
# for the ratio.
# Targets: ≥ 0.5 of oha's requests/s at concurrency 64 (issue 14); max RSS ≤ 64 MB, flat.
#
# Usage: benches/bench_capacity.sh [REQUESTS] [CONCURRENCY]   (defaults 100000, 64)
#        ROUNDS=N sets the omc/oha rounds (default 5, REQUESTS/4 requests each).
# Needs oha (cargo install oha) and/or wrk (apt-get install wrk) for the comparisons.
set -euo pipefail
# shellcheck source=benches/common.sh
source "$(dirname "$0")/common.sh"
requests=${1:-100000}
concurrency=${2:-64}
tokens=16

build release
start_fake --tokens "$tokens"
new_home

run_omc() { # N → prints "req/s max_rss_kb"
  /usr/bin/time -v -o "$work/time.txt" \
    "$omc" bench --runs "$1" --concurrency "$concurrency" --warmup "$concurrency" --prompt \
    "What is the capital of France? Answer with one word." --max-tokens 16 --json -q \
    >"$work/report.json"
  rps=$(jq '.targets[0].requests_per_s' "$work/report.json")
  failed=$(jq '.targets[0].failed' "$work/report.json")
  rss=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$work/time.txt")
  echo "$rps $rss $failed"
}

echo "omc bench, $((requests / 10)) requests at concurrency $concurrency…" >&2
read -r rps_small rss_small failed_small < <(run_omc $((requests / 10)))
echo "omc bench, $requests requests at concurrency $concurrency…" >&2
read -r rps rss failed < <(run_omc "$requests")

printf '%-34s %10s %12s %8s\n' "" "req/s" "max RSS" "failed"
printf '%-34s %10.0f %9.1f MB %8s\n' "omc bench, $((requests / 10)) requests" "$rps_small" \
  "$(echo "$rss_small / 1024" | bc -l)" "$failed_small"
printf '%-34s %10.0f %9.1f MB %8s\n' "omc bench, $requests requests" "$rps" \
  "$(echo "$rss / 1024" | bc -l)" "$failed"

body='{"max_tokens":16,"messages":[{"content":"What is the capital of France? Answer with one word.","role":"user"}],"model":"fake-model-1","stream":true,"stream_options":{"include_usage":true}}'
if command -v oha >/dev/null; then
  # Side by side in rounds, omc then oha, the same number of requests each: this machine's
  # speed drifts by tens of percent within minutes, so one run of each compares two moments,
  # not two clients. The median of the rounds' ratios is the figure.
  rounds=${ROUNDS:-5}
  per_round=$((requests / 4))
  ratios=()
  for round in $(seq 1 "$rounds"); do
    echo "round $round of $rounds: omc bench, then oha, $per_round requests each…" >&2
    read -r omc_rps _ _ < <(run_omc "$per_round")
    oha -n "$per_round" -c "$concurrency" -m POST -H "content-type: application/json" \
      -H "authorization: Bearer $key" -d "$body" --no-tui --output-format json \
      "$base_url/chat/completions" >"$work/oha.json"
    oha_rps=$(jq '.summary.requestsPerSec' "$work/oha.json")
    ratio=$(echo "$omc_rps / $oha_rps" | bc -l)
    ratios+=("$ratio")
    printf 'round %d: omc %8.0f req/s, oha %8.0f req/s, omc / oha %.2f\n' \
      "$round" "$omc_rps" "$oha_rps" "$ratio"
  done
  median=$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  printf 'omc / oha, median of %d rounds: %.2f (target ≥ 0.5)\n' "$rounds" "$median"
else
  echo "oha not installed (cargo install oha): no comparison with it" >&2
fi
if command -v wrk >/dev/null; then
  cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["authorization"] = "Bearer $key"
wrk.body = '$body'
LUA
  echo "wrk, 10 s at $concurrency connections, 2 threads…" >&2
  wrk -t2 -c"$concurrency" -d10s -s "$work/post.lua" "$base_url/chat/completions" >"$work/wrk.txt"
  wrk_rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
  printf '%-34s %10.0f\n' "wrk, same endpoint and body" "$wrk_rps"
  printf 'omc / wrk: %.2f\n' "$(echo "$rps / $wrk_rps" | bc -l)"
else
  echo "wrk not installed (apt-get install wrk): no comparison with it" >&2
fi

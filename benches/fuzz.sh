#!/usr/bin/env bash
# Fuzzed wire parsing (issue 14 item 4): the property tests in src/provider/fuzz.rs, built in
# release mode and run with CASES cases each (`cargo test` runs 10,000). They drive the SSE
# decoder and each family's event folding through the production read loop: any split of a
# valid stream, a stream cut anywhere, arbitrary bytes, damaged streams, random events.
# Prints the cases run, the wall time and the command.
#
# Usage: benches/fuzz.sh [CASES]   (default 1000000 per property)
set -euo pipefail
cd "$(dirname "$0")/.."
cases=${1:-1000000}
properties=(
  any_split_of_a_valid_stream_folds_to_its_reply
  a_stream_cut_before_its_end_is_dropped
  arbitrary_bytes_end_as_an_error_or_a_reply
  damaged_streams_end_as_an_error_or_a_reply
  random_events_end_as_an_error_or_a_reply
)

echo "building the library's tests in release mode…" >&2
cargo test --release --lib --no-run -q
command=(cargo test --release --lib -q -- --exact)
for p in "${properties[@]}"; do
  command+=("provider::fuzz::$p")
done
echo "running ${#properties[@]} properties × $cases cases…" >&2
start=$(date +%s.%N)
OMC_FUZZ_CASES=$cases "${command[@]}" >&2
end=$(date +%s.%N)
total=$((cases * ${#properties[@]}))
printf '%s cases (%s properties × %s) in %.0f s on %s cores: OMC_FUZZ_CASES=%s %s\n' \
  "$total" "${#properties[@]}" "$cases" "$(echo "$end - $start" | bc -l)" "$(nproc)" \
  "$cases" "${command[*]}"

#!/usr/bin/env bash
# Where `omc bench` spends its CPU: a flat perf profile of a closed-loop run against the fake
# provider, summed by part (HTTP client, SSE parsing, JSON per chunk, allocator, runtime,
# timers, record writer, histograms, kernel).
#
# Usage: benches/bench_profile.sh [REQUESTS] [CONCURRENCY]   (defaults 30000, 64)
# Needs perf (apt-get install linux-perf) and a kernel that lets you sample
# (kernel.perf_event_paranoid ≤ 1, or root). Builds the `profiling` profile (release with symbols) in target/profiling.
set -euo pipefail
# shellcheck source=benches/common.sh
source "$(dirname "$0")/common.sh"
requests=${1:-30000}
concurrency=${2:-64}
command -v perf >/dev/null || { echo "install perf first (apt-get install linux-perf)" >&2; exit 1; }

build profiling
start_fake --tokens 16
new_home

perf record -q -F 1999 -o "$work/perf.data" -- "$omc" bench --runs "$requests" \
  --concurrency "$concurrency" --warmup "$concurrency" --max-tokens 16 --json -q \
  --prompt "What is the capital of France? Answer with one word." >"$work/report.json"
echo "omc bench: $(jq '.targets[0].requests_per_s | floor' "$work/report.json") requests/s while sampled" >&2

perf report -i "$work/perf.data" --no-children --sort dso,symbol 2>/dev/null | python3 -c '
import collections, re, sys
parts = [
    ("SSE parsing (omc::provider::sse)", r"omc::provider::sse"),
    ("JSON per chunk (serde_json)", r"serde_json|serde_core|Deserializ|omc::provider::(openai|anthropic|gemini)"),
    ("histograms and statistics", r"hdrhistogram|omc::bench::stats"),
    ("record writer (SQLite)", r"sqlite3|rusqlite|omc::cmd::bench::writer|omc::store"),
    ("runtime scheduling (tokio)", r"tokio::runtime|tokio::sync|waker|tokio::task"),
    ("timers and clocks", r"tokio::time|clock_gettime|vdso"),
    ("HTTP client (reqwest, hyper, url)", r"hyper|reqwest|http::|http_body|url::|idna|rustls|bytes::"),
    ("allocator (malloc, free, zeroing)", r"malloc|free|_int_|unlink_chunk|memset|zeroiz|consolidate|realloc"),
    ("memcpy", r"memmove|memcpy"),
    ("omc request path", r"omc::"),
    ("kernel (syscalls, wakeups)", r"kernel"),
]
total = collections.Counter()
for line in sys.stdin:
    m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+\[.\]\s+(.*)", line)
    if not m:
        continue
    text = m.group(2) + " " + m.group(3)
    name = next((n for n, rx in parts if re.search(rx, text)), "other")
    total[name] += float(m.group(1))
for name, share in total.most_common():
    print(f"{share:6.1f}%  {name}")
'

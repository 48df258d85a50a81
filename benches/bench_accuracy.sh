#!/usr/bin/env bash
# Accuracy of omc bench's timings against known injected delays.
#
# The fake provider (examples/fake_provider, its own process) waits TTFT before the first
# content event and TOKEN between later ones, on a high-resolution timer; omc bench measures
# it at concurrency C. Prints |measured − injected| time to first token (p50, p99, max) and
# the per-token time's error. Targets (issue 4): p99 TTFT error ≤ 1 ms, per-token within 5%.
#
# Usage: benches/bench_accuracy.sh [REQUESTS] [CONCURRENCY]   (defaults 2000, 64)
set -euo pipefail
source "$(dirname "$0")/common.sh"
requests=${1:-2000}
concurrency=${2:-64}
ttft_ms=50 token_ms=5 tokens=64

build
start_fake --ttft-ms "$ttft_ms" --token-ms "$token_ms" --tokens "$tokens"
new_home

echo "omc bench: $requests requests, concurrency $concurrency, injected ttft ${ttft_ms} ms," \
  "${token_ms} ms/token, $tokens tokens…" >&2
"$omc" bench --runs "$requests" --concurrency "$concurrency" --warmup "$concurrency" \
  --timeout 30s --json -q --requests-out "$work/requests.jsonl" >"$work/report.json"

python3 - "$work/report.json" "$work/requests.jsonl" "$ttft_ms" "$token_ms" "$concurrency" <<'PY'
import json, sys
report, lines, ttft, token = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
conc = int(sys.argv[5])
r = json.load(open(report))
t = r["targets"][0]
recs = [json.loads(l) for l in open(lines)]
m = [x for x in recs if not x["warmup"] and x["status"] == "ok"]
def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]
err = [x["ttft_ms"] - ttft for x in m]
aerr = [abs(e) for e in err]
tpot = [x["tpot_ms"] for x in m]
print(f"requests ok/failed          {t['ok']}/{t['failed']}  (wall {r['wall_ms']/1000:.1f} s)")
print(f"TTFT  report p50/p99/max    {t['ttft']['p50']:.3f} / {t['ttft']['p99']:.3f} / {t['ttft']['max']:.3f} ms  (injected {ttft:g} ms)")
print(f"|TTFT − injected| p50       {pct(aerr, .50):.3f} ms")
print(f"|TTFT − injected| p99       {pct(aerr, .99):.3f} ms   (target ≤ 1 ms)  {'PASS' if pct(aerr, .99) <= 1 else 'MISS'}")
print(f"|TTFT − injected| max       {max(aerr):.3f} ms")
# The first round is C requests sent in the same instant (a thundering herd on 2 cores shared
# with the fake); shown apart so its share of the tail is visible, not to replace the figure.
steady = [abs(x["ttft_ms"] - ttft) for x in sorted(m, key=lambda x: x["scheduled_ms"])[conc:]]
print(f"  after the first round p99  {pct(steady, .99):.3f} ms")
print(f"|report p99 − injected|     {abs(t['ttft']['p99'] - ttft):.3f} ms")
mean_tpot = sum(tpot) / len(tpot)
e = abs(t['tpot']['p50'] - token) / token
print(f"TPOT  report p50/mean/p99   {t['tpot']['p50']:.3f} / {t['tpot']['mean']:.3f} / {t['tpot']['p99']:.3f} ms  (injected {token:g} ms)")
print(f"TPOT  p50 error             {100*e:.2f}%   (target ≤ 5%)  {'PASS' if e <= .05 else 'MISS'}")
print(f"TPOT  worst request error   {100*max(abs(x - token) for x in tpot)/token:.2f}%")
PY

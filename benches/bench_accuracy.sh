#!/usr/bin/env bash
# Accuracy of omc bench's timings against known injected delays.
#
# The fake provider (examples/fake_provider, its own process) waits TTFT before the first
# content event and TOKEN between later ones, on a high-resolution timer; omc bench measures
# it at concurrency C. Prints |measured − injected| time to first token (p50, p99, max) and
# the per-token time's error. Targets (issue 4): p99 TTFT error ≤ 1 ms, per-token within 5%.
#
# The error against the injected delay counts the fake's own lateness too, so two more figures
# say where it comes from: the fake logs (--log) when each first content event was due and when
# its write returned, and /proc/stat says how much CPU time the hypervisor stole from this VM
# during the run (time in which no thread of either process could run).
#
# Usage: benches/bench_accuracy.sh [REQUESTS] [CONCURRENCY]   (defaults 2000, 64)
set -euo pipefail
# shellcheck source=benches/common.sh
source "$(dirname "$0")/common.sh"
requests=${1:-2000}
concurrency=${2:-64}
ttft_ms=50 token_ms=5 tokens=64

build
start_fake --ttft-ms "$ttft_ms" --token-ms "$token_ms" --tokens "$tokens" \
  --log "$work/fake-first.jsonl"
new_home

# cpu  user nice system idle iowait irq softirq steal …: the total and the steal, in ticks.
cpu_ticks() { awk '/^cpu /{t=0; for (i=2; i<=NF; i++) t+=$i; print t, $9}' /proc/stat 2>/dev/null || echo "0 0"; }
read -r total0 steal0 < <(cpu_ticks)

echo "omc bench: $requests requests, concurrency $concurrency, injected ttft ${ttft_ms} ms," \
  "${token_ms} ms/token, $tokens tokens…" >&2
"$omc" bench --runs "$requests" --concurrency "$concurrency" --warmup "$concurrency" \
  --timeout 30s --json -q --requests-out "$work/requests.jsonl" >"$work/report.json"
read -r total1 steal1 < <(cpu_ticks)
sleep 0.2 # the fake's log thread

python3 - "$work/report.json" "$work/requests.jsonl" "$ttft_ms" "$token_ms" "$concurrency" \
  "$work/fake-first.jsonl" "$((total1 - total0))" "$((steal1 - steal0))" <<'PY'
import json, sys
report, lines, ttft, token = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
conc = int(sys.argv[5])
fake_log, ticks, stolen = sys.argv[6], int(sys.argv[7]), int(sys.argv[8])
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
# The fake's own part: its first content event's write returned this long after it was due
# (warmups included; the fake cannot tell them apart). Not subtracted from the figures above.
late = [(x["written_ns"] - x["due_ns"]) / 1e6 for x in map(json.loads, open(fake_log))]
if late:
    print(f"fake's own lateness p50/p99/max  {pct(late, .50):.3f} / {pct(late, .99):.3f} / {max(late):.3f} ms"
          f"  ({100 * sum(l > 1 for l in late) / len(late):.1f}% of first tokens > 1 ms late at the source)")
if ticks > 0:
    print(f"CPU time stolen by the host {100 * stolen / ticks:.1f}% of the run (/proc/stat steal)")
mean_tpot = sum(tpot) / len(tpot)
e = abs(t['tpot']['p50'] - token) / token
print(f"TPOT  report p50/mean/p99   {t['tpot']['p50']:.3f} / {t['tpot']['mean']:.3f} / {t['tpot']['p99']:.3f} ms  (injected {token:g} ms)")
print(f"TPOT  p50 error             {100*e:.2f}%   (target ≤ 5%)  {'PASS' if e <= .05 else 'MISS'}")
print(f"TPOT  worst request error   {100*max(abs(x - token) for x in tpot)/token:.2f}%")
PY

"""Figures for benches/bench_accuracy.sh (one run): omc bench's report and --requests-out lines
joined with the fake provider's --log lines by request id. See the shell script for what each
figure means."""
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
def verdict(ok):
    return "PASS" if ok else "MISS"
aerr = [abs(x["ttft_ms"] - ttft) for x in m]
print(f"requests ok/failed          {t['ok']}/{t['failed']}  (wall {r['wall_ms']/1000:.1f} s)")
print(f"TTFT  report p50/p99/max    {t['ttft']['p50']:.3f} / {t['ttft']['p99']:.3f} / {t['ttft']['max']:.3f} ms  (injected {ttft:g} ms)")
# 1. Against the nominal delay: omc's error and the fake's lateness together.
print(f"|TTFT − nominal| p50/p99/max     {pct(aerr, .50):.3f} / {pct(aerr, .99):.3f} / {max(aerr):.3f} ms"
      f"   {verdict(pct(aerr, .99) <= 1)} (≤ 1 ms at p99)")
# 2. Against what the fake actually delivered, request by request: it logs when the request
# arrived and when the write carrying the first content event returned, under the id it sent
# back in `x-request-id`, which omc keeps in each record. What is left is omc's own error (its
# stamps against the fake's: the request's way there, the first token's way back and omc's
# scheduling), the figure the target is about.
fake = {}
for l in open(fake_log):
    x = json.loads(l)
    fake[x["request_id"]] = x
joined = [(x, fake[x["request_id"]]) for x in m if x.get("request_id") in fake]
if len(joined) < len(m):
    print(f"  only {len(joined)} of {len(m)} requests matched the fake's log")
own = [abs(x["ttft_ms"] - (f["written_ns"] - f["received_ns"]) / 1e6) for x, f in joined]
if own:
    print(f"|TTFT − delivered| p50/p99/max   {pct(own, .50):.3f} / {pct(own, .99):.3f} / {max(own):.3f} ms"
          f"   {verdict(pct(own, .99) <= 1)} (≤ 1 ms at p99: omc's own error)")
    late = [(f["written_ns"] - f["due_ns"]) / 1e6 for _, f in joined]
    print(f"fake's lateness p50/p99/max      {pct(late, .50):.3f} / {pct(late, .99):.3f} / {max(late):.3f} ms"
          f"  ({100 * sum(v > 1 for v in late) / len(late):.1f}% of first tokens > 1 ms late at the source)")
    parts = [("timer", "due_ns", "fired_ns"), ("task wake", "fired_ns", "woke_ns"), ("write", "woke_ns", "written_ns")]
    print("  of which p99: " + ", ".join(
        f"{name} {pct([(f[b] - f[a]) / 1e6 for _, f in joined], .99):.3f} ms" for name, a, b in parts))
if ticks > 0:
    print(f"CPU time stolen by the host      {100 * stolen / ticks:.1f}% of the run (/proc/stat steal)")
tpot = [x["tpot_ms"] for x in m]
e = abs(t['tpot']['p50'] - token) / token
print(f"TPOT  report p50/mean/p99   {t['tpot']['p50']:.3f} / {t['tpot']['mean']:.3f} / {t['tpot']['p99']:.3f} ms  (injected {token:g} ms)")
print(f"TPOT  p50 error             {100*e:.2f}%   {verdict(e <= .05)} (≤ 5%);  worst request {100*max(abs(x - token) for x in tpot)/token:.2f}%")
with open(sys.argv[9], "a") as out:
    out.write(f"{pct(aerr, .99)} {pct(own, .99) if own else 'nan'} {e}\n")

#!/usr/bin/env python3
"""A/B timing of several builds of omc, interleaved: each round runs every binary once, in turn.

hyperfine runs one command's runs back to back; on a shared VM whose speed drifts by tens of
percent within minutes, two such series compare two moments as much as two builds. Interleaved,
every binary sees the same moments. Wall time per run, from the spawn to the exit (Python's own
spawn cost, about the same for every binary, is included).

Usage: benches/interleave.py [-n ROUNDS] "ARGS" BIN [BIN…]
  e.g. OMC_HOME=… OMC_MASTER_KEY=… benches/interleave.py -n 60 "list" /tmp/omc-old target/release/omc
"""

import argparse
import shlex
import statistics
import subprocess
import time


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", "--rounds", type=int, default=40)
    p.add_argument("args", help="omc's arguments, one string (shell-quoted)")
    p.add_argument("bins", nargs="+", help="the omc binaries to compare")
    a = p.parse_args()
    argv = shlex.split(a.args)
    times: dict[str, list[float]] = {b: [] for b in a.bins}
    for _ in range(a.rounds):
        for b in a.bins:
            t = time.perf_counter()
            subprocess.run([b, *argv], stdout=subprocess.DEVNULL, check=True)
            times[b].append((time.perf_counter() - t) * 1e3)
    width = max(len(b) for b in a.bins)
    for b in a.bins:
        v = sorted(times[b])
        print(
            f"{b:{width}}  min {v[0]:7.2f}  p25 {v[len(v) // 4]:7.2f}  "
            f"median {statistics.median(v):7.2f}  p75 {v[3 * len(v) // 4]:7.2f} ms"
        )


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""A/B timing, interleaved: each round runs every binary (or command) once, in turn.

hyperfine runs one command's runs back to back; on a shared VM whose speed drifts by tens of
percent within minutes, two such series compare two moments as much as two builds. Interleaved,
every binary sees the same moments. Wall time per run, from the spawn to the exit (Python's own
spawn cost, about the same for every binary, is included).

Usage: benches/interleave.py [-n ROUNDS] "ARGS" BIN [BIN…]
  e.g. OMC_HOME=… OMC_MASTER_KEY=… benches/interleave.py -n 60 "list" /tmp/omc-old target/release/omc
   or: benches/interleave.py [-n ROUNDS] --commands "CMD" "CMD" [CMD…]
  e.g. benches/interleave.py --commands "omc --version" "omc run hi" "aichat hi"
       (different commands side by side, for a target set as a ratio of one to another; the
       first command is the anchor each other one is divided by)
"""

import argparse
import shlex
import statistics
import subprocess
import time


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", "--rounds", type=int, default=40)
    p.add_argument("--commands", action="store_true", help="the arguments are whole commands")
    p.add_argument("args", help="omc's arguments, one string (shell-quoted); or the first command")
    p.add_argument("bins", nargs="+", help="the omc binaries to compare; or the other commands")
    a = p.parse_args()
    if a.commands:
        runs = {c: shlex.split(c) for c in [a.args, *a.bins]}
    else:
        argv = shlex.split(a.args)
        runs = {b: [b, *argv] for b in a.bins}
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(a.rounds):
        for name, argv in runs.items():
            t = time.perf_counter()
            subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
            times[name].append((time.perf_counter() - t) * 1e3)
    width = max(len(name) for name in runs)
    medians = {}
    for name in runs:
        v = sorted(times[name])
        medians[name] = statistics.median(v)
        print(
            f"{name:{width}}  min {v[0]:7.2f}  p25 {v[len(v) // 4]:7.2f}  "
            f"median {medians[name]:7.2f}  p75 {v[3 * len(v) // 4]:7.2f} ms"
        )
    if a.commands:
        anchor, *others = runs
        for name in others:
            print(f"median ratio  {name} / {anchor}: {medians[name] / medians[anchor]:.2f}")


if __name__ == "__main__":
    main()

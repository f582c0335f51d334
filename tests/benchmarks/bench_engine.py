"""Engine speed against the peers, each measured in the same run (medians of --runs):
- scalar chain of N unary operations, forward + backward, µs per node (and which peers fail);
- wide graph: a sum of N squared inputs, backward time and its growth per 4x terms.

Run (in the benchmark environment, see setup.sh):
  .bench-venv/bin/python tests/benchmarks/bench_engine.py [--engines diffcli,dezero] [--runs 3]
Targets (issue 2): 100,000-node chain at most 0.5x DeZero's time per node; wide growth at
most 4.5x per 4x terms."""

import argparse
import gc
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import peers  # noqa: E402

sys.setrecursionlimit(10_000)  # what a user of a recursive engine would raise it to


def measure(job, runs):
    times = []
    for _ in range(runs):
        gc.collect()
        try:
            forward, backward = job()
        except RecursionError:
            return "RecursionError"
        except MemoryError:
            return "MemoryError"
        times.append((forward, backward))
    return (statistics.median(t[0] for t in times), statistics.median(t[1] for t in times))


def measure_engine(engine, chain_sizes, wide_sizes, runs):
    """{"chain": {n: [forward, backward] or "fails (...)"}, "wide": {n: backward or ...}}"""
    out = {"chain": {}, "wide": {}}
    for n in chain_sizes:
        r = measure(lambda: engine.chain(n), runs)
        out["chain"][n] = f"fails ({r})" if isinstance(r, str) else list(r)
    for n in wide_sizes:
        r = measure(lambda: engine.wide(n), runs)
        out["wide"][n] = f"fails ({r})" if isinstance(r, str) else r[1]
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engines", default="", help="comma-separated class names (default: all)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--chain", default="1000,10000,100000")
    parser.add_argument("--wide", default="1000,4000,16000")
    parser.add_argument("--json", action="store_true", help="print one JSON object per engine")
    args = parser.parse_args(argv)
    engines = peers.load([n.strip().lower() for n in args.engines.split(",") if n.strip()])
    if args.json:
        for engine in engines:
            result = measure_engine(engine, [int(n) for n in args.chain.split(",")],
                                    [int(n) for n in args.wide.split(",")], args.runs)
            print(json.dumps({"engine": engine.name, **result}))
        return
    rows = []
    print("scalar chain (forward + backward, µs per node)")
    chain_sizes = [int(n) for n in args.chain.split(",")]
    chain_us = {}
    for engine in engines:
        cells = []
        for n in chain_sizes:
            r = measure(lambda: engine.chain(n), args.runs)
            if isinstance(r, str):
                cells.append(f"fails ({r})")
            else:
                us = (r[0] + r[1]) / n * 1e6
                chain_us[(engine.name, n)] = us
                cells.append(f"{us:.2f} (fwd {r[0] / n * 1e6:.2f}, bwd {r[1] / n * 1e6:.2f})")
        rows.append((engine.name, cells))
        print(f"  {engine.name:15s}", " | ".join(f"n={n:,}: {c}" for n, c in zip(chain_sizes, cells)), flush=True)
    n = chain_sizes[-1]
    if ("diffcli", n) in chain_us:
        for engine in engines:
            if engine.name != "diffcli" and (engine.name, n) in chain_us:
                print(f"  ratio diffcli / {engine.name} at n={n:,}: "
                      f"{chain_us[('diffcli', n)] / chain_us[(engine.name, n)]:.3f}")
    print("wide graph (sum of n squared inputs): backward seconds, growth per 4x terms")
    wide_sizes = [int(n) for n in args.wide.split(",")]
    for engine in engines:
        cells, previous = [], None
        for n in wide_sizes:
            r = measure(lambda: engine.wide(n), args.runs)
            if isinstance(r, str):
                cells.append(f"n={n:,}: fails ({r})")
                previous = None
                continue
            growth = f", x{r[1] / previous:.2f}" if previous else ""
            cells.append(f"n={n:,}: {r[1] * 1e3:.1f} ms{growth}")
            previous = r[1]
        print(f"  {engine.name:15s}", " | ".join(cells), flush=True)


if __name__ == "__main__":
    main()

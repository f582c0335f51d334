"""Batch: 10,000 typical programs (10-20 operations each) from a file through
`diffcli eval --json -f FILE`, against Lark alone parsing the same programs into trees with
the same grammar (a separate process reading the same file), measured in the same run.

Run: python tests/benchmarks/bench_batch.py [--count 10000] [--runs 3] [--jobs 1]
(target: ratio <= 2.0)"""

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import diffcli_executable, typical_file, wall  # noqa: E402

LARK_ALONE = r"""
import sys
from lark import Lark
import diffcli.parser as p  # only to find the same grammar file
lark = Lark(p._grammar_text(), start="program", parser="lalr", lexer="basic",
            cache=p._cache_path() and p._cache_path() + ".trees", maybe_placeholders=False)
count = 0
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        if line.strip() and not line.lstrip().startswith("#"):
            lark.parse(line.rstrip("\n"))
            count += 1
print(count)
"""



def measure(count=10_000, runs=3):
    """(median seconds of diffcli eval --json -f, of Lark alone parsing into trees)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "programs.txt")
        typical_file(path, count)
        ours_cmd = [diffcli_executable(), "eval", "--json", "-f", path]
        lark_cmd = [sys.executable, "-c", LARK_ALONE, path]
        wall(lark_cmd)  # warm caches
        ours, lark = [], []
        for _ in range(runs):
            ours.append(wall(ours_cmd))
            lark.append(wall(lark_cmd))
        return statistics.median(ours), statistics.median(lark)


def measure_jobs(count=100_000, jobs=2, runs=1):
    """(median seconds at --jobs 1, at --jobs N) on a file of `count` typical programs."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "programs.txt")
        typical_file(path, count, seed=1)
        cmd = [diffcli_executable(), "eval", "--json", "-f", path]
        one, many = [], []
        for _ in range(runs):
            one.append(wall(cmd))
            many.append(wall(cmd + ["--jobs", str(jobs)]))
        return statistics.median(one), statistics.median(many)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=0, help="also time --jobs 1 against --jobs N")
    args = parser.parse_args()
    ours, lark = measure(args.count, args.runs)
    print(f"{args.count:,} programs, median of {args.runs} runs")
    print(f"diffcli eval --json -f:          {ours:7.2f} s  ({ours / args.count * 1e6:6.0f} µs/program)")
    print(f"Lark alone, parse into trees:    {lark:7.2f} s  ({lark / args.count * 1e6:6.0f} µs/program)")
    print(f"ratio: {ours / lark:.2f}  (target <= 2.0)")
    if args.jobs:
        one, many = measure_jobs(args.count, args.jobs)
        print(f"--jobs 1: {one:.2f} s, --jobs {args.jobs}: {many:.2f} s, ratio {many / one:.2f}")


if __name__ == "__main__":
    main()

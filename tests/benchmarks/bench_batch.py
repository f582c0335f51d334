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



def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=0, help="also time diffcli --jobs N")
    args = parser.parse_args()
    exe = diffcli_executable()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "programs.txt")
        typical_file(path, args.count)
        ours_cmd = [exe, "eval", "--json", "-f", path]
        lark_cmd = [sys.executable, "-c", LARK_ALONE, path]
        wall(lark_cmd)  # warm caches
        ours, lark = [], []
        for _ in range(args.runs):
            ours.append(wall(ours_cmd))
            lark.append(wall(lark_cmd))
        m_ours, m_lark = statistics.median(ours), statistics.median(lark)
        print(f"{args.count:,} programs, median of {args.runs} runs")
        print(f"diffcli eval --json -f:          {m_ours:7.2f} s  ({m_ours / args.count * 1e6:6.0f} µs/program)")
        print(f"Lark alone, parse into trees:    {m_lark:7.2f} s  ({m_lark / args.count * 1e6:6.0f} µs/program)")
        print(f"ratio: {m_ours / m_lark:.2f}  (target <= 2.0)")
        if args.jobs:
            jobs = statistics.median(wall(ours_cmd + ["--jobs", str(args.jobs)]) for _ in range(args.runs))
            print(f"diffcli --jobs {args.jobs}: {jobs:7.2f} s, {jobs / m_ours:.2f} of --jobs 1")


if __name__ == "__main__":
    main()

"""Start-up: `diffcli eval --json 'x = 2.0; square(x)'` end to end against the import floor
of its own stack, `python -c "import numpy, lark, click"`, measured in the same run.

Run: python tests/benchmarks/bench_startup.py [--runs 40]   (target: ratio <= 1.15)"""

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import diffcli_executable, wall  # noqa: E402



def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    exe = diffcli_executable()
    diffcli = [exe, "eval", "--json", "x = 2.0; square(x)"]
    floor = [sys.executable, "-c", "import numpy, lark, click"]
    wall(diffcli), wall(floor)  # warm the OS cache and diffcli's parser-table cache
    ours, base = [], []
    for _ in range(args.runs):  # interleaved, so drift affects both alike
        ours.append(wall(diffcli))
        base.append(wall(floor))
    m_ours, m_base = statistics.median(ours), statistics.median(base)
    print(f"diffcli eval --json, median of {args.runs}: {m_ours * 1e3:7.1f} ms")
    print(f"import numpy, lark, click (floor):  {m_base * 1e3:7.1f} ms")
    print(f"ratio: {m_ours / m_base:.3f}  (target <= 1.15)")


if __name__ == "__main__":
    main()

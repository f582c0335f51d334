"""Start-up: `diffcli eval --json 'x = 2.0; square(x)'` end to end against the import floor
of its own stack, `python -c "import numpy, lark, click"`, measured in the same run.

Run: python tests/benchmarks/bench_startup.py [--runs 40]   (target: ratio <= 1.15)"""

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import diffcli_executable, wall  # noqa: E402



def measure(runs=40):
    """(median seconds of diffcli, median seconds of the import floor), interleaved."""
    diffcli = [diffcli_executable(), "eval", "--json", "x = 2.0; square(x)"]
    floor = [sys.executable, "-c", "import numpy, lark, click"]
    wall(diffcli), wall(floor)  # warm the OS cache and diffcli's parser-table cache
    ours, base = [], []
    for _ in range(runs):  # interleaved, so drift affects both alike
        ours.append(wall(diffcli))
        base.append(wall(floor))
    return statistics.median(ours), statistics.median(base)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    ours, base = measure(args.runs)
    print(f"diffcli eval --json, median of {args.runs}: {ours * 1e3:7.1f} ms")
    print(f"import numpy, lark, click (floor):  {base * 1e3:7.1f} ms")
    print(f"ratio: {ours / base:.3f}  (target <= 1.15)")


if __name__ == "__main__":
    main()

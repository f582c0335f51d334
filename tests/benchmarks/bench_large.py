"""Large arrays: sum(tanh(x) * exp(-x*x) + x**3) with x of N float64 elements, forward,
backward, total and peak memory, each engine in a process of its own (so every run pays
the same first-touch costs and the peak is that engine's alone).

Each process runs the job once untimed, then times it (peak memory covers both runs).
Run one:  python tests/benchmarks/bench_large.py --engine diffcli --n 10000000
Run all:  python tests/benchmarks/run_all.py (compares against hand-written numpy)
Targets (issue 6): at 10^7, total <= 1.5x and peak <= 1.5x the hand-written pair."""

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

PROGRAM = "sum(tanh(x) * exp(-x * x) + x ** 3)"


def numpy_by_hand(x):
    """The forward and gradient written out in numpy's fastest form (x*x*x for the cube)."""
    t0 = time.perf_counter()
    t = np.tanh(x)
    e = np.exp(-x * x)
    c = x * x
    y = np.sum(t * e + c * x)
    t1 = time.perf_counter()
    g = (1 - t * t) * e - 2 * x * t * e + 3 * c
    t2 = time.perf_counter()
    assert np.isfinite(y) and g.shape == x.shape
    return t1 - t0, t2 - t1


def diffcli_program(x):
    """diffcli's own path, as `diffcli eval` runs it: a lean parse, one releasing backward."""
    from diffcli.engine import backprop, fp_events
    from diffcli.parser import parse

    with fp_events():
        t0 = time.perf_counter()
        program = parse(PROGRAM, {"x": x}, lean=True)
        t1 = time.perf_counter()
        grads = backprop(program.output, release=True)
        t2 = time.perf_counter()
    assert grads[program.inputs["x"]].shape == x.shape
    return t1 - t0, t2 - t1


def run_engine(name, n):
    x = np.linspace(-1.0, 1.0, n)
    if name == "numpy":
        job = numpy_by_hand
    elif name == "diffcli":
        job = diffcli_program
    else:
        import peers

        job = {cls.__name__.lower(): cls for cls in peers.ENGINES}[name]().large
    # Run once untimed: the first large allocations of a process can stall for a second
    # while the kernel compacts memory for huge pages, whichever engine meets them.
    job(x)
    forward, backward = job(x)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"forward": forward, "backward": backward, "total": forward + backward, "peak_mib": peak}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", required=True)
    parser.add_argument("--n", type=int, default=10_000_000)
    args = parser.parse_args(argv)
    print(json.dumps(run_engine(args.engine, args.n)))


if __name__ == "__main__":
    main()

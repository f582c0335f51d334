"""Shared by the benchmark scripts: timing a command, finding diffcli, generating programs."""

import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def wall(cmd):
    """Wall-clock seconds of one run of a command, output discarded."""
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def diffcli_executable():
    beside = Path(sys.executable).parent / "diffcli"
    return str(beside) if beside.exists() else shutil.which("diffcli")

UNARY = ["sin", "cos", "tanh", "exp", "sigmoid", "square", "sqrt", "log", "abs", "relu"]
BINARY = ["+", "-", "*", "/"]


def typical_program(rng, operations):
    """A program of about `operations` operations on three scalar inputs and a shared
    intermediate, like the reference cases (sqrt/log applied to positive arguments)."""
    names = ["x", "y", "z"]
    head = "; ".join(f"{n} = {rng.uniform(-1.5, 1.5):.3f}" for n in names)
    terms = []
    count = 0
    while count < operations:
        f = UNARY[rng.integers(len(UNARY))]
        a = names[rng.integers(3)]
        b = names[rng.integers(3)]
        op = BINARY[rng.integers(len(BINARY))]
        inner = f"({a} {op} {rng.uniform(0.5, 2):.2f} * {b})" if op != "/" else f"({a} / (2 + {b}**2))"
        if f in ("sqrt", "log"):
            inner = f"(1 + square{inner})"
        terms.append(f"{f}{inner}")
        count += 4
    body = " + ".join(terms)
    return f"{head}; h = {body}; h * h + sin(h)"


def typical_file(path, count=10_000, seed=0):
    rng = np.random.default_rng(seed)
    with open(path, "w") as f:
        for _ in range(count):
            f.write(typical_program(rng, int(rng.integers(10, 21))) + "\n")

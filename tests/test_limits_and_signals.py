"""Hostile input: limits that stop work before memory is spent, large arrays admitted,
Ctrl-C and closed pipes mid-batch, and files read only where the user named them."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from diffcli.errors import LimitError
from diffcli.parser import Limits
from diffcli.program import evaluate

from helpers import executable, json_records, run


def peak_rss_mb(*args):
    """Run diffcli in a child of a fresh Python, so the peak RSS read is this run's alone."""
    code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    done = subprocess.run([sys.executable, "-c", code, executable(), *args], capture_output=True, timeout=300)
    return int(done.stdout) / 1024


def test_a_10_million_element_array_is_admitted_by_default():
    x = np.linspace(-1, 1, 10_000_000)
    result = evaluate("sum(tanh(x) * exp(-x * x) + x ** 3)", {"x": x})
    assert result.grads["x"].shape == (10_000_000,)
    i = 1234567
    expected = (1 - np.tanh(x[i]) ** 2) * np.exp(-x[i] ** 2) - 2 * x[i] * np.tanh(x[i]) * np.exp(-x[i] ** 2) + 3 * x[i] ** 2
    assert np.isclose(result.grads["x"][i], expected, rtol=1e-12)


def test_a_huge_broadcast_fails_before_allocating(tmp_path):
    np.save(tmp_path / "row.npy", np.ones(100_000))
    np.save(tmp_path / "col.npy", np.ones((100_000, 1)))
    args = ["eval", "--json", "--at", f"r=@{tmp_path / 'row.npy'}", "--at", f"c=@{tmp_path / 'col.npy'}",
            "sum(r * c)"]  # 10^10 elements: 80 GB if it were allocated
    record = json.loads(run(*args).stdout)
    assert record["error"]["type"] == "LimitError" and "10,000,000,000 elements" in record["error"]["message"]
    assert record["error"]["column"] == 7
    assert peak_rss_mb(*args) < 300  # the 80 GB were never asked for


@pytest.mark.parametrize("program,limits,words", [
    ("x = 1; x + x", Limits(max_line=5), "--max-line"),
    ("x = [[[1]]]; sum(x)", Limits(max_rank=2), "--max-rank"),
    ("x = [1, 2, 3, 4]; x", Limits(max_elements=3), "--max-elements"),
    ("x = 1; " + " + ".join(["x"] * 20), Limits(max_nodes=10), "--max-nodes"),
    ("x = [1, 2, 3]; y = x * x; y * y", Limits(max_total=7), "--max-total"),
])
def test_every_limit_fails_with_limit_error(program, limits, words):
    with pytest.raises(LimitError, match=words):
        evaluate(program, limits=limits)


def test_nth_derivative_growth_is_bounded():
    start = time.perf_counter()
    with pytest.raises(LimitError, match="--max-nth-nodes"):
        evaluate("x = 0.5; tanh(x)", nth=40, limits=Limits(max_nth_nodes=5_000))
    assert time.perf_counter() - start < 30


def test_naive_order_blowup_is_bounded():
    # 30 stacked diamonds: the naive order would run 2^30 functions
    program = "x = 0.5; " + "".join(f"a{i} = square({'x' if i == 0 else f'a{i - 1}'}) * 0.5; "
                                     f"b{i} = a{i} + a{i}; " for i in range(30)).replace(
        "square(a", "square(b").replace("square(b0", "square(a0") + "b29"
    with pytest.raises(LimitError, match="naive"):
        evaluate(program, order="naive")


def _big_batch(tmp_path, count=300_000):
    path = tmp_path / "big.txt"
    path.write_text("x = 1; a = sin(x); a * a + cos(a)\n" * count)
    return path


def test_ctrl_c_leaves_only_complete_json_lines(tmp_path):
    process = subprocess.Popen([executable(), "eval", "--json", "-f", str(_big_batch(tmp_path))],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(2.0)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert stderr == b"diffcli: interrupted\n"
    records = json_records(stdout)
    assert records and all(r["ok"] for r in records)
    assert stdout.endswith(b"\n")


def test_closed_pipe_stops_without_evaluating_the_rest(tmp_path):
    path = _big_batch(tmp_path)  # about a minute of work if it were all evaluated
    start = time.perf_counter()
    done = subprocess.run(f"'{executable()}' eval --json -f '{path}' | head -2", shell=True,
                          capture_output=True, timeout=120)
    assert time.perf_counter() - start < 15
    assert len(done.stdout.splitlines()) == 2 and done.stderr == b""


def test_at_sign_in_a_program_is_the_matrix_product_never_a_file():
    done = run("eval", "--json", "x = [1, 2]; x @ /etc/passwd")
    assert json.loads(done.stdout)["error"]["type"] == "ParseError"


def test_an_empty_stdin_is_an_empty_batch():
    done = subprocess.run([executable(), "eval", "--json", "-f", "-"], stdin=subprocess.DEVNULL,
                          capture_output=True)
    assert done.returncode == 0 and done.stdout == b""


def test_a_directory_given_as_a_file_is_a_usage_error(tmp_path):
    done = subprocess.run([executable(), "eval", "-f", str(tmp_path)], capture_output=True)
    assert done.returncode == 2 and b"Traceback" not in done.stderr


@pytest.mark.skipif(not os.path.exists("/proc/self/mem"), reason="needs Linux's /proc")
def test_a_read_error_is_reported_not_turned_into_a_program_error():
    # /proc/self/mem passes as a file but reading it from offset 0 fails with EIO
    done = subprocess.run([executable(), "eval", "--json", "-f", "/proc/self/mem"], capture_output=True)
    assert done.returncode == 1 and done.stdout == b""
    assert done.stderr == b"diffcli: Input/output error\n"


def test_default_limits_admit_what_the_spec_promises():
    # SPEC §3: lines of 1 MB, 10,000 levels, 100,000 terms, arrays of 10^7 elements (the
    # levels and terms are run in test_language; a 1 MB line takes ~8 s, so it is checked here)
    limits = Limits()
    assert limits.max_line >= 1_000_000
    assert limits.max_elements >= 10_000_000 and limits.max_total >= 3 * 10_000_000
    assert limits.max_nodes >= 300_000  # a 1 MB line of "sin(x) + " terms has ~260,000 functions

"""The 120 reference programs (values and gradients from SymPy, independent of any AD
code) through the real executable: diffcli eval --json --nth 2 -f reference.jsonl."""

import json

import numpy as np
import pytest

from helpers import DATA, json_records, run

CASES = [json.loads(line) for line in (DATA / "reference.jsonl").read_text().splitlines()]
RTOL, ATOL = 1e-6, 1e-9  # the reference's own stated agreement


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    programs = tmp_path_factory.mktemp("ref") / "programs.txt"
    programs.write_text("".join(case["program"] + "\n" for case in CASES))
    done = run("eval", "--json", "--nth", "2", "-f", str(programs))
    assert done.returncode == 0, done.stderr.decode()
    assert done.stderr == b""
    return json_records(done.stdout)


def _close(got, want):
    return np.allclose(np.asarray(got, dtype=float), np.asarray(want, dtype=float), rtol=RTOL, atol=ATOL)


def test_one_record_per_case_in_order(records):
    assert [r["program"] for r in records] == [c["program"] for c in CASES]
    assert [r["source"]["line"] for r in records] == list(range(1, len(CASES) + 1))


@pytest.mark.parametrize("index", range(len(CASES)))
def test_reference_case(records, index):
    case, record = CASES[index], records[index]
    assert record["ok"], record
    assert _close(record["value"], case["value"]), (case["program"], record["value"], case["value"])
    assert list(record["grads"]) == list(case["grads"]), "inputs reported in order of definition"
    for name, want in case["grads"].items():
        got = record["grads"][name]
        assert _close(got, want), f"{case['program']}: d/d{name} = {got}, reference {want}"
    for name, want in case.get("d2", {}).items():
        got = record["derivatives"][name][1]
        assert _close(got, want), f"{case['program']}: d2/d{name}2 = {got}, reference {want}"

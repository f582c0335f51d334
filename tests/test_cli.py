"""diffcli eval through click's CliRunner (exact output) and through the installed
executable in a subprocess: formats, sources, --at, errors, batches, pipes."""

import json
import subprocess

import numpy as np
import pytest
from click.testing import CliRunner

from diffcli.cli import main

from helpers import executable, json_records, run

SEED = "x = 2.0; a = square(x); square(a) + square(a)"


def invoke(*args, stdin=None):
    return CliRunner().invoke(main, list(args), input=stdin, env={"COLUMNS": "100"})


def test_json_record_is_exactly_the_spec():
    result = invoke("eval", "--json", SEED)
    assert result.exit_code == 0
    assert result.output == (
        '{"ok": true, "program": "x = 2.0; a = square(x); square(a) + square(a)", '
        '"source": {"file": null, "line": 1}, "value": 32.0, "shape": [], '
        '"grads": {"x": 64.0}, "warnings": []}\n')


def test_json_trace_lists_steps_and_queues():
    record = json.loads(invoke("eval", "--json", "--trace", SEED).output)
    assert record["trace"] == [
        {"step": 1, "id": "f4", "function": "add", "generation": 2, "queue": ["f3", "f2"]},
        {"step": 2, "id": "f3", "function": "square", "generation": 1, "queue": ["f2", "f1"]},
        {"step": 3, "id": "f2", "function": "square", "generation": 1, "queue": ["f1"]},
        {"step": 4, "id": "f1", "function": "square", "generation": 0, "queue": []},
    ]


def test_json_naive_order_is_flagged_where_it_differs():
    record = json.loads(invoke("eval", "--json", "--order", "naive", "--trace", SEED).output)
    assert record["grads"] == {"x": 96.0} and record["differs"] == {"x": 64.0}
    assert [s["id"] for s in record["trace"]] == ["f4", "f3", "f1", "f2", "f1"]


def test_json_nth_derivatives():
    record = json.loads(invoke("eval", "--json", "--nth", "3", SEED).output)
    assert record["derivatives"] == {"x": [64.0, 96.0, 96.0]}


def test_json_arrays_and_non_finite_numbers_are_strict():
    result = invoke("eval", "--json", "x = [1, -1, 0]; log(x)")
    record = json.loads(result.output)
    assert record["value"] == [0.0, "nan", "-inf"]
    assert record["grads"] == {"x": [1.0, -1.0, "inf"]}
    assert record["shape"] == [3]
    assert {w["message"] for w in record["warnings"]} >= {
        "invalid value (log of a negative number)", "division by zero (log of zero)"}
    assert all(w["function"] == "log" and w["column"] == 17 for w in record["warnings"])
    assert "NaN" not in result.output and "Infinity" not in result.output


def test_plain_format_is_one_greppable_line():
    result = invoke("eval", "--format", "plain", SEED, "x = [1, 2]; sum(x * x)", "oops(")
    assert result.output.splitlines() == [
        "value=32.0 d/dx=64.0",
        "value=5.0 d/dx=[2.0,4.0]",
        "error=ParseError line=1 column=6 message=\"expected an expression after '(', found the end of the program\"",
    ]
    assert result.exit_code == 1


def test_rich_view_of_one_program_shows_value_gradients_and_traversal():
    result = invoke("eval", SEED)
    assert result.exit_code == 0
    lines = [line.rstrip() for line in result.output.splitlines()]
    assert lines[0] == "program  x = 2.0; a = square(x); square(a) + square(a)"
    assert lines[1] == "value    32"
    assert any(line.split() == ["x", "2", "64"] for line in lines)
    assert "backward pass (generation order)" in result.output
    steps = [line.split() for line in lines if line.strip()[:1].isdigit() and "f" in line]
    assert [s[1] for s in steps] == ["f4", "f3", "f2", "f1"]
    assert "(a.grad 8 → 16)" in " ".join(result.output.split())


def test_rich_summary_of_several_programs():
    result = invoke("eval", SEED, "x = 1; exp(x)", "x = 1; x +")
    assert result.exit_code == 1
    assert "backward pass" not in result.output
    assert "d/dx = 64" in result.output and "d/dx = 2.718281828" in result.output
    assert "ParseError" in result.output


def test_rich_output_escapes_user_text():
    result = invoke("eval", "red = 1; sum([red])")
    assert "sum([red])" in result.output


def test_human_error_shows_the_line_and_a_caret():
    result = invoke("eval", "x = 2; sqr(x)")
    assert result.exit_code == 1
    assert "unknown function 'sqr'; did you mean 'sqrt' or 'square'?" in result.output
    assert "  x = 2; sqr(x)\n         ^\n" in result.output
    assert "Traceback" not in result.output


# --- bad inputs: in-process and through the real executable -----------------

BAD = [  # program, type, column, words in the message
    ("* 2", "ParseError", 1, "expected an expression, found '*'"),
    ("x = 2 +* 3", "ParseError", 8, "expected an expression after '+'"),
    ("x = 2; sin(x", "ParseError", 13, "missing ')' to close the '('"),
    ("x = 2; sqr(x)", "NameError", 8, "did you mean 'sqrt' or 'square'?"),
    ("x = 2; x * y", "NameError", 12, "unknown name 'y'"),
    ("x = 2; x = 3", "NameError", 8, "already assigned"),
    ("[[1, 2], [3]]", "ShapeError", 1, "ragged"),
    ("x = [1, 2]; y = [1, 2, 3]; x * y", "ShapeError", 30, "(2,) and (3,)"),
    ("x = 1; sin(x, x)", "ValueError", 8, "sin() takes 1 argument, given 2"),
    ("x = 2 $ 3", "ParseError", 7, "unexpected character '$'"),
    ("x = 2; é + x", "ParseError", 8, "unexpected character 'é'"),
    ("x = 2\x00", "ParseError", 6, "unexpected character U+0000"),
    ("x = 2; 3 )", "ParseError", 10, "')' with nothing to close"),
]


def _check_bad(records):
    assert len(records) == len(BAD)
    for record, (program, kind, column, words) in zip(records, BAD):
        assert record["ok"] is False and record["program"] == program
        error = record["error"]
        assert (error["type"], error["column"]) == (kind, column), (program, error)
        assert words in error["message"], (program, error["message"])


def _bad_file(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("".join(p + "\n" for p, *_ in BAD), encoding="utf-8")
    return path


def test_bad_inputs_in_process(tmp_path):
    path = _bad_file(tmp_path)
    result = invoke("eval", "--json", "-f", str(path))
    assert result.exit_code == 1
    _check_bad([json.loads(line) for line in result.output.splitlines()])


def test_bad_inputs_through_the_executable(tmp_path):
    path = _bad_file(tmp_path)
    done = run("eval", "--json", "-f", str(path))
    assert done.returncode == 1 and done.stderr == b""
    _check_bad(json_records(done.stdout))


def test_bad_inputs_in_rich_format_never_show_a_traceback(tmp_path):
    path = _bad_file(tmp_path)
    done = run("eval", "-f", str(path))
    assert done.returncode == 1
    assert b"Traceback" not in done.stdout + done.stderr
    assert done.stdout.count(b"^") == len(BAD)


def test_mixed_batch_file_keeps_every_program_in_order(tmp_path):
    path = tmp_path / "batch.txt"
    path.write_bytes(b"x = 1; exp(x)\n\n# only a comment\nx = (\n   \nx = 2; square(x)\n"
                     b"x = \xff\xfe; 1\nx = 3; x * x\n")
    done = run("eval", "--json", "-f", str(path))
    records = json_records(done.stdout)
    assert [(r["source"]["line"], r["ok"]) for r in records] == [
        (1, True), (4, False), (6, True), (7, False), (8, True)]
    assert all(r["source"]["file"] == str(path) for r in records)
    assert "UTF-8" in records[3]["error"]["message"] and records[3]["error"]["column"] == 5
    assert done.returncode == 1


def test_programs_piped_on_stdin():
    done = run("eval", "--json", stdin=b"x = 1; exp(x)\nx = 2; x * x\n")
    records = json_records(done.stdout)
    assert [r["value"] for r in records] == [pytest.approx(np.e), 4.0]
    assert [r["source"] for r in records] == [{"file": "-", "line": 1}, {"file": "-", "line": 2}]
    assert done.returncode == 0


def test_dash_file_reads_stdin_alongside_other_files(tmp_path):
    path = tmp_path / "p.txt"
    path.write_text("x = 5; x\n")
    result = invoke("eval", "--format", "plain", "-f", str(path), "-f", "-", stdin="x = 6; x\n")
    assert result.output.splitlines() == ["value=5.0 d/dx=1.0", "value=6.0 d/dx=1.0"]


def test_output_into_head_ends_quietly(tmp_path):
    path = tmp_path / "many.txt"
    path.write_text("x = 1; sin(x)\n" * 20000)
    done = subprocess.run(f"'{executable()}' eval --json -f '{path}' | head -1", shell=True,
                          capture_output=True, timeout=300)
    assert len(done.stdout.splitlines()) == 1
    assert done.stderr == b""


# --- --at -----------------------------------------------------------------

def test_at_constant_expressions():
    result = invoke("eval", "--format", "plain", "--at", "x=pi/2", "--at", "v=[1, 2]", "sin(x) * sum(v)")
    assert result.output == "value=3.0 d/dx=1.8369701987210297e-16 d/dv=[1.0,1.0]\n"


def test_at_from_npy_and_csv(tmp_path):
    np.save(tmp_path / "w.npy", np.array([1.0, 2.0, 3.0]))
    (tmp_path / "m.csv").write_text("1,2\n3,4\n")
    result = invoke("eval", "--json", "--at", f"w=@{tmp_path / 'w.npy'}",
                    "--at", f"m=@{tmp_path / 'm.csv'}", "sum(w) * sum(m)")
    record = json.loads(result.output)
    assert record["value"] == 60.0 and record["grads"]["m"] == [[6.0, 6.0], [6.0, 6.0]]


def test_at_refuses_a_pickled_npy(tmp_path):
    np.save(tmp_path / "evil.npy", np.array([object()], dtype=object), allow_pickle=True)
    result = invoke("eval", "--at", f"w=@{tmp_path / 'evil.npy'}", "sum(w)")
    assert result.exit_code == 2 and "pickle" in result.output


@pytest.mark.parametrize("spec,words", [
    ("x", "NAME=VALUE"), ("x=", "expected an expression"), ("x=y + 1", "unknown name 'y'"),
    ("x=@missing.npy", "missing.npy"), ("1x=2", "NAME=VALUE"),
])
def test_bad_at_is_a_usage_error(spec, words):
    result = invoke("eval", "--at", spec, "x")
    assert result.exit_code == 2 and words in result.output


# --- usage ------------------------------------------------------------------

def test_usage_errors_exit_2():
    assert invoke("eval", "--order", "random", SEED).exit_code == 2
    assert invoke("eval", "--format", "xml", SEED).exit_code == 2
    assert invoke("eval", "--nosuch").exit_code == 2
    assert invoke("eval", "-f", "/no/such/file").exit_code == 2


def test_version_and_help_with_examples():
    assert invoke("--version").output.startswith("diffcli, version ")
    for command in (["-h"], ["eval", "-h"], ["functions", "--help"]):
        result = invoke(*command)
        assert result.exit_code == 0 and "Example" in result.output


def test_python_dash_m_runs_the_cli():
    import sys

    done = subprocess.run([sys.executable, "-m", "diffcli", "eval", "--json", SEED],
                          capture_output=True, timeout=60, cwd="/")
    assert json.loads(done.stdout)["grads"] == {"x": 64.0}


def test_functions_lists_every_function_with_its_rule():
    from diffcli.functions import FUNCTIONS

    result = invoke("functions")
    for name, entry in FUNCTIONS.items():
        assert name in result.output
    assert "dy/dx = 2x" in result.output


def test_jobs_gives_the_same_bytes_in_the_same_order(tmp_path):
    path = tmp_path / "mixed.txt"
    lines = []
    for i in range(300):
        lines.append(f"x = {i / 100}; a = sin(x); a * a + exp(-x)" if i % 7 else f"x = {i}; x +")
    path.write_text("\n".join(lines) + "\n")
    one = run("eval", "--json", "--trace", "-f", str(path))
    two = run("eval", "--json", "--trace", "--jobs", "2", "-f", str(path))
    assert one.stdout == two.stdout and one.returncode == two.returncode == 1
    plain_one = run("eval", "--format", "plain", "-f", str(path))
    plain_two = run("eval", "--format", "plain", "--jobs", "3", "-f", str(path))
    assert plain_one.stdout == plain_two.stdout


def test_jobs_ctrl_c_ends_quietly(tmp_path):
    import signal
    import time

    path = tmp_path / "big.txt"
    path.write_text("x = 1; a = sin(x); a * a\n" * 200_000)
    process = subprocess.Popen([executable(), "eval", "--json", "--jobs", "2", "-f", str(path)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(2.5)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130 and stderr == b"diffcli: interrupted\n"
    assert all(json.loads(line)["ok"] for line in stdout.splitlines())

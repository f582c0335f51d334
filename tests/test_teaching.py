"""The teaching views: snapshots of every rich view (width 100, no colour), the diamond's
traversal, the three orders side by side, graph pictures, check, --step on a terminal.

Snapshots live in tests/snapshots/; after an intended change of a view, regenerate them
with DIFFCLI_UPDATE_SNAPSHOTS=1 pytest tests/test_teaching.py and read the diff."""

import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from diffcli import render
from diffcli.check import check
from diffcli.cli import main
from diffcli.functions import FUNCTIONS, Sin, cos
from diffcli.graph import describe, to_dot, tree_lines
from diffcli.parser import parse
from diffcli.program import compare_orders, evaluate, sharing_notice

from helpers import DATA, executable

SNAPSHOTS = Path(__file__).parent / "snapshots"
SEED = "x = 2.0; a = square(x); square(a) + square(a)"


def text_of(renderable):
    console = Console(file=io.StringIO(), width=100, color_system=None, highlight=False)
    console.print(renderable)
    return "\n".join(line.rstrip() for line in console.file.getvalue().splitlines()) + "\n"


def assert_snapshot(name, text):
    path = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("DIFFCLI_UPDATE_SNAPSHOTS"):
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no snapshot {path.name}: run with DIFFCLI_UPDATE_SNAPSHOTS=1"
    assert text == path.read_text(encoding="utf-8"), f"{name} view changed"


# --- snapshots of every rich view --------------------------------------------

def test_snapshot_program_view_of_the_seed():
    result = evaluate(SEED, trace=True)
    assert_snapshot("program_view", text_of(render.program_view(result, notice=sharing_notice(result.program))))


def test_snapshot_program_view_with_retain_grad_nth_and_warning():
    result = evaluate("x = 0.5; y = -1; a = tanh(x); a * a + log(y)", trace=True, nth=3, retain_grad=True)
    assert_snapshot("program_view_full", text_of(render.program_view(result, notice=sharing_notice(result.program))))


def test_snapshot_naive_order_view():
    assert_snapshot("program_view_naive", text_of(render.program_view(evaluate(SEED, trace=True, order="naive"))))


def test_snapshot_comparison_view():
    assert_snapshot("comparison", text_of(render.comparison_view(compare_orders(SEED))))


def test_snapshot_summary_table():
    records = json.loads("[" + ",".join(
        CliRunner().invoke(main, ["eval", "--json", SEED, "x = [1, 2]; x * x", "x +"]).output.splitlines()) + "]")
    assert_snapshot("summary", text_of(render.summary_table(records)))


def test_snapshot_error_view():
    error = {"type": "NameError", "message": "unknown function 'sqr'; did you mean 'sqrt' or 'square'?",
             "line": 1, "column": 8}
    assert_snapshot("error", text_of(render.error_view("x = 2; sqr(x)", error)))


def test_snapshot_functions_table():
    assert_snapshot("functions", text_of(render.functions_table(FUNCTIONS.values())))


def test_snapshot_check_table():
    result = check(SEED)
    records = [{"ok": result.ok, "program": SEED, "source": {"file": None, "line": 1},
                "inputs": [c._asdict() for c in result.inputs]}]
    table = text_of(render.check_table(records))
    assert " ok" in table  # the differences themselves vary in the last digits
    assert table.splitlines()[1].split() == ["#", "program", "input", "max", "abs", "diff", "max", "rel", "diff"]


def test_snapshot_tree_and_dot():
    graph = describe(parse(SEED))
    assert_snapshot("tree", "\n".join(tree_lines(graph)) + "\n")
    assert_snapshot("dot", to_dot(graph))


# --- the traversal and the orders ----------------------------------------------

def test_traversal_table_rows_read_like_the_seed_table():
    table = text_of(render.trace_table(evaluate(SEED, trace=True)))
    rows = [line.split() for line in table.splitlines() if line.strip()[:1].isdigit()]
    assert [r[1] for r in rows] == ["f4", "f3", "f2", "f1"]
    assert "f3(1), f2(1)" in table and "f2(1), f1(0)" in table
    assert "(a.grad 8 → 16)" in table


def test_side_by_side_flags_the_second_run_and_the_wrong_gradient():
    notes = compare_orders(SEED).notes
    assert "naive: f1 square(x) ran 2 times (the generation order runs each function once)" in notes
    assert any("received 8 before its output's gradient was complete (16)" in n for n in notes)
    assert "naive: d/dx = 96 is wrong; the generation order gives 64" in notes
    assert not any(n.startswith("topo") for n in notes)


def test_orders_agree_where_nothing_is_shared():
    assert compare_orders("x = 1; sin(x) * x").notes == ["All three orders agree on every gradient here."]


def test_sharing_notice_suggests_the_let_binding():
    notice = sharing_notice(parse("x = 3; square(x) + square(x)"))
    assert notice.endswith("bind it once to share one node: x = 3; a = square(x); a + a")
    assert sharing_notice(parse(SEED)) is None


def test_nth_reports_the_growth_of_each_derivative_graph():
    result = evaluate("x = 0.5; tanh(x)", nth=4)
    sizes = result.derivative_sizes["x"]
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]


def test_retain_grad_shows_intermediate_gradients():
    result = evaluate(SEED, retain_grad=True)
    assert float(result.intermediate_grads["a"]) == 16.0
    record = json.loads(CliRunner().invoke(main, ["eval", "--json", "--retain-grad", SEED]).output)
    assert record["intermediate_grads"] == {"a": 16.0}


def test_compare_is_a_rich_view_only():
    result = CliRunner().invoke(main, ["eval", "--json", "--compare", SEED])
    assert result.exit_code == 2


def test_compare_through_the_cli():
    result = CliRunner().invoke(main, ["eval", "--compare", SEED], env={"COLUMNS": "100"})
    assert result.exit_code == 0 and "d/dx = 96 is wrong" in result.output


# --- graph ---------------------------------------------------------------------

def test_graph_dot_is_accepted_by_graphviz(tmp_path):
    if shutil.which("dot") is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have Graphviz (.ci/run installs it)")
        pytest.skip("Graphviz is not installed")
    out = CliRunner().invoke(main, ["graph", "--grads", 'x = [1, 2]; name = x * 2; sum(name)']).output
    done = subprocess.run(["dot", "-Tsvg"], input=out.encode(), capture_output=True)
    assert done.returncode == 0 and b"<svg" in done.stdout, done.stderr
    svg = tmp_path / "g.svg"
    result = CliRunner().invoke(main, ["graph", "-o", str(svg), SEED])
    assert result.exit_code == 0 and svg.read_bytes().lstrip().startswith(b"<?xml")


def test_graph_labels_are_quoted():
    dot = to_dot(describe(parse('x = 1; y = x * 2; y')))
    for line in dot.splitlines():
        if "label=" in line:
            label = line.split("label=", 1)[1]
            assert label.startswith('"') and label.count('"') - label.count('\\"') >= 2


def test_graph_render_without_dot_says_how_to_install_it(tmp_path):
    done = subprocess.run([executable(), "graph", "-o", str(tmp_path / "g.svg"), SEED],
                          capture_output=True, env={**os.environ, "PATH": str(tmp_path)})
    assert done.returncode == 1
    assert b"apt-get install graphviz" in done.stderr and b"Traceback" not in done.stderr


def test_graph_tree_of_a_10000_deep_program():
    depth = 10_000
    result = CliRunner().invoke(main, ["graph", "--format", "tree", "x = 0.5; " + "sin(" * depth + "x" + ")" * depth])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert len(lines) > depth and max(len(line) for line in lines) < 200
    assert lines[-1].strip().startswith("└── x = 0.5 [input")


def test_graph_tree_shows_a_shared_node_once():
    lines = tree_lines(describe(parse(SEED)))
    assert sum("← f1 square(x)" in line for line in lines) == 1
    assert sum("a = 4 (shown above)" in line for line in lines) == 1


def test_graph_errors_are_reported_with_a_caret():
    result = CliRunner().invoke(main, ["graph", "x = 2; sqr(x)"])
    assert result.exit_code == 1 and "^" in result.output


# --- check ---------------------------------------------------------------------

def test_check_passes_on_the_reference_cases():
    cases = [json.loads(line)["program"] for line in (DATA / "reference.jsonl").read_text().splitlines()]
    failing = [(p, r) for p in cases for r in [check(p)] if not r.ok]
    assert not failing, failing[:3]


def test_check_fails_on_a_deliberately_wrong_derivative(monkeypatch):
    monkeypatch.setattr(Sin, "backward", lambda self, gy, y, x: (gy * 2 * cos(x),))
    result = CliRunner().invoke(main, ["check", "--format", "plain", "x = 0.3; sin(x)"])
    assert result.exit_code == 1 and result.output.startswith("DISAGREES x:")


def test_check_json_records():
    result = CliRunner().invoke(main, ["check", "--json", "x = 0.3; w = [1, 2]; sin(x) * sum(w)", "bad("])
    first, second = [json.loads(line) for line in result.output.splitlines()]
    assert first["ok"] and [c["name"] for c in first["inputs"]] == ["x", "w"]
    assert first["inputs"][0]["max_abs"] < 1e-7
    assert second["ok"] is False and second["error"]["type"] == "ParseError"
    assert result.exit_code == 1


# --- --step on a real terminal ---------------------------------------------------

def test_step_reveals_one_row_per_enter_on_a_terminal():
    import pty
    import select
    import time

    master, slave = pty.openpty()
    process = subprocess.Popen([executable(), "eval", "--step", SEED], stdin=slave, stdout=slave,
                               stderr=slave, env={**os.environ, "COLUMNS": "120", "TERM": "dumb"})
    os.close(slave)
    output = b""

    def read_for(seconds):
        nonlocal output
        end = time.time() + seconds
        while time.time() < end:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    output += os.read(master, 65536)
                except OSError:
                    return

    read_for(3)
    assert b"Enter: next step" in output and b"f1 square(x)" not in output
    for _ in range(4):
        os.write(master, b"\r")
        read_for(1)
    process.wait(timeout=20)
    os.close(master)
    assert process.returncode == 0
    assert b"f1 square(x)" in output

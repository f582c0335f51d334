"""Rich renderables for people: the teaching view of one program, batch summaries, tables.

Reads result records and engine trace records; returns renderables and never prints
(only cli.py does). Never imports click. User text goes through Text, never markup."""

import numpy as np
from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from .report import caret_lines, value_text




def _shape(a):
    shape = np.shape(a)
    return "scalar" if not shape else "×".join(map(str, shape))


def program_view(result, *, trace=True, notice=None):
    """Value, gradient table, warnings, higher derivatives, (if asked) the backward
    traversal table, and a teaching notice."""
    parts = [Text.assemble(("program  ", "bold"), result.text)]
    value = Text.assemble(("value    ", "bold"), value_text(result.value))
    if np.ndim(result.value):
        value.append(f"   (shape {_shape(result.value)}; gradients are of the sum of its elements)",
                     style="dim")
    parts.append(value)
    if result.order != "generation":
        parts.append(Text.assemble(("order    ", "bold"), result.order))
    parts.append(gradient_table(result))
    if result.differs:
        for name, right in result.differs.items():
            parts.append(Text(f"⚠ d/d{name} = {value_text(result.grads[name])} under the "
                              f"{result.order} order; the generation order gives "
                              f"{value_text(right)}.", style="bold red"))
    if result.intermediate_grads:
        table = Table(title="intermediate gradients", box=box.SIMPLE_HEAD,
                      title_justify="left")
        table.add_column("name")
        table.add_column("gradient", justify="right")
        for name, g in result.intermediate_grads.items():
            table.add_row(Text(name), value_text(g))
        parts.append(table)
    for w in result.warnings:
        parts.append(Text(f"warning: {w.function} at column {w.column}: {w.message}", style="yellow"))
    if result.derivatives:
        parts.append(derivatives_table(result))
    if trace and result.trace:
        parts.append(trace_table(result))
    if notice:
        parts.append(Text("note: " + notice, style="dim"))
    return Group(*parts)


def derivatives_table(result):
    """d^k/dx^k for each scalar input, and how many functions each derivative's graph has."""
    table = Table(title="higher derivatives (--nth)", title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("input")
    table.add_column("order", justify="right")
    table.add_column("derivative", justify="right")
    table.add_column("functions in its graph", justify="right")
    for name, ds in result.derivatives.items():
        sizes = result.derivative_sizes.get(name, [])
        for k, (d, size) in enumerate(zip(ds, sizes), 1):
            table.add_row(Text(name) if k == 1 else "", str(k), f"{d:.10g}", str(size))
    return table


def gradient_table(result):
    table = Table(box=box.SIMPLE_HEAD, show_edge=False)
    table.add_column("input")
    table.add_column("value", justify="right")
    table.add_column("gradient", justify="right")
    for name, g in result.grads.items():
        table.add_row(Text(name), value_text(result.program.inputs[name].data), value_text(g))
    if not result.grads:
        table.add_row(Text("(no inputs)", style="dim"), "", "")
    return table


def trace_table(result, upto=None):
    """One row per backward step: what ran, what it received and passed on, the queue after
    (with generations). upto: show only the first steps (--step reveals them one by one)."""
    table = Table(title=f"backward pass ({result.order} order)", title_justify="left",
                  box=box.SIMPLE_HEAD)
    table.add_column("step", justify="right")
    table.add_column("function")
    table.add_column("gen", justify="right")
    table.add_column("received", justify="right")
    table.add_column("passed on")
    table.add_column("queue after")
    program = result.program
    for s in result.trace[:upto]:
        what = Text(f"{s.id} ", style="bold")
        what.append(program.snippet(s.source) if s.source is not None else s.function)
        passed = Text()
        for i, p in enumerate(s.passed):
            if i:
                passed.append("\n")
            passed.append(f"{p.to} ← {value_text(p.grad)}")
            if p.before is not None:
                passed.append(f"  ({p.to}.grad {value_text(p.before)} → {value_text(p.after)})",
                              style="cyan")
        queue = ", ".join(f"{q.id}({q.generation})" for q in s.queue) or "—"
        table.add_row(str(s.step), what, str(s.generation), value_text(s.gy), passed, Text(queue))
    return table


def error_view(text, error):
    """The program line with a caret under the column, and the message."""
    shown, caret = caret_lines(text, error["line"], error["column"])
    return Group(
        Text.assemble((f"{error['type']}: ", "bold red"), error["message"]),
        Text("  " + shown),
        Text("  " + caret, style="bold red"),
    )


def summary_table(records):
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("#", justify="right")
    table.add_column("program")
    table.add_column("value", justify="right")
    table.add_column("gradients")
    for r in records:
        where = str(r["source"]["line"])
        if r["ok"]:
            grads = ", ".join(f"d/d{k} = {_json_text(g)}" for k, g in r["grads"].items())
            table.add_row(where, Text(r["program"]), _json_text(r["value"]), Text(grads))
        else:
            e = r["error"]
            table.add_row(where, Text(r["program"]), Text("error", style="red"),
                          Text(f"{e['type']} at column {e['column']}: {e['message']}", style="red"))
    return table


def _json_text(v):
    """A record's number or nested list (non-finite numbers as strings) as display text."""
    return value_text(np.array(v, dtype=object).astype(np.float64))


def functions_table(entries):
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("function")
    table.add_column("arity", justify="right")
    table.add_column("derivative rule")
    for e in entries:
        table.add_row(e.name, str(e.arity), e.rule)
    return table


def comparison_view(comparison):
    """The three orders' traces next to each other, then what differs, in words."""
    columns = Table.grid(padding=(0, 2))
    tables = []
    for order, result in comparison.results.items():
        t = Table(title=f"{order}", title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1))
        t.add_column("#", justify="right")
        t.add_column("function", no_wrap=True)
        t.add_column("gy", justify="right", no_wrap=True)
        for s in result.trace:
            t.add_row(str(s.step), Text(f"{s.id} {s.function}"), value_text(s.gy))
        grads = ", ".join(f"d/d{k} = {value_text(g)}" for k, g in result.grads.items())
        t.caption = grads
        t.caption_justify = "left"
        columns.add_column()
        tables.append(t)
    columns.add_row(*tables)
    first = next(iter(comparison.results.values()))
    notes = [Text.assemble(("program  ", "bold"), first.text), columns]
    notes += [Text("• " + note, style="bold red" if "wrong" in note else "") for note in comparison.notes]
    return Group(*notes)


def check_table(records):
    """diffcli check: per program and input, the largest differences from finite differences."""
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("#", justify="right")
    table.add_column("program")
    table.add_column("input")
    table.add_column("max abs diff", justify="right")
    table.add_column("max rel diff", justify="right")
    table.add_column("")
    for r in records:
        where = str(r["source"]["line"])
        if not r.get("inputs"):
            message = r["error"]["message"] if "error" in r else "no inputs"
            table.add_row(where, Text(r["program"]), "", "", "", Text(message, style="red" if "error" in r else "dim"))
            continue
        for i, c in enumerate(r["inputs"]):
            table.add_row(where if i == 0 else "", Text(r["program"]) if i == 0 else "", Text(c["name"]),
                          f"{c['max_abs']:.2e}", f"{c['max_rel']:.2e}",
                          Text("ok", style="green") if c["ok"] else Text("DISAGREES", style="bold red"))
    return table


def tree_view(lines):
    return Text("\n".join(lines))

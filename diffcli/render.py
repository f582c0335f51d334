"""Rich renderables for people: the teaching view of one program, batch summaries, tables.

Reads result records and engine trace records; returns renderables and never prints
(only cli.py does). Never imports click. User text goes through Text, never markup."""

import numpy as np
from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from .report import caret_lines


def value_text(a):
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 0:
        return f"{float(a):.10g}"
    return np.array2string(a, precision=6, separator=", ", threshold=24, max_line_width=60)


def _shape(a):
    shape = np.shape(a)
    return "scalar" if not shape else "×".join(map(str, shape))


def program_view(result, *, trace=True):
    """Value, gradient table, warnings and (if asked) the backward traversal table."""
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
        table = Table(title="intermediate gradients (--retain-grad)", box=box.SIMPLE_HEAD,
                      title_justify="left")
        table.add_column("name")
        table.add_column("gradient", justify="right")
        for name, g in result.intermediate_grads.items():
            table.add_row(Text(name), value_text(g))
        parts.append(table)
    for w in result.warnings:
        parts.append(Text(f"warning: {w.function} at column {w.column}: {w.message}", style="yellow"))
    if trace and result.trace:
        parts.append(trace_table(result))
    return Group(*parts)


def gradient_table(result):
    table = Table(box=box.SIMPLE_HEAD, show_edge=False)
    table.add_column("input")
    table.add_column("value", justify="right")
    table.add_column("gradient", justify="right")
    nth = max((len(d) for d in result.derivatives.values()), default=0)
    for n in range(2, nth + 1):
        table.add_column(f"d{n}", justify="right")
    for name, g in result.grads.items():
        x = result.program.inputs[name].data
        ds = result.derivatives.get(name, [])[1:]
        table.add_row(Text(name), value_text(x), value_text(g), *[f"{d:.10g}" for d in ds])
    if not result.grads:
        table.add_row(Text("(no inputs)", style="dim"), "", "")
    return table


def trace_table(result):
    """One row per backward step: what ran, what it received and passed on, the queue after."""
    table = Table(title=f"backward pass ({result.order} order)", title_justify="left",
                  box=box.SIMPLE_HEAD)
    table.add_column("step", justify="right")
    table.add_column("function")
    table.add_column("gen", justify="right")
    table.add_column("received", justify="right")
    table.add_column("passed on")
    table.add_column("queue after")
    program = result.program
    for s in result.trace:
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

"""Evaluating a program: value, gradients of every input, trace, higher derivatives.

Reads parser and engine; produces plain result records for the renderers and the CLI."""

import re
from typing import NamedTuple

import numpy as np

from .engine import ORDERS, Variable, backprop, fp_events, graph_functions
from .errors import DiffcliValueError
from .parser import Limits, parse
from .report import value_text


class Warning_(NamedTuple):
    """A nan/inf event: the function it came from and where that function stands."""

    function: str
    line: int | None
    column: int | None
    message: str


class Result(NamedTuple):
    program: object  # parser.Program: the text, inputs and the live graph
    value: np.ndarray
    grads: dict  # input name -> ndarray of the input's shape
    warnings: list
    order: str
    trace: tuple  # engine.TraceStep records, when asked for
    derivatives: dict  # scalar input -> [d1, ..., dN]
    differs: dict  # input -> generation-order gradient, where unequal
    intermediate_grads: dict  # name -> gradient (retain_grad)
    derivative_sizes: dict  # scalar input -> functions in the graph of each derivative

    @property
    def text(self):
        return self.program.text


def evaluate(text, at=None, *, order="generation", trace=False, nth=0, cse=False,
             retain_grad=False, limits=None):
    """Parse and differentiate one program. Raises a DiffcliError for a bad program."""
    if nth < 0:
        raise DiffcliValueError("nth must be 0 or more")
    limits = limits or Limits()
    with fp_events() as events:
        # The program's graph is ours alone: values no rule reads are freed as early as possible
        program = parse(text, at, cse=cse, limits=limits, lean=True)
        output = program.output
        value = output.data if type(output) is Variable else np.asarray(output, dtype=np.float64)
        steps = [] if trace else None
        last_pass = order == "generation" and not nth  # no other pass will read the values
        grads, kept = _gradients(program, order, retain_grad, steps, release=last_pass)
        differs = {}
        if order != "generation":
            reference, _ = _gradients(program, "generation", False, None)
            differs = {k: g for k, g in reference.items() if not _same(g, grads[k])}
        derivatives, sizes = {}, {}
        for k, x in program.inputs.items():
            if nth and x.ndim == 0:
                derivatives[k], sizes[k] = _nth_derivatives(program, x, nth, limits.max_nth_nodes)
    named = {v: k for k, v in program.names.items() if type(v) is Variable}
    intermediate = {named[v]: np.asarray(g) for v, g in kept.items() if v in named
                    and v.creator is not None}
    return Result(program, value, grads, _warnings(events), order, tuple(steps or ()),
                  derivatives, differs, intermediate, sizes)


def _gradients(program, order, retain_grad, steps, release=False):
    """d(sum of output)/d(input) for every input, zeros where the output does not depend on it."""
    output = program.output
    kept = {}
    if type(output) is Variable and output.creator is not None:
        kept = backprop(output, order=order, retain_grad=retain_grad, steps=steps, release=release)
    grads = {}
    for name, x in program.inputs.items():
        if x is output:  # the program's output is an input itself
            grads[name] = np.ones_like(x.data)
        else:
            g = kept.get(x)
            grads[name] = np.zeros_like(x.data) if g is None else _own_array(g)
    return grads, kept


def _own_array(g):
    """A gradient as an array of its own: a view (the seed passed straight through) is copied."""
    a = np.asarray(g, dtype=np.float64)
    return a if a.flags.writeable and a.flags.c_contiguous else np.array(a)


def _nth_derivatives(program, x, n, budget):
    """[d1, ..., dn] of the output with respect to scalar input x, by differentiating the
    graph of each backward pass (create_graph); 0 once a derivative no longer depends on x.
    Also the number of functions in each derivative's graph (its growth is the lesson)."""
    derivatives, sizes = [], []
    y = program.output
    for _ in range(n):
        if type(y) is not Variable:
            g = None
        elif y is x:
            g = Variable(np.ones(()))
        elif y.creator is None:
            g = None
        else:
            g = backprop(y, create_graph=True, max_functions=budget - sum(sizes)).get(x)
        if g is None:
            missing = n - len(derivatives)
            derivatives.extend([0.0] * missing)
            sizes.extend([0] * missing)
            break
        derivatives.append(float(g.data))
        sizes.append(len(graph_functions(g)))
        y = g
    return derivatives, sizes


def _same(a, b):
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-12, atol=0.0, equal_nan=True)


def _warnings(events):
    seen = set()
    warnings = []
    for e in events:
        key = (e.seq, e.message)
        if key in seen:
            continue
        seen.add(key)
        line, column = (e.source.line, e.source.column) if e.source is not None else (None, None)
        warnings.append(Warning_(e.function, line, column, e.message))
    return warnings


# --- teaching: sharing, and the three orders side by side --------------------


def shared_intermediates(output):
    """Intermediate variables used as an input more than once: where backward order matters."""
    uses = {}
    for f in graph_functions(output) if type(output) is Variable else ():
        for x in f.inputs:
            if x.creator is not None:
                uses[x] = uses.get(x, 0) + 1
    return [x for x, n in uses.items() if n > 1]


def sharing_notice(program):
    """None when some intermediate is shared; otherwise why the order cannot matter here,
    and the let-binding form of this program (or of the seed's diamond) that would show it."""
    output = program.output
    if type(output) is not Variable or shared_intermediates(output):
        return None
    text = program.text
    by_text = {}
    for f in graph_functions(output):
        if f.source is not None:
            by_text.setdefault(program.snippet(f.source, limit=None), []).append(f.source)
    repeated = [(t, spans) for t, spans in by_text.items() if len(spans) > 1]
    head = ("No intermediate is used twice, so every backward order gives the same gradients "
            "here. ")
    if not repeated:
        return head + ("Name a subexpression and use it twice to see the order matter, as in "
                       "x = 2.0; a = square(x); square(a) + square(a)")
    snippet, spans = max(repeated, key=lambda r: (len(r[1]), len(r[0])))
    name = _fresh_name(program)
    spans = sorted(spans, key=lambda s: s.start)
    last = text.rfind(";", 0, spans[0].start) + 1
    rewritten = text[:last]
    cursor = last
    for s in spans:
        if s.start < cursor:  # nested inside an earlier occurrence: leave it
            continue
        rewritten += text[cursor:s.start] + name
        cursor = s.end
    rewritten += text[cursor:]
    prefix, rest = rewritten[:last], rewritten[last:].lstrip()
    let = f"{prefix}{' ' if prefix else ''}{name} = {snippet}; {rest}"
    return head + (f"'{snippet}' is computed {len(spans)} times as separate nodes; "
                   f"bind it once to share one node: {let}")


def _fresh_name(program):
    used = set(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", program.text))
    for candidate in ("a", "b", "c", "u", "v", "w", "t", "s"):
        if candidate not in used:
            return candidate
    n = 1
    while f"t{n}" in used:
        n += 1
    return f"t{n}"


class Comparison(NamedTuple):
    results: dict  # order -> Result, with traces
    notes: list  # what differs, in words


def compare_orders(text, at=None, *, cse=False, limits=None):
    """Run one program under every order and say, in words, what the others got wrong."""
    results = {order: evaluate(text, at, order=order, trace=True, cse=cse, limits=limits)
               for order in ORDERS}
    reference = results["generation"]
    complete = {s.id: s.gy for s in reference.trace}  # each function's complete gradient
    snippet = {s.id: _step_text(reference, s) for s in reference.trace}
    notes = []
    for order in ORDERS[1:]:
        result = results[order]
        runs = {}
        for s in result.trace:
            runs[s.id] = runs.get(s.id, 0) + 1
        for fid, n in runs.items():
            if n > 1:
                notes.append(f"{order}: {fid} {snippet[fid]} ran {n} times "
                             "(the generation order runs each function once)")
        for s in result.trace:
            if not _same(np.asarray(s.gy), np.asarray(complete[s.id])):
                notes.append(f"{order}: at step {s.step}, {s.id} {snippet[s.id]} received "
                             f"{value_text(s.gy, 6)} before its output's gradient was complete "
                             f"({value_text(complete[s.id], 6)}), and passed that on")
        for name, right in result.differs.items():
            notes.append(f"{order}: d/d{name} = {value_text(result.grads[name], 6)} is wrong; the "
                         f"generation order gives {value_text(right, 6)}")
    if not notes:
        notes.append("All three orders agree on every gradient here.")
    return Comparison(results, notes)


def _step_text(result, step):
    return result.program.snippet(step.source) if step.source is not None else step.function

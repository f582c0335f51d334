"""Evaluating a program: value, gradients of every input, trace, higher derivatives.

Reads parser and engine; produces plain result records for the renderers and the CLI."""

from typing import NamedTuple

import numpy as np

from .engine import Variable, backprop, fp_events
from .errors import DiffcliValueError
from .parser import Limits, parse


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

    @property
    def text(self):
        return self.program.text


def evaluate(text, at=None, *, order="generation", trace=False, nth=0, cse=False,
             retain_grad=False, limits=None):
    """Parse and differentiate one program. Raises a DiffcliError for a bad program."""
    if nth < 0:
        raise DiffcliValueError("nth must be 0 or more")
    with fp_events() as events:
        program = parse(text, at, cse=cse, limits=limits or Limits())
        output = program.output
        value = output.data if type(output) is Variable else np.asarray(output, dtype=np.float64)
        steps = [] if trace else None
        grads, kept = _gradients(program, order, retain_grad, steps)
        differs = {}
        if order != "generation":
            reference, _ = _gradients(program, "generation", False, None)
            differs = {k: g for k, g in reference.items() if not _same(g, grads[k])}
        derivatives = {k: _nth_derivatives(program, x, nth)
                       for k, x in program.inputs.items() if nth and x.ndim == 0}
    named = {v: k for k, v in program.names.items() if type(v) is Variable}
    intermediate = {named[v]: np.asarray(g) for v, g in kept.items() if v in named
                    and v.creator is not None}
    return Result(program, value, grads, _warnings(events), order, tuple(steps or ()),
                  derivatives, differs, intermediate)


def _gradients(program, order, retain_grad, steps):
    """d(sum of output)/d(input) for every input, zeros where the output does not depend on it."""
    output = program.output
    kept = {}
    if type(output) is Variable and output.creator is not None:
        kept = backprop(output, order=order, retain_grad=retain_grad, steps=steps)
    grads = {}
    for name, x in program.inputs.items():
        if x is output:  # the program's output is an input itself
            grads[name] = np.ones_like(x.data)
        else:
            g = kept.get(x)
            grads[name] = np.zeros_like(x.data) if g is None else np.asarray(g, dtype=np.float64)
    return grads, kept


def _nth_derivatives(program, x, n):
    """[d1, ..., dn] of the output with respect to scalar input x, by differentiating the
    graph of each backward pass (create_graph); 0 once a derivative no longer depends on x."""
    derivatives = []
    y = program.output
    for _ in range(n):
        if type(y) is not Variable:
            g = None
        elif y is x:
            g = Variable(np.ones(()))
        elif y.creator is None:
            g = None
        else:
            g = backprop(y, create_graph=True).get(x)
        if g is None:
            derivatives.extend([0.0] * (n - len(derivatives)))
            break
        derivatives.append(float(g.data))
        y = g
    return derivatives


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

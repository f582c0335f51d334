"""diffcli check: every gradient against central finite differences of the program's
value, in float64. Reads the parser and program modules; knows nothing of rich or click."""

from typing import NamedTuple

import numpy as np

from .engine import Variable, fp_events
from .parser import parse
from .program import evaluate

RTOL, ATOL = 1e-5, 1e-7  # central differences in float64 agree to ~1e-9 relative on smooth programs


class InputCheck(NamedTuple):
    name: str
    max_abs: float  # largest |reverse mode - finite differences| over the input's elements
    max_rel: float  # the same, relative to the finite-difference value
    ok: bool


class CheckResult(NamedTuple):
    text: str
    inputs: list  # InputCheck per input, in order of definition
    ok: bool


def check(text, at=None, *, rtol=RTOL, atol=ATOL, limits=None):
    """Compare reverse-mode gradients with central differences; DiffcliError for a bad program."""
    result = evaluate(text, at, limits=limits)
    at = dict(at or {})
    checks = []
    for name, x in result.program.inputs.items():
        numeric = _central_differences(text, at, name, x.data, limits)
        analytic = result.grads[name]
        diff = np.abs(analytic - numeric)
        rel = diff / np.maximum(np.abs(numeric), np.finfo(float).tiny)
        ok = bool(np.all(diff <= atol + rtol * np.abs(numeric)) or np.array_equal(analytic, numeric))
        checks.append(InputCheck(name, _largest(diff), _largest(rel), ok))
    return CheckResult(text, checks, all(c.ok for c in checks))


def _central_differences(text, at, name, x0, limits):
    grad = np.zeros_like(x0)
    flat = grad.reshape(-1)
    for i in range(x0.size):
        h = 1e-6 * max(1.0, abs(float(x0.reshape(-1)[i])))
        values = []
        for sign in (1, -1):
            x = x0.copy()
            x.reshape(-1)[i] += sign * h
            with fp_events():  # nan/inf in a probe is part of the answer, not a warning
                output = parse(text, {**at, name: x}, limits=limits).output
            values.append(np.sum(output.data if type(output) is Variable else output))
        flat[i] = (values[0] - values[1]) / (2 * h)
    return grad


def _largest(a):
    a = np.asarray(a, dtype=np.float64)
    return float(np.nanmax(a)) if a.size and not np.all(np.isnan(a)) else (0.0 if not a.size else float("nan"))

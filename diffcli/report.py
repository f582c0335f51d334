"""Results as records: the JSON Lines object of SPEC §2 and the one-line plain form.

Reads program results; knows nothing of click or rich."""

import json
import math
from typing import NamedTuple

import numpy as np

from .errors import DiffcliError


class Origin(NamedTuple):
    """Where a program came from: a file ("-" for stdin) and line, or an argument's position."""

    file: str | None
    line: int


def value_text(a, digits=10):
    """A value for people: a scalar to `digits` significant digits, an array as numpy prints
    it (shortened when long)."""
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 0:
        return f"{float(a):.{digits}g}"
    return np.array2string(a, precision=6, separator=", ", threshold=24, max_line_width=60)


def to_json_value(a):
    """A number for a scalar, nested lists otherwise; non-finite numbers as strings."""
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 0:  # the common case, without the array machinery
        v = float(a)
        return v if math.isfinite(v) else _nonfinite(v)
    finite = np.isfinite(a)
    if finite.all():
        return a.tolist()
    boxed = a.astype(object)
    boxed[~finite] = [_nonfinite(v) for v in a[~finite]]
    return boxed.tolist()


def _nonfinite(v):
    return "nan" if v != v else ("inf" if v > 0 else "-inf")


def success_record(result, origin, *, trace=False):
    record = {
        "ok": True,
        "program": result.text,
        "source": {"file": origin.file, "line": origin.line},
        "value": to_json_value(result.value),
        "shape": list(np.shape(result.value)),
        "grads": {k: to_json_value(g) for k, g in result.grads.items()},
        "warnings": [{"function": w.function, "column": w.column, "message": w.message}
                     for w in result.warnings],
    }
    if result.order != "generation":
        record["order"] = result.order
        record["differs"] = {k: to_json_value(g) for k, g in result.differs.items()}
    if trace:
        record["trace"] = [
            {"step": s.step, "id": s.id, "function": s.function, "generation": s.generation,
             "queue": [q.id for q in s.queue]}
            for s in result.trace
        ]
    if result.derivatives:
        record["derivatives"] = result.derivatives
    if result.intermediate_grads:
        record["intermediate_grads"] = {k: to_json_value(g)
                                        for k, g in result.intermediate_grads.items()}
    return record


def failure_record(text, origin, error: DiffcliError):
    return {
        "ok": False,
        "program": text,
        "source": {"file": origin.file, "line": origin.line},
        "error": {"type": error.kind, "message": error.message, "line": error.line,
                  "column": error.column},
    }


def check_record(result, origin):
    """diffcli check's record: per input the largest differences from finite differences."""
    return {"ok": result.ok, "program": result.text,
            "source": {"file": origin.file, "line": origin.line},
            "inputs": [c._asdict() for c in result.inputs]}


def check_plain_line(record):
    """ok x:max_abs=...,max_rel=... (DISAGREES where a gradient is off; errors as plain_line)."""
    if "error" in record:
        return plain_line(record)
    parts = ["ok" if record["ok"] else "DISAGREES"]
    parts += [f"{c['name']}:max_abs={c['max_abs']:.3e},max_rel={c['max_rel']:.3e}"
              for c in record["inputs"]]
    return " ".join(parts)


def json_line(record):
    """Strict JSON (no NaN/Infinity tokens) on one line."""
    return json.dumps(record, allow_nan=False)


def plain_line(record):
    """name=value pairs on one line: value=32.0 d/dx=64.0 (errors: error=Type ... message="...")."""
    compact = lambda v: json.dumps(v, separators=(",", ":"), allow_nan=False)  # noqa: E731
    if not record["ok"]:
        e = record["error"]
        return (f"error={e['type']} line={e['line']} column={e['column']} "
                f"message={json.dumps(e['message'])}")
    parts = [f"value={compact(record['value'])}"]
    parts += [f"d/d{k}={compact(g)}" for k, g in record["grads"].items()]
    for k, ds in record.get("derivatives", {}).items():
        parts += [f"d{n}/d{k}{n}={compact(d)}" for n, d in enumerate(ds, 1) if n > 1]
    if "trace" in record:
        parts.append("trace=" + ",".join(s["id"] for s in record["trace"]))
    if record.get("differs"):
        parts += [f"generation:d/d{k}={compact(g)}" for k, g in record["differs"].items()]
    if record["warnings"]:
        parts.append(f"warnings={len(record['warnings'])}")
    return " ".join(parts)


def caret_lines(text, line, column, width=72):
    """The program line an error points into, and a caret under its column (a window of
    `width` characters around it on a long line; tabs and control characters shown as one space)."""
    lines = text.split("\n")
    line = line or 1
    source = lines[line - 1] if 0 < line <= len(lines) else ""
    column = column or 1
    start = max(0, min(column - 1 - width // 2, len(source) - width))
    shown = source[start:start + width]
    shown = "".join(c if c.isprintable() else " " for c in shown)
    prefix, suffix = ("…" if start else ""), ("…" if start + width < len(source) else "")
    return prefix + shown + suffix, " " * (len(prefix) + column - 1 - start) + "^"

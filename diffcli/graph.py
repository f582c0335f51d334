"""The computational graph as plain records, as Graphviz DOT text and as a text tree.

Reads a parsed program's graph once, iteratively; knows nothing of rich or click. DOT is
written here with every label quoted, and run through `dot` with an argument list, never
a shell."""

import shutil
import subprocess
from typing import NamedTuple

import numpy as np

from .engine import Variable, function_ids
from .errors import DiffcliValueError


class VariableNode(NamedTuple):
    id: str  # v1, v2, ... in the order first met from the inputs up
    label: str  # its name, or its value for an unnamed constant or intermediate
    value: np.ndarray
    generation: int
    grad: object  # ndarray or None


class FunctionNode(NamedTuple):
    id: str  # f1, f2, ...: the ids of the trace
    name: str
    generation: int
    text: str  # the sub-expression it computes
    inputs: tuple  # VariableNode ids
    output: str  # VariableNode id


class Graph(NamedTuple):
    variables: dict  # id -> VariableNode
    functions: list  # FunctionNode, in creation order
    output: str  # id of the output variable


def describe(program, grads=None):
    """The graph behind a program's output. grads: {Variable: gradient} to show on nodes."""
    grads = grads or {}
    output = program.output
    if type(output) is not Variable:
        output = Variable(output)
    ids = function_ids(output)
    variables, var_ids = {}, {}

    def var(v):
        if v not in var_ids:
            var_ids[v] = f"v{len(var_ids) + 1}"
            label = v.name or _value_text(v.data)
            variables[var_ids[v]] = VariableNode(var_ids[v], label, v.data, v.generation, grads.get(v))
        return var_ids[v]

    functions = []
    for f, fid in ids.items():  # creation order: inputs are met before what uses them
        out = f.output()
        text = program.snippet(f.source) if f.source is not None else f.name
        functions.append(FunctionNode(fid, f.name, f.generation, text,
                                      tuple(var(x) for x in f.inputs), var(out)))
    return Graph(variables, functions, var(output))


def _value_text(a):
    if a.ndim == 0:
        return f"{float(a):.6g}"
    return "array " + "×".join(map(str, a.shape))


def _shape_text(a):
    return "scalar" if a.ndim == 0 else "shape " + "×".join(map(str, a.shape))


def _quote(text):
    """A DOT double-quoted string: backslashes and quotes escaped, lines as \\n."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(graph):
    lines = ["digraph diffcli {", "  rankdir=BT;", '  node [fontname="Helvetica"];']
    for v in graph.variables.values():
        parts = [v.label]
        if v.value.ndim == 0 and v.label != _value_text(v.value):
            parts.append(f"= {float(v.value):.6g}")
        parts.append(f"{_shape_text(v.value)}, gen {v.generation}")
        if v.grad is not None:
            parts.append("grad " + _value_text(np.asarray(v.grad)))
        style = ', style=bold' if v.id == graph.output else ""
        lines.append(f"  {v.id} [shape=ellipse, label={_quote(chr(10).join(parts))}{style}];")
    for f in graph.functions:
        label = f"{f.id} {f.name}\n{f.text}\ngen {f.generation}"
        lines.append(f"  {f.id} [shape=box, style=filled, fillcolor=\"#e8eef7\", label={_quote(label)}];")
        for x in f.inputs:
            lines.append(f"  {x} -> {f.id};")
        lines.append(f"  {f.id} -> {f.output};")
    lines.append("}")
    return "\n".join(lines) + "\n"


FORMATS = ("svg", "png", "pdf")


def render_file(dot_text, path):
    """Write a picture with Graphviz's dot; a clear error when dot is missing."""
    suffix = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    if suffix not in FORMATS:
        raise DiffcliValueError(f"-o {path}: the file name must end in .svg, .png or .pdf")
    dot = shutil.which("dot")
    if dot is None:
        raise DiffcliValueError(
            "drawing a picture needs Graphviz's `dot` program, which is not installed; "
            "install it (Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install "
            "graphviz), or print DOT text (no -o) or a terminal tree (--format tree)")
    done = subprocess.run([dot, f"-T{suffix}", "-o", path], input=dot_text.encode(),
                          capture_output=True, timeout=120)
    if done.returncode != 0:
        raise DiffcliValueError(f"dot failed: {done.stderr.decode(errors='replace').strip()}")


def tree_lines(graph, max_indent=24):
    """The graph as a text tree from the output down to the inputs, built with an explicit
    stack. A node met again is shown once and referred to after; past max_indent levels the
    drawing starts again at the left, saying at which depth, so a 10,000-deep program prints
    in lines of bounded width."""
    made_by = {f.output: f for f in graph.functions}
    shown = set()
    lines = []
    stack = [(graph.output, 0, "", True)]  # (variable id, depth, guide prefix, last child)
    while stack:
        vid, depth, prefix, last = stack.pop()
        if depth and depth % max_indent == 0 and prefix:
            lines.append(f"⋮ (depth {depth}: the tree continues at the left margin)")
            prefix = ""
        branch = "" if depth == 0 else ("└── " if last else "├── ")
        lines.append(prefix + branch + _tree_label(graph, vid, made_by, vid in shown))
        if vid in shown:
            continue
        shown.add(vid)
        f = made_by.get(vid)
        if f is None:
            continue
        child_prefix = prefix + ("" if depth == 0 else ("    " if last else "│   "))
        children = list(f.inputs)
        for i, child in reversed(list(enumerate(children))):
            stack.append((child, depth + 1, child_prefix, i == len(children) - 1))
    return lines


def _tree_label(graph, vid, made_by, again):
    v = graph.variables[vid]
    f = made_by.get(vid)
    value = _value_text(v.value)
    name = v.label if v.label != value else "·"
    text = f"{name} = {value}" if v.value.ndim == 0 else f"{name} ({_shape_text(v.value)})"
    if v.grad is not None:
        text += f", grad {_value_text(np.asarray(v.grad))}"
    if again:
        return f"{text} (shown above)"
    if f is None:
        return f"{text} [input, gen {v.generation}]" if v.label != value else f"{text} [constant]"
    return f"{text} ← {f.id} {f.text} [gen {f.generation}]"

"""Property-based tests: random valid programs against an independent oracle, random and
mutated text against the error contract, and random batch files through the real CLI.

The oracle is a separate evaluator of the generated program tree, differentiated by the
complex step (f'(x) = Im f(x + ih) / h with h = 1e-30): it shares no code with diffcli's
engine and is exact to rounding for analytic functions, so reverse mode must agree with it
to rounding too. abs and relu use the complex-step forms that give 0 at the kink, as the
engine does."""

import functools
import json
import re

import numpy as np
from click.testing import CliRunner
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from diffcli.cli import main
from diffcli.errors import DiffcliError
from diffcli.program import evaluate
from diffcli.report import caret_lines

from helpers import run

# --- the generator: program trees, their text, and an independent evaluator ------

INPUTS = {"x": "s", "y": "s", "v": "v", "W": "m"}
UNARY = ["sin", "cos", "tan", "tanh", "exp", "sigmoid", "square", "abs", "relu", "neg",
         "log", "sqrt"]
POSITIVE_ONLY = {"log", "sqrt"}  # applied to 1 + square(E), always positive


def _num(draw):
    return ("num", draw(st.sampled_from([0.5, 1.0, 2.0, 3.0, 0.25, 1.5, 0.1])))


@st.composite
def expressions(draw, kind="s", depth=3, names=("x", "y", "v")):
    """A tree producing a scalar ("s") or a length-3 vector ("v")."""
    leaves = [n for n in names if INPUTS.get(n, "s") == kind or (n == "a" and kind == "s")]
    if depth == 0 or draw(st.integers(0, 4)) == 0:
        if kind == "s":
            return draw(st.sampled_from([("var", n) for n in leaves] + [_num(draw)])) if leaves else _num(draw)
        return ("var", "v") if "v" in names else ("arr", [_num(draw) for _ in range(3)])
    sub = lambda k: expressions(k, depth - 1, names)  # noqa: E731
    options = ["unary", "binary", "div", "powc", "form"]
    if kind == "s":
        options += ["reduce", "powv"]
    else:
        options += ["matvec", "literal", "broadcast"]
    choice = draw(st.sampled_from(options))
    if choice == "unary":
        f = draw(st.sampled_from(UNARY))
        child = draw(sub(kind))
        if f in POSITIVE_ONLY:
            child = ("bin", "+", ("num", 1.0), ("un", "square", child))
        return ("un", f, child)
    if choice in ("binary", "form"):
        op = draw(st.sampled_from(["+", "-", "*"]))
        return ("bin" if choice == "binary" else "form", op, draw(sub(kind)), draw(sub(kind)))
    if choice == "div":
        return ("bin", "/", draw(sub(kind)), ("bin", "+", ("num", 1.0), ("un", "square", draw(sub(kind)))))
    if choice == "powc":
        base = ("bin", "+", ("num", 1.0), ("un", "square", draw(sub(kind))))
        return ("pow", base, ("num", draw(st.sampled_from([2.0, 3.0, -1.0, 0.5, -1.5]))))
    if choice == "powv":
        base = ("bin", "+", ("num", 1.0), ("un", "square", draw(sub("s"))))
        return ("pow", base, draw(sub("s")))
    if choice == "reduce":
        return ("un", draw(st.sampled_from(["sum", "mean"])), draw(sub("v")))
    if choice == "matvec":
        return ("matvec", draw(sub("v")))
    if choice == "literal":
        return ("arr", [draw(sub("s")) for _ in range(3)])
    return ("bin", draw(st.sampled_from(["+", "*"])), draw(sub("s")), draw(sub("v")))  # broadcast


FORMS = {"+": "add", "-": "sub", "*": "mul"}


def text(node):
    kind = node[0]
    if kind == "num":
        return repr(node[1])
    if kind == "var":
        return node[1]
    if kind == "un":
        return f"{node[1]}({text(node[2])})"
    if kind == "bin":
        return f"({text(node[2])} {node[1]} {text(node[3])})"
    if kind == "form":
        return f"{FORMS[node[1]]}({text(node[2])}, {text(node[3])})"
    if kind == "pow":
        return f"({text(node[1])} ** {text(node[2])})"
    if kind == "matvec":
        return f"(W @ {text(node[1])})"
    if kind == "arr":
        return "[" + ", ".join(text(e) for e in node[1]) + "]"
    raise AssertionError(kind)


def oracle(node, env):
    """The same tree, evaluated on complex numpy values (independent of diffcli)."""
    kind = node[0]
    if kind == "num":
        return np.complex128(node[1])
    if kind == "var":
        return env[node[1]]
    if kind in ("bin", "form"):
        a, b = oracle(node[2], env), oracle(node[3], env)
        return {"+": a + b, "-": a - b, "*": a * b}[node[1]] if node[1] != "/" else a / b
    if kind == "pow":
        return oracle(node[1], env) ** oracle(node[2], env)
    if kind == "matvec":
        return env["W"] @ oracle(node[1], env)
    if kind == "arr":
        return np.array([oracle(e, env) for e in node[1]])
    z = oracle(node[2], env)
    return {
        "sin": np.sin, "cos": np.cos, "tan": np.tan, "tanh": np.tanh, "exp": np.exp,
        "log": np.log, "sqrt": np.sqrt, "square": lambda z: z * z, "neg": lambda z: -z,
        "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
        "abs": lambda z: np.sign(z.real) * z, "relu": lambda z: np.where(z.real > 0, z, 0),
        "sum": np.sum, "mean": np.mean,
    }[node[1]](z)


@st.composite
def inputs(draw):
    value = st.floats(-1.5, 1.5, allow_nan=False).map(lambda f: round(f, 3))
    return {"x": draw(value), "y": draw(value), "v": [draw(value) for _ in range(3)],
            "W": [[draw(value) for _ in range(3)] for _ in range(3)]}


def header(values):
    return "; ".join(f"{k} = {json.dumps(v)}" for k, v in values.items())


def complex_step(tree, values, name):
    h = 1e-30
    base = {k: np.asarray(v, dtype=np.complex128) for k, v in values.items()}
    grad = np.zeros(np.shape(values[name]))
    for index in np.ndindex(grad.shape):
        env = dict(base)
        env[name] = base[name].copy()
        env[name][index] += 1j * h
        grad[index] = np.sum(oracle(tree, env)).imag / h
    return grad


# --- valid programs ---------------------------------------------------------------

@given(tree=expressions("s", 3), values=inputs())
def test_random_programs_agree_with_the_complex_step_oracle(tree, values):
    program = header(values) + "; " + text(tree)
    result = evaluate(program)  # a valid program: any exception fails the test
    expected_value = np.sum(oracle(tree, {k: np.asarray(v, dtype=np.complex128) for k, v in values.items()})).real
    assume(np.isfinite(result.value) and abs(float(result.value)) < 1e8)
    assert np.isclose(float(result.value), expected_value, rtol=1e-12, atol=1e-12)
    for name in values:
        expected = complex_step(tree, values, name)
        got = result.grads[name]
        assume(np.all(np.isfinite(got)) and np.max(np.abs(got), initial=0) < 1e8)
        # Both sides are exact up to rounding; through <= ~30 operations whose derivatives
        # are bounded by the 1e8 filter above, rounding stays far below 1e-7 relative.
        assert np.allclose(got, expected, rtol=1e-7, atol=1e-9), (program, name, got, expected)


@given(tree=expressions("v", 3), values=inputs())
def test_random_vector_programs_agree_with_the_oracle(tree, values):
    program = header(values) + "; " + text(tree)
    result = evaluate(program)
    assume(np.all(np.isfinite(result.value)) and np.max(np.abs(result.value)) < 1e8)
    for name in values:
        got = result.grads[name]
        assume(np.all(np.isfinite(got)) and np.max(np.abs(got), initial=0) < 1e8)
        assert np.allclose(got, complex_step(tree, values, name), rtol=1e-7, atol=1e-9), (program, name)


@given(shared=expressions("s", 2), outer=expressions("s", 2, names=("x", "y", "v", "a")), values=inputs())
def test_let_binding_equals_substitution(shared, outer, values):
    outer_text = text(outer)
    assume("a" in re.findall(r"[A-Za-z_]\w*", outer_text))
    bound = f"{header(values)}; a = {text(shared)}; {outer_text}"
    substituted = f"{header(values)}; " + re.sub(r"\ba\b", f"({text(shared)})", outer_text)
    r1, r2 = evaluate(bound), evaluate(substituted)
    assume(np.all(np.isfinite(r1.value)) and all(np.all(np.isfinite(g)) for g in r1.grads.values()))
    assert np.allclose(r1.value, r2.value, rtol=1e-12, atol=1e-14)
    for name in values:
        # the same operations, summed in another order where the node is shared
        assert np.allclose(r1.grads[name], r2.grads[name], rtol=1e-10, atol=1e-12), (bound, name)


@settings(max_examples=30)
@given(tree=expressions("s", 3), values=inputs())
def test_running_twice_gives_identical_bytes(tree, values):
    program = header(values) + "; " + text(tree)
    args = ["eval", "--json", "--trace", "--nth", "2", program]
    first, second = CliRunner().invoke(main, args), CliRunner().invoke(main, args)
    assert first.output == second.output and first.exit_code == second.exit_code == 0


@functools.lru_cache(maxsize=1)
def _lark_strategy():
    from hypothesis.extra.lark import from_lark
    from lark import Lark

    from diffcli.parser import _grammar_text

    grammar = Lark(_grammar_text(), start="program", parser="lalr", lexer="basic")
    return from_lark(grammar, start="program", explicit={
        "NAME": st.sampled_from(["x", "y", "pi", "e", "sin", "a1", "sqr"]),
        "NUMBER": st.sampled_from(["1", "2.5", ".5", "1e-3", "0"]),
        "COMMENT": st.just("# c"),
    })


# Small on purpose: from_lark's texts recurse through the expression rules and most
# overrun Hypothesis's buffer, so each kept example costs many tries.
@settings(max_examples=40)
@given(data=st.data())
def test_texts_generated_from_the_grammar_give_a_result_or_a_diffcli_error(data):
    program = data.draw(_lark_strategy())
    try:
        evaluate(program, {"x": np.asarray(0.5), "y": np.asarray([1.0, 2.0])})
    except DiffcliError as e:
        _assert_located(program, e)


# --- invalid text -------------------------------------------------------------------

def _assert_located(program, error):
    assert error.line is not None and error.column is not None, (program, error)
    lines = program.split("\n")
    assert 1 <= error.line <= len(lines), (program, error.line)
    line = lines[error.line - 1]
    assert 1 <= error.column <= len(line) + 1, (program, error.line, error.column)
    shown, caret = caret_lines(program, error.line, error.column)
    position = caret.index("^")
    if error.column <= len(line):
        char = line[error.column - 1]
        assert shown[position] == (char if char.isprintable() else " "), (program, shown, caret)


@given(st.text(alphabet=st.sampled_from(list("xyz0123456789.+-*/@^()[],;=# \n\tée\x00$_abcsin")) ,
               max_size=40))
def test_random_text_gives_a_result_or_a_located_error(program):
    try:
        evaluate(program, {"x": np.asarray(0.5)})
    except DiffcliError as e:
        _assert_located(program, e)


TOKENS = ["+", "-", "*", "/", "**", "@", "(", ")", "[", "]", ",", ";", "=", "x", "sin", "2", "\n", "$"]


@given(tree=expressions("s", 3), values=inputs(), data=st.data())
def test_single_token_mutations_give_a_result_or_a_located_error(tree, values, data):
    program = header(values) + "; " + text(tree)
    tokens = re.findall(r"\d+\.?\d*(?:e-?\d+)?|[A-Za-z_]\w*|\*\*|\S", program)
    spans = [m.span() for m in re.finditer(r"\d+\.?\d*(?:e-?\d+)?|[A-Za-z_]\w*|\*\*|\S", program)]
    i = data.draw(st.integers(0, len(tokens) - 1))
    start, end = spans[i]
    mutation = data.draw(st.sampled_from(["delete", "duplicate", "replace"]))
    if mutation == "delete":
        mutated = program[:start] + program[end:]
    elif mutation == "duplicate":
        mutated = program[:end] + " " + tokens[i] + program[end:]
    else:
        mutated = program[:start] + data.draw(st.sampled_from(TOKENS)) + program[end:]
    try:
        evaluate(mutated)
    except DiffcliError as e:
        _assert_located(mutated, e)


# --- batches through the real executable -----------------------------------------------

LINE_KINDS = {
    "valid": lambda d: d.draw(st.sampled_from([b"x = 1; sin(x)", b"x = [1, 2]; sum(x * x)", b"y = 2; y ** 3"])),
    "invalid": lambda d: d.draw(st.sampled_from([b"x = (1 +", b"sqr(2)", b"x = 1; x = 2", b"[[1], [1, 2]]"])),
    "blank": lambda d: d.draw(st.sampled_from([b"", b"   ", b"\t"])),
    "comment": lambda d: d.draw(st.sampled_from([b"# note", b"   # indented"])),
    "long": lambda d: b"x = 1; " + b" + ".join([b"x"] * 100),  # past --max-line 200
    "utf8": lambda d: d.draw(st.sampled_from([b"x = \xff; x", b"\xc3\x28 + 1"])),
}


@settings(max_examples=12)
@given(kinds=st.lists(st.sampled_from(sorted(LINE_KINDS)), min_size=1, max_size=12), data=st.data())
def test_batch_files_give_one_record_per_program_line(tmp_path_factory, kinds, data):
    lines = [LINE_KINDS[k](data) for k in kinds]
    path = tmp_path_factory.mktemp("batch") / "programs.txt"
    path.write_bytes(b"\n".join(lines) + b"\n")
    done = run("eval", "--json", "--max-line", "200", "-f", str(path))
    expected = [(n, k) for n, k in enumerate(kinds, 1) if k not in ("blank", "comment")]
    out_lines = done.stdout.decode().splitlines()

    def strict(token):
        raise ValueError(f"non-strict JSON token {token}")

    records = [json.loads(line, parse_constant=strict) for line in out_lines]
    assert [r["source"]["line"] for r in records] == [n for n, _ in expected]
    assert [r["ok"] for r in records] == [k == "valid" for _, k in expected]
    kinds_by_line = dict(expected)
    for r in records:
        if kinds_by_line[r["source"]["line"]] == "long":
            assert r["error"]["type"] == "LimitError"
        if kinds_by_line[r["source"]["line"]] == "utf8":
            assert "UTF-8" in r["error"]["message"]
    assert done.returncode == (1 if any(k != "valid" for _, k in expected) else 0)
    assert b"Traceback" not in done.stderr

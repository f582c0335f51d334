"""The language of SPEC §1 through parse/evaluate: precedence, numbers, names, arrays,
inputs and intermediates, --at, single assignment, and programs too deep for recursion."""

import math

import numpy as np
import pytest

import diffcli
from diffcli.errors import DiffcliNameError, DiffcliValueError, LimitError, ParseError, ShapeError
from diffcli.parser import Limits
from diffcli.program import evaluate

from conftest import assert_close


def value(program, **at):
    return float(evaluate(program, at).value)


@pytest.mark.parametrize("program,expected", [
    ("2 + 3 * 4", 14), ("(2 + 3) * 4", 20), ("2 - 3 - 4", -5), ("16 / 4 / 2", 2),
    ("2**3**2", 512), ("2^3^2", 512), ("-2**2", -4), ("(-2)**2", 4), ("2**-1", 0.5),
    ("-3 + +2", -1), ("- -3", 3), ("2 * -3", -6), ("2**-1**2", 0.5),
    ("2.5E+2", 250), (".5", 0.5), ("1e-3", 0.001), ("2.", 2), ("pi", math.pi), ("e", math.e),
    ("add(1, 2) * sub(5, 3) / div(8, 4) + mul(2, neg(3)) + pow(2, 3)", 1 * 3 - 6 + 8),
    ("x = 1; # a comment\ny = 2 # another\nx + y", 3),
])
def test_precedence_numbers_and_constants(program, expected):
    assert value(program) == pytest.approx(expected, rel=1e-15)


def test_minus_binds_looser_than_power_in_gradients():
    r = evaluate("x = 3; -x**2")
    assert float(r.value) == -9 and float(r.grads["x"]) == -6


def test_matmul_binds_with_multiplication():
    r = evaluate("A = [[1, 2], [3, 4]]; v = [1, 1]; 2 * A @ v + v")
    assert_close(r.value, 2 * np.array([[1, 2], [3, 4]]) @ np.ones(2) + 1)


def test_array_literals_and_nesting():
    r = evaluate("x = [[1, 2], [3, 4]]; sum(x * x)")
    assert r.grads["x"].shape == (2, 2)
    assert_close(r.grads["x"], 2 * np.array([[1, 2], [3, 4]]))


def test_array_literal_of_scalar_expressions_is_differentiable():
    r = evaluate("x = 2; v = [x, x * x, 3]; sum(v * [1, 1, 1])")
    assert float(r.value) == 9 and float(r.grads["x"]) == 1 + 4


def test_inputs_in_order_of_definition_with_zero_for_unused():
    r = evaluate("b = 1; a = [1, 2]; unused = [[1, 2, 3]]; t = pi / 4; a * b * sin(t)")
    assert list(r.grads) == ["b", "a", "unused", "t"]
    assert r.grads["unused"].shape == (1, 3) and not r.grads["unused"].any()
    assert_close(r.grads["t"], 3 * math.cos(math.pi / 4))


def test_intermediate_is_one_shared_node():
    r = evaluate("x = 2.0; a = square(x); square(a) + square(a)", trace=True)
    assert float(r.grads["x"]) == 64.0
    assert [s.id for s in r.trace] == ["f4", "f3", "f2", "f1"]
    assert "a" not in r.grads


def test_function_of_constants_names_a_constant_not_an_input():
    r = evaluate("u = 0.5; h = cos(1); h * u")
    assert list(r.grads) == ["u"]


def test_non_scalar_output_gradient_is_of_the_sum():
    r = evaluate("x = [1, 2, 3]; x * x")
    assert_close(r.grads["x"], [2, 4, 6])


def test_output_that_is_an_input_has_gradient_one():
    r = evaluate("x = 3; y = 1; x")
    assert float(r.grads["x"]) == 1 and float(r.grads["y"]) == 0


def test_constant_output_has_zero_gradients():
    r = evaluate("z = -1.383; sigmoid(1.152)")
    assert float(r.grads["z"]) == 0.0


def test_at_gives_unassigned_names_and_overrides_inputs():
    at = {"y": np.asarray(3.0), "x": np.asarray(5.0)}
    r = evaluate("x = 2; x * y", at)
    assert float(r.value) == 15 and list(r.grads) == ["x", "y"]
    assert float(r.grads["y"]) == 5


def test_at_cannot_set_an_intermediate():
    with pytest.raises(DiffcliValueError, match="computed"):
        evaluate("x = 2; a = x * 2; a", {"a": np.asarray(1.0)})


@pytest.mark.parametrize("program,error,column,words", [
    ("x = 1; x = 2", DiffcliNameError, 8, "already assigned"),
    ("pi = 3", DiffcliNameError, 1, "constant"),
    ("x = 2; y", DiffcliNameError, 8, "unknown name 'y'"),
    ("sqr(2)", DiffcliNameError, 1, "did you mean 'sqrt' or 'square'?"),
    ("sin + 1", DiffcliNameError, 1, "'sin' is a function"),
    ("sin(1, 2)", DiffcliValueError, 1, "takes 1 argument"),
    ("[[1, 2], [3]]", ShapeError, 1, "ragged"),
    ("[1, 2] + [1, 2, 3]", ShapeError, 8, "(2,) and (3,)"),
    ("[1, 2] @ [[1, 2, 3]]", ShapeError, 8, "do not align"),
    ("x = (1 + 2", ParseError, 11, "missing ')'"),
    ("x = 2 +", ParseError, 8, "expected an expression after '+'"),
])
def test_mistakes_are_typed_and_located(program, error, column, words):
    with pytest.raises(error) as caught:
        evaluate(program)
    assert caught.value.column == column and words in caught.value.message


def test_syntax_error_is_reported_before_an_unknown_name():
    with pytest.raises(ParseError):
        evaluate("nope + ")


def test_multiline_program_positions():
    with pytest.raises(ParseError) as caught:
        evaluate("x = 1\ny = x +\n")
    assert (caught.value.line, caught.value.column) == (2, 8)


def test_10000_deep_nesting_without_recursion_error():
    depth = 10_000
    r = evaluate("x = 0.5; " + "sin(" * depth + "x" + ")" * depth)
    assert np.isfinite(r.value) and np.isfinite(r.grads["x"])
    r = evaluate("x = 0.5; " + "(" * depth + "x" + ")" * depth + " * 2")
    assert float(r.grads["x"]) == 2


def test_100000_term_sum():
    n = 100_000
    r = evaluate("x = 1; " + " + ".join(["x"] * n))
    assert float(r.value) == n and float(r.grads["x"]) == n


def test_cse_merges_identical_subexpressions():
    plain = evaluate("x = 3; square(x) + square(x)", trace=True)
    merged = evaluate("x = 3; square(x) + square(x)", trace=True, cse=True)
    assert len(plain.trace) == 3 and len(merged.trace) == 2
    assert float(plain.grads["x"]) == float(merged.grads["x"]) == 12


def test_limits_stop_work_before_it_is_done():
    with pytest.raises(LimitError, match="elements"):
        evaluate("x = [1, 2, 3]; y = [[1], [2], [3]]; x * y", limits=Limits(max_elements=8))
    with pytest.raises(LimitError, match="functions"):
        evaluate("x = 1; " + " + ".join(["x"] * 50), limits=Limits(max_nodes=10))
    with pytest.raises(LimitError, match="characters"):
        evaluate("x = 1; x + x", limits=Limits(max_line=5))


def test_floating_point_trouble_gives_nan_and_a_located_warning():
    r = evaluate("x = -1; y = 2; log(x) * y")
    assert np.isnan(r.value)
    assert [(w.function, w.column, w.message) for w in r.warnings] == [
        ("log", 16, "invalid value (log of a negative number)")]


def test_python_api_exports():
    for name in ("Variable", "Function", "square", "exp", "no_grad", "parse", "evaluate"):
        assert hasattr(diffcli, name), name


def test_gradients_handed_out_are_writable_arrays_of_the_input_shape():
    # the backward seed is a read-only view of ones; add passes it straight through
    r = evaluate("x = [1, 2, 3]; s = 2; x + s")
    assert r.grads["x"].shape == (3,) and r.grads["x"].flags.writeable
    assert r.grads["s"].shape == () and float(r.grads["s"]) == 3.0
    x = diffcli.Variable([1.0, 2.0])
    y = x + 1
    y.backward(retain_grad=True)
    assert x.grad.data.flags.writeable and y.grad.data.flags.writeable

"""Every function of the language: forward against numpy, gradient against central
differences, second derivative against second differences. Parametrised over the registry,
so no function exists without these tests."""

import numpy as np
import pytest

import diffcli
from diffcli import Variable
from diffcli.functions import FUNCTIONS

from conftest import assert_close, central_difference, second_difference

# The numpy oracle for each function, written independently of diffcli's rules, and the
# range its inputs are drawn from (away from kinks, poles and outside of domains).
ORACLE = {
    "square": (lambda x: x ** 2, (-2, 2)),
    "exp": (np.exp, (-2, 2)),
    "log": (np.log, (0.3, 3)),
    "sin": (np.sin, (-3, 3)),
    "cos": (np.cos, (-3, 3)),
    "tan": (np.tan, (-1.2, 1.2)),
    "tanh": (np.tanh, (-2, 2)),
    "sqrt": (np.sqrt, (0.3, 3)),
    "sigmoid": (lambda x: 1 / (1 + np.exp(-x)), (-4, 4)),
    "relu": (lambda x: np.where(x > 0, x, 0.0), (-2, 2)),
    "abs": (np.abs, (-2, 2)),
    "sum": (np.sum, (-2, 2)),
    "mean": (np.mean, (-2, 2)),
    "transpose": (np.transpose, (-2, 2)),
    "neg": (np.negative, (-2, 2)),
    "add": (np.add, (-2, 2)),
    "sub": (np.subtract, (-2, 2)),
    "mul": (np.multiply, (-2, 2)),
    "div": (np.divide, (0.5, 2)),
    "pow": (np.power, (0.5, 2)),
    "matmul": (np.matmul, (-2, 2)),
}

UNARY_SHAPES = [(), (3,), (2, 3)]
BINARY_SHAPES = [((), ()), ((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2, 3)), ((2, 3), ())]
MATMUL_SHAPES = [((2, 3), (3, 4)), ((3,), (3, 2)), ((2, 3), (3,)), ((3,), (3,))]


def test_oracle_covers_every_function():
    assert set(ORACLE) == set(FUNCTIONS)


def _cases():
    for name, entry in FUNCTIONS.items():
        if name == "matmul":
            shapes = MATMUL_SHAPES
        elif entry.arity == 2:
            shapes = BINARY_SHAPES
        else:
            shapes = [(s,) for s in UNARY_SHAPES]
        for shape in shapes:
            yield pytest.param(name, shape, id=f"{name}-{'-'.join(map(str, shape))}")


def _inputs(name, shapes, seed=0):
    rng = np.random.default_rng(seed)
    low, high = ORACLE[name][1]
    arrays = []
    for shape in shapes:
        a = rng.uniform(low, high, size=shape)
        if name in ("relu", "abs"):  # stay off the kink at 0
            a = np.where(np.abs(a) < 0.1, 0.5, a)
        arrays.append(np.asarray(a, dtype=np.float64))
    return arrays


@pytest.mark.parametrize("name,shapes", list(_cases()))
def test_forward_matches_numpy(name, shapes):
    xs = _inputs(name, shapes)
    y = FUNCTIONS[name].call(*[Variable(x) for x in xs])
    assert isinstance(y, Variable) and y.data.dtype == np.float64
    assert_close(y.data, ORACLE[name][0](*xs), rtol=1e-12, what=f"{name} forward")


@pytest.mark.parametrize("name,shapes", list(_cases()))
def test_gradient_matches_central_differences(name, shapes):
    xs = _inputs(name, shapes)
    variables = [Variable(x) for x in xs]
    y = FUNCTIONS[name].call(*variables)
    y.backward()
    oracle = ORACLE[name][0]
    for i, (v, x) in enumerate(zip(variables, xs)):
        def f_of_input(xi, i=i):
            args = list(xs)
            args[i] = xi
            return oracle(*args)

        expected = central_difference(f_of_input, x)
        assert v.grad.shape == x.shape, f"{name}: gradient of input {i} has the wrong shape"
        assert_close(v.grad.data, expected, rtol=1e-6, atol=1e-7, what=f"{name} d/dx{i}")


SCALAR_UNARY = [n for n, e in FUNCTIONS.items() if e.arity == 1 and n != "transpose"]


@pytest.mark.parametrize("name", SCALAR_UNARY)
def test_second_derivative_matches_second_differences(name):
    (x0,) = _inputs(name, [()], seed=1)
    x = Variable(x0)
    y = FUNCTIONS[name].call(x)
    y.backward(create_graph=True)
    gx = x.grad
    x.cleargrad()
    if gx.creator is None:  # derivative does not depend on x: second derivative 0
        d2 = 0.0
    else:
        gx.backward()
        d2 = 0.0 if x.grad is None else float(x.grad.data)
    oracle = ORACLE[name][0]
    expected = second_difference(lambda t: float(np.sum(oracle(np.asarray(t)))), float(x0))
    assert abs(d2 - expected) <= 1e-4 * max(1.0, abs(expected)), f"{name}'' at {x0}: {d2} vs {expected}"


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "pow"])
def test_binary_second_derivatives(name):
    a0, b0 = _inputs(name, [(), ()], seed=2)
    oracle = ORACLE[name][0]
    for which in (0, 1):
        a, b = Variable(a0), Variable(b0)
        y = FUNCTIONS[name].call(a, b)
        y.backward(create_graph=True)
        target = (a, b)[which]
        g = target.grad
        a.cleargrad(), b.cleargrad()
        d2 = 0.0
        if g.creator is not None:
            g.backward()
            d2 = 0.0 if target.grad is None else float(target.grad.data)
        if which == 0:
            expected = second_difference(lambda t: float(oracle(t, b0)), float(a0))
        else:
            expected = second_difference(lambda t: float(oracle(a0, t)), float(b0))
        assert abs(d2 - expected) <= 1e-4 * max(1.0, abs(expected)), (name, which, d2, expected)


@pytest.mark.parametrize("name", ["relu", "abs"])
def test_derivative_at_the_kink_is_zero(name):
    x = Variable(0.0)
    FUNCTIONS[name].call(x).backward()
    assert float(x.grad.data) == 0.0


def test_every_rule_is_documented_with_its_derivative():
    for name, entry in FUNCTIONS.items():
        rule = entry.rule
        assert "=" in rule and (";" in rule), f"{name}: docstring should read 'y = ...;  dy/dx = ...'"


def test_wrappers_on_plain_arrays_compute_plain_values():
    assert float(diffcli.sin(np.asarray(0.5))) == pytest.approx(np.sin(0.5))
    assert not isinstance(diffcli.sin(np.asarray(0.5)), Variable)

"""The engine on hand-built graphs, without the parser: the seed's three problems, the
three strategies on the diamond, memory, no_grad, deep and wide graphs, floating point."""

import gc
import weakref

import numpy as np
import pytest

import diffcli
from diffcli import Variable, add, exp, no_grad, square
from diffcli.engine import backprop
from diffcli.errors import DiffcliValueError

from conftest import assert_close


def diamond():
    """x = 2; a = square(x); y = add(square(a), square(a)) — the seed's diamond."""
    x = Variable(2.0, "x")
    a = square(x)
    a.name = "a"
    y = add(square(a), square(a))
    return x, a, y


# --- the seed's three problems ---------------------------------------------

def test_variable_used_twice_receives_both_contributions():
    x = Variable(3.0)
    y = add(x, x)
    y.backward()
    assert float(x.grad.data) == 2.0


def test_backward_twice_accumulates_until_cleargrad():
    x = Variable(3.0)
    y = square(x)
    y.backward()
    y.backward()
    assert float(x.grad.data) == 12.0
    x.cleargrad()
    y.backward()
    assert float(x.grad.data) == 6.0


def test_accumulation_does_not_alias_the_previous_gradient():
    x = Variable(3.0)
    y = x * 1.0
    y.backward()
    first = x.grad
    y.backward()
    assert float(first.data) == 1.0  # the first .grad object is not changed in place
    assert float(x.grad.data) == 2.0


def test_diamond_is_walked_in_generation_order():
    x, a, y = diamond()
    steps = y.backward(trace=True)
    assert float(x.grad.data) == 64.0
    # add, the second square(a), the first square(a), square(x)
    assert [(s.id, s.function) for s in steps] == [("f4", "add"), ("f3", "square"),
                                                   ("f2", "square"), ("f1", "square")]
    assert [[q.id for q in s.queue] for s in steps] == [["f3", "f2"], ["f2", "f1"], ["f1"], []]
    assert [s.generation for s in steps] == [2, 1, 1, 0]


def test_diamond_trace_records_the_accumulation_into_a():
    x, a, y = diamond()
    steps = y.backward(trace=True)
    passed = steps[2].passed[0]
    assert passed.to == "a"
    assert float(passed.before) == 8.0 and float(passed.after) == 16.0
    assert steps[1].passed[0].before is None  # first contribution: nothing accumulated
    assert float(steps[3].gy) == 16.0  # square(x) received a's complete gradient


def test_naive_order_runs_square_x_twice_and_gets_96():
    x, a, y = diamond()
    steps = y.backward(order="naive", trace=True)
    assert [s.id for s in steps] == ["f4", "f3", "f1", "f2", "f1"]
    assert float(x.grad.data) == 96.0
    assert float(steps[2].gy) == 8.0  # passed on before a's gradient was complete


def test_topo_order_runs_each_function_once_and_gets_64():
    x, a, y = diamond()
    steps = y.backward(order="topo", trace=True)
    ids = [s.id for s in steps]
    assert sorted(ids) == ["f1", "f2", "f3", "f4"] and ids[0] == "f4" and ids[-1] == "f1"
    assert float(x.grad.data) == 64.0


def test_trace_records_are_copies_not_live_arrays():
    x, a, y = diamond()
    steps = y.backward(trace=True)
    gy = steps[-1].gy
    y.backward()  # more work on the graph must not change recorded values
    assert float(gy) == 16.0
    with pytest.raises(Exception):
        steps[0].step = 9  # frozen


def test_unknown_order_is_a_clear_error():
    x, a, y = diamond()
    with pytest.raises(DiffcliValueError, match="unknown order"):
        y.backward(order="random")


# --- memory ---------------------------------------------------------------

def test_graph_is_freed_when_its_output_is_dropped():
    x = Variable(1.0)
    y = exp(square(x))
    creator = weakref.ref(y.creator)
    inner = weakref.ref(y.creator.inputs[0].creator)
    del y
    gc.collect()
    assert creator() is None and inner() is None


def test_functions_hold_outputs_weakly():
    x = Variable(1.0)
    y = square(x)
    f = y.creator
    assert isinstance(f.output, weakref.ref) and f.output() is y


def test_backward_frees_intermediate_gradients_unless_retained():
    x = Variable(2.0)
    a = square(x)
    y = exp(a)
    grads = backprop(y)
    assert set(grads) == {x}
    grads = backprop(y, retain_grad=True)
    assert a in grads and y in grads
    assert_close(grads[a], np.exp(4.0))


def test_retain_grad_sets_intermediate_grad():
    x = Variable(2.0)
    a = square(x)
    y = exp(a)
    y.backward()
    assert a.grad is None
    y.backward(retain_grad=True)
    assert_close(a.grad.data, np.exp(4.0))


def test_no_grad_builds_no_graph():
    x = Variable(2.0)
    with no_grad():
        y = square(x)
    assert y.creator is None and float(y.data) == 4.0
    z = square(x)
    assert z.creator is not None  # switched back on


def test_backward_on_a_leaf_or_no_grad_result_is_a_clear_error():
    with pytest.raises(DiffcliValueError, match="leaf"):
        Variable(1.0).backward()
    x = Variable(2.0)
    with no_grad():
        y = square(x)
    with pytest.raises(DiffcliValueError, match="no_grad"):
        y.backward()


# --- deep and wide graphs --------------------------------------------------

def test_100000_deep_chain_forward_backward_and_free():
    x = Variable(0.5)
    y = x
    for _ in range(100_000):
        y = diffcli.sin(y)
    y.backward()
    # d/dx of sin^n(x) is the product of cos of every intermediate value
    value, derivative = 0.5, 1.0
    for _ in range(100_000):
        derivative *= np.cos(value)
        value = np.sin(value)
    assert_close(y.data, value, rtol=1e-10)
    assert_close(x.grad.data, derivative, rtol=1e-8)
    creator = weakref.ref(y.creator)
    del y
    gc.collect()
    assert creator() is None


@pytest.mark.parametrize("order", ["generation", "topo"])
def test_16000_term_wide_sum(order):
    xs = [Variable(float(i)) for i in range(16_000)]
    y = xs[0]
    for v in xs[1:]:
        y = y + v * v
    y.backward(order=order)
    assert float(xs[0].grad.data) == 1.0
    assert all(float(v.grad.data) == 2 * i for i, v in enumerate(xs[1:], 1))


# --- higher order ----------------------------------------------------------

def test_second_derivative_of_a_linear_function_is_zero_not_none():
    from diffcli.program import evaluate

    result = evaluate("x = 3; 2 * x", nth=3)
    assert result.derivatives["x"] == [2.0, 0.0, 0.0]


def test_nth_derivatives_of_tanh_match_the_closed_forms():
    x = Variable(0.7)
    y = diffcli.tanh(x)
    got = []
    for _ in range(3):
        y.backward(create_graph=True)
        g = x.grad
        x.cleargrad()
        got.append(float(g.data))
        y = g
    t = np.tanh(0.7)
    expected = [1 - t ** 2, -2 * t * (1 - t ** 2), (1 - t ** 2) * (6 * t ** 2 - 2)]
    assert_close(got, expected, rtol=1e-12)


# --- arrays and broadcasting -----------------------------------------------

def test_broadcast_gradients_are_summed_back_to_each_input_shape():
    W = Variable(np.arange(6.0).reshape(2, 3))
    b = Variable(np.array([1.0, 2.0, 3.0]))
    s = Variable(2.0)
    y = diffcli.sum(W * b + s)
    y.backward()
    assert b.grad.shape == (3,) and s.grad.shape == ()
    assert_close(b.grad.data, W.data.sum(axis=0))
    assert float(s.grad.data) == 6.0


def test_operators_with_python_numbers_and_arrays_on_either_side():
    x = Variable(3.0)
    y = 2.0 - x + np.asarray(1.0) * x / 2 + 2 ** x + x ** 2 - (-x)
    y.backward()
    expected = -1 + 0.5 + 8 * np.log(2) + 6 + 1
    assert_close(x.grad.data, expected, rtol=1e-12)


def test_shape_mismatch_names_both_shapes():
    with pytest.raises(diffcli.ShapeError, match=r"\(2,\) and \(3,\)"):
        Variable(np.ones(2)) + Variable(np.ones(3))


# --- floating point --------------------------------------------------------

def test_floating_point_trouble_is_recorded_not_raised_or_printed(capfd):
    with diffcli.fp_events() as events:
        x = Variable(-1.0)
        y = diffcli.log(x) + exp(Variable(1000.0))
        y.backward()
    assert np.isnan(y.data)
    messages = [(e.function, e.message) for e in events]
    assert ("log", "invalid value (log of a negative number)") in messages
    assert ("exp", "overflow (exp of a large number)") in messages
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_numpy_raise_mode_does_not_make_the_engine_raise():
    with np.errstate(all="raise"):
        y = diffcli.log(Variable(-1.0))
    assert np.isnan(y.data)


def test_engine_modules_do_not_import_lark_rich_or_click():
    import ast
    import pathlib

    package = pathlib.Path(diffcli.__file__).parent
    for module in ("engine.py", "functions.py", "errors.py"):
        tree = ast.parse((package / module).read_text())
        imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert not imported & {"lark", "rich", "click"}, (module, imported)

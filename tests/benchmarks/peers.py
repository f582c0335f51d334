"""Adapters giving each engine the same three jobs, so one harness times them all:
chain(n): n unary operations in a row; wide(n): a sum of n squared inputs built as a
left fold (the pending list grows to n); large(x): sum(tanh(x)*exp(-x*x) + x**3).
Each returns (forward seconds, backward seconds) or raises Unavailable."""

import sys
import time

import numpy as np


class Unavailable(Exception):
    pass


def chain_function(sin, n):
    def f(x):
        for _ in range(n):
            x = sin(x)
        return x

    return f


def wide_function(n):
    def f(xs):
        y = xs[0] * xs[0]
        for i in range(1, n):
            y = y + xs[i] * xs[i]
        return y

    return f


def large_function(np_like):
    return lambda x: np_like.sum(np_like.tanh(x) * np_like.exp(-x * x) + x ** 3)


class _DefineByRun:
    """Engines that record a graph as the forward pass runs, then call backward on it.
    Subclasses give variable(value), sin, np (sum/tanh/exp) and backward(y)."""

    def _time(self, forward):
        t0 = time.perf_counter()
        y = forward()
        t1 = time.perf_counter()
        self.backward(y)
        return t1 - t0, time.perf_counter() - t1

    def backward(self, y):
        y.backward()

    def chain(self, n):
        x = self.variable(0.5)
        return self._time(lambda: chain_function(self.sin, n)(x))

    def wide(self, n):
        xs = [self.variable(float(i % 7)) for i in range(n)]
        return self._time(lambda: wide_function(n)(xs))

    def large(self, data):
        x = self.variable(data)
        return self._time(lambda: large_function(self.np)(x))


class Diffcli(_DefineByRun):
    name = "diffcli"

    def __init__(self):
        import diffcli

        self.variable, self.sin, self.np = diffcli.Variable, diffcli.sin, diffcli


class Dezero(_DefineByRun):
    name = "DeZero"

    def __init__(self):
        if not hasattr(np, "int"):
            np.int = int  # DeZero 0.0.13 still names np.int, removed in numpy 1.24
        try:
            import dezero
            import dezero.functions as F
        except ImportError as e:
            raise Unavailable(str(e)) from None
        self.sin, self.np = F.sin, F
        self.variable = lambda v: dezero.Variable(np.asarray(v, dtype=np.float64))


class Micrograd(_DefineByRun):
    name = "micrograd"

    def __init__(self):
        try:
            from micrograd.engine import Value
        except ImportError as e:
            raise Unavailable(str(e)) from None
        self.variable = Value
        self.sin = Value.relu  # the PyPI micrograd has no sin or tanh: relu is its unary operation

    def large(self, data):
        raise Unavailable("micrograd is a scalar engine")


class Torch(_DefineByRun):
    name = "PyTorch (CPU)"

    def __init__(self):
        try:
            import torch
        except ImportError as e:
            raise Unavailable(str(e)) from None
        self.sin, self.np = torch.sin, torch
        self.variable = lambda v: torch.tensor(v, dtype=torch.float64, requires_grad=True)


class _Functional:
    """Engines that differentiate a Python function (autograd, JAX): grad(f)(x) runs the
    forward pass again, so backward = grad time - forward time."""

    def _both(self, f, x0):
        t0 = time.perf_counter()
        self.wait(f(x0))
        t1 = time.perf_counter()
        self.wait(self.grad(f)(x0))
        t2 = time.perf_counter()
        return t1 - t0, max(0.0, (t2 - t1) - (t1 - t0))

    def wait(self, value):
        return value

    def chain(self, n):
        return self._both(chain_function(self.np.sin, n), 0.5)

    def wide(self, n):
        return self._both(wide_function(n), self.np.array([float(i % 7) for i in range(n)]))

    def large(self, data):
        return self._both(large_function(self.np), data)


class Autograd(_Functional):
    name = "HIPS autograd"

    def __init__(self):
        try:
            import autograd
            import autograd.numpy as anp
        except ImportError as e:
            raise Unavailable(str(e)) from None
        self.grad, self.np = autograd.grad, anp


class Jax(_Functional):
    name = "JAX (CPU)"

    def __init__(self):
        try:
            import jax
            import jax.numpy as jnp
        except ImportError as e:
            raise Unavailable(str(e)) from None
        jax.config.update("jax_enable_x64", True)
        self.grad, self.np, self.wait = jax.grad, jnp, jax.block_until_ready


ENGINES = [Diffcli, Dezero, Micrograd, Autograd, Torch, Jax]


def load(names=None):
    """The engines that import here, by class; a missing one is reported and skipped."""
    engines = []
    for cls in ENGINES:
        if names and cls.__name__.lower() not in names:
            continue
        try:
            engines.append(cls())
        except Unavailable as e:
            print(f"skipped {cls.name}: {e}", file=sys.stderr)
    return engines

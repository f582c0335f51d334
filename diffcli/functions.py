"""Every differentiable operation: forward and derivative rule side by side, and the wrappers.

Each rule is written with the wrappers, so it runs on ndarrays for a plain backward pass
and builds graph nodes under create_graph. Imports the engine only."""

from typing import NamedTuple

import numpy as np

from .engine import Function, ShapeError, Variable, _shape_text, as_array


def data_of(x):
    """The array behind x, for rules that use a value as a constant (masks, signs)."""
    return x.data if type(x) is Variable else x


# --- arithmetic ------------------------------------------------------------


class Add(Function):
    """y = a + b;  ∂y/∂a = 1,  ∂y/∂b = 1"""

    uses_inputs = uses_output = False
    name, arity = "add", 2

    def forward(self, a, b):
        return a + b

    def backward(self, gy, y, a, b):
        return sum_to(gy, a.shape), sum_to(gy, b.shape)


class Sub(Function):
    """y = a - b;  ∂y/∂a = 1,  ∂y/∂b = -1"""

    uses_inputs = uses_output = False
    name, arity = "sub", 2

    def forward(self, a, b):
        return a - b

    def backward(self, gy, y, a, b):
        return sum_to(gy, a.shape), sum_to(-gy, b.shape)


class Mul(Function):
    """y = a·b;  ∂y/∂a = b,  ∂y/∂b = a"""

    uses_output = False
    name, arity = "mul", 2

    def forward(self, a, b):
        return a * b

    def backward(self, gy, y, a, b):
        return sum_to(gy * b, a.shape), sum_to(gy * a, b.shape)


class Div(Function):
    """y = a / b;  ∂y/∂a = 1/b,  ∂y/∂b = -a/b²"""

    name, arity = "div", 2
    fp_notes = {"division by zero": "division by zero", "invalid value": "0/0 or inf/inf"}

    def forward(self, a, b):
        return a / b

    def backward(self, gy, y, a, b):
        ga = gy / b
        return sum_to(ga, a.shape), sum_to(-ga * y, b.shape)


class Neg(Function):
    """y = -x;  dy/dx = -1"""

    uses_inputs = uses_output = False
    name = "neg"

    def forward(self, x):
        return -x

    def backward(self, gy, y, x):
        return (-gy,)


class Pow(Function):
    """y = a**b;  ∂y/∂a = b·a**(b-1),  ∂y/∂b = y·log(a)"""

    name, arity = "pow", 2
    fp_notes = {"invalid value": "power of a negative number", "division by zero": "power of zero",
                "overflow": "result too large"}

    def forward(self, a, b):
        return a ** b

    def backward(self, gy, y, a, b):
        return sum_to(gy * b * a ** (b - 1), a.shape), sum_to(gy * y * log(a), b.shape)


class PowConst(Function):
    """y = x**c, c a constant;  dy/dx = c·x**(c-1)"""

    uses_output = False
    name = "pow"
    # how pow(a, b) runs when b is a constant: no log(a) is taken for the exponent
    fp_notes = Pow.fp_notes

    def __init__(self, c):
        self.c = as_array(c)

    def forward(self, x):
        c = self.c
        if c.ndim == 0:
            # numpy's power has fast paths for 2 and 0.5 only: x**3 costs 20x x*x*x
            k = float(c)
            if k == 3.0:
                return x * x * x
            if k == 2.0:
                return x * x
            if k == 1.0:
                return x * 1.0
        return x ** c

    def backward(self, gy, y, x):
        c = self.c
        # written fresh-temporary first, so numpy reuses its buffer for the products
        return (sum_to(pow(x, c - 1) * c * gy, x.shape),)

    def result_shape(self, shape):
        return super().result_shape(shape, self.c.shape)


class MatMul(Function):
    """y = a @ b;  ∂y/∂a = gy @ bᵀ,  ∂y/∂b = aᵀ @ gy (vectors as 1-row / 1-column matrices)"""

    uses_output = False
    name, arity = "matmul", 2

    def forward(self, a, b):
        if not (1 <= np.ndim(a) <= 2 and 1 <= np.ndim(b) <= 2):
            raise ValueError("matmul takes vectors and matrices")
        return np.matmul(a, b)

    def backward(self, gy, y, a, b):
        # Treat a vector on the left as a row and on the right as a column, so one
        # pair of matrix rules covers all four cases.
        a2 = reshape(a, (1, a.shape[0])) if a.ndim == 1 else a
        b2 = reshape(b, (b.shape[0], 1)) if b.ndim == 1 else b
        g2 = reshape(gy, (a2.shape[0], b2.shape[1]))
        return reshape(matmul(g2, transpose(b2)), a.shape), reshape(matmul(transpose(a2), g2), b.shape)

    def shape_message(self, shapes):
        sa, sb = shapes
        if not (1 <= len(sa) <= 2 and 1 <= len(sb) <= 2):
            return (f"matmul takes vectors and matrices, got shapes {_shape_text(sa)} "
                    f"and {_shape_text(sb)}")
        return f"matmul: shapes {_shape_text(sa)} and {_shape_text(sb)} do not align ({sa[-1]} ≠ {sb[0]})"

    def result_shape(self, sa, sb):
        if not (1 <= len(sa) <= 2 and 1 <= len(sb) <= 2) or sa[-1] != sb[0]:
            raise ShapeError(self.shape_message((sa, sb)))
        return sa[:-1] + sb[1:]


# --- elementwise functions -------------------------------------------------


class Square(Function):
    """y = x²;  dy/dx = 2x"""

    uses_output = False
    name = "square"

    def forward(self, x):
        return x * x

    def backward(self, gy, y, x):
        return (gy * (2 * x),)


class Exp(Function):
    """y = exp(x);  dy/dx = exp(x) = y"""

    uses_inputs = False
    name = "exp"
    fp_notes = {"overflow": "exp of a large number"}

    def forward(self, x):
        return np.exp(x)

    def backward(self, gy, y, x):
        return (gy * y,)


class Log(Function):
    """y = log(x);  dy/dx = 1/x"""

    uses_output = False
    name = "log"
    fp_notes = {"invalid value": "log of a negative number", "division by zero": "log of zero"}

    def forward(self, x):
        return np.log(x)

    def backward(self, gy, y, x):
        return (gy / x,)


class Sin(Function):
    """y = sin(x);  dy/dx = cos(x)"""

    uses_output = False
    name = "sin"
    fp_notes = {"invalid value": "sin of an infinity"}

    def forward(self, x):
        return np.sin(x)

    def backward(self, gy, y, x):
        return (gy * cos(x),)


class Cos(Function):
    """y = cos(x);  dy/dx = -sin(x)"""

    uses_output = False
    name = "cos"
    fp_notes = {"invalid value": "cos of an infinity"}

    def forward(self, x):
        return np.cos(x)

    def backward(self, gy, y, x):
        return (gy * -sin(x),)


class Tan(Function):
    """y = tan(x);  dy/dx = 1 + tan²(x) = 1 + y²"""

    uses_inputs = False
    name = "tan"
    fp_notes = {"invalid value": "tan of an infinity"}

    def forward(self, x):
        return np.tan(x)

    def backward(self, gy, y, x):
        return (gy * (y * y + 1),)  # y*y first: numpy then adds and multiplies in its buffer


class Tanh(Function):
    """y = tanh(x);  dy/dx = 1 - y²"""

    uses_inputs = False
    name = "tanh"

    def forward(self, x):
        return np.tanh(x)

    def backward(self, gy, y, x):
        return (gy * -(y * y - 1),)  # = gy·(1 - y²), ordered so numpy reuses one buffer


class Sqrt(Function):
    """y = √x;  dy/dx = 1/(2√x) = 1/(2y)"""

    uses_inputs = False
    name = "sqrt"
    fp_notes = {"invalid value": "square root of a negative number",
                "division by zero": "square root at 0"}

    def forward(self, x):
        return np.sqrt(x)

    def backward(self, gy, y, x):
        return (gy / (2 * y),)


class Sigmoid(Function):
    """y = 1/(1 + exp(-x));  dy/dx = y·(1 - y)"""

    uses_inputs = False
    name = "sigmoid"

    def forward(self, x):
        return 0.5 * np.tanh(0.5 * x) + 0.5  # the tanh form cannot overflow

    def backward(self, gy, y, x):
        return (gy * (y * -(y - 1)),)  # = gy·y·(1 - y), ordered so numpy reuses buffers


class Relu(Function):
    """y = max(x, 0);  dy/dx = 1 if x > 0 else 0 (0 at the kink)"""

    uses_output = False
    name = "relu"

    def forward(self, x):
        return np.maximum(x, 0.0)

    def backward(self, gy, y, x):
        return (gy * as_array(data_of(x) > 0),)


class Abs(Function):
    """y = |x|;  dy/dx = sign(x) (0 at the kink)"""

    uses_output = False
    name = "abs"

    def forward(self, x):
        return np.abs(x)

    def backward(self, gy, y, x):
        return (gy * np.sign(data_of(x)),)


# --- reductions and shapes -------------------------------------------------


class Sum(Function):
    """y = Σᵢ xᵢ;  ∂y/∂xᵢ = 1"""

    uses_inputs = uses_output = False
    name = "sum"

    def forward(self, x):
        return np.sum(x)

    def backward(self, gy, y, x):
        return (broadcast_to(gy, x.shape),)

    def result_shape(self, shape):
        return ()


class Mean(Function):
    """y = (1/n) Σᵢ xᵢ;  ∂y/∂xᵢ = 1/n"""

    uses_inputs = uses_output = False
    name = "mean"
    fp_notes = {"invalid value": "mean of an empty array"}

    def forward(self, x):
        return np.mean(x)

    def backward(self, gy, y, x):
        return (broadcast_to(gy, x.shape) / max(x.size, 1),)

    def result_shape(self, shape):
        return ()


class Transpose(Function):
    """y = xᵀ (axes reversed);  gx = gyᵀ"""

    uses_inputs = uses_output = False
    name = "transpose"

    def forward(self, x):
        return np.transpose(x)

    def backward(self, gy, y, x):
        return (transpose(gy),)

    def result_shape(self, shape):
        return shape[::-1]


class _Reshaping(Function):
    """Base of the internal shape functions: one target shape, no elementwise maths."""

    uses_inputs = uses_output = False

    def __init__(self, shape):
        self.shape = tuple(shape)

    def result_shape(self, shape):
        return self.shape


class SumTo(_Reshaping):
    """y = x summed down to a shape (undoes broadcasting);  gx = broadcast_to(gy)"""

    name = "sum_to"

    def forward(self, x):
        ndim = len(self.shape)
        lead = x.ndim - ndim
        axes = tuple(range(lead)) + tuple(
            i + lead for i, n in enumerate(self.shape) if n == 1 and x.shape[i + lead] != 1)
        y = x.sum(axis=axes, keepdims=True)
        return y.reshape(self.shape) if lead else y

    def backward(self, gy, y, x):
        return (broadcast_to(gy, x.shape),)


class BroadcastTo(_Reshaping):
    """y = x broadcast to a shape;  gx = sum_to(gy, x.shape)"""

    name = "broadcast_to"

    def forward(self, x):
        return np.broadcast_to(x, self.shape)

    def backward(self, gy, y, x):
        return (sum_to(gy, x.shape),)


class Reshape(_Reshaping):
    """y = x with a new shape;  gx = gy with x's shape"""

    name = "reshape"

    def forward(self, x):
        return np.reshape(x, self.shape)

    def backward(self, gy, y, x):
        return (reshape(gy, x.shape),)


class Stack(Function):
    """y = [x₀, x₁, …] (an array literal);  gxᵢ = gy[i]"""

    uses_inputs = uses_output = False
    name, arity = "array", None

    def forward(self, *xs):
        return np.stack(xs)

    def backward(self, gy, y, *xs):
        return tuple(pick(gy, i) for i in range(len(xs)))

    def shape_message(self, shapes):
        listed = ", ".join(_shape_text(s) for s in shapes)
        return f"ragged array: its elements have different shapes {listed}"

    def result_shape(self, *shapes):
        if len(set(shapes)) > 1:
            raise ShapeError(self.shape_message(shapes))
        return (len(shapes),) + shapes[0]


class Pick(Function):
    """y = x[i];  gx = zeros with gy at i"""

    uses_inputs = uses_output = False
    name = "pick"

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        return x[self.index]

    def backward(self, gy, y, x):
        return (Embed(self.index, x.shape)(gy),)


class Embed(Function):
    """y = zeros(shape) with x at i;  gx = gy[i]"""

    uses_inputs = uses_output = False
    name = "embed"

    def __init__(self, index, shape):
        self.index, self.shape = index, shape

    def forward(self, x):
        y = np.zeros(self.shape)
        y[self.index] = x
        return y

    def backward(self, gy, y, x):
        return (pick(gy, self.index),)


# --- wrappers: Variables in, Variable out; plain arrays in, plain array out --


def add(a, b):
    return Add()(a, b)


def sub(a, b):
    return Sub()(a, b)


def mul(a, b):
    return Mul()(a, b)


def div(a, b):
    return Div()(a, b)


def neg(x):
    return Neg()(x)


def pow(a, b):  # noqa: A001 - the language's name
    if type(b) is Variable:
        return Pow()(a, b)
    return PowConst(b)(a)


def matmul(a, b):
    return MatMul()(a, b)


def square(x):
    return Square()(x)


def exp(x):
    return Exp()(x)


def log(x):
    return Log()(x)


def sin(x):
    return Sin()(x)


def cos(x):
    return Cos()(x)


def tan(x):
    return Tan()(x)


def tanh(x):
    return Tanh()(x)


def sqrt(x):
    return Sqrt()(x)


def sigmoid(x):
    return Sigmoid()(x)


def relu(x):
    return Relu()(x)


def abs(x):  # noqa: A001 - the language's name
    return Abs()(x)


def sum(x):  # noqa: A001 - the language's name
    return Sum()(x)


def mean(x):
    return Mean()(x)


def transpose(x):
    return Transpose()(x)


def sum_to(x, shape):
    return x if x.shape == shape else SumTo(shape)(x)


def broadcast_to(x, shape):
    return x if x.shape == shape else BroadcastTo(shape)(x)


def reshape(x, shape):
    return x if x.shape == shape else Reshape(shape)(x)


def stack(*xs):
    return Stack()(*xs)


def pick(x, i):
    return Pick(i)(x)


# --- the language's function table -----------------------------------------


class Entry(NamedTuple):
    """A function of the language: its Function class (name, arity and, in the docstring, the
    derivative rule) and its wrapper."""

    function: type
    call: object

    @property
    def name(self):
        return self.function.name

    @property
    def arity(self):
        return self.function.arity

    @property
    def rule(self):
        return self.function.__doc__.strip()


# The language's functions, in the order `diffcli functions` lists them. Internal Functions
# (PowConst, SumTo, BroadcastTo, Reshape, Stack, Pick, Embed) are not in it.
FUNCTIONS = {
    e.name: e
    for e in (
        Entry(Square, square), Entry(Exp, exp), Entry(Log, log), Entry(Sin, sin),
        Entry(Cos, cos), Entry(Tan, tan), Entry(Tanh, tanh), Entry(Sqrt, sqrt),
        Entry(Sigmoid, sigmoid), Entry(Relu, relu), Entry(Abs, abs), Entry(Sum, sum),
        Entry(Mean, mean), Entry(MatMul, matmul), Entry(Transpose, transpose),
        Entry(Add, add), Entry(Sub, sub), Entry(Mul, mul), Entry(Div, div), Entry(Neg, neg),
        Entry(Pow, pow),
    )
}

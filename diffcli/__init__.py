"""diffcli: reverse-mode automatic differentiation of small programs, from the command line."""

__version__ = "0.1.0"

from .engine import (  # noqa: E402
    Function, TraceStep, Variable, as_array, backprop, fp_events, no_grad,
)
from .errors import (  # noqa: E402
    DiffcliError, DiffcliNameError, DiffcliValueError, LimitError, ParseError, ShapeError,
)
from .functions import (  # noqa: E402
    FUNCTIONS, abs, add, cos, div, exp, log, matmul, mean, mul, neg, pow, relu, sigmoid,
    sin, sqrt, square, sub, sum, tan, tanh, transpose,
)

__all__ = [
    "Variable", "Function", "TraceStep", "as_array", "backprop", "fp_events", "no_grad",
    "DiffcliError", "DiffcliNameError", "DiffcliValueError", "LimitError", "ParseError", "ShapeError",
    "FUNCTIONS", "abs", "add", "cos", "div", "exp", "log", "matmul", "mean", "mul", "neg", "pow",
    "relu", "sigmoid", "sin", "sqrt", "square", "sub", "sum", "tan", "tanh", "transpose",
    "parse", "evaluate",
]


def __getattr__(name):
    # parse/evaluate bring in lark: loaded on first use, so engine-only users skip it
    if name == "parse":
        from .parser import parse

        return parse
    if name == "evaluate":
        from .program import evaluate

        return evaluate
    raise AttributeError(f"module 'diffcli' has no attribute {name!r}")

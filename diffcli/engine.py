"""The define-by-run engine: Variable, Function, the backward strategies and trace records.

Knows numpy only; it must not import lark, rich, click or any diffcli module but errors."""

import contextlib
import heapq
import itertools
import warnings
import weakref
from typing import NamedTuple

import numpy as np

from .errors import DiffcliValueError, LimitError, ShapeError

ORDERS = ("generation", "topo", "naive")


class _State:
    """Engine-wide switches, read on every Function call (so: attributes, not a dict)."""

    __slots__ = ("backprop", "fp_sink", "current", "in_backward", "budget")

    def __init__(self):
        self.backprop = True  # False inside no_grad(): no graph is recorded
        self.fp_sink = None  # list collecting FloatingPointEvent, or None (events dropped)
        self.current = None  # the Function whose numpy work is running, for fp events
        self.in_backward = False
        self.budget = None  # with create_graph: the Function.seq past which the pass must stop


_state = _State()
_NOTHING = np.zeros(())  # what released data views, at no cost in memory
_RELEASE_FROM = 4096  # elements (32 KiB): below this, release_data keeps the values

# nan/inf is a result here, not a failure: numpy's RuntimeWarnings from diffcli's own code
# are never printed (fp_events() collects them instead). A filter, because a per-call
# np.errstate would cost more than the rest of a scalar Function call.
warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"diffcli(\.|$)")
_creation = itertools.count(1)  # Function.seq: creation order, for stable ids


def as_array(x):
    """float64 ndarray; 0-d stays an ndarray (numpy 2 hands back np.float64 from 0-d maths)."""
    if type(x) is np.ndarray and x.dtype == np.float64:
        return x
    return np.asarray(x, dtype=np.float64)


@contextlib.contextmanager
def no_grad():
    """Compute without recording a graph (DeZero's no_grad)."""
    previous = _state.backprop
    _state.backprop = False
    try:
        yield
    finally:
        _state.backprop = previous


# --- floating-point events -------------------------------------------------

_FP_KINDS = {
    "invalid value": "invalid value",
    "divide by zero": "division by zero",
    "overflow": "overflow",
}


class FloatingPointEvent(NamedTuple):
    """numpy reported nan/inf trouble while a function ran (forward or backward)."""

    function: str
    seq: int
    source: object  # the caller's annotation of the function (the parser's position)
    phase: str  # "forward" or "backward"
    message: str


def _on_fp_error(kind, flag):
    f = _state.current
    sink = _state.fp_sink
    if sink is None:
        return
    text = _FP_KINDS.get(kind, kind)
    name, seq, source, note = "?", 0, None, None
    if f is not None:
        name, seq, source = f.name, f.seq, f.source
        note = f.fp_notes.get(text)
    phase = "backward" if _state.in_backward else "forward"
    if note:
        text = f"{text} ({note})"
    if phase == "backward":
        text += " in the derivative"
    sink.append(FloatingPointEvent(name, seq, source, phase, text))


@contextlib.contextmanager
def fp_events():
    """Collect nan/inf trouble as FloatingPointEvent records instead of numpy warnings.

    Outside this context the engine still never prints or raises on it; events are dropped."""
    events = []
    previous = _state.fp_sink
    _state.fp_sink = events
    try:
        with np.errstate(all="call", under="ignore", call=_on_fp_error):
            yield events
    finally:
        _state.fp_sink = previous


# --- Variable and Function -------------------------------------------------


class Variable:
    """A value in the graph: data (float64 ndarray), grad, and the function that made it."""

    __slots__ = ("data", "name", "grad", "creator", "generation", "__weakref__")
    __array_ufunc__ = None  # ndarray (op) Variable defers to Variable's reflected operator

    def __init__(self, data, name=None):
        if type(data) is not np.ndarray or data.dtype != np.float64:  # as_array, inlined: hot
            data = np.asarray(data, dtype=np.float64)
        self.data = data
        self.name = name
        self.grad = None
        self.creator = None
        self.generation = 0

    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    size = property(lambda self: self.data.size)
    dtype = property(lambda self: self.data.dtype)

    def __len__(self):
        return len(self.data)

    def __repr__(self):
        body = str(self.data).replace("\n", "\n" + " " * 9)
        return f"variable({body})" if self.name is None else f"variable({self.name}={body})"

    # The operators build graph nodes; the Function classes live in functions.py,
    # which imports this module, so they are looked up when first used.
    def __add__(self, other):
        return _ops.add(self, other)

    def __radd__(self, other):
        return _ops.add(other, self)

    def __sub__(self, other):
        return _ops.sub(self, other)

    def __rsub__(self, other):
        return _ops.sub(other, self)

    def __mul__(self, other):
        return _ops.mul(self, other)

    def __rmul__(self, other):
        return _ops.mul(other, self)

    def __truediv__(self, other):
        return _ops.div(self, other)

    def __rtruediv__(self, other):
        return _ops.div(other, self)

    def __pow__(self, other):
        return _ops.pow(self, other)

    def __rpow__(self, other):
        return _ops.pow(other, self)

    def __matmul__(self, other):
        return _ops.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.matmul(other, self)

    def __neg__(self):
        return _ops.neg(self)

    def __pos__(self):
        return self

    @property
    def T(self):
        return _ops.transpose(self)

    def cleargrad(self):
        self.grad = None

    def release_data(self):
        """Free the values (no rule will read them) but keep the shape: rules that need only
        shapes still work. Used on a program's internal graph, never on a user's variables.
        Small arrays are kept: making the view costs more than their memory is worth."""
        if self.data.size >= _RELEASE_FROM:
            self.data = np.broadcast_to(_NOTHING, self.data.shape)

    def backward(self, retain_grad=False, create_graph=False, order="generation", trace=False):
        """Accumulate d(sum of self)/d(leaf) into every leaf's .grad.

        order: "generation" (default), "topo" or "naive" (the pre-fix algorithm, for teaching).
        trace: if true, return the steps as a tuple of TraceStep records."""
        if self.creator is None:
            raise DiffcliValueError(
                "backward() needs a variable computed by functions; this one is a leaf "
                "(an input, a constant, or a result computed under no_grad())"
            )
        steps = [] if trace else None
        run = backprop(self, order=order, create_graph=create_graph,
                       retain_grad=retain_grad, steps=steps)
        for x, g in run.items():
            # x.grad = x.grad + g, never +=: the old array may be shared (seed problem 2)
            if type(g) is not Variable and not (g.flags.writeable and g.flags.c_contiguous):
                g = np.array(g)  # a view (the seed passed through): give the user an array
            if x.grad is None:
                x.grad = g if type(g) is Variable else Variable(g)
            else:
                x.grad = x.grad + g if create_graph else Variable(x.grad.data + as_array(g))
        return tuple(steps) if trace else None


class _Ops:
    """Late binding of the operator wrappers (functions.py imports engine, not the reverse)."""

    def __getattr__(self, name):
        from . import functions

        for op in ("add", "sub", "mul", "div", "pow", "matmul", "neg", "transpose"):
            setattr(self, op, getattr(functions, op))
        return getattr(self, name)


_ops = _Ops()


class Function:
    """One operation: forward on ndarrays, backward(gy, y, *inputs) -> one gradient per input.

    backward receives ndarrays, or Variables when the graph of the backward pass is being
    built (create_graph), and is written with the wrappers so it works on both."""

    __slots__ = ("inputs", "output", "generation", "seq", "_source", "__weakref__")
    name = "function"
    arity = 1
    fp_notes = {}  # numpy's complaint -> what it means for this function
    # Whether backward reads the input values / the output value (beside its rule): what
    # the engine may free early. True unless a subclass says otherwise.
    uses_inputs = True
    uses_output = True

    @property
    def source(self):
        """Where the function stands, set by whoever builds the graph (the parser), or None.
        A slot, not a class default: an instance dict for it would cost every parsed node."""
        return getattr(self, "_source", None)

    @source.setter
    def source(self, where):
        self._source = where

    def __call__(self, *inputs):
        for v in inputs:
            if type(v) is not Variable:
                if not any(type(v) is Variable for v in inputs):
                    # plain numbers or arrays: plain numpy, no graph (as autograd's wrappers)
                    return self._forward(inputs)
                inputs = tuple(v if type(v) is Variable else Variable(v) for v in inputs)
                break
        state = _state
        self.seq = next(_creation)
        if state.fp_sink is None or state.in_backward:
            y = Variable(self._forward([x.data for x in inputs]))
        else:
            state.current = self  # named by fp events; cleared so it holds no graph alive
            try:
                y = Variable(self._forward([x.data for x in inputs]))
            finally:
                state.current = None
        if state.backprop:
            generation = 0
            for x in inputs:
                if x.generation > generation:
                    generation = x.generation
            self.generation = generation
            self.inputs = inputs
            self.output = weakref.ref(y)  # weak: a graph is freed when its output is dropped
            y.creator = self
            y.generation = generation + 1
        return y

    def _forward(self, xs):
        try:
            return self.forward(*xs)
        except ValueError as e:  # numpy's shape complaints
            raise ShapeError(self.shape_message([np.shape(x) for x in xs])) from e
        except FloatingPointError:  # the caller set np.seterr(all="raise"): nan/inf is no error here
            with np.errstate(all="ignore"):
                return self.forward(*xs)

    def shape_message(self, shapes):
        listed = " and ".join(_shape_text(s) for s in shapes)
        return f"{self.name}: shapes {listed} do not broadcast together"

    def result_shape(self, *shapes):
        """The output shape for these input shapes, without computing; elementwise by default."""
        try:
            return np.broadcast_shapes(*shapes)
        except ValueError:
            raise ShapeError(self.shape_message(shapes)) from None

    def forward(self, *xs):
        raise NotImplementedError

    def backward(self, gy, y, *xs):
        raise NotImplementedError


def _shape_text(shape):
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


# --- the backward pass -----------------------------------------------------


class Queued(NamedTuple):
    id: str
    function: str
    generation: int


class Passed(NamedTuple):
    """The gradient a step passed to one input, and what that input held before and after."""

    to: str  # the input's label: its name, the id of its creator, or its value
    grad: np.ndarray
    before: np.ndarray | None  # None: first contribution, nothing accumulated
    after: np.ndarray


class TraceStep(NamedTuple):
    step: int
    id: str
    function: str
    generation: int
    source: object
    gy: np.ndarray
    passed: tuple  # of Passed, one per input
    queue: tuple  # of Queued, in the order they would be popped


def graph_functions(y):
    """Every function the output depends on, found iteratively (no recursion)."""
    seen = set()
    todo = [y.creator] if y.creator is not None else []
    while todo:
        f = todo.pop()
        if f in seen:
            continue
        seen.add(f)
        todo.extend(x.creator for x in f.inputs if x.creator is not None and x.creator not in seen)
    return seen


def function_ids(y):
    """Stable ids f1, f2, ... for the functions y depends on, in the order they were created."""
    ordered = sorted(graph_functions(y), key=lambda f: f.seq)
    return {f: f"f{i}" for i, f in enumerate(ordered, 1)}


def backprop(y, order="generation", create_graph=False, retain_grad=False, steps=None,
             max_runs=1_000_000, max_functions=None, release=False):
    """Run one backward pass from y; return {variable: gradient} for leaves (and, with
    retain_grad, intermediates). Gradients are ndarrays, or Variables with create_graph.

    steps: a list to append TraceStep records to, or None (then nothing is recorded).
    max_functions: with create_graph, stop with LimitError once the pass has built more
    functions than this (each order of derivative can be several times the last).
    release: free each function's output values once its rule has run (generation and
    topo orders only; for a graph nobody reads afterwards, as a program's)."""
    if order not in ORDERS:
        raise DiffcliValueError(f"unknown order {order!r}; choose one of {', '.join(ORDERS)}")
    # Seeded with ones, as a view (no memory): rules never write into gy, and accumulation
    # writes only into arrays this pass made itself.
    seed = np.broadcast_to(np.ones(()), y.shape) if y.ndim else np.ones(())
    grads = {y: Variable(seed) if create_graph else seed}
    tracer = None
    if steps is not None:
        tracer = _Tracer(steps, function_ids(y))
    walk = {"generation": _walk_generation, "topo": _walk_topo, "naive": _walk_naive}[order]
    previous = (_state.backprop, _state.in_backward, _state.current, _state.budget)
    _state.backprop, _state.in_backward = create_graph, True
    # Function.seq numbers are only ordered, so the checks may consume some.
    _state.budget = next(_creation) + max_functions if create_graph and max_functions else None
    try:
        kept = walk(y, grads, create_graph, retain_grad, tracer, max_runs, release)
    finally:
        _state.backprop, _state.in_backward, _state.current, _state.budget = previous
    if not retain_grad:
        kept = {x: g for x, g in kept.items() if x.creator is None}
    return kept


def _run(f, gy, create_graph):
    """One function's rule: the gradients for its inputs, checked in one place."""
    _state.current = f
    y = f.output()
    if create_graph:
        gxs = f.backward(gy, y, *f.inputs)
    else:
        gxs = f.backward(gy, y.data, *[x.data for x in f.inputs])
    if len(gxs) != len(f.inputs):
        raise RuntimeError(f"{type(f).__name__}.backward returned {len(gxs)} gradients "
                           f"for {len(f.inputs)} inputs")
    if _state.budget is not None and next(_creation) > _state.budget:
        raise LimitError("--nth: the graphs of the derivatives grew past the limit on their "
                         "functions (--max-nth-nodes)")
    return gxs


def _walk_generation(y, grads, create_graph, retain_grad, tracer, max_runs, release):
    """Pending functions in a heap keyed (-generation, -tick): highest generation first and,
    among equals, the most recently queued first; each function queued (so run) once."""
    heap = []
    queued = set()
    tick = itertools.count()
    kept = {}

    def push(f):
        queued.add(f)
        heapq.heappush(heap, (-f.generation, -next(tick), f))

    push(y.creator)
    owned = None if create_graph or tracer else set()
    while heap:
        f = heapq.heappop(heap)[2]
        # gy is complete: every user of f's output has a higher generation and has run
        gy, gxs, before = _step_once(f, grads, kept, create_graph, retain_grad, release,
                                     tracer, owned)
        for x in f.inputs:
            c = x.creator
            if c is not None and c not in queued:
                push(c)
        if tracer:
            tracer.record(f, gy, gxs, before, grads,
                          [e[2] for e in sorted(heap)])
    kept.update(grads)  # what is left: the leaves
    return kept


def _walk_topo(y, grads, create_graph, retain_grad, tracer, max_runs, release):
    """Reverse of a depth-first post-order (micrograd, PyTorch), built with an explicit stack."""
    post = []
    visited = set()
    stack = [(y.creator, False)]
    while stack:
        f, children_done = stack.pop()
        if children_done:
            post.append(f)
            continue
        if f in visited:
            continue
        visited.add(f)
        stack.append((f, True))
        for x in f.inputs:
            if x.creator is not None and x.creator not in visited:
                stack.append((x.creator, False))
    post.reverse()
    kept = {}
    owned = None if create_graph or tracer else set()
    for i, f in enumerate(post):
        gy, gxs, before = _step_once(f, grads, kept, create_graph, retain_grad, release,
                                     tracer, owned)
        if tracer:
            tracer.record(f, gy, gxs, before, grads, post[i + 1:])
    kept.update(grads)
    return kept


def _step_once(f, grads, kept, create_graph, retain_grad, release, tracer, owned):
    """Run f once, after every user of its output (the generation and topo orders): take its
    output's complete gradient, run the rule, free what is done with, pass gradients on."""
    out = f.output()
    gy = grads.pop(out)  # used once, then freed
    if retain_grad:
        kept[out] = gy
    gxs = _run(f, gy, create_graph)
    if release:
        out.release_data()  # every user of out has run, and so has its creator now
    return gy, gxs, _accumulate(f, gxs, grads, tracer, owned)


def _walk_naive(y, grads, create_graph, retain_grad, tracer, max_runs, release):
    """The algorithm before the generation fix: a plain stack and every input's creator
    pushed every time, so a function may run more than once, passing on whatever
    gradient its output holds at that moment (possibly incomplete)."""
    stack = [y.creator]
    runs = 0
    while stack:
        f = stack.pop()
        runs += 1
        if runs > max_runs:
            raise LimitError(f"the naive order ran more than {max_runs:,} functions "
                             "(it repeats shared work exponentially); use --order generation")
        gy = grads[f.output()]
        gxs = _run(f, gy, create_graph)
        before = _accumulate(f, gxs, grads, tracer)
        stack.extend(x.creator for x in f.inputs if x.creator is not None)
        if tracer:
            tracer.record(f, gy, gxs, before, grads, stack[::-1])
    return grads


def _accumulate(f, gxs, grads, tracer, owned=None):
    """grads[x] = grads[x] + gx for each input (a variable used twice gets both).

    The first contribution is stored as it came, and may be shared (add hands the same gy to
    both inputs), so it is never written to. owned: the variables whose gradient array this
    pass made itself by adding, which nothing else holds: later contributions are added into
    it in place, saving an allocation per contribution on large arrays."""
    before = [] if tracer else None
    for x, gx in zip(f.inputs, gxs):
        old = grads.get(x)
        if tracer:
            before.append(old)
        if old is None:
            grads[x] = gx
        elif owned is not None and x in owned:
            np.add(old, gx, out=old)
        else:
            grads[x] = old + gx
            if owned is not None and type(old) is np.ndarray and old.ndim:
                owned.add(x)
    return before


class _Tracer:
    """Builds TraceStep records holding copies, so nothing refers to the live graph."""

    def __init__(self, steps, ids):
        self.steps = steps
        self.ids = ids

    def fid(self, f):
        return self.ids[f]

    def label(self, x):
        if x.name is not None:
            return x.name
        if x.creator is not None:
            return self.fid(x.creator)
        return _value_text(x.data)

    def record(self, f, gy, gxs, before, grads, pending):
        passed = tuple(
            Passed(self.label(x), _copy(gx), None if old is None else _copy(old), _copy(grads[x]))
            for x, gx, old in zip(f.inputs, gxs, before)
        )
        queue = tuple(Queued(self.fid(p), p.name, p.generation) for p in pending)
        self.steps.append(TraceStep(len(self.steps) + 1, self.fid(f), f.name, f.generation,
                                    f.source, _copy(gy), passed, queue))


def _copy(g):
    return np.array(g.data if type(g) is Variable else g, dtype=np.float64)


def _value_text(a):
    return f"{float(a):g}" if a.ndim == 0 else f"array{_shape_text(a.shape)}"

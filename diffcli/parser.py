"""Programs to graphs: the LALR parser builds the graph as it reduces (no tree, no recursion).

Owns the language's names, constants, limits and syntax-error wording. Imports lark,
functions and engine; never rich or click."""

import math
import os
from typing import NamedTuple
from functools import lru_cache

import numpy as np
from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from . import __version__
from .engine import Variable, no_grad
from .errors import DiffcliError, DiffcliNameError, DiffcliValueError, LimitError, ParseError, ShapeError
from .functions import FUNCTIONS, PowConst, Stack

CONSTANTS = {"pi": np.asarray(math.pi), "e": np.asarray(math.e)}


class Limits(NamedTuple):
    """What one program may use; each is checked before the work or memory is spent."""

    max_line: int = 4_000_000  # characters in one program
    max_rank: int = 8  # dimensions of an array
    max_elements: int = 20_000_000  # elements of any array, literal or intermediate
    max_nodes: int = 2_000_000  # functions in one program's graph
    # Every intermediate stays alive for the backward pass, which allocates as much again:
    # 4e8 float64 elements is 3.2 GB forward, so no one program can exhaust a 24 GiB machine.
    max_total: int = 400_000_000  # elements of all array results of one program together
    # Each order of derivative can have a few times the functions of the last (tanh: 5, 10,
    # 23, 54, 133, ...); building them costs ~10 µs each, so this bounds --nth to seconds.
    max_nth_nodes: int = 250_000  # functions all --nth derivative graphs of an input build together


class Source(NamedTuple):
    """Where a function stands in the program: its line/column and its text's span."""

    line: int
    column: int
    start: int
    end: int


class Program(NamedTuple):
    """A parsed program: its graph, ready for a backward pass."""

    text: str
    inputs: dict  # name -> leaf Variable, in order of definition
    names: dict  # every assigned name -> its Variable
    output: object  # Variable, or an ndarray when the program has no input in it
    nodes: int = 0

    def snippet(self, source, limit=60):
        """The text a function computes; a long one is shortened in the middle (deeply
        nested programs would otherwise repeat the whole line at every level)."""
        if limit is None or source.end - source.start <= limit:
            return self.text[source.start:source.end]
        half = (limit - 1) // 2
        return self.text[source.start:source.start + half] + "…" + self.text[source.end - half:source.end]


# Arithmetic on constants still writes down a value (t = pi / 4 is an input); any other
# function applied to constants computes one (h = cos(0.5) is a named constant, no input).
ARITHMETIC = {"add", "sub", "mul", "div", "neg", "pow", "array"}


class _Operand:
    """An expression's value with the span of its text (for sources and positions);
    `derived` marks a constant that a non-arithmetic function computed."""

    __slots__ = ("value", "start", "end", "line", "column", "derived", "temporary")

    def __init__(self, value, start, end, line, column, derived=False, temporary=False):
        self.value, self.start, self.end, self.line, self.column = value, start, end, line, column
        self.derived = derived
        self.temporary = temporary  # an unnamed function result: this is its only use


def _grammar_text():
    here = os.path.dirname(os.path.abspath(__file__))
    # installed: diffcli/grammar/; in the source tree: grammar/ beside the package
    for folder in (os.path.join(here, "grammar"), os.path.join(os.path.dirname(here), "grammar")):
        path = os.path.join(folder, "diffcli.lark")
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                return f.read()
    raise FileNotFoundError("diffcli's grammar file diffcli.lark is missing from the installation")


def _cache_path():
    """A per-user cache for the parse tables (Lark pickles them: keep them private)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "diffcli")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        if not os.access(folder, os.W_OK) or os.stat(folder).st_uid != os.getuid():
            return False
    except OSError:
        return False
    return os.path.join(folder, f"parser-{__version__}.lark-cache")


@lru_cache(maxsize=1)
def _parser():
    builder = _GraphBuilder()
    lark = Lark(_grammar_text(), start="program", parser="lalr", lexer="basic",
                transformer=builder, cache=_cache_path(), maybe_placeholders=False)
    return lark, builder


def parse(text, at=None, *, cse=False, limits=None, lean=False):
    """Parse a program and build its graph; `at` maps names to values (the --at option).

    lean: free the values of unnamed intermediate results that no derivative rule reads (the
    graph still differentiates; those nodes then show zeros). evaluate() parses lean."""
    limits = limits or Limits()
    if len(text) > limits.max_line:
        raise LimitError(f"the program has {len(text):,} characters; the limit is "
                         f"{limits.max_line:,} (--max-line)", 1, 1)
    lark, builder = _parser()
    builder.start(text, at or {}, cse, limits, lean)
    try:
        return lark.parse(text)
    except UnexpectedInput as e:
        raise _syntax_error(lark, text, e) from None
    finally:
        builder.finish()


def _reduction(method):
    """Lark calls a reduction with the list of its children; this unpacks them (one frame,
    where v_args(inline=True) costs two) and, after the first mistake in a program, stops
    evaluating but lets the parse go on: a syntax error anywhere in the line is the more
    basic problem and is reported instead."""

    def wrapper(self, children):
        if self.error is None:
            try:
                return method(self, *children)
            except DiffcliError as e:
                self.error = e
        first, last = children[0], children[-1]
        start = first.start_pos if isinstance(first, Token) else first.start
        end = last.end_pos if isinstance(last, Token) else last.end
        return _Operand(None, start, end, 1, 1)

    wrapper.__name__ = method.__name__
    return wrapper


class _GraphBuilder(Transformer):
    """Called by the LALR parser at each reduction: evaluates as it goes, so the graph is
    built in one pass. Holds one program's state between start() and finish()."""

    def start(self, text, at, cse, limits, lean=False):
        self.text, self.at, self.cse, self.limits, self.lean = text, at, cse, limits, lean
        self.inputs, self.names, self.assigned_at, self.memo = {}, {}, {}, {}
        self.derived = set()  # names of constants computed by non-arithmetic functions
        self.nodes = 0
        self.total = 0  # elements of the array results so far (for max_total)
        self.error = None

    def finish(self):
        self.inputs = self.names = self.memo = self.at = None

    # --- statements

    def program(self, statements):
        if self.error is not None:
            raise self.error
        return Program(self.text, self.inputs, self.names, statements[-1].value, self.nodes)

    @_reduction
    def assign(self, name, operand):
        key = str(name)
        if key in CONSTANTS:
            raise DiffcliNameError(f"'{key}' is a constant and cannot be assigned", name.line, name.column)
        if key in self.names or key in self.inputs:
            line, column = self.assigned_at.get(key, (None, None))
            where = f" at line {line}, column {column}" if line else " (it was given with --at)"
            raise DiffcliNameError(f"'{key}' is already assigned{where}; a name may be assigned "
                                   "only once", name.line, name.column)
        value = operand.value
        if type(value) is Variable or operand.derived:  # an intermediate, naming one node
            if key in self.at:
                raise DiffcliValueError(f"--at {key}: '{key}' is computed by the program, so it "
                                        "cannot be given a value", name.line, name.column)
            if type(value) is Variable and value.name is None:
                value.name = key
        else:  # a written-down constant: an input (leaf); --at overrides its value
            value = self._input(key, self.at.get(key, value), name)
        self.names[key] = value
        self.assigned_at[key] = (name.line, name.column)
        if operand.derived:
            self.derived.add(key)
        return _Operand(value, name.start_pos, operand.end, name.line, name.column, operand.derived)

    # --- atoms

    @_reduction
    def number(self, token):
        return _Operand(np.asarray(float(token)), token.start_pos, token.end_pos, token.line, token.column)

    @_reduction
    def name(self, token):
        key = str(token)
        value = self.names.get(key)
        if value is None:
            value = self.inputs.get(key)
        if value is None:
            if key in CONSTANTS:
                value = CONSTANTS[key]
            elif key in self.at:
                value = self._input(key, self.at[key], token)
            else:
                raise self._unknown_name(token)
        return _Operand(value, token.start_pos, token.end_pos, token.line, token.column,
                        key in self.derived)

    @_reduction
    def group(self, lpar, operand, rpar):
        return _Operand(operand.value, lpar.start_pos, rpar.end_pos, lpar.line, lpar.column,
                        operand.derived, operand.temporary)

    def arguments(self, operands):
        return operands

    @_reduction
    def array(self, lsqb, elements, rsqb):
        if not elements:
            return _Operand(np.zeros(0), lsqb.start_pos, rsqb.end_pos, lsqb.line, lsqb.column)
        return self._apply(Stack(), elements, lsqb, rsqb.end_pos)

    @_reduction
    def call(self, name, lpar, arguments, rpar):
        key = str(name)
        entry = FUNCTIONS.get(key)
        if entry is None:
            raise self._unknown_function(name)
        if len(arguments) != entry.arity:
            s = "" if entry.arity == 1 else "s"
            raise DiffcliValueError(f"{key}() takes {entry.arity} argument{s}, given {len(arguments)}",
                                    name.line, name.column)
        if key == "pow":
            return self._pow(arguments[0], arguments[1], name, rpar.end_pos)
        return self._apply(entry.function(), arguments, name, rpar.end_pos)

    # --- operators: the token is where an error or warning points

    @_reduction
    def add(self, a, op, b):
        return self._binary("add", a, op, b)

    @_reduction
    def sub(self, a, op, b):
        return self._binary("sub", a, op, b)

    @_reduction
    def mul(self, a, op, b):
        return self._binary("mul", a, op, b)

    @_reduction
    def div(self, a, op, b):
        return self._binary("div", a, op, b)

    @_reduction
    def matmul(self, a, op, b):
        return self._binary("matmul", a, op, b)

    @_reduction
    def pow(self, a, op, b):
        return self._pow(a, b, op, b.end, a.start)

    @_reduction
    def neg(self, op, a):
        return self._apply(FUNCTIONS["neg"].function(), [a], op, a.end)

    @_reduction
    def pos(self, op, a):
        return _Operand(a.value, op.start_pos, a.end, op.line, op.column, a.derived, a.temporary)

    # --- building nodes

    def _binary(self, name, a, op, b):
        """An infix operator: the node spans both operands and is located at the operator."""
        return self._apply(FUNCTIONS[name].function(), [a, b], op, b.end, a.start)

    def _pow(self, a, b, token, end, start=None):
        if type(b.value) is Variable:
            return self._apply(FUNCTIONS["pow"].function(), [a, b], token, end, start)
        return self._apply(PowConst(b.value), [a], token, end, start)

    def _apply(self, f, operands, token, end, start=None):
        if start is None:
            start = token.start_pos
        line, column = token.line, token.column
        values = [o.value for o in operands]
        f.source = Source(line, column, start, end)
        constant = True
        for v in values:
            if type(v) is Variable:
                constant = False
                break
        try:
            self._check_size(f, values)
            if constant:  # fold, still through the Function so nan/inf events name it
                with no_grad():
                    y = f(*[Variable(v) for v in values]).data
                derived = f.name not in ARITHMETIC or any(o.derived for o in operands)
                return _Operand(y, start, end, line, column, derived)
            if self.cse:
                y = self._shared(f, values)
            else:
                y = f(*values)
                self._count_node()
                if self.lean:
                    self._release_unused(f, operands)
        except (ShapeError, LimitError, DiffcliValueError) as e:
            raise e.locate(line, column) from None
        return _Operand(y, start, end, line, column, temporary=not self.cse)

    def _release_unused(self, f, operands):
        """Free the values of unnamed subexpression results that no derivative rule reads:
        this function was their only user and its rule does not read them, nor does the rule
        of the function that made them (so a 10^7-element program keeps far fewer arrays)."""
        if f.uses_inputs:
            return
        for o in operands:
            v = o.value
            if o.temporary and type(v) is Variable and not v.creator.uses_output:
                v.release_data()

    def _shared(self, f, values):
        """--cse: the node already built for the same function of the same operands, if any."""
        key = self._memo_key(f, values)
        y = self.memo.get(key)
        if y is None:
            y = self.memo[key] = f(*values)
            self._count_node()
        return y

    def _count_node(self):
        self.nodes += 1
        if self.nodes > self.limits.max_nodes:
            raise LimitError(f"the graph has more than {self.limits.max_nodes:,} functions "
                             "(--max-nodes)")

    def _check_size(self, f, values):
        shapes = [(v.data if type(v) is Variable else v).shape for v in values]
        if not any(shapes) and type(f) is not Stack:
            return  # scalars in, a scalar out: nothing to check
        shape = f.result_shape(*shapes)
        limits = self.limits
        if len(shape) > limits.max_rank:
            raise LimitError(f"{f.name}: the result would have {len(shape)} dimensions; the limit "
                             f"is {limits.max_rank} (--max-rank)")
        size = math.prod(shape)
        if size > limits.max_elements:
            raise LimitError(f"{f.name}: the result would have {size:,} elements; the limit is "
                             f"{limits.max_elements:,} (--max-elements)")
        self.total += size
        if self.total > limits.max_total:
            raise LimitError(f"{f.name}: the program's arrays would hold more than "
                             f"{limits.max_total:,} elements together (--max-total)")

    def _memo_key(self, f, values):
        """The same function (and constant exponent) of the same nodes and constant values."""
        c = getattr(f, "c", None)
        key = [type(f).__name__, None if c is None else (c.shape, c.tobytes())]
        key += [id(v) if type(v) is Variable else (v.shape, np.asarray(v).tobytes()) for v in values]
        return tuple(key)

    def _input(self, key, value, token):
        array = np.asarray(value, dtype=np.float64)
        if array.ndim > self.limits.max_rank or array.size > self.limits.max_elements:
            raise LimitError(f"'{key}' has shape {array.shape}, past the limits (--max-rank, "
                             "--max-elements)", token.line, token.column)
        variable = Variable(array, key)
        self.inputs[key] = variable
        return variable

    # --- names the program does not define

    def _unknown_name(self, token):
        key = str(token)
        if key in FUNCTIONS:
            return DiffcliNameError(f"'{key}' is a function; call it as {key}(...)", token.line, token.column)
        known = list(self.names) + list(self.inputs) + list(CONSTANTS)
        hint = _did_you_mean(key, known)
        hint = hint or f"; give it a value in the program ({key} = ...) or with --at {key}=VALUE"
        return DiffcliNameError(f"unknown name '{key}'{hint}", token.line, token.column)

    def _unknown_function(self, token):
        key = str(token)
        hint = _did_you_mean(key, FUNCTIONS) or "; `diffcli functions` lists them"
        return DiffcliNameError(f"unknown function '{key}'{hint}", token.line, token.column)


def _did_you_mean(word, candidates):
    import difflib  # only on this error path: start-up time is part of the product

    close = difflib.get_close_matches(word, list(candidates), n=2, cutoff=0.6)
    if not close:
        return ""
    return "; did you mean " + " or ".join(f"'{c}'" for c in close) + "?"


# --- syntax errors in words -----------------------------------------------

_TOKEN_WORDS = {
    "PLUS": "'+'", "MINUS": "'-'", "STAR": "'*'", "SLASH": "'/'", "AT": "'@'", "POW": "'**'",
    "LPAR": "'('", "RPAR": "')'", "LSQB": "'['", "RSQB": "']'", "COMMA": "','", "EQUAL": "'='",
    "NAME": "a name", "NUMBER": "a number", "_SEP": "';' or a new line",
}
_OPERATORS = {"PLUS", "MINUS", "STAR", "SLASH", "AT", "POW"}
_BINARY_ONLY = {"STAR", "SLASH", "AT", "POW"}  # expected only once an expression has ended


def _syntax_error(lark, text, e):
    if isinstance(e, UnexpectedCharacters):
        char = text[e.pos_in_stream] if e.pos_in_stream < len(text) else ""
        return ParseError(f"unexpected character {_char_text(char)}", e.line, e.column)
    if not isinstance(e, UnexpectedToken):
        return ParseError(str(e).splitlines()[0], getattr(e, "line", 1), getattr(e, "column", 1))
    token = e.token
    expected = set(e.expected)
    previous = _token_before(lark, text, token.start_pos if token.type != "$END" else len(text))
    at_end = token.type == "$END"
    line, column = token.line, token.column
    if at_end:  # point just past the last token, where the missing piece belongs
        if previous is not None:
            line, column = previous.end_line, previous.end_column
        else:
            line, column = 1, 1
    found = "the end of the program" if at_end else _found_text(token)
    after = f" after {_token_text(previous)}" if previous is not None else ""
    unclosed = _unclosed_bracket(lark, text, token.start_pos if not at_end else len(text))
    if previous is None and at_end:
        message = "the program is empty: expected an expression"
    elif expected & {"NAME", "NUMBER"} and not expected & _BINARY_ONLY:
        message = f"expected an expression{after}, found {found}"
    elif at_end and unclosed is not None:
        message = f"missing {_CLOSERS[unclosed.type]} to close the {_token_text(unclosed)} at column {unclosed.column}"
    elif token.type in ("RPAR", "RSQB") and unclosed is None:
        message = f"unexpected {_token_text(token)} with nothing to close"
    elif token.type in ("NAME", "NUMBER", "LPAR", "LSQB") and expected & _OPERATORS:
        message = f"expected an operator or a separator{after}, found {found}"
    else:
        wanted = sorted({_TOKEN_WORDS.get(t, t) for t in expected if t != "$END"})
        listed = " or ".join(wanted) if wanted else "the end of the program"
        message = f"expected {listed}{after}, found {found}"
    return ParseError(message, line, column)


_CLOSERS = {"LPAR": "')'", "LSQB": "']'"}


def _tokens_before(lark, text, pos):
    """The tokens that start before pos (lexing only, so an error after pos is harmless)."""
    try:
        for token in lark.lex(text[:pos], dont_ignore=False):
            yield token
    except UnexpectedInput:
        return


def _token_before(lark, text, pos):
    last = None
    for token in _tokens_before(lark, text, pos):
        last = token
    return last


def _unclosed_bracket(lark, text, pos):
    open_brackets = []
    for token in _tokens_before(lark, text, pos):
        if token.type in ("LPAR", "LSQB"):
            open_brackets.append(token)
        elif token.type in ("RPAR", "RSQB") and open_brackets:
            open_brackets.pop()
    return open_brackets[-1] if open_brackets else None


def _token_text(token):
    if token.type == "_SEP":
        return "';'" if str(token) == ";" else "the end of the line"
    return f"'{token}'"


def _found_text(token):
    if token.type in ("NAME", "NUMBER"):
        return f"{'name' if token.type == 'NAME' else 'number'} '{token}'"
    return _token_text(token)


def _char_text(char):
    if not char:
        return "at the end"
    code = f"U+{ord(char):04X}"
    if char.isascii() and char.isprintable():
        return f"'{char}'"
    if char.isprintable():
        return f"'{char}' ({code}; names and numbers are ASCII)"
    return code


__all__ = ["Limits", "Program", "Source", "CONSTANTS", "parse"]

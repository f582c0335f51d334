"""Where programs and --at values come from: arguments, files, stdin, .npy/.csv files.

Reads bytes, yields one item per program line; a bad line becomes an error item, never
an exception, so the rest of a batch survives. Knows nothing of click or rich."""

import re
from typing import NamedTuple

import numpy as np

from .engine import Variable
from .errors import DiffcliError, DiffcliValueError, LimitError, ParseError
from .parser import parse
from .report import Origin

NAME = r"[A-Za-z_][A-Za-z_0-9]*\Z"


class Item(NamedTuple):
    """One program to run, or the reason its line could not even be read."""

    text: str
    origin: Origin
    error: DiffcliError | None = None


def from_arguments(programs):
    for position, text in enumerate(programs, 1):
        yield Item(text, Origin(None, position))


def from_lines(stream, name, max_line):
    """Each non-blank line that is not only a comment is one program; `stream` gives bytes."""
    for number, raw in enumerate(stream, 1):
        raw = raw.rstrip(b"\r\n")
        origin = Origin(name, number)
        if len(raw) > 4 * max_line:  # past the limit whatever its encoding: do not decode it
            yield Item(raw[:80].decode("utf-8", "replace") + "…", origin,
                       LimitError(f"the line has {len(raw):,} bytes; the limit is {max_line:,} "
                                  "characters (--max-line)", 1, 1))
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            column = len(raw[:e.start].decode("utf-8", "replace")) + 1
            yield Item(raw.decode("utf-8", "replace"), origin,
                       ParseError(f"the line is not valid UTF-8 (byte 0x{raw[e.start]:02x})", 1, column))
            continue
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            continue
        yield Item(text, origin)


# --- --at NAME=VALUE -------------------------------------------------------


def parse_at(spec):
    """NAME=VALUE, VALUE a constant expression or @PATH (.npy, .csv, .txt) -> (name, array).

    Raises DiffcliValueError with a message fit for a usage error."""
    name, sep, value = spec.partition("=")
    name = name.strip()
    if not sep or not re.match(NAME, name):
        raise DiffcliValueError(f"--at takes NAME=VALUE, got {spec!r}")
    value = value.strip()
    if value.startswith("@"):
        return name, load_array(value[1:])
    try:
        output = parse(value).output
    except DiffcliError as e:
        raise DiffcliValueError(f"--at {name}: {e.message} (in {value!r})") from None
    if type(output) is Variable:
        raise DiffcliValueError(f"--at {name}: the value must be a constant expression, got {value!r}")
    return name, np.asarray(output, dtype=np.float64)


def load_array(path):
    """An array from .npy (pickles refused: a pickle can run code) or .csv/.txt text."""
    lower = path.lower()
    try:
        if lower.endswith(".npy"):
            array = np.load(path, allow_pickle=False)
        elif lower.endswith(".csv"):
            array = np.loadtxt(path, delimiter=",", dtype=np.float64)
        elif lower.endswith(".txt"):
            array = np.loadtxt(path, dtype=np.float64)
        else:
            raise DiffcliValueError(f"--at @{path}: use a .npy, .csv or .txt file")
        return np.asarray(array, dtype=np.float64)
    except DiffcliValueError:
        raise
    except OSError as e:
        raise DiffcliValueError(f"--at @{path}: {e.strerror or e}") from None
    except (ValueError, TypeError) as e:
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        if "pickle" in reason.lower():
            reason = "the file holds Python objects (a pickle), which diffcli does not load"
        raise DiffcliValueError(f"--at @{path}: {reason}") from None

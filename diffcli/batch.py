"""Running a batch of programs: one record per program, in input order, failures included.

Plain functions the CLI wires together; no click, no rich."""

from typing import NamedTuple

from .errors import DiffcliError, LimitError
from .parser import Limits
from .program import evaluate
from .report import failure_record, success_record


class Settings(NamedTuple):
    at: dict
    order: str = "generation"
    trace: bool = False
    nth: int = 0
    cse: bool = False
    retain_grad: bool = False
    limits: Limits = Limits()


def run_one(item, settings):
    """(record, result): result is None when the program failed. Only DiffcliError is the
    user's mistake; anything else is a bug in diffcli and is not swallowed."""
    if item.error is not None:
        return failure_record(item.text, item.origin, item.error), None
    try:
        result = evaluate(item.text, settings.at, order=settings.order, trace=settings.trace,
                          nth=settings.nth, cse=settings.cse, retain_grad=settings.retain_grad,
                          limits=settings.limits)
    except DiffcliError as e:
        return failure_record(item.text, item.origin, e), None
    except MemoryError:
        error = LimitError("out of memory; lower the size of the arrays (--max-elements)")
        return failure_record(item.text, item.origin, error), None
    return success_record(result, item.origin, trace=settings.trace), result

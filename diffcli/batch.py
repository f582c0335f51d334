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


def attempt(item, work):
    """(work(item.text), None), or (None, failure record) when the line could not be read or
    the program is wrong. Only DiffcliError (and running out of memory) is the user's; any
    other exception is a bug in diffcli and is not swallowed."""
    if item.error is not None:
        return None, failure_record(item.text, item.origin, item.error)
    try:
        return work(item.text), None
    except DiffcliError as e:
        return None, failure_record(item.text, item.origin, e)
    except MemoryError:
        error = LimitError("out of memory; lower the size of the arrays (--max-elements)")
        return None, failure_record(item.text, item.origin, error)


def run_one(item, settings):
    """(record, result): result is None when the program failed."""
    result, failure = attempt(item, lambda text: evaluate(
        text, settings.at, order=settings.order, trace=settings.trace, nth=settings.nth,
        cse=settings.cse, retain_grad=settings.retain_grad, limits=settings.limits))
    if failure is not None:
        return failure, None
    return success_record(result, item.origin, trace=settings.trace), result


# --- --jobs N: worker processes, output in input order --------------------------

_worker_settings = None  # set once per worker process by _start_worker
_worker_items = None  # with fork: the whole batch, inherited, so only indices are sent


def _start_worker(settings):
    import signal

    global _worker_settings
    _worker_settings = settings
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle, once


def _work(task):
    index, line_of = task
    item = _worker_items[index] if type(index) is int else index
    record, _ = run_one(item, _worker_settings)
    return line_of(record), record["ok"]


def run_parallel(items, settings, jobs, line_of, chunksize=256):
    """(line, ok) for each item, in input order, computed by `jobs` worker processes; each
    line is exactly what line_of(record) gives in one process. The input is read whole
    first: with fork the workers inherit it and only indices and finished lines cross
    between processes, leaving the parent (which shares the cores) little to do."""
    import multiprocessing

    global _worker_items
    items = list(items)
    if "fork" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("fork")
        _worker_items = items  # inherited by the forked workers
        tasks = ((i, line_of) for i in range(len(items)))
    else:  # spawn: the items travel with the tasks
        context = multiprocessing.get_context()
        tasks = ((item, line_of) for item in items)
    try:
        with context.Pool(jobs, initializer=_start_worker, initargs=(settings,)) as pool:
            yield from pool.imap(_work, tasks, chunksize)
    finally:
        _worker_items = None

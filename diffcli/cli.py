"""The diffcli command: options, input and output, exit codes. The only module that prints.

Rich is imported only on the paths that draw with it (start-up time is part of the product)."""

import os
import sys

import click

from . import __version__
from .batch import Settings, run_one
from .engine import ORDERS
from .errors import DiffcliError
from .parser import Limits
from .report import json_line, plain_line
from .sources import from_arguments, from_lines, parse_at

CONTEXT = {"help_option_names": ["-h", "--help"]}
SIGPIPE_EXIT = 141  # as a program killed by SIGPIPE: the reader went away
LIMIT_DEFAULTS = Limits()


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "--version", prog_name="diffcli")
def main():
    """Differentiate small programs: value, gradient of the output with respect to every
    input, and the order in which the backward pass visited the graph.

    \b
    Examples:
      diffcli eval 'x = 2.0; a = square(x); square(a) + square(a)'
      diffcli eval --json -f programs.txt
      diffcli functions
    """


@main.command("eval", context_settings=CONTEXT)
@click.argument("programs", nargs=-1)
@click.option("-f", "--file", "files", multiple=True, metavar="FILE",
              type=click.Path(exists=True, dir_okay=False, allow_dash=True),
              help="Read programs from FILE, one per line ('-' for stdin). Repeatable.")
@click.option("--at", "at_specs", multiple=True, metavar="NAME=VALUE",
              help="Give NAME a value: a constant expression (3, pi/4, [1, 2]) or @FILE "
                   "(.npy, .csv, .txt). Overrides a value written in the program. Repeatable.")
@click.option("--format", "fmt", type=click.Choice(["rich", "json", "plain"]), default="rich",
              show_default=True, help="rich: tables for people; json: JSON Lines; plain: "
                                      "one line of name=value pairs per program.")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("--trace/--no-trace", default=None,
              help="Include the backward traversal (default: on for one program in rich "
                   "format, off otherwise).")
@click.option("--order", type=click.Choice(ORDERS), default="generation", show_default=True,
              help="Backward strategy: generation (highest generation first), topo (reverse "
                   "topological order), naive (the pre-fix stack, for teaching).")
@click.option("--nth", type=click.IntRange(0, 50), default=0, metavar="N",
              help="Also report the first N derivatives for each scalar input.")
@click.option("--cse", is_flag=True, help="Merge identical subexpressions into one node.")
@click.option("--retain-grad", is_flag=True, help="Keep and show every named intermediate's gradient.")
@click.option("--max-line", type=click.IntRange(1), default=LIMIT_DEFAULTS.max_line,
              show_default=True, help="Limit: characters in one program.")
@click.option("--max-rank", type=click.IntRange(0), default=LIMIT_DEFAULTS.max_rank,
              show_default=True, help="Limit: dimensions of any array.")
@click.option("--max-elements", type=click.IntRange(1), default=LIMIT_DEFAULTS.max_elements,
              show_default=True, help="Limit: elements of any array, literal or intermediate.")
@click.option("--max-nodes", type=click.IntRange(1), default=LIMIT_DEFAULTS.max_nodes,
              show_default=True, help="Limit: functions in one program's graph.")
def eval_command(programs, files, at_specs, fmt, as_json, trace, order, nth, cse, retain_grad,
                 max_line, max_rank, max_elements, max_nodes):
    """Evaluate programs: value, gradients, and the backward walk.

    Programs come from the arguments, from -f FILE, or from standard input when none is
    given. Exit status: 0 if every program succeeded, 1 if any failed, 2 for a usage error.

    \b
    Examples:
      diffcli eval 'x = 2.0; a = square(x); square(a) + square(a)'
      diffcli eval --order naive 'x = 2; a = square(x); square(a) + square(a)'
      diffcli eval --at x=pi/4 --nth 3 'sin(x) * x'
      diffcli eval --json -f programs.txt
      printf 'x = 1; exp(x)\\n' | diffcli eval --format plain
    """
    fmt = "json" if as_json else fmt
    limits = Limits(max_line, max_rank, max_elements, max_nodes)
    at = {}
    for spec in at_specs:
        try:
            name, value = parse_at(spec)
        except DiffcliError as e:
            raise click.BadParameter(e.message, param_hint="--at") from None
        at[name] = value
    items = _items(programs, files, limits)
    settings = Settings(at, order, bool(trace), nth, cse, retain_grad, limits)
    try:
        if fmt == "rich":
            failed = _rich_batch(list(items), settings, trace)
        else:
            failed = _stream(items, settings, json_line if fmt == "json" else plain_line)
    except BrokenPipeError:
        _quiet_stdout()
        sys.exit(SIGPIPE_EXIT)
    except KeyboardInterrupt:
        click.echo("diffcli: interrupted", err=True)
        sys.exit(130)
    sys.exit(1 if failed else 0)


def _items(programs, files, limits):
    if programs and files:
        raise click.UsageError("give programs as arguments or with -f, not both")
    if programs:
        return from_arguments(programs)
    if not files:
        if sys.stdin is None or sys.stdin.isatty():
            raise click.UsageError("no program given: pass one as an argument, use -f FILE, "
                                   "or pipe programs in on standard input")
        files = ("-",)
    return _from_files(files, limits)


def _from_files(files, limits):
    for path in files:
        if path == "-":
            yield from from_lines(sys.stdin.buffer, "-", limits.max_line)
        else:
            with open(path, "rb") as stream:
                yield from from_lines(stream, path, limits.max_line)


def _stream(items, settings, line_of):
    """JSON Lines or plain: each record written and flushed as soon as it is known."""
    failed = False
    out = sys.stdout
    for item in items:
        record, _ = run_one(item, settings)
        failed |= not record["ok"]
        out.write(line_of(record) + "\n")
        out.flush()
    return failed


def _rich_batch(items, settings, trace):
    from rich.console import Console

    from . import render

    console = Console(highlight=False)
    errors = Console(stderr=True, highlight=False)
    single = len(items) == 1
    trace = single if trace is None else trace
    settings = settings._replace(trace=trace)
    outcomes = _with_progress(items, settings, errors)
    failed = False
    for record, result in outcomes:
        failed |= not record["ok"]
    if trace or single:
        for record, result in outcomes:
            if result is not None:
                console.print(render.program_view(result, trace=trace))
            else:
                (errors if single else console).print(render.error_view(record["program"], record["error"]))
            if not single:
                console.print()
        return failed
    console.print(render.summary_table([r for r, _ in outcomes]))
    for record, _ in outcomes:
        if not record["ok"]:
            console.print(f"line {record['source']['line']}:", style="bold")
            console.print(render.error_view(record["program"], record["error"]))
    return failed


def _with_progress(items, settings, console):
    if len(items) < 50 or not console.is_terminal:
        return [run_one(item, settings) for item in items]
    from rich.progress import Progress

    outcomes = []
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("evaluating", total=len(items))
        for item in items:
            outcomes.append(run_one(item, settings))
            progress.advance(task)
    return outcomes


def _quiet_stdout():
    """The reader has gone: point stdout at /dev/null so the final flush cannot complain."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


@main.command("functions", context_settings=CONTEXT)
def functions_command():
    """List every function with its arity and derivative rule.

    \b
    Example:
      diffcli functions
    """
    from rich.console import Console

    from . import render
    from .functions import FUNCTIONS

    Console(highlight=False).print(render.functions_table(FUNCTIONS.values()))

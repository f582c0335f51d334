"""The diffcli command: options, input and output, exit codes. The only module that prints.

Rich is imported only on the paths that draw with it (start-up time is part of the product)."""

import contextlib
import os
import sys

import click
import numpy as np

from . import __version__
from .batch import Settings, attempt, run_one, run_parallel
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


def _options(*decorators):
    def apply(f):
        for decorator in reversed(decorators):
            f = decorator(f)
        return f

    return apply


at_option = click.option(
    "--at", "at_specs", multiple=True, metavar="NAME=VALUE",
    help="Give NAME a value: a constant expression (3, pi/4, [1, 2]) or @FILE (.npy, .csv, "
         ".txt). Overrides a value written in the program. Repeatable.")
batch_options = _options(
    click.argument("programs", nargs=-1),
    click.option("-f", "--file", "files", multiple=True, metavar="FILE",
                 type=click.Path(exists=True, dir_okay=False, allow_dash=True),
                 help="Read programs from FILE, one per line ('-' for stdin). Repeatable."),
    at_option,
    click.option("--format", "fmt", type=click.Choice(["rich", "json", "plain"]), default="rich",
                 show_default=True, help="rich: tables for people; json: JSON Lines; plain: "
                                         "one line of name=value pairs per program."),
    click.option("--json", "as_json", is_flag=True, help="Same as --format json."),
)
limit_options = _options(
    click.option("--max-line", type=click.IntRange(1), default=LIMIT_DEFAULTS.max_line,
                 show_default=True, help="Limit: characters in one program."),
    click.option("--max-rank", type=click.IntRange(0), default=LIMIT_DEFAULTS.max_rank,
                 show_default=True, help="Limit: dimensions of any array."),
    click.option("--max-elements", type=click.IntRange(1), default=LIMIT_DEFAULTS.max_elements,
                 show_default=True, help="Limit: elements of any array, literal or intermediate."),
    click.option("--max-nodes", type=click.IntRange(1), default=LIMIT_DEFAULTS.max_nodes,
                 show_default=True, help="Limit: functions in one program's graph."),
    click.option("--max-total", type=click.IntRange(1), default=LIMIT_DEFAULTS.max_total,
                 show_default=True, help="Limit: elements of all of a program's arrays together."),
    click.option("--max-nth-nodes", type=click.IntRange(1), default=LIMIT_DEFAULTS.max_nth_nodes,
                 show_default=True, help="Limit: functions all --nth derivative graphs of an "
                                         "input may build together."),
)


@main.command("eval", context_settings=CONTEXT)
@batch_options
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
@click.option("--compare", is_flag=True,
              help="Run each program under all three orders and show the traces side by side, "
                   "with what differs in words (rich format).")
@click.option("--step", is_flag=True,
              help="On a terminal, reveal the traversal table one step per Enter.")
@click.option("--jobs", type=click.IntRange(1), default=1, show_default=True, metavar="N",
              help="Evaluate in N worker processes (json and plain formats); output order and "
                   "bytes are those of --jobs 1.")
@limit_options
def eval_command(programs, files, at_specs, fmt, as_json, trace, order, nth, cse, retain_grad,
                 compare, step, jobs, max_line, max_rank, max_elements, max_nodes, max_total,
                 max_nth_nodes):
    """Evaluate programs: value, gradients, and the backward walk.

    Programs come from the arguments, from -f FILE, or from standard input when none is
    given. Exit status: 0 if every program succeeded, 1 if any failed, 2 for a usage error.

    \b
    Examples:
      diffcli eval 'x = 2.0; a = square(x); square(a) + square(a)'
      diffcli eval --order naive 'x = 2; a = square(x); square(a) + square(a)'
      diffcli eval --at x=pi/4 --nth 3 'sin(x) * x'
      diffcli eval --compare 'x = 2; a = square(x); square(a) + square(a)'
      diffcli eval --json -f programs.txt
      printf 'x = 1; exp(x)\\n' | diffcli eval --format plain
    """
    fmt = "json" if as_json else fmt
    if compare and fmt != "rich":
        raise click.UsageError("--compare draws the three traces for people (rich format); "
                               "for JSON use --order topo or --order naive")
    limits = Limits(max_line, max_rank, max_elements, max_nodes, max_total, max_nth_nodes)
    items = _items(programs, files, limits)
    settings = Settings(_at_values(at_specs), order, bool(trace), nth, cse, retain_grad, limits)
    with _ending_quietly():
        if compare:
            failed = _compare_batch(list(items), settings)
        elif fmt == "rich":
            failed = _rich_batch(list(items), settings, trace, step)
        else:
            failed = _stream(items, settings, json_line if fmt == "json" else plain_line, jobs)
    sys.exit(1 if failed else 0)


def _at_values(at_specs):
    at = {}
    for spec in at_specs:
        try:
            name, value = parse_at(spec)
        except DiffcliError as e:
            raise click.BadParameter(e.message, param_hint="--at") from None
        at[name] = value
    return at


@contextlib.contextmanager
def _ending_quietly():
    """A reader that went away (| head) or Ctrl-C ends the run with a short word, no traceback."""
    try:
        yield
    except BrokenPipeError:
        _quiet_stdout()
        sys.exit(SIGPIPE_EXIT)
    except KeyboardInterrupt:
        click.echo("diffcli: interrupted", err=True)
        sys.exit(130)
    except OSError as e:  # reading or writing failed: say so and stop, never per program
        click.echo(f"diffcli: {e.strerror or e}{f': {e.filename}' if e.filename else ''}", err=True)
        sys.exit(1)


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


def _stream(items, settings, line_of, jobs=1):
    """JSON Lines or plain: each record written and flushed as soon as it is known (in input
    order; with --jobs, as soon as it and every record before it are known)."""
    if jobs > 1:
        lines = run_parallel(items, settings, jobs, line_of)
    else:
        lines = ((line_of(record), record["ok"]) for record, _ in (run_one(i, settings) for i in items))
    failed = False
    out = sys.stdout
    for line, ok in lines:
        failed |= not ok
        out.write(line + "\n")
        out.flush()
    return failed


def _rich_batch(items, settings, trace, step=False):
    from rich.console import Console

    from . import render
    from .program import sharing_notice

    console = Console(highlight=False)
    errors = Console(stderr=True, highlight=False)
    single = len(items) == 1
    trace = single if trace is None else trace
    settings = settings._replace(trace=trace)
    outcomes = _with_progress(items, settings, errors)
    failed = not all(record["ok"] for record, _ in outcomes)
    if trace or single:
        for record, result in outcomes:
            if result is not None:
                notice = sharing_notice(result.program) if trace else None
                if step and result.trace and console.is_terminal and sys.stdin.isatty():
                    _step_through(console, render, result, notice)
                else:
                    console.print(render.program_view(result, trace=trace, notice=notice))
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


def _step_through(console, render, result, notice):
    """--step: the view without its traversal, then the table growing one row per Enter."""
    from rich.live import Live

    console.print(render.program_view(result, trace=False))
    with Live(render.trace_table(result, upto=0), console=console, auto_refresh=False) as live:
        for upto in range(1, len(result.trace) + 1):
            console.input("[dim](Enter: next step)[/dim]")
            live.update(render.trace_table(result, upto=upto), refresh=True)
    if notice:
        console.print("note: " + notice, style="dim", markup=False)


def _compare_batch(items, settings):
    from rich.console import Console

    from . import render
    from .program import compare_orders

    console = Console(highlight=False)
    failed = False
    for item in items:
        comparison, failure = attempt(item, lambda text: compare_orders(
            text, settings.at, cse=settings.cse, limits=settings.limits))
        if failure is not None:
            failed = True
            console.print(render.error_view(failure["program"], failure["error"]))
        else:
            console.print(render.comparison_view(comparison))
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


@main.command("graph", context_settings=CONTEXT)
@click.argument("program")
@at_option
@click.option("--format", "fmt", type=click.Choice(["dot", "tree"]), default="dot", show_default=True,
              help="dot: Graphviz DOT text; tree: a drawing in the terminal, no external program.")
@click.option("-o", "--output", "output", metavar="FILE.svg|png|pdf",
              help="Render the picture with Graphviz's dot into FILE.")
@click.option("--grads", is_flag=True, help="Add each variable's gradient to its node.")
@click.option("--cse", is_flag=True, help="Merge identical subexpressions into one node.")
@limit_options
def graph_command(program, at_specs, fmt, output, grads, cse, max_line, max_rank, max_elements,
                  max_nodes, max_total, max_nth_nodes):
    """Draw the computational graph of PROGRAM: variables and functions as nodes, with
    names or values, shapes and generations; functions with the ids of the trace (f1, ...).

    \b
    Examples:
      diffcli graph 'x = 2.0; a = square(x); square(a) + square(a)'
      diffcli graph -o diamond.svg --grads 'x = 2.0; a = square(x); square(a) + square(a)'
      diffcli graph --format tree 'x = 1; y = sin(x); y * y'
    """
    from .engine import Variable, backprop
    from .graph import describe, render_file, to_dot, tree_lines
    from .parser import parse

    limits = Limits(max_line, max_rank, max_elements, max_nodes, max_total, max_nth_nodes)
    try:
        parsed = parse(program, _at_values(at_specs), cse=cse, limits=limits)
        gradients = {}
        if grads and type(parsed.output) is Variable:
            if parsed.output.creator is not None:
                gradients = backprop(parsed.output, retain_grad=True)
            else:
                gradients = {parsed.output: np.ones_like(parsed.output.data)}
        graph = describe(parsed, gradients)
        if output:
            render_file(to_dot(graph), output)
            click.echo(f"wrote {output}", err=True)
        elif fmt == "tree":
            with _ending_quietly():
                sys.stdout.write("\n".join(tree_lines(graph)) + "\n")
        else:
            with _ending_quietly():
                sys.stdout.write(to_dot(graph))
    except DiffcliError as e:
        _print_error(program, e)
        sys.exit(1)


@main.command("check", context_settings=CONTEXT)
@batch_options
@click.option("--rtol", type=click.FloatRange(0), default=1e-5, show_default=True,
              help="Relative tolerance: |reverse - numeric| <= atol + rtol * |numeric|.")
@click.option("--atol", type=click.FloatRange(0), default=1e-7, show_default=True,
              help="Absolute tolerance.")
@limit_options
def check_command(programs, files, at_specs, fmt, as_json, rtol, atol, max_line, max_rank,
                  max_elements, max_nodes, max_total, max_nth_nodes):
    """Compare every gradient with central finite differences in float64: per program and
    input, the largest absolute and relative difference. Exit status 1 if any gradient
    disagrees beyond the tolerances or any program fails.

    \b
    Examples:
      diffcli check 'x = 0.3; sin(x) * exp(x)'
      diffcli check --json -f programs.txt
    """
    from .check import check
    from .report import check_plain_line, check_record

    fmt = "json" if as_json else fmt
    limits = Limits(max_line, max_rank, max_elements, max_nodes, max_total, max_nth_nodes)
    at = _at_values(at_specs)
    records, failed = [], False
    with _ending_quietly():
        for item in _items(programs, files, limits):
            result, failure = attempt(item, lambda text: check(text, at, rtol=rtol, atol=atol,
                                                                limits=limits))
            record = failure or check_record(result, item.origin)
            failed |= not record["ok"]
            if fmt == "rich":
                records.append(record)
            else:
                sys.stdout.write((json_line if fmt == "json" else check_plain_line)(record) + "\n")
                sys.stdout.flush()
        if fmt == "rich":
            from rich.console import Console

            from . import render

            Console(highlight=False).print(render.check_table(records))
    sys.exit(1 if failed else 0)


def _print_error(text, error):
    from rich.console import Console

    from . import render
    from .report import Origin, failure_record

    record = failure_record(text, Origin(None, 1), error)
    Console(stderr=True, highlight=False).print(render.error_view(text, record["error"]))

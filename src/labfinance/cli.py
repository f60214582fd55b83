"""The ``labfinance`` command: a thin layer over the library.

Each command parses its options, calls the library and prints. Bad input (an invalid scenario, an
output that exists, an unknown option) exits with status 2 and a message, never a traceback.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sys
import traceback
import warnings
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from labfinance import __version__
from labfinance.model.loader import ScenarioError, parse_set, with_overrides
from labfinance.model.reading import printable
from labfinance.model.workbook import load_any
from labfinance.outputs.files import (
    OutputError,
    Outputs,
    check_writable,
    reason,
    write_text,
)
from labfinance.texts import DEFAULT as DEFAULT_LANGUAGE
from labfinance.texts import LANGUAGES

DEFAULT_SEED = 20261127
DEFAULT_DRAWS = 10_000


MAX_DRAWS = 2_000_000  # docs/decisions.md: about 16 MB per metric kept, within 1 GB with the rest
LATEST_EPOCH = 253_402_300_799  # 9999-12-31 23:59:59 UTC: the last second a workbook can date


class OptionError(click.UsageError):
    """A bad option value, shown as ``--option: message`` (the project's error style), exit 2."""

    def show(self, file: Any = None) -> None:
        click.echo(self.message, err=True)


class Seed(click.ParamType):
    """A Monte Carlo seed: a whole number of 0 or more."""

    name = "seed"

    def convert(self, value: Any, param: Any, ctx: Any) -> int:
        try:
            seed = int(value)
        except (TypeError, ValueError):
            raise OptionError(f"--seed: must be a whole number (got '{value}')") from None
        if seed < 0:
            raise OptionError(f"--seed: must be 0 or more (got {seed})")
        return seed


class MetricName(click.ParamType):
    """The name of a metric of the catalogue."""

    name = "metric"

    def convert(self, value: Any, param: Any, ctx: Any) -> str:
        from labfinance.engine.catalogue import METRICS

        if value not in METRICS:
            raise OptionError(f"--metric: unknown metric '{value}' (known: {', '.join(METRICS)})")
        return str(value)


def _check_reported(scenario: Any, extra_metrics: tuple[str, ...]) -> None:
    """Format 1.2: a metric the case does not report (the EU decision amount without
    ``eu_cofinancing_rate``) cannot go in the tornado."""
    from labfinance.engine.catalogue import BY_NAME, reported

    for name in extra_metrics:
        if name not in reported(scenario):
            raise OptionError(f"--metric: {name} needs `{BY_NAME[name].needs}` in the scenario "
                              "(or --set it)")


class TemplateName(click.ParamType):
    """The name of a starter in templates/."""

    name = "template"

    def convert(self, value: Any, param: Any, ctx: Any) -> str:
        from labfinance.model.templates import template_names

        known = template_names(_templates())
        if value not in known:
            raise OptionError(f"--template: no template '{value}' (known: {', '.join(known)})")
        return str(value)


class _Signalled(BaseException):
    """SIGTERM or SIGHUP: unwinds like Ctrl-C, so that temporary files are removed."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _on_signal(signum: int, frame: Any) -> None:
    raise _Signalled(signum)


def _ignore_unraisable(unraisable: Any) -> None:
    pass


def _say(text: str, err: bool = False) -> None:
    """A line for the terminal, control characters shown as escapes (a scenario's or a file's name
    could otherwise move the cursor or change colours)."""
    click.echo(printable(text), err=err)


def _fail(messages: list[str]) -> None:
    for message in messages:
        _say(message, err=True)
    sys.exit(2)


def _quiet_stdout() -> None:
    """Point standard output at /dev/null, so that Python's last flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def guarded(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn library and machine errors into exit status 2 with one located line, an interrupt into
    130 (or 128 + the signal) with no output, and only a bug into status 1."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        previous = {signum: signal.signal(signum, _on_signal)
                    for signum in (signal.SIGTERM, signal.SIGHUP)}
        # a writer that failed (a full disk) may fail again when Python collects it at exit; the
        # failure is already reported in one line, so its second traceback is not shown
        sys.unraisablehook = _ignore_unraisable
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # numpy's RuntimeWarnings name source files
                result = command(*args, **kwargs)
                sys.stdout.flush()
            return result
        except ScenarioError as exc:
            _fail(exc.messages)
        except OutputError as exc:
            _fail([f"labfinance: {exc}"])
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as Unix tools do
            _quiet_stdout()
            sys.exit(128 + signal.SIGPIPE)
        except KeyboardInterrupt:
            _quiet_stdout()
            sys.exit(130)
        except _Signalled as stop:
            _quiet_stdout()
            sys.exit(128 + stop.signum)
        except OSError as exc:  # the machine's fault outside an output file: standard output
            where = "standard output" if exc.filename is None else str(exc.filename)
            _quiet_stdout()
            _fail([f"labfinance: {where}: cannot be written: {reason(exc)}"])
        except MemoryError:
            _quiet_stdout()
            _fail(["labfinance: out of memory; fewer --draws need less"])
        except Exception as exc:  # an internal error: say so plainly, details on request
            _say(f"labfinance: internal error: {type(exc).__name__}: {exc}", err=True)
            if os.environ.get("LABFINANCE_DEBUG"):
                traceback.print_exc()
            else:
                _say("(set LABFINANCE_DEBUG=1 to see the traceback; please report it)", err=True)
            sys.exit(1)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    return wrapper


def _check_environment() -> None:
    """SOURCE_DATE_EPOCH dates the workbook: whole seconds since 1970, up to the year 9999."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is None or epoch == "":
        return
    if not epoch.isascii() or not epoch.isdigit() or len(epoch) > 12 or int(epoch) > LATEST_EPOCH:
        raise OutputError(f"SOURCE_DATE_EPOCH: must be whole seconds since 1970-01-01 up to the "
                          f"year 9999 (at most {LATEST_EPOCH}); got '{epoch[:40]}'")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="labfinance")
def main() -> None:
    """Business case and financing plan for smart safety & security initiatives."""
    keep_freed_memory()


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)


def keep_freed_memory() -> bool:
    """Let glibc's malloc keep the memory a run frees for its next arrays (the command's own
    process; the library leaves its host's malloc alone).

    A Monte Carlo chunk makes and frees arrays of about a megabyte hundreds of times. By default
    glibc hands such memory back to the system (munmap, or trimming a thread's heap) and faults
    it in again on the next chunk: 0.1-0.15 s of system time in 100,000 draws of the largest
    example (70,000 page faults), more with threads. Arrays up to 32 MB now come from the heap,
    and freed memory stays in the process until 512 MB of it are free at once; the peak is the
    same, and the process ends soon after. False where the C library has no ``mallopt`` (macOS,
    Windows), which then keep their own defaults.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, 32 * 2 ** 20)
                and mallopt(_M_TRIM_THRESHOLD, 512 * 2 ** 20))


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=True))
@guarded
def validate(files: tuple[str, ...]) -> None:
    """Check scenario FILES (or workbooks); print 'FILE: ok' or every problem (exit 2 if any
    fails)."""
    failed = False
    for name in files:
        try:
            load_any(name)
        except ScenarioError as exc:
            failed = True
            for message in exc.messages:
                _say(message, err=True)
        else:
            _say(f"{name}: ok")
    if failed:
        sys.exit(2)


@main.command()
@guarded
def schema() -> None:
    """Print the JSON Schema of the scenario format (for editors)."""
    from labfinance.model.schema import scenario_schema

    click.echo(json.dumps(scenario_schema(), indent=2))


def _templates() -> Path:
    from importlib.resources import files

    return Path(str(files("labfinance") / "templates"))


@main.command()
@click.argument("name")
@click.option("--template", "-t", type=TemplateName(), default="blank", show_default=True,
              help="Starter from templates/: blank, eu-pilot or fee-service.")
@click.option("--force", is_flag=True, help="Replace an existing file.")
@guarded
def new(name: str, template: str, force: bool) -> None:
    """Start a scenario file NAME(.yaml) from a template."""
    from labfinance.model.templates import starter

    target = Path(name if name.endswith((".yaml", ".yml")) else f"{name}.yaml")
    text = starter(_templates(), template, Path(name).stem)
    write_text(target, text, force, elsewhere="or choose another NAME")
    _say(f"{target}: written from template '{template}'; check it with "
         f"`labfinance validate {target}`")


def _progress(total: int) -> Any:
    """A Monte Carlo progress bar on standard error, for long runs at a terminal only."""
    from contextlib import nullcontext

    if total < 200_000 or not sys.stderr.isatty():
        return nullcontext()
    return click.progressbar(length=total, label="Monte Carlo", file=sys.stderr)


def _load_with_sets(file: str, sets: tuple[str, ...]) -> tuple[Any, list[tuple[str, Any]]]:
    """Load the scenario and parse every ``--set``, reporting the problems of both at once."""
    messages: list[str] = []
    loaded = None
    try:
        loaded = load_any(file)
    except ScenarioError as exc:
        messages += exc.messages
    overrides = []
    for option in sets:
        try:
            overrides.append(parse_set(option))
        except ScenarioError as exc:
            messages += exc.messages
    if messages or loaded is None:
        raise ScenarioError(messages)
    return loaded, overrides


def _check_outputs(workbook: str | None, json_path: str | None, force: bool) -> None:
    """Refuse unusable outputs before any work is done (``--json -`` is standard output)."""
    _check_environment()
    targets = [t for t in (workbook, None if json_path == "-" else json_path) if t is not None]
    for target in targets:
        check_writable(target, force)
    if len(targets) == 2 and Outputs.same(Path(targets[0]), Path(targets[1])):
        raise OutputError(f"{targets[1]}: is named for both the workbook (-o) and the JSON "
                          "(--json); give each its own file")


def _terminal(json_path: str | None) -> Callable[[str], None]:
    """Where terminal lines go: standard error when the JSON takes standard output."""
    return (lambda line: _say(line, err=True)) if json_path == "-" else _say


def _deliver(workbook: str | None, write_book: Callable[[Path], None], json_path: str | None,
             json_doc: Callable[[], dict[str, Any]], lines: list[str], force: bool) -> None:
    """Write every output of a command or none (the workbook, the JSON file), then print the
    terminal lines, where each file went, and the JSON when it goes to standard output."""
    json_text = _json_text(json_doc()) if json_path is not None else None
    with Outputs(force) as outputs:  # every file of the command, or none
        if workbook is not None:
            outputs.add(workbook, write_book)
        if json_path is not None and json_path != "-":
            assert json_text is not None
            outputs.add(json_path, _write_text_to(json_text))
        outputs.commit()
    echo = _terminal(json_path)
    for line in lines:
        echo(line)
    if workbook is not None:
        echo(f"workbook: {workbook}")
    if json_path == "-":
        click.echo(json_text, nl=False)
    elif json_path is not None:
        echo(f"json: {json_path}")


def _json_text(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, allow_nan=False) + "\n"


def _write_text_to(text: str) -> Callable[[Path], None]:
    def write(temp: Path) -> None:
        temp.write_text(text, encoding="utf-8")

    return write


LANG = click.option("--lang", type=click.Choice(LANGUAGES), default=None,
                    help="Language of the workbook and the summary (default: the scenario's "
                         "`language`, else en). JSON is the same in every language.")


def _lang(option: str | None, *scenarios: Any) -> str:
    """--lang, else the first scenario's ``language``, else English."""
    if option is not None:
        return option
    return next((s.language for s in scenarios if s is not None), DEFAULT_LANGUAGE)


def _outputs(file: str, output: str | None, json_path: str | None) -> str | None:
    if output is None and json_path is None:
        return Path(file).stem + ".xlsx"
    return output


@main.command()
@click.argument("file", type=click.Path(dir_okay=True))
@click.option("-o", "--output", "output", metavar="OUT.xlsx", help="Write the workbook here.")
@click.option("--json", "json_path", metavar="PATH|-",
              help="Write the results as JSON ('-': stdout).")
@click.option("--draws", type=click.IntRange(min=0, max=MAX_DRAWS), default=DEFAULT_DRAWS,
              show_default=True, help="Monte Carlo draws (0 skips Monte Carlo).")
@click.option("--seed", type=Seed(), default=DEFAULT_SEED, show_default=True,
              help="Seed of the Monte Carlo draws.")
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE",
              help="Override one parameter (repeatable), e.g. --set discount_rate=0.03.")
@click.option("--variant", metavar="NAME",
              help="Evaluate a named variant instead of the base case.")
@click.option("--metric", "extra_metrics", type=MetricName(), multiple=True, metavar="NAME",
              help="Add a metric to the tornado (repeatable).")
@LANG
@click.option("--force", is_flag=True, help="Replace existing output files.")
@guarded
def run(file: str, output: str | None, json_path: str | None, draws: int, seed: int,
        sets: tuple[str, ...], variant: str | None, extra_metrics: tuple[str, ...],
        lang: str | None, force: bool) -> None:
    """Evaluate one scenario FILE (or a workbook, meaning the scenario imported from it):
    summary, workbook (-o) and JSON (--json)."""
    from labfinance.analysis.run import analyse
    from labfinance.outputs.decision import decision_json, terminal_lines
    from labfinance.outputs.report import analysis_json, results_json

    loaded, overrides = _load_with_sets(file, sets)
    scenario = with_overrides(loaded, variant, overrides)
    _check_reported(scenario, extra_metrics)
    workbook = _outputs(file, output, json_path)
    _check_outputs(workbook, json_path, force)

    analysis = analyse(loaded, scenario, variant=variant, overrides=dict(overrides), draws=draws,
                       seed=seed, extra_metrics=extra_metrics, progress=_progress)
    results = analysis.results
    language = _lang(lang, scenario)

    def write_book(temp: Path) -> None:
        from labfinance.outputs.excel import write_workbook  # 0.14 s of imports: only for -o

        write_workbook(analysis, temp, language)

    _deliver(workbook, write_book, json_path,
             lambda: results_json(results, path=loaded.path, sha256=loaded.document.sha256,
                                  variant=variant, overrides=dict(overrides),
                                  extra={**decision_json(analysis), **analysis_json(analysis)}),
             terminal_lines(analysis, language), force)


@main.command()
@click.argument("cases", nargs=-1, required=True, metavar="FILE[#VARIANT]...")
@click.option("-o", "--output", "output", metavar="OUT.xlsx", help="Write a workbook here.")
@click.option("--json", "json_path", metavar="PATH|-",
              help="Write the comparison as JSON ('-': stdout).")
@LANG
@click.option("--force", is_flag=True, help="Replace existing output files.")
@guarded
def compare(cases: tuple[str, ...], output: str | None, json_path: str | None,
            lang: str | None, force: bool) -> None:
    """Compare scenarios or variants side by side (FILE alone: its base case and all variants)."""
    from labfinance.analysis.compare import load_cases
    from labfinance.outputs.excel.compare import write_workbook
    from labfinance.outputs.report import compare_json
    from labfinance.outputs.terminal import table_lines

    evaluated = load_cases(cases)
    _check_outputs(output, json_path, force)
    language = _lang(lang, *(case.loaded.scenario for case in evaluated))
    _deliver(output, lambda temp: write_workbook(evaluated, temp, language), json_path,
             lambda: compare_json(evaluated), table_lines(evaluated, language), force)


@main.command("import")
@click.argument("book", type=click.Path(dir_okay=True), metavar="BOOK.xlsx")
@click.option("-o", "--output", "output", metavar="SCENARIO.yaml",
              help="Write the scenario here (default: BOOK's name with the scenario's suffix).")
@click.option("--force", is_flag=True, help="Replace an existing file.")
@guarded
def import_(book: str, output: str | None, force: bool) -> None:
    """Bring a workbook's edited live inputs back into its scenario file: prints each change as
    'path: old -> new' and writes the scenario, comments and layout kept."""
    from labfinance.model.workbook import import_workbook

    if output is not None:
        check_writable(output, force)
    imported = import_workbook(book)
    target = output if output is not None else Path(book).stem + imported.suffix
    suffixes = (".toml",) if imported.suffix == ".toml" else (".yaml", ".yml")
    if Path(target).suffix.lower() not in suffixes:
        kind = "TOML" if imported.suffix == ".toml" else "YAML"
        raise ScenarioError([f"-o {target}: the scenario is {kind}; name a "
                             f"{' or '.join(suffixes)} file"])
    write_text(target, imported.text, force)
    for edit in imported.edits:
        click.echo(edit.line())
    changes = len(imported.edits)
    what = f"{changes} change{'s' if changes != 1 else ''}" if changes else \
        "no changes: the live inputs are the scenario's"
    click.echo(f"{target}: written ({what})")
    if not imported.layout_kept:
        click.echo(f"note: {target}: the file's indentation could not be kept exactly (it "
                   "was normalised); its comments, key order and other values are kept", err=True)


def _portfolio_progress(total: int) -> Any:
    """One tick per file on standard error, at a terminal only."""
    from contextlib import nullcontext

    if not sys.stderr.isatty():
        return nullcontext()
    return click.progressbar(length=total, label="Portfolio", file=sys.stderr)


@main.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("-o", "--output", "output", metavar="OUT.xlsx",
              help="Write the workbook here (default: portfolio.xlsx, unless --json is given).")
@click.option("--json", "json_path", metavar="PATH|-",
              help="Write the portfolio as JSON ('-': stdout).")
@click.option("--draws", type=click.IntRange(min=0), default=DEFAULT_DRAWS, show_default=True,
              help="Monte Carlo draws per file (0 skips Monte Carlo).")
@click.option("--seed", type=Seed(), default=DEFAULT_SEED, show_default=True,
              help="Seed of the portfolio; each file's seed is derived from it and its SHA-256.")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Files evaluated at once, in separate processes (default: the cores).")
@LANG
@click.option("--force", is_flag=True, help="Replace existing output files.")
@guarded
def portfolio(paths: tuple[str, ...], output: str | None, json_path: str | None, draws: int,
              seed: int, jobs: int | None, lang: str | None, force: bool) -> None:
    """Every initiative of PATH... (scenario files, or folders of them) in one workbook, summed
    by calendar year, with the risk of the whole (exit 2 if a file was left out)."""
    from labfinance.analysis.montecarlo import available_cores
    from labfinance.analysis.portfolio import evaluate_portfolio
    from labfinance.outputs.portfolio import portfolio_json
    from labfinance.outputs.terminal import portfolio_lines

    workbook = "portfolio.xlsx" if output is None and json_path is None else output
    _check_outputs(workbook, json_path, force)
    result = evaluate_portfolio(paths, draws=draws, seed=seed, jobs=jobs or available_cores(),
                                progress=_portfolio_progress)
    for message in result.problems:
        click.echo(message, err=True)
    if not result.initiatives:
        _fail(["labfinance: no valid scenario among the paths given; nothing written"])
    from labfinance.outputs.excel.portfolio import write_workbook as write_portfolio

    language = lang or DEFAULT_LANGUAGE
    _deliver(workbook, lambda temp: write_portfolio(result, temp, language), json_path,
             lambda: portfolio_json(result), portfolio_lines(result, language), force)
    if result.problems:
        sys.exit(2)

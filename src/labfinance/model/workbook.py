"""A workbook back into a scenario: `labfinance import`, and a workbook where a scenario is read.

Every workbook labfinance writes carries its scenario file's text (the hidden sheet ``Scenario
source``, one line per row, with its SHA-256 in row 1) and, on the Assumptions sheet, the parameter
path of every input and whether it is live. Decision makers change live inputs; this module reads
them as they stand, compares each with the value the scenario text gives it, and treats every
difference as an edit, checked exactly as a ``--set`` override is. The scenario is then the text
with only the edited values changed (:mod:`labfinance.model.rewrite`), read back by labfinance's
own reader and validated like any file.

The reader's spreadsheet application rewrites the file (cached values, styles, maybe the sheet
order), so sheets are found by name, the Assumptions columns by their headers and rows by their
parameter path, never by position. Problems are located in the workbook, all at once::

    book.xlsx: Assumptions!C21: costs.build.amount: must be a number (got 'abc')
"""

from __future__ import annotations

import hashlib
import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labfinance.model import paths
from labfinance.model.loader import (
    Loaded,
    ScenarioError,
    load,
    load_document,
    override_problems,
    overrides_problems,
)
from labfinance.model.reading import Document, Problem, describe, parse_text
from labfinance.model.rewrite import rewrite
from labfinance.model.scenario import Scenario

SOURCE_SHEET = "Scenario source"
MARKER = "labfinance scenario source"
CELL_CHARS = 32_000  # Excel holds at most 32,767 characters in a cell
ASSUMPTIONS = "Assumptions"
VALUE, PATH, LIVE = "Value", "Parameter path", "Live"
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
MAX_BOOK_BYTES = 100_000_000
MAX_SOURCE_LINES = 1_048_575  # the rows of a sheet, less the header
SAME = 1e-12  # relative: a number read back within this of the scenario's is not an edit
# inputs the workbook shows as a formula while the file leaves them out: they follow another
FOLLOWS = {"social_discount_rate": "discount_rate"}
# keys the sheets are laid out from: never live, whatever a reader writes in the Live column
STRUCTURAL = frozenset({"name", "currency", "start_year", "years", "prices", "status",
                        "stakeholder", "eligible", "covers", "category", "benefit", "beneficiary",
                        "cash_releasing", "residual_value", "type", "id"})
ROOT_CHANGED = ("change it in the scenario file and run it again; only live inputs (blue on "
                "yellow) come back from the workbook")


def source_lines(text: str) -> tuple[list[str], str]:
    """The lines of a scenario's text and its line ending (``CRLF`` where every line ends so,
    else ``LF``), as the ``Scenario source`` sheet stores them.

    >>> source_lines("a: 1\\r\\nb: 2\\r\\n")
    (['a: 1', 'b: 2', ''], 'CRLF')
    >>> source_lines("a: 1\\nb: 2")
    (['a: 1', 'b: 2'], 'LF')
    """
    rest = text.replace("\r\n", "")
    if "\r\n" in text and "\n" not in rest and "\r" not in rest:
        return text.split("\r\n"), "CRLF"
    return text.split("\n"), "LF"


def is_workbook(path: str | Path) -> bool:
    return Path(path).suffix.lower() in WORKBOOK_SUFFIXES


def load_any(path: str | Path) -> Loaded:
    """A scenario file, or a workbook meaning the scenario imported from it."""
    return import_workbook(path).loaded if is_workbook(path) else load(path)


@dataclass(frozen=True)
class Edit:
    """One live input the reader changed: its path, cell, the scenario's value and the new one."""

    path: str
    cell: str
    old: Any
    new: Any

    def line(self) -> str:
        old = f"(follows {FOLLOWS[self.path]})" if self.old is None and self.path in FOLLOWS \
            else show(self.old)
        return f"{self.path}: {old} -> {show(self.new)}"


@dataclass(frozen=True)
class Imported:
    """The scenario a workbook comes back as.

    ``loaded`` is reported on as the workbook (its path), its document holding the new text and
    that text's SHA-256; ``suffix`` is the scenario's syntax (``.yaml`` or ``.toml``);
    ``layout_kept`` is False only where the YAML writer could not keep the file's indentation.
    """

    loaded: Loaded
    edits: tuple[Edit, ...]
    text: str
    suffix: str
    layout_kept: bool


@dataclass(frozen=True)
class _Input:
    path: str
    cell: str  # Assumptions!C21
    live: bool
    value: Any
    formula: bool


def show(value: Any) -> str:
    """A value in a change line: numbers as a finance reader types them, text quoted.

    >>> show(650000.0), show(0.035), show('abc'), show(None)
    ('650000', '0.035', "'abc'", 'nothing')
    """
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, float):
        return repr(value)
    return describe(value)


def _same(a: Any, b: Any) -> bool:
    numbers = (int, float)
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, numbers) and isinstance(b, numbers):
        return a == b or math.isclose(a, b, rel_tol=SAME)
    return a == b


def _number(value: Any) -> Any:
    """A cell's number as the scenario would hold it: whole numbers as int."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
        return int(value)
    return value


# --------------------------------------------------------------------------- reading the book


def _open(path: str | Path, *, data_only: bool = False) -> Any:
    import openpyxl

    name, p = str(path), Path(path)
    if p.is_dir():
        raise ScenarioError([f"{name}: is a folder, not a workbook"])
    if not p.exists():
        raise ScenarioError([f"{name}: no such file"])
    if p.stat().st_size > MAX_BOOK_BYTES:
        raise ScenarioError([f"{name}: the workbook is larger than "
                             f"{MAX_BOOK_BYTES // 1_000_000} MB; a labfinance workbook is far "
                             "smaller"])
    try:
        with warnings.catch_warnings():  # openpyxl warns of extensions it does not read
            warnings.simplefilter("ignore")
            # read-only: a quarter of the time, cells streamed; the caller closes the file
            return openpyxl.load_workbook(p, data_only=data_only, read_only=True)
    except OSError as exc:
        raise ScenarioError([f"{name}: cannot be read ({exc.strerror})"]) from None
    except Exception as exc:  # a zip that is no workbook, or a workbook openpyxl cannot read
        raise ScenarioError([f"{name}: is not an Excel workbook (.xlsx) that can be read "
                             f"({type(exc).__name__}: {exc})"]) from None


def _header(ws: Any) -> tuple[int, dict[str, int]] | None:
    """The Assumptions header row (1-based) and the column (0-based) of each header we read."""
    for number, row in enumerate(ws.iter_rows(min_row=1, max_row=20, values_only=True), 1):
        titles = {value: i for i, value in enumerate(row) if isinstance(value, str)}
        if PATH in titles and VALUE in titles and LIVE in titles:
            return number, titles
    return None


def _foreign(name: str, book: Any) -> ScenarioError:
    """A workbook without its source: labfinance's (sheet lost) or another's."""
    assumptions = book[ASSUMPTIONS] if ASSUMPTIONS in book.sheetnames else None
    if assumptions is not None and _header(assumptions) is not None:
        return ScenarioError([f"{name}: the hidden sheet '{SOURCE_SHEET}' is missing, so the "
                              "scenario cannot be rebuilt (a workbook from an older labfinance, "
                              "or the sheet was deleted); run the scenario file again"])
    if (book.properties.creator or "") == "labfinance":
        return ScenarioError([f"{name}: is not the business case of one scenario (it has no "
                              f"{ASSUMPTIONS} or '{SOURCE_SHEET}' sheet; a `compare` workbook "
                              "does not come back); import reads the workbooks `labfinance run` "
                              "writes"])
    return ScenarioError([f"{name}: was not written by labfinance (it has no '{SOURCE_SHEET}' "
                          "sheet); import reads the workbooks `labfinance run` writes"])


def _source(name: str, book: Any) -> tuple[str, str]:
    """The scenario text the workbook carries, and its suffix (``.yaml`` or ``.toml``)."""
    if SOURCE_SHEET not in book.sheetnames:
        raise _foreign(name, book)
    ws = book[SOURCE_SHEET]
    altered = ScenarioError([f"{name}: {SOURCE_SHEET}: the scenario text was altered (it no "
                             "longer matches its SHA-256 in row 1); change inputs on the "
                             "Assumptions sheet, and anything else in the scenario file"])
    head = [ws.cell(1, col).value for col in range(1, 6)]
    marker, syntax, count, sha, ending = head
    if marker != MARKER or syntax not in ("yaml", "toml") or ending not in ("LF", "CRLF") or \
            not isinstance(count, str | int) or not str(count).isdigit() or \
            not 0 < int(count) <= MAX_SOURCE_LINES:
        raise altered
    lines = []
    # read-only rows stop where the sheet's data does: empty lines at the end have no row
    for row in ws.iter_rows(min_row=2, max_row=int(count) + 1, values_only=True):
        if any(v is not None and not isinstance(v, str) for v in row):
            raise altered
        lines.append("".join(v for v in row if v is not None))
    lines += [""] * (int(count) - len(lines))  # empty rows at the end are not stored
    text = ("\r\n" if ending == "CRLF" else "\n").join(lines)
    if hashlib.sha256(text.encode("utf-8")).hexdigest() != sha:
        raise altered
    return text, f".{syntax}"


def _inputs(name: str, book: Any) -> list[_Input]:
    """Every Assumptions row with a parameter path, as it stands."""
    from openpyxl.utils import get_column_letter
    if ASSUMPTIONS not in book.sheetnames:
        raise ScenarioError([f"{name}: the {ASSUMPTIONS} sheet is missing; it holds the inputs"])
    ws = book[ASSUMPTIONS]
    found = _header(ws)
    if found is None:
        raise ScenarioError([f"{name}: {ASSUMPTIONS}: the header row with '{VALUE}', '{PATH}' "
                             f"and '{LIVE}' is missing"])
    first, cols = found
    inputs: list[_Input] = []
    seen: dict[str, str] = {}
    errors: list[str] = []
    for number, row in enumerate(ws.iter_rows(min_row=first + 1), first + 1):
        cells = {title: row[col] if col < len(row) else None for title, col in cols.items()}
        path_cell, value_cell, live_cell = cells[PATH], cells[VALUE], cells[LIVE]
        path = getattr(path_cell, "value", None)
        if value_cell is None or not isinstance(path, str) or not path.strip():
            continue
        path = path.strip()
        where = f"{ASSUMPTIONS}!{get_column_letter(cols[VALUE] + 1)}{number}"
        if path in seen:
            errors.append(f"{name}: {where}: {path}: the parameter is on two rows (the other is "
                          f"{seen[path]}); keep one")
            continue
        seen[path] = where
        tokens = path.split(".")
        structural = tokens[-1] in STRUCTURAL or tokens[0] == "uncertainty" or (
            len(tokens) == 2 and tokens[0] in ("stakeholders", *paths.ID_LISTS))
        live = getattr(live_cell, "value", None) == "live" and not structural
        value = getattr(value_cell, "value", None)
        formula = getattr(value_cell, "data_type", None) == "f"
        inputs.append(_Input(path, where, live, value, formula))
    if errors:
        raise ScenarioError(errors)
    return inputs


# --------------------------------------------------------------------------- the scenario's values


class _Unknown:
    """A path the scenario gives no value (a row a reader added, say)."""


UNKNOWN = _Unknown()


def effective(s: Scenario, dump: dict[str, Any], path: str) -> Any:
    """The value the scenario gives ``path``, defaults filled in as the workbook shows them."""
    tokens = path.split(".")
    preset = _preset_step(s, tokens)
    if preset is not UNKNOWN:
        return preset
    try:
        value = paths.get(dump, path)
    except paths.PathError:
        if tokens[0] == "contingency" and len(tokens) == 2 and isinstance(s.contingency, dict):
            return 0.0  # a category the map leaves out has none
        return UNKNOWN
    if value is not None:
        return value
    defaults = {"from": s.start_year, "to": s.last_year, "every": 1, "probability": 1.0,
                "share": 1.0, "social_discount_rate": s.discount_rate}
    return defaults.get(tokens[-1], UNKNOWN)


def _preset_step(s: Scenario, tokens: list[str]) -> Any:
    """A step of a declining-rate preset (``social_discount_rate.1.rate`` of ``green_book``,
    format 1.2): the preset's value, which the file does not spell out."""
    steps = s.social_discount_steps
    if (not isinstance(s.social_discount_rate, str) or steps is None or len(tokens) != 3
            or tokens[0] != "social_discount_rate" or not tokens[1].isdigit()
            or int(tokens[1]) >= len(steps) or tokens[2] not in ("from", "rate")):
        return UNKNOWN
    start, rate = steps[int(tokens[1])]
    return start if tokens[2] == "from" else rate


def shown(s: Scenario, dump: dict[str, Any], path: str) -> Any:
    """What a structural (not live) row shows for ``path``, or :data:`UNKNOWN`."""
    tokens = path.split(".")
    if tokens[0] == "uncertainty":
        dist = s.uncertainty.get(path[len("uncertainty."):])
        if dist is None:
            return UNKNOWN
        fields = ", ".join(f"{k} {v:g}" for k, v in dist.model_dump().items()
                           if k != "dist" and v is not None)
        return f"{dist.dist}: {fields}"
    if len(tokens) == 2 and tokens[0] in ("stakeholders", *paths.ID_LISTS):
        return tokens[1]  # the row of an item shows its id
    if tokens == ["social_discount_rate"] and isinstance(s.social_discount_rate, list):
        return UNKNOWN  # the heading of the steps below it, in words
    value = effective(s, dump, path)
    if tokens[-1] == "residual_value":
        return "no" if value is False else "yes"
    if tokens[-1] == "eligible":
        return "all costs" if value in (None, UNKNOWN) else ", ".join(value)
    if tokens[-1] == "category" and value is UNKNOWN:
        return "other"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


# --------------------------------------------------------------------------- importing


def _relocate(name: str, error: ScenarioError, where: str) -> ScenarioError:
    """``book.xlsx:12: ...`` -> ``book.xlsx: <where 12>: ...``."""
    pattern = re.compile(rf"^{re.escape(name)}:(\d+): ")
    return ScenarioError([pattern.sub(lambda m: f"{name}: {where.format(int(m.group(1)))}: ", msg)
                          for msg in error.messages])


def _original(name: str, text: str, suffix: str) -> Loaded:
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    try:
        return load_document(parse_text(name, text, suffix, sha))
    except ScenarioError as exc:  # valid when written: a newer format, or another labfinance
        raise _relocate(name, exc, SOURCE_SHEET + "!A{}") from None


def _edits(name: str, path: str | Path, inputs: list[_Input], original: Loaded
           ) -> tuple[list[Edit], list[str]]:
    s, raw = original.scenario, original.document.raw
    dump = s.model_dump(by_alias=True)
    edits: list[Edit] = []
    errors: list[str] = []
    cached: dict[str, Any] | None = None
    for item in inputs:
        if not item.live:
            expected = shown(s, dump, item.path)
            if expected is not UNKNOWN and not _same(expected, _number(item.value)):
                errors.append(f"{name}: {item.cell}: {item.path}: is structural (not live) and "
                              f"was changed from {show(expected)} to {show(item.value)}; "
                              f"{ROOT_CHANGED}")
            continue
        follows = item.path in FOLLOWS and item.path not in raw
        value = item.value
        if item.formula:
            if follows:
                continue  # computed from the input it follows: not an edit
            if cached is None:
                book = _open(path, data_only=True)
                try:
                    cached = {i.path: book[ASSUMPTIONS][i.cell.split("!")[1]].value
                              for i in inputs if i.live and i.formula}
                finally:
                    book.close()
            value = cached.get(item.path)
            if value is None:
                errors.append(f"{name}: {item.cell}: {item.path}: holds a formula with no stored "
                              "result; open and save the workbook in Excel or LibreOffice, or "
                              "type the number")
                continue
        old = None if follows else effective(s, dump, item.path)
        if value is None:
            errors.append(f"{name}: {item.cell}: {item.path}: is empty; type a number (the "
                          f"scenario's is {show(old)})")
            continue
        value = _number(value)
        if old is not None and old is not UNKNOWN and _same(old, value):
            continue
        edits.append(Edit(item.path, item.cell, None if old is UNKNOWN else old, value))
    return edits, errors


def _edit_problems(name: str, doc: Document, edits: list[Edit]) -> list[str]:
    """Each edit checked as a ``--set`` is, then all of them together (file rules included: an
    edited value must lie inside its uncertainty range, as the file's own value must)."""
    messages: list[str] = []

    def add(message: str) -> None:
        if message not in messages:
            messages.append(message)

    for edit in edits:
        for p in override_problems(doc, edit.path, edit.new):
            add(f"{name}: {edit.cell}: {p.path or edit.path}: {p.text}")
    if messages or not edits:
        return messages
    for p in overrides_problems(doc, [(e.path, e.new) for e in edits], file_rules=True):
        add(f"{name}: {_cell_of(p, edits)}: {p.path}: {p.text}")
    return messages


def _cell_of(problem: Problem, edits: list[Edit]) -> str:
    """The cell of the edit a problem is about: its path, one inside it or its uncertainty."""
    for edit in edits:
        if problem.path in (edit.path, f"uncertainty.{edit.path}"):
            return edit.cell
    for edit in edits:
        if edit.path.startswith(problem.path + ".") or problem.path.startswith(edit.path + "."):
            return edit.cell
    return ASSUMPTIONS


def import_workbook(path: str | Path) -> Imported:
    """The scenario of a workbook labfinance wrote, with the reader's edits to live inputs.

    Raises :class:`ScenarioError` with every problem, each located in the workbook.
    """
    name = str(path)
    book = _open(path)
    try:
        text, suffix = _source(name, book)
        inputs = _inputs(name, book)
    finally:
        book.close()
    original = _original(name, text, suffix)
    edits, errors = _edits(name, path, inputs, original)
    errors += _edit_problems(name, original.document, edits)
    if errors:
        raise ScenarioError(errors)
    if not edits:
        return Imported(original, (), text, suffix, True)
    syntax = "toml" if suffix == ".toml" else "yaml"
    new_text, kept = rewrite(text, syntax, [(e.path, e.new) for e in edits])
    doc = parse_text(name, new_text, suffix, hashlib.sha256(new_text.encode("utf-8")).hexdigest())
    expected = original.document.raw
    for edit in edits:
        expected, _ = paths.with_override(expected, edit.path, edit.new)
    if doc.raw != expected:  # the rewrite changed more, or less, than the edits: a bug
        raise RuntimeError(f"{name}: the rewritten scenario does not read back as the original "
                           "with the edits")
    try:
        loaded = load_document(doc)
    except ScenarioError as exc:  # e.g. a variant that no longer holds with the edits
        raise _relocate(name, exc, "the imported scenario's line {}") from None
    return Imported(loaded, tuple(edits), new_text, suffix, kept)

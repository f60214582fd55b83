"""Recalculate a written workbook in Python (the ``formulas`` package), without an office suite.

The fast test tier's arbiter of the workbook's formulas: every formula cell is evaluated again
from the workbook's own inputs and compared with its cached value (the engine's), with the same
tolerance as the LibreOffice tier (``recalc.close``: relative 1e-9, absolute 1e-6 near zero).
LibreOffice stays the arbiter in CI (tests/recalc.py); this path catches a wrong formula in
seconds on a machine without one.

Where ``formulas`` reads a formula differently from a spreadsheet, the harness corrects it here,
with its reason: IRR, which must start from its guess. Every function the
workbook uses is otherwise ``formulas``' own (ABS, COUNTIF, COUNTIFS, IF, IFERROR, ISNUMBER, MAX,
MIN, MIRR, MOD, NPV, SMALL, SUM, SUMIF, SUMPRODUCT, TEXT) and agreed with the engine on every
formula cell of the examples. Nothing is silently skipped: ``check`` returns the cells it could
not evaluate, and the tests require that list to be empty.
"""

from __future__ import annotations

import collections
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import schedula as sh
from formulas.cell import Cell, wrap_cell_func
from formulas.excel import BOOK, ExcelModel
from formulas.functions import (
    flatten,
    get_functions,
    raise_errors,
    replace_empty,
    text2num,
    wrap_func,
)
from formulas.ranges import Ranges
from formulas.tokens.operand import Error, XlError

from recalc import ABS, close

# ``formulas`` 1.3.4 reads a number with an exponent only when the exponent has a sign: "1E+9" is
# a number, "1E9" a syntax error (Excel and LibreOffice read both). The workbook writes the sign
# (src/labfinance/outputs/excel/decision_formulas.py); test_workbook_fast.py keeps it so.
UNSIGNED_EXPONENT = re.compile(r'("(?:[^"]|"")*")|(?<![A-Za-z$_\d.])(\d+(?:\.\d*)?[Ee]\d)')


def unsigned_exponents(formula: str) -> list[str]:
    """The numbers of ``formula`` written with an unsigned exponent, string literals left out.

    >>> unsigned_exponents('=IF(ABS(A1)>=1E9,TEXT(A1/1E+9,"0.0E9"),1.5e6+E9)')
    ['1E9', '1.5e6']
    """
    return [m.group(2) for m in UNSIGNED_EXPONENT.finditer(formula) if m.group(2)]


# A reference in a formula: an optional sheet ('Cash flow'! or Costs!), a cell or a cell range, each
# column and row absolute ($) or relative. Not a function name (followed by "("), not a part of a
# longer word or number.
REFERENCE = re.compile(
    r"(?<![\w$.'!:])((?:'(?:[^']|'')+'!|[A-Za-z_][\w.]*!)?)"
    r"(\$?)([A-Z]{1,3})(\$?)(\d+)(?::(\$?)([A-Z]{1,3})(\$?)(\d+))?(?![\w(!])")
STRING = re.compile(r'("(?:[^"]|"")*")')
# Functions whose result depends on the cell they sit in: a formula with one is never shared.
POSITIONAL = re.compile(r"\b(?:ROW|COLUMN|OFFSET|INDIRECT|SINGLE)\(|@")


def _column_number(letters: str) -> int:
    number = 0
    for char in letters:
        number = number * 26 + ord(char) - 64
    return number


def _shape(formula: str, row: int, column: int) -> tuple[str, list[str]] | None:
    """The formula's shape (its text with relative references as offsets from its own cell, as
    Excel's R1C1 notation writes them) and its references in order; None for a formula whose
    value depends on where it sits.

    Cells of one sheet with the same shape compute the same thing on shifted inputs: "=F5*2" in
    G5 and "=G5*2" in H5.

    >>> _shape("=F5*$B$2+'Cash flow'!G$9", 5, 7)
    ("=[r0c-1]*[$B$2]+'Cash flow'![r$9c0]", ['F5', '$B$2', "'Cash flow'!G$9"])
    """
    if POSITIONAL.search(formula):
        return None
    pieces: list[str] = []
    references: list[str] = []

    def cell(col_abs: str, col: str, row_abs: str, row_text: str) -> str:
        if col_abs and row_abs:
            return f"${col}${row_text}"
        r = f"${row_text}" if row_abs else str(int(row_text) - row)
        c = f"${col}" if col_abs else str(_column_number(col) - column)
        return f"r{r}c{c}"

    def one(match: re.Match[str]) -> str:
        references.append(match.group(0))
        shape = cell(*match.group(2, 3, 4, 5))
        if match.group(7):
            shape += ":" + cell(*match.group(6, 7, 8, 9))
        return f"{match.group(1)}[{shape}]"

    for i, piece in enumerate(STRING.split(formula)):
        pieces.append(piece if i % 2 else REFERENCE.sub(one, piece))
    return "".join(pieces), references


def _cells_read(book: Any) -> set[tuple[str, int, int]]:
    """(SHEET, row, column) of every cell some formula of ``book`` reads (sheet upper-cased, as
    ``formulas`` names it)."""
    read: set[tuple[str, int, int]] = set()
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type != "f" or not isinstance(cell.value, str):
                    continue
                for i, piece in enumerate(STRING.split(cell.value)):
                    if i % 2:
                        continue  # a string literal
                    for m in REFERENCE.finditer(piece):
                        prefix = m.group(1)[:-1]
                        sheet = (prefix[1:-1].replace("''", "'") if prefix.startswith("'")
                                 else prefix or ws.title).upper()
                        r1, c1 = int(m.group(5)), _column_number(m.group(3))
                        r2, c2 = ((int(m.group(9)), _column_number(m.group(7))) if m.group(7)
                                  else (r1, c1))
                        read.update((sheet, r, c) for r in range(r1, r2 + 1)
                                    for c in range(c1, c2 + 1))
    return read


class _Model(ExcelModel):  # type: ignore[misc]
    """``formulas``' workbook model, compiling each formula shape once per sheet.

    Parsing and compiling a formula is most of ``formulas``' time (about 5 ms a cell, 10 s for a
    workbook of 1,800 formulas). A timeline sheet repeats one formula across its year columns, so
    the harness compiles the first cell of each shape and gives the others the same compiled
    function with their own (shifted) input cells. A shared cell is still evaluated from its own
    inputs: a wrong shift cannot hide a wrong value, it can only make cells differ. Labels and
    other constants no formula reads are left out of the model (a third of its cells); a
    reference the harness failed to see would read as an empty cell and show as a difference.
    """

    def __init__(self) -> None:
        super().__init__()
        self._shapes: dict[tuple[str, str], tuple[Cell, list[str]]] = {}
        self._ranges: dict[tuple[str, str], Ranges] = {}
        self.shared = 0  # formula cells given a compiled function of their shape
        self._read: set[tuple[str, int, int]] = set()

    def load(self, filename: str) -> _Model:
        book, context = self.add_book(filename)
        self._read = _cells_read(book)
        self.pushes(*book.worksheets, context=context)
        return self

    def compile_cell(self, cell: Any, context: Any, references: Any,
                     formula_references: Any) -> Any:
        if cell.data_type != "f" and (context["sheet"], cell.row, cell.column) not in self._read:
            return Cell(None, None)  # a constant no formula reads: nothing to add to the model
        compiled = None
        shape = None
        if (cell.data_type == "f" and isinstance(cell.value, str)
                and cell.coordinate not in formula_references):
            shape = _shape(cell.value, cell.row, cell.column)
        if shape is not None:
            key = (context["sheet"], shape[0])
            if key in self._shapes:
                base, base_references = self._shapes[key]
                compiled = self._shifted(base, base_references, cell.coordinate, shape[1],
                                         context)
        if compiled is None:
            compiled = super().compile_cell(cell, context, references, formula_references)
            if shape is not None and getattr(compiled, "func", None) is not None:
                self._shapes.setdefault((context["sheet"], shape[0]), (compiled, shape[1]))
        else:
            self.shared += 1
        return compiled

    def _range(self, reference: str, context: Any) -> Ranges:
        key = (context["sheet"], reference)
        if key not in self._ranges:
            self._ranges[key] = Ranges().push(reference, context=context)
        return self._ranges[key]

    def _shifted(self, base: Cell, base_references: list[str], coordinate: str,
                 references: list[str], context: Any) -> Cell | None:
        """A cell with ``base``'s compiled function on its own inputs; None where an input of
        the function is not one of the formula's references (then it is compiled itself)."""
        moved: dict[str, Ranges] = {}
        for old, new in zip(base_references, references, strict=True):
            old_range, new_range = self._range(old, context), self._range(new, context)
            if len(old_range.ranges) != 1 or len(new_range.ranges) != 1:
                return None
            moved[old_range.ranges[0]["name"]] = new_range
        pipe = base.func.func
        if any(key not in moved for key in pipe.inputs):
            return None
        return _SharedCell(coordinate, context, pipe, moved)


class _SharedCell(Cell):  # type: ignore[misc]
    """A formula cell computed by the compiled function of another cell of the same shape."""

    def __init__(self, coordinate: str, context: Any, pipe: Any, moved: dict[str, Ranges]):
        super().__init__(coordinate, None, context=context)
        # the function's inputs in its own order, each the range this cell reads instead
        self._moved = collections.OrderedDict((key, moved[key]) for key in pipe.inputs)
        self.func = wrap_cell_func(pipe, self._args)
        self.inputs = collections.OrderedDict()
        for key, rng in self._moved.items():
            self.inputs.setdefault(rng.ranges[0]["name"], []).append(key)

    def _args(self, *args: Any) -> Any:
        assert len(args) == len(self.inputs)
        inputs = {key: Ranges(rng.ranges) for key, rng in self._moved.items()}
        for links, value in zip(self.inputs.values(), args, strict=True):
            for key in links:
                inputs[key].values.update(value.values)
        return inputs.values()


# ``formulas``' IRR takes numpy-financial's root nearest zero and ignores the guess. Excel and
# LibreOffice iterate from the guess instead (Newton's method: default 10 %, at most 20 tries, to
# 0.00001 %), and give up (#NUM!) when the root lies far from it; the workbook's IRR cells rely on
# that (IFERROR(IRR(flows, discount rate), IRR(flows, start)), docs/decisions.md). The harness
# registers the spreadsheet's IRR so a wrong guess or fallback shows here too.
IRR_TRIES, IRR_STEP = 20, 1e-7


def spreadsheet_irr(values: Any, guess: Any = 0.1) -> Any:
    """IRR as a spreadsheet computes it: Newton's method from ``guess``; #NUM! where 20 steps
    do not settle to 1e-7 or a step lands on -100 %. A root below -100 % is returned, as
    LibreOffice does (the workbook's IRR cells test for it).

    Microsoft's IRR help example, -70,000 then 12,000, 15,000, 18,000, 21,000, 26,000, as
    LibreOffice recalculates it (=IRR over the first 6, 5 and 3 flows, the last with a guess of
    -10 % and without): 8.66 %, -2.12 %, -44.35 %, and from the default guess the root below
    -100 %, -138.51 %.

    >>> flows = np.array([[-70000, 12000, 15000, 18000, 21000, 26000]])
    >>> round(spreadsheet_irr(flows), 6), round(spreadsheet_irr(flows[:, :5]), 6)
    (0.086631, -0.021245)
    >>> round(spreadsheet_irr(flows[:, :3], -0.1), 6), round(spreadsheet_irr(flows[:, :3]), 6)
    (-0.443507, -1.385064)
    """
    raise_errors(values, guess)
    flows = np.array([float(v) for v in flatten(values)])  # numbers only, as IRR reads a range
    rate = float(np.asarray(text2num(replace_empty(guess)), dtype=float).ravel()[0])
    years = np.arange(flows.size)
    for _ in range(IRR_TRIES):
        if rate == -1:
            break  # the flows cannot be discounted at -100 %; below it LibreOffice goes on too
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            factors = (1 + rate) ** -years
            slope = -(years * flows * factors).sum() / (1 + rate)
            step = (flows * factors).sum() / slope if slope != 0 else np.nan
        if not np.isfinite(step):
            break  # a flat or overflowing step: the search has failed, as the spreadsheet's does
        rate -= step
        if abs(step) < IRR_STEP:
            return float(rate)
    return Error.errors["#NUM!"]


get_functions()["IRR"] = wrap_func(spreadsheet_irr)


def _plain(value: Any) -> Any:
    """A recalculated cell as the Python value openpyxl reads back: float, str, bool or None."""
    if hasattr(value, "value"):  # a formulas Ranges object: a 2-D array, one cell here
        value = value.value
    if isinstance(value, np.ndarray):
        value = value.ravel()[0] if value.size else None
    if isinstance(value, XlError):
        return str(value)  # "#NUM!", "#VALUE!"...: never an engine value, so always a difference
    if value is None or value is sh.EMPTY:  # an empty cell
        return None
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer | np.floating | int | float):
        return float(value)
    return value


def recalculate(path: Path | str) -> dict[tuple[str, str], tuple[str, Any]]:
    """Every formula cell of the workbook at ``path`` recalculated: (sheet, coordinate) ->
    (formula, value). Sheet names are the workbook's own (``formulas`` upper-cases them)."""
    path = Path(path).resolve()
    model = _Model().loads(str(path)).finish()
    solution = model.calculate()
    by_key: dict[str, Any] = {}
    for key, value in solution.items():
        # keys look like "'[BOOK.XLSX]CASH FLOW'!C60" (a single cell) or "...!C5:H5" (a range)
        match = re.fullmatch(r"'\[[^\]]*\](.*)'!([A-Z]+\d+)", key)
        if match:
            by_key[f"{match.group(1)}!{match.group(2)}"] = value
    out: dict[tuple[str, str], tuple[str, Any]] = {}
    (book,) = (data[BOOK] for data in model.books.values())  # the workbook as formulas read it
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    key = f"{ws.title.upper()}!{cell.coordinate}"
                    value = _plain(by_key[key]) if key in by_key else KeyError(key)
                    out[ws.title, cell.coordinate] = (cell.value, value)
    return out


@dataclass
class Check:
    """The outcome of ``check``: how many formula cells, which differ, which were not evaluated."""

    cells: int = 0
    failures: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    worst: float = 0.0  # the largest relative difference among the cells that agree


def check(path: Path | str) -> Check:
    """Every formula cell's cached value (the engine's) against its Python recalculation."""
    path = Path(path)
    cached = openpyxl.load_workbook(path, data_only=True)
    fresh = recalculate(path)
    out = Check(cells=len(fresh))
    for (sheet, coord), (formula, value) in fresh.items():
        where = f"{sheet}!{coord} {formula}"
        if isinstance(value, KeyError):
            out.excluded.append(f"{where}: not in the recalculation")
            continue
        written = cached[sheet][coord].value
        if not close(written, value):
            out.failures.append(f"{where}: written {written!r}, recalculated {value!r}")
        elif isinstance(written, float) and isinstance(value, float) and abs(written) > ABS:
            out.worst = max(out.worst, abs(written - value) / abs(written))
    return out

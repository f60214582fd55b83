"""References and the writer of timeline sheets.

Formulas are built from :class:`Cell` (one constant, referenced absolutely: ``$C$12``) and
:class:`Row` (a timeline row, referenced in the column being written: ``F12``), so that each row
holds ONE formula copied across the years. A reference to another sheet is qualified with the
sheet's name; a reference on the same sheet is not.

Every formula cell is written with its cached result, the engine's value, so that readers that do
not recalculate (previews, pandas, openpyxl) see the numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from labfinance.engine import finance
from labfinance.engine.sums import add_up
from labfinance.outputs.excel import layout as L

if TYPE_CHECKING:
    from labfinance.outputs.excel.book import Book


# Sheets are known in the code by their stable English key ("Cash flow"); the workbook names
# them in the reader's language. The names of the workbook being written, by key:
_SHEET_NAMES: ContextVar[dict[str, str] | None] = ContextVar("sheet_names", default=None)


# what a figure that does not exist reads ("n/a"; Dutch "n.v.t."), in formulas and cached values
_NA: ContextVar[str] = ContextVar("na", default="n/a")


@contextmanager
def sheet_names(names: dict[str, str], na_word: str = "n/a") -> Iterator[None]:
    """While a workbook is written: the name its reader sees of each sheet key, and the word
    for a figure that does not exist."""
    token, na_token = _SHEET_NAMES.set(names), _NA.set(na_word)
    try:
        yield
    finally:
        _SHEET_NAMES.reset(token)
        _NA.reset(na_token)


def na() -> str:
    """The word for a figure that does not exist in the workbook being written."""
    return _NA.get()


def shown(sheet: str) -> str:
    """The name of sheet ``sheet`` (a key) in the workbook being written."""
    return (_SHEET_NAMES.get() or {}).get(sheet, sheet)


def sheet_prefix(sheet: str, here: str) -> str:
    """``'Cash flow'!`` (the sheet's name in the reader's language), or nothing on the same
    sheet."""
    return "" if sheet == here else "'" + shown(sheet).replace("'", "''") + "'!"


def col_name(col: int) -> str:
    return xl_col_to_name(col)


def cached(value: Any) -> float | str:
    """A cached formula result: a finite float, or text such as "n/a"."""
    if isinstance(value, str):
        return value
    x = float(value)
    if not math.isfinite(x):
        raise ValueError(f"a formula's cached value must be finite (got {x})")
    return 0.0 if x == 0 else x


def write_value(ws: Worksheet, row: int, col: int, value: Any, fmt: Format) -> None:
    """A value, not a formula: text as text (a leading '=' stays text), anything else a number."""
    if isinstance(value, str):
        ws.write_string(row, col, value, fmt)
    else:
        ws.write_number(row, col, float(value), fmt)


@dataclass(frozen=True)
class Cell:
    """One cell, referenced absolutely."""

    sheet: str
    row: int
    col: int

    def ref(self, here: str) -> str:
        return f"{sheet_prefix(self.sheet, here)}${col_name(self.col)}${self.row + 1}"


@dataclass(frozen=True)
class Row:
    """A timeline row of a sheet."""

    sheet: str
    row: int
    timeline: L.Timeline

    def range(self, here: str, span: str = "horizon", skip_first: bool = False) -> str:
        ts = self.timeline.span(span)
        first = ts[1] if skip_first else ts[0]
        a = col_name(self.timeline.col(first))
        b = col_name(self.timeline.col(ts[-1]))
        return f"{sheet_prefix(self.sheet, here)}${a}${self.row + 1}:${b}${self.row + 1}"

    def cell(self, t: int) -> Cell:
        return Cell(self.sheet, self.row, self.timeline.col(t))

    @property
    def value(self) -> Cell:
        return Cell(self.sheet, self.row, L.VALUE_COL)

    @property
    def total(self) -> Cell:
        return Cell(self.sheet, self.row, L.TOTAL_COL)


@dataclass(frozen=True)
class At:
    """The column a row's formula is being written in: relative references to it."""

    here: str
    timeline: L.Timeline
    t: int

    @property
    def letter(self) -> str:
        return col_name(self.timeline.col(self.t))

    def __call__(self, row: Row) -> str:
        """``row`` in this column."""
        return f"{sheet_prefix(row.sheet, self.here)}{self.letter}{row.row + 1}"

    def prev(self, row: Row) -> str:
        """``row`` in the previous column (the blank pre-model column E for the first year)."""
        letter = col_name(self.timeline.col(self.t) - 1)
        return f"{sheet_prefix(row.sheet, self.here)}{letter}{row.row + 1}"

    @property
    def year(self) -> str:
        return f"{self.letter}${L.YEAR_ROW + 1}"

    @property
    def tt(self) -> str:
        """The year index t (0 in the first year) of this column."""
        return f"{self.letter}${L.T_ROW + 1}"

    def c(self, cell: Cell) -> str:
        return cell.ref(self.here)

    def years(self, span: str = "horizon") -> str:
        """The year header over ``span`` of this sheet, absolute."""
        ts = self.timeline.span(span)
        a, b = col_name(self.timeline.col(ts[0])), col_name(self.timeline.col(ts[-1]))
        return f"${a}${L.YEAR_ROW + 1}:${b}${L.YEAR_ROW + 1}"


Formula = Callable[[At], str]
Term = tuple[Formula, np.ndarray]  # a part of a sum, and its values over the span

# Excel refuses a formula longer than 8,192 characters (Microsoft, "Excel specifications and
# limits"): a sum of thousands of lines is first added up in parts, each part a row of its own.
MAX_FORMULA = 8_192
PART_CHARACTERS = 6_000  # of terms in one formula, leaving room for what wraps the sum


def present_value(row: Row, rate: str, here: str) -> str:
    """PV over the horizon with the first year undiscounted: ``first + NPV(rate, rest)``
    (Excel's NPV discounts its first value). ``rate`` is a reference or an expression."""
    first = row.cell(0).ref(here)
    if row.timeline.horizon == 1:
        return first
    return f"{first}+NPV({rate},{row.range(here, skip_first=True)})"


def times(*parts: Row | Cell) -> Formula:
    """``= a * b * ...``: rows in the column being written, cells absolute."""
    def formula(x: At) -> str:
        return "=" + "*".join(x(p) if isinstance(p, Row) else x.c(p) for p in parts)
    return formula


def total(rows: Sequence[Row]) -> Formula:
    """``= a + b + ...`` of rows in the column being written (``=0`` for none)."""
    def formula(x: At) -> str:
        return "=" + "+".join(x(row) for row in rows) if rows else "=0"
    return formula


def less(first: Row, rows: Sequence[Row]) -> Formula:
    """``= first - a - b ...``."""
    def formula(x: At) -> str:
        return f"={x(first)}" + "".join(f"-{x(row)}" for row in rows)
    return formula


def row_term(row: Row) -> Formula:
    """A row as a term of a sum: its reference in the column being written."""
    return lambda x: x(row)


def _sum_formula(terms: Sequence[Term]) -> Formula:
    """``= a + b + ...`` of the terms (``=0`` for none)."""
    return lambda x: "=" + "+".join(term(x) for term, _ in terms) if terms else "=0"


class TimelineSheet:
    """A Costs / Funding / Benefits / Cash flow / Stakeholders / Checks sheet."""

    def __init__(self, book: Book, name: str, subtitle: str):
        self.book = book
        self.name = name
        self.tl = book.timeline
        self.st = book.styles
        self.ws = book.sheets[name]
        self.r = L.FIRST_ROW
        book.timeline_sheets.append(self)
        self._headers(subtitle)

    # ------------------------------------------------------------------ frame
    @property
    def last_col(self) -> int:
        """The last column laid out and printed: the last year, and at least 11 year columns."""
        return self.tl.col(max(self.tl.columns, 11) - 1)

    def _headers(self, subtitle: str) -> None:
        ws, st, tl = self.ws, self.st, self.tl
        ws.set_column(L.LABEL_COL, L.LABEL_COL, self.book.label_width)
        ws.set_column(L.UNIT_COL, L.UNIT_COL, L.UNIT_WIDTH)
        ws.set_column(L.VALUE_COL, L.VALUE_COL, L.VALUE_WIDTH)
        ws.set_column(L.TOTAL_COL, L.TOTAL_COL, L.TOTAL_WIDTH)
        ws.set_column(L.PRE_COL, L.PRE_COL, L.PRE_WIDTH)
        ws.set_column(L.FIRST_YEAR_COL, self.last_col, L.YEAR_WIDTH)
        t = self.book.t
        ws.write_string(L.TITLE_ROW, 0, shown(self.name), st.title)
        ws.write_string(L.SUBTITLE_ROW, 0, subtitle, st.subtitle)
        for col, text in ((L.LABEL_COL, t("timeline.line_item")), (L.UNIT_COL, t("timeline.unit")),
                          (L.VALUE_COL, t("timeline.value")), (L.TOTAL_COL, t("timeline.total")),
                          (L.PRE_COL, "")):
            ws.write_string(L.YEAR_ROW, col, text, st.header)
        ws.write_string(L.T_ROW, L.LABEL_COL, t("timeline.index"), st.subtitle)
        for k in tl.span("all"):
            after = k >= tl.horizon
            ws.write_number(L.YEAR_ROW, tl.col(k), tl.year(k),
                            st.header_after if after else st.header_year)
            ws.write_number(L.T_ROW, tl.col(k), k, st.t_row)
            if after:
                ws.write_string(L.BAND_ROW, tl.col(k), t("timeline.after_horizon"), st.subtitle)
        ws.write_string(L.BAND_ROW, tl.col(0), t("timeline.horizon"), st.subtitle)
        ws.freeze_panes(L.FIRST_ROW - 1, L.FIRST_YEAR_COL)
        L.print_landscape(ws)
        ws.repeat_rows(L.YEAR_ROW, L.T_ROW)
        ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)

    def finish(self) -> None:
        """Print every used row and column (the after-horizon years included)."""
        self.ws.print_area(0, 0, max(self.r, L.FIRST_ROW), self.last_col)

    def skip(self, n: int = 1) -> None:
        self.r += n

    def band(self, text: str) -> None:
        """A section heading across the sheet."""
        self.ws.write_string(self.r, 0, text, self.st.band)
        for col in range(1, self.tl.col(self.tl.columns - 1) + 1):
            self.ws.write_blank(self.r, col, None, self.st.band)
        self.r += 1

    def item(self, label: str, unit: str = "", note: str = "") -> None:
        """The heading of one line item (scenario text: always written as text)."""
        self.ws.write_string(self.r, L.LABEL_COL, label, self.st.label_bold)
        if unit:
            self.ws.write_string(self.r, L.UNIT_COL, unit, self.st.unit)
        if note:
            self.ws.write_string(self.r, L.VALUE_COL, note, self.st.subtitle)
        self.r += 1

    # ------------------------------------------------------------------ rows
    def _label(self, label: str, unit: str, bold: bool) -> None:
        st = self.st
        self.ws.write_string(self.r, L.LABEL_COL, label, st.label_bold if bold else st.label_indent)
        self.ws.write_string(self.r, L.UNIT_COL, unit, st.unit)

    def series(self, label: str, unit: str, formula: Formula, values: Sequence[float] | np.ndarray,
               *, kind: str = "money", role: str = "calc", span: str = "horizon",
               total: bool = False) -> Row:
        """One row: the same formula in every column of ``span``, each with its cached value.

        ``values`` holds one value per column of ``span``. ``total`` adds the sum over the
        horizon in the total column.
        """
        ts = self.tl.span(span)
        values = np.asarray(values, dtype=float).reshape(-1)
        if values.size != len(ts):
            raise ValueError(f"{self.name}: {label}: {values.size} values for {len(ts)} columns")
        self._label(label, unit, role in ("line", "total"))
        row = Row(self.name, self.r, self.tl)
        fmt = self.st.cell(kind, role)
        for t, value in zip(ts, values, strict=True):
            at = At(self.name, self.tl, t)
            self.ws.write_formula(self.r, self.tl.col(t), formula(at), fmt, cached(value))
        self.book.row_values[(self.name, self.r)] = values
        if total:
            horizon = values[: self.tl.horizon] if span != "after" else values
            rng = row.range(self.name, "horizon" if span != "after" else "after")
            self.ws.write_formula(self.r, L.TOTAL_COL, "=" + finance.horizon_total_formula(rng),
                                  self.st.cell(kind, "total"),
                                  cached(finance.horizon_total(horizon)))
        self.r += 1
        return row

    def in_parts(self, label: str, unit: str, terms: Sequence[Term], *,
                 span: str = "horizon") -> list[Term]:
        """The terms of a sum, as they are where they fit in one formula; else added up first in
        rows "<label>, part i of n" written here, whose references then stand for them."""
        widest = At(self.name, self.tl, self.tl.span(span)[-1])  # the longest column letters
        lengths = [len(term(widest)) + 1 for term, _ in terms]
        if sum(lengths) <= PART_CHARACTERS:
            return list(terms)
        groups: list[list[Term]] = [[]]
        size = 0
        for term, length in zip(terms, lengths, strict=True):
            if groups[-1] and size + length > PART_CHARACTERS:
                groups.append([])
                size = 0
            groups[-1].append(term)
            size += length
        parts: list[Term] = []
        for i, group in enumerate(groups, 1):
            values = add_up((np.reshape(v, (1, -1)) for _, v in group), (len(group[0][1]),))[0]
            row = self.series(self.book.t("timeline.part", label=label, part=i, parts=len(groups)),
                              unit, _sum_formula(group),
                              values, span=span)
            parts.append((row_term(row), values))
        return self.in_parts(label, unit, parts, span=span)

    def sum_of(self, label: str, unit: str, rows: Sequence[Row], *,
               span: str = "horizon") -> Formula:
        """``= a + b + ...`` of rows (``=0`` for none), in parts where it would be too long."""
        terms = self.in_parts(label, unit, [(row_term(r), self.book.values_of(r)) for r in rows],
                              span=span)
        return _sum_formula(terms)

    def corkscrew(self, label: str, unit: str, formula: Callable[[At, str], str],
                  values: Sequence[float] | np.ndarray, **options: Any) -> Row:
        """A row that reads its own previous column: ``formula(x, previous)`` (the blank
        pre-model column E before the first year). ``options`` as for :meth:`series`."""
        me = Row(self.name, self.r, self.tl)
        return self.series(label, unit, lambda x: formula(x, x.prev(me)), values, **options)

    def cumulative(self, label: str, unit: str, flow: Row, values: Sequence[float] | np.ndarray,
                   **options: Any) -> Row:
        """The running total of ``flow``: last year's total plus this year's flow."""
        return self.corkscrew(label, unit, lambda x, previous: f"={previous}+{x(flow)}", values,
                              **options)

    def constant(self, label: str, unit: str, formula: str, value: Any, *, kind: str = "money",
                 role: str = "calc", note: str = "") -> Cell:
        """One formula in the value column."""
        self._label(label, unit, role in ("line", "total", "key"))
        fmt = self.st.cell(kind if not isinstance(value, str) else "general", role)
        self.ws.write_formula(self.r, L.VALUE_COL, formula, fmt, cached(value))
        if note:
            self.ws.write_string(self.r, L.TOTAL_COL, note, self.st.subtitle)
        cell = Cell(self.name, self.r, L.VALUE_COL)
        self.r += 1
        return cell

    def fixed(self, label: str, unit: str, value: Any, *, kind: str = "money",
              note: str = "") -> Cell:
        """A structural value (not a formula) in the value column, styled as not live."""
        self._label(label, unit, False)
        fmt = self.st.cell(kind if not isinstance(value, str) else "text", "structural")
        write_value(self.ws, self.r, L.VALUE_COL, value, fmt)
        if note:
            self.ws.write_string(self.r, L.TOTAL_COL, note, self.st.subtitle)
        cell = Cell(self.name, self.r, L.VALUE_COL)
        self.r += 1
        return cell

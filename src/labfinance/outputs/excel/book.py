"""What every sheet builder shares: the workbook, its formats, the timeline and the analysis, and
the registry of rows and cells that later sheets refer to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from labfinance.engine.core import Results, Workings
from labfinance.engine.finance import IRR_HIGH, IRR_LOW, RATE_ZERO, RELATIVE_ZERO, ZERO
from labfinance.model.scenario import Grant, OutcomePayment, Scenario
from labfinance.outputs.excel.cells import Cell, Row, na
from labfinance.outputs.excel.layout import Timeline
from labfinance.outputs.excel.styles import Styles
from labfinance.texts import Texts

IRR_MATCH = 1e-6  # the spreadsheet's IRR is the engine's root when within this (absolute, per year)
# The model settings on Assumptions: named inputs that formulas refer to instead of typed numbers.
SETTINGS = {"tolerance": ZERO, "rate_tolerance": RATE_ZERO, "irr_tolerance": IRR_MATCH,
            "irr_low": IRR_LOW, "irr_high": IRR_HIGH, "relative_tolerance": RELATIVE_ZERO}


def series(values: Any, n: int | None = None) -> np.ndarray:
    """The first draw of a ``(draws, years)`` (or ``(1, years)``) array as a 1-D float array,
    zero-padded to ``n`` columns."""
    arr = np.asarray(values, dtype=float)
    row = arr.reshape(-1, arr.shape[-1])[0] if arr.ndim else np.atleast_1d(arr)
    if n is not None and row.size < n:
        row = np.concatenate([row, np.zeros(n - row.size)])
    return row


def scalar(values: Any) -> float:
    """The first draw of a ``(draws,)`` array (or a number) as a float."""
    return float(np.asarray(values, dtype=float).reshape(-1)[0])


def value_or_na(x: float) -> float | str:
    return na() if not np.isfinite(x) else x


def note(book: Book, key: str, fallback: str) -> str:
    """The engine's note on ``key`` (why it is n/a) in the reader's language, else the text
    ``fallback``."""
    text = book.results.notes.get(key)
    return book.t.known(text) if text else book.t(fallback)


def after_columns(s: Scenario) -> int:
    """Years after the horizon in which grant instalments or outcome payments can fall due."""
    lags = [f.payment.lag for f in s.funding if isinstance(f, Grant)]
    lags += [f.lag for f in s.funding if isinstance(f, OutcomePayment)]
    return max(lags, default=0)


@dataclass
class Book:
    workbook: Workbook
    styles: Styles
    timeline: Timeline
    analysis: Any
    sheets: dict[str, Worksheet] = field(default_factory=dict)
    inputs: dict[str, Cell] = field(default_factory=dict)
    _inputs_under: dict[str, dict[str, Cell]] = field(default_factory=dict, repr=False)
    _inputs_indexed: int = -1  # how many inputs the index holds
    schedules: dict[str, tuple[int, int]] = field(default_factory=dict)  # path -> (first, last row)
    rows: dict[str, Row] = field(default_factory=dict)
    cells: dict[str, Cell] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)  # cached values of registered refs
    names: dict[str, Cell] = field(default_factory=dict)  # defined names of headline outputs
    analysed_inputs: tuple[int, int] | None = None  # Assumptions rows copied "as analysed"
    row_values: dict[tuple[str, int], np.ndarray] = field(default_factory=dict)
    label_width: float = 60
    timeline_sheets: list[Any] = field(default_factory=list)
    t: Texts = field(default_factory=Texts)  # the reader's language

    @property
    def scenario(self) -> Scenario:
        return self.analysis.scenario

    @property
    def results(self) -> Results:
        return self.analysis.results

    @property
    def workings(self) -> Workings:
        """The engine's workings of the case: every number the sheets show."""
        assert self.analysis.results.workings is not None
        return self.analysis.results.workings

    @property
    def years(self) -> np.ndarray:
        return self.timeline.start_year + np.arange(self.timeline.horizon)

    def setting(self, name: str, here: str) -> str:
        """The absolute reference of a model setting (``tolerance``, ``rate_tolerance``,
        ``irr_tolerance``, ``start_year``) from sheet ``here``."""
        return self.cells[f"setting.{name}"].ref(here)

    def metric(self, name: str) -> float:
        return scalar(self.results.metrics[name])

    def inputs_under(self, prefix: str) -> dict[str, Cell]:
        """The input cells below ``prefix`` (``costs.cameras``), by the rest of their path.

        Indexed once (again only when inputs were added): a scan of every input per line item
        made writing a workbook grow with the square of its lines.
        """
        if self._inputs_indexed != len(self.inputs):
            index: dict[str, dict[str, Cell]] = {}
            for path, cell in self.inputs.items():
                parts = path.split(".")
                for k in range(1, len(parts)):
                    index.setdefault(".".join(parts[:k]), {})[".".join(parts[k:])] = cell
            self._inputs_under, self._inputs_indexed = index, len(self.inputs)
        return dict(self._inputs_under.get(prefix, {}))

    def values_of(self, row: Row) -> np.ndarray:
        """The cached values of a row written by a :class:`TimelineSheet`."""
        return self.row_values[(row.sheet, row.row)]

    def add_row(self, key: str, row: Row, values: Any) -> Row:
        self.rows[key] = row
        self.values[key] = np.asarray(values, dtype=float)
        return row

    def add_cell(self, key: str, cell: Cell, value: Any) -> Cell:
        self.cells[key] = cell
        self.values[key] = value
        return cell

"""The column layout shared by every timeline sheet (FAST 2.01: one purpose per column).

    A label | B unit | C value (constants) | D total | E pre-model (blank) | F.. one column per year

The years after the horizon, where grant instalments and outcome payments may still fall due,
follow the horizon in the same columns on every sheet, under a grey "after horizon" header. Column
E stays blank so that a corkscrew (``=E12 + F11``) is one formula from the first year on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from xlsxwriter.worksheet import Worksheet

from labfinance.texts import Texts

LABEL_COL, UNIT_COL, VALUE_COL, TOTAL_COL, PRE_COL, FIRST_YEAR_COL = range(6)

TITLE_ROW, SUBTITLE_ROW, BAND_ROW, YEAR_ROW, T_ROW = range(5)
FIRST_ROW = 6  # first body row (0-based); row 5 stays blank under the headers

UNIT_WIDTH = 12
VALUE_WIDTH = 16
TOTAL_WIDTH = 17
PRE_WIDTH = 2
YEAR_WIDTH = 14


def print_landscape(ws: Worksheet, pages_tall: int = 0) -> None:
    """Print on A4 landscape, one page wide and ``pages_tall`` pages tall (0: as many as needed)."""
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, pages_tall)


def wrapped_height(texts: Sequence[tuple[str, float]], line: float = 15.0) -> float:
    """The row height (points) that shows every ``(text, column width)`` of a row wrapped in
    full: a row keeps its height when its text wraps, so without it wrapped lines overprint the
    next row. About 1.1 characters of running text fit in a unit of column width."""
    lines = 1
    for text, width in texts:
        per_line = max(1, int(width * 1.1))
        count = sum(max(1, math.ceil(len(part) / per_line)) for part in str(text).split("\n"))
        lines = max(lines, count)
    return line * lines


# A4 landscape is 595 points tall; less the 0.4-inch margins (the footer sits in the bottom one)
# about 537 are left, and 510 leaves room for a spreadsheet's own rounding of row heights. Rows
# count at Excel's 15 points (LibreOffice draws 10-point text in lower rows, so its pages hold
# more). The printable width between 0.3-inch margins is about 1,060 pixels.
PAGE_HEIGHT = 510.0
PAGE_WIDTH = 1060
ROW_HEIGHT = 15.0


def page_breaks(blocks: Sequence[tuple[int, int, bool]], heights: Mapping[int, float],
                width: int) -> list[int]:
    """The rows to break a sheet's printed pages before, from its ``(first row, row after it,
    kept together)`` blocks, the rows whose height is not the default, and its width in pixels
    (printed one page wide, a wider sheet is printed smaller and more rows fit a page). A block
    kept together starts a page where it would not fit on the current one; a block longer than a
    page, or not kept together, breaks between rows. Placing every break keeps a spreadsheet
    from adding its own (which could cut a chart)."""
    capacity = PAGE_HEIGHT / min(1.0, PAGE_WIDTH / width)
    breaks: list[int] = []
    used = 0.0
    for first, after, together in blocks:
        tall = [heights.get(r, ROW_HEIGHT) for r in range(first, after)]
        if together and used > 0 and used + sum(tall) > capacity:
            breaks.append(first)
            used = 0.0
        for r, height in zip(range(first, after), tall, strict=True):
            if used > 0 and used + height > capacity:
                breaks.append(r)
                used = 0.0
            used += height
    return breaks


def print_footer(ws: Worksheet, scenario: str, t: Texts) -> None:
    """Footer of every printed page: scenario name, sheet name, page x of y. An ampersand is a
    code in a footer, so the scenario's own is doubled."""
    name = scenario.replace("&", "&&")
    if len(name) > 80:
        name = name[:77] + "..."
    page = t("print.page_of", page="&P", pages="&N")
    ws.set_footer(f"&L&8{name}&C&8&A&R&8{page}")


@dataclass(frozen=True)
class Timeline:
    """The horizon's years and the extra columns after it."""

    start_year: int
    horizon: int
    after: int = 0

    @property
    def columns(self) -> int:
        return self.horizon + self.after

    @property
    def last_year(self) -> int:
        return self.start_year + self.horizon - 1

    def col(self, t: int) -> int:
        return FIRST_YEAR_COL + t

    def year(self, t: int) -> int:
        return self.start_year + t

    def span(self, which: str) -> range:
        """Year indices of ``horizon``, ``all`` (horizon and after) or ``after``."""
        if which == "horizon":
            return range(self.horizon)
        if which == "all":
            return range(self.columns)
        if which == "after":
            return range(self.horizon, self.columns)
        raise ValueError(which)

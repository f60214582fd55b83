"""Row recipes shared by Costs, Funding and Benefits: timing flags, amounts in start-year prices,
price factors, and a series moved later by a lag.

Each recipe writes one row (one formula copied across the years) and returns it; the cached
values are computed here with the engine's own timeline functions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labfinance.engine.timeline import price_factor, recurring_mask, year_mask
from labfinance.model.scenario import Timed
from labfinance.outputs.excel import sheet_assumptions as assumptions
from labfinance.outputs.excel.book import Book
from labfinance.outputs.excel.cells import At, Cell, Row, TimelineSheet, times


def _inputs(book: Book, prefix: str) -> dict[str, Cell]:
    n = len(prefix) + 1
    return {path[n:]: cell for path, cell in book.inputs.items() if path.startswith(prefix + ".")}


def flag(sheet: TimelineSheet, prefix: str, item: Timed, *, life: int | None = None,
         label: str = "timing (1 in the years it falls)") -> Row | None:
    """1 in the years the item's amount falls; None for a schedule (read by year instead)."""
    book = sheet.book
    years = book.years
    cells = _inputs(book, prefix)
    if item.schedule is not None:
        return None
    if item.year is not None and life is not None:
        bought, life_cell = cells["year"], cells["life"]

        def formula(x: At) -> str:
            return (f"=({x.year}>={x.c(bought)})*(MOD({x.year}-{x.c(bought)},"
                    f"{x.c(life_cell)})=0)")

        values = ((years >= item.year) & ((years - item.year) % life == 0)).astype(float)
        return sheet.series("purchases (1 in the years it is bought)", "flag", formula, values,
                            kind="flag")
    if item.year is not None:
        year = cells["year"]
        return sheet.series(label, "flag", lambda x: f"=({x.year}={x.c(year)})*1",
                            year_mask(book.scenario, item.year), kind="flag")
    first, last, every = cells["from"], cells["to"], cells["every"]

    def recurring(x: At) -> str:
        return (f"=({x.year}>={x.c(first)})*({x.year}<={x.c(last)})"
                f"*(MOD({x.year}-{x.c(first)},{x.c(every)})=0)")

    return sheet.series(label, "flag", recurring, recurring_mask(book.scenario, item), kind="flag")


def base(sheet: TimelineSheet, prefix: str, item: Timed, timing: Row | None, *,
         label: str = "amount in start-year prices", amount_key: str = "amount") -> Row:
    """The item's amount per year before price factors: amount × timing, or its schedule."""
    book = sheet.book
    cur = book.scenario.currency
    if item.schedule is not None:
        first, last = book.schedules[f"{prefix}.schedule"]
        years = assumptions.column_range(assumptions.YEAR_COL, first, last)
        amounts = assumptions.column_range(assumptions.VALUE_COL, first, last)
        values = np.zeros(book.timeline.horizon)
        for year, amount in item.schedule.items():
            values[year - book.timeline.start_year] += amount
        return sheet.series(label, cur, lambda x: f"=SUMIF({years},{x.year},{amounts})", values)
    assert timing is not None
    cells = _inputs(book, prefix)
    if amount_key == "fte":
        per_fte = float(getattr(item, "fte")) * float(getattr(item, "cost_per_fte"))  # noqa: B009
        return sheet.series(label, cur, times(cells["fte"], cells["cost_per_fte"], timing),
                            per_fte * book.values_of(timing))
    amount = float(getattr(item, amount_key))
    return sheet.series(label, cur, times(cells[amount_key], timing),
                        amount * book.values_of(timing))


def price(sheet: TimelineSheet, prefix: str, escalation: float, *, span: str = "horizon",
          label: str = "price factor") -> Row:
    """(1 + escalation)^t, times (1 + inflation)^t in nominal prices."""
    book = sheet.book
    s = book.scenario
    esc = book.inputs[f"{prefix}.escalation"]
    nominal = s.prices == "nominal"
    infl = book.inputs["inflation"]

    def formula(x: At) -> str:
        text = f"=(1+{x.c(esc)})^{x.tt}"
        return text + (f"*(1+{x.c(infl)})^{x.tt}" if nominal else "")

    n = len(book.timeline.span(span))
    values = price_factor(escalation, s.inflation, nominal, n)
    return sheet.series(label, "factor", formula, values, kind="factor", span=span)


def shifted(sheet: TimelineSheet, label: str, unit: str, source: Row, lag: Cell, factor: str,
            values: Any, *, kind: str = "money") -> Row:
    """``factor`` × ``source`` moved ``lag`` years later, over the horizon and after it.

    Written without OFFSET/INDIRECT: the SUMPRODUCT picks the year whose year + lag is this one.
    """
    here = sheet.name

    def formula(x: At) -> str:
        pick = (f"SUMPRODUCT(({x.years()}+{x.c(lag)}={x.year})"
                f"*{source.range(here)})")
        return f"={factor}*{pick}" if factor else f"={pick}"

    return sheet.series(label, unit, formula, values, kind=kind, span="all")

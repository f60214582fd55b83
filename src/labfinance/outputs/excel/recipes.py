"""Row recipes shared by Costs, Funding and Benefits: timing flags, amounts in start-year prices,
price factors, and a series moved later by a lag.

Each recipe writes one row (one formula copied across the years) with the engine's values as its
cached results; the formula text comes from :mod:`labfinance.engine.finance`, beside the
function the engine used.
"""

from __future__ import annotations

from typing import Any

from labfinance.engine import finance
from labfinance.model.scenario import Timed
from labfinance.outputs.excel import sheet_assumptions as assumptions
from labfinance.outputs.excel.book import Book, series
from labfinance.outputs.excel.cells import At, Cell, Row, TimelineSheet, times


def _inputs(book: Book, prefix: str) -> dict[str, Cell]:
    return book.inputs_under(prefix)


def flag(sheet: TimelineSheet, prefix: str, item: Timed, timing: Any, *, life: bool = False,
         label: str = "timing (1 in the years it falls)") -> Row | None:
    """1 in the years the item's amount falls (``timing``: the engine's flags); None for a
    schedule (read by year instead). ``life``: a one-off bought again every `life` years."""
    cells = _inputs(sheet.book, prefix)
    if item.schedule is not None or timing is None:
        return None
    values = series(timing)
    if item.year is not None and life:
        bought, life_cell = cells["year"], cells["life"]
        return sheet.series("purchases (1 in the years it is bought)", "flag",
                            lambda x: "=" + finance.purchases_flag_formula(
                                x.year, x.c(bought), x.c(life_cell)), values, kind="flag")
    if item.year is not None:
        year = cells["year"]
        return sheet.series(label, "flag",
                            lambda x: "=" + finance.one_off_flag_formula(x.year, x.c(year)),
                            values, kind="flag")
    first, last, every = cells["from"], cells["to"], cells["every"]
    return sheet.series(label, "flag", lambda x: "=" + finance.recurring_flag_formula(
        x.year, x.c(first), x.c(last), x.c(every)), values, kind="flag")


def base(sheet: TimelineSheet, prefix: str, item: Timed, timing: Row | None, values: Any, *,
         label: str = "amount in start-year prices", amount_key: str = "amount") -> Row:
    """The item's amount per year before price factors: amount × timing, or its schedule."""
    book = sheet.book
    cur = book.scenario.currency
    if item.schedule is not None:
        first, last = book.schedules[f"{prefix}.schedule"]
        years = assumptions.column_range(assumptions.YEAR_COL, first, last)
        amounts = assumptions.column_range(assumptions.VALUE_COL, first, last)
        return sheet.series(label, cur, lambda x: f"=SUMIF({years},{x.year},{amounts})",
                            series(values))
    assert timing is not None
    cells = _inputs(book, prefix)
    if amount_key == "fte":
        return sheet.series(label, cur, times(cells["fte"], cells["cost_per_fte"], timing),
                            series(values))
    if amount_key == "quantity":  # unit prices (format 1.2): quantity × unit cost × timing
        quantity, unit_cost = cells["quantity"], cells["unit_cost"]
        return sheet.series(label, cur, lambda x: "=" + finance.unit_price_amount_formula(
            x.c(quantity), x.c(unit_cost), x(timing)), series(values))
    return sheet.series(label, cur, times(cells[amount_key], timing), series(values))


def price(sheet: TimelineSheet, prefix: str, values: Any, *, span: str = "horizon",
          label: str = "price factor") -> Row:
    """(1 + escalation)^t, times (1 + inflation)^t in nominal prices."""
    book = sheet.book
    esc = book.inputs[f"{prefix}.escalation"]
    inflation = book.inputs["inflation"] if book.scenario.prices == "nominal" else None

    def formula(x: At) -> str:
        return "=" + finance.price_factor_formula(
            x.c(esc), x.tt, x.c(inflation) if inflation is not None else None)

    n = len(book.timeline.span(span))
    return sheet.series(label, "factor", formula, series(values, n)[:n], kind="factor",
                        span=span)


def shifted(sheet: TimelineSheet, label: str, unit: str, source: Row, lag: Cell, factor: str,
            values: Any, *, kind: str = "money") -> Row:
    """``factor`` × ``source`` moved ``lag`` years later, over the horizon and after it."""
    here = sheet.name
    n = sheet.tl.columns

    def formula(x: At) -> str:
        pick = finance.lagged_formula(x.years(), x.c(lag), x.year, source.range(here))
        return f"={factor}*{pick}" if factor else f"={pick}"

    return sheet.series(label, unit, formula, series(values, n)[:n], kind=kind, span="all")

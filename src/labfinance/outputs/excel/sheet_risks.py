"""The risk register and the correlations (format 1.2) in the workbook: their inputs on the
Assumptions sheet, each risk's expected cost on the Costs sheet (a live formula), and their list
on the Risk sheet.

Every visible text of these blocks is a constant below, gathered for the per-language catalogue.
"""

from __future__ import annotations

from typing import Any

from xlsxwriter.worksheet import Worksheet

from labfinance.engine import finance
from labfinance.engine.risks import RiskLine
from labfinance.outputs.excel.book import Book, series
from labfinance.outputs.excel.cells import At, Row, TimelineSheet

# ----------------------------------------------------------------------------- visible texts
ASSUMPTIONS_BAND = "Risk register (events that may happen in each year at risk)"
PROBABILITY = "probability per year at risk"
PROBABILITY_NOTE = ("Planned and secured cases: expected cost = probability × impact × price "
                    "factor. Monte Carlo: the event happens in each year with this chance.")
IMPACT = "impact (cost when it happens)"
FROM, TO, ESCALATION = "from (first year at risk)", "to (last year at risk)", "escalation"
DEFAULT_FROM, DEFAULT_TO = "default: start year", "default: last year"
CORRELATIONS_BAND = "Correlations (rank; used by Risk through a Gaussian copula; not live)"
CORRELATION = "rank correlation"
COSTS_BAND = "Risk register: expected cost = probability × impact × price factor (no contingency)"
AT_RISK = "at risk (1 in the years at risk)"
EXPECTED = "{name} (expected)"
RISK_TOTAL = "Expected cost of the risk register"
SHEET_RISKS = "Risk register (planned and secured cases: expected cost; Monte Carlo: drawn)"
SHEET_RISK_HEADER = ["Risk", "Category", "Probability / yr", "Impact", "From", "To",
                     "Expected cost (total)"]
SHEET_CORRELATIONS = "Correlated inputs (rank correlation, Gaussian copula)"
SHEET_CORRELATION_HEADER = ["Parameter", "With", "Rank correlation"]
SHEET_NO_CORRELATIONS = "None: every uncertain input is drawn independently."


# ----------------------------------------------------------------------------- Assumptions


def assumptions(sheet: Any) -> None:
    """The risks' inputs, on the Assumptions sheet (``sheet`` is its writer,
    :class:`labfinance.outputs.excel.sheet_assumptions.AssumptionsSheet`)."""
    s = sheet.book.scenario
    if s.risks:
        sheet.band(ASSUMPTIONS_BAND)
        for r in s.risks:
            prefix = f"risks.{r.id}"
            first, last = s.risk_window(r)
            sheet.header(r.label, r.category, r.id, prefix, r.note)
            sheet.put(PROBABILITY, "share", r.probability, f"{prefix}.probability", "share",
                      note=PROBABILITY_NOTE)
            sheet.put(IMPACT, s.currency, r.impact, f"{prefix}.impact", "money")
            sheet.put(FROM, "year", first, f"{prefix}.from", "year",
                      note="" if r.from_ is not None else DEFAULT_FROM)
            sheet.put(TO, "year", last, f"{prefix}.to", "year",
                      note="" if r.to is not None else DEFAULT_TO)
            sheet.put(ESCALATION, "%/yr", r.escalation, f"{prefix}.escalation", "rate")


def assumptions_correlations(sheet: Any) -> None:
    """The correlations, after the uncertainty ranges: shown, not live (no path, so an import
    of the workbook leaves them as the file has them)."""
    s = sheet.book.scenario
    if s.correlations:
        sheet.band(CORRELATIONS_BAND)
        for a, b, rho in s.correlations:
            sheet.put(f"{a} ~ {b}", CORRELATION, rho, "", "fraction", live=False)


# ----------------------------------------------------------------------------- Costs


def cost_rows(sh: TimelineSheet, price: Any) -> list[tuple[str, str, Row]]:
    """Each risk's expected cost per year as a live formula, ``probability × impact × price
    factor × at risk`` (:func:`labfinance.engine.finance.expected_risk_cost`); returns (id,
    category, row). ``price`` writes a price factor row (:func:`recipes.price`)."""
    book = sh.book
    s = book.scenario
    if not s.risks:
        return []
    sh.band(COSTS_BAND)
    out: list[tuple[str, str, Row]] = []
    for r, w in zip(s.risks, book.workings.risks, strict=True):
        prefix = f"risks.{r.id}"
        cells = book.inputs_under(prefix)
        sh.item(r.label, r.category)
        first, last = cells["from"], cells["to"]

        def at_risk(x: At, a: Any = first, b: Any = last) -> str:
            return "=" + finance.at_risk_flag_formula(x.year, x.c(a), x.c(b))

        flag = sh.series(AT_RISK, "flag", at_risk, w.at_risk, kind="flag")
        pf = price(sh, prefix, w.price_factor)
        probability, impact = cells["probability"], cells["impact"]

        def expected(x: At, flag: Row = flag, pf: Row = pf, p: Any = probability,
                     i: Any = impact) -> str:
            return "=" + finance.expected_risk_cost_formula(x.c(p), x.c(i), x(pf), x(flag))

        row = sh.series(EXPECTED.format(name=r.label), s.currency, expected, series(w.expected),
                        role="line", total=True)
        out.append((r.id, r.category, row))
        sh.skip()
    return out


def register_total(sh: TimelineSheet, rows: list[tuple[str, str, Row]]) -> None:
    """The register's expected cost per year, for the metric ``expected_risk_cost``."""
    book = sh.book
    values = sum((series(w.expected) for w in book.workings.risks),
                 start=series(book.results.ledger["costs"]) * 0)
    total = sh.series(RISK_TOTAL, book.scenario.currency,
                      sh.sum_of(RISK_TOTAL, book.scenario.currency, [r for _, _, r in rows]),
                      values, role="total", total=True)
    book.add_row("costs.risks", total, values)


def metric_formula(book: Book, here: str) -> str:
    """``expected_risk_cost`` on the Cash flow sheet: the total of the register's row."""
    row = book.rows.get("costs.risks")
    return f"=SUM({row.range(here)})" if row is not None else "=0"


# ----------------------------------------------------------------------------- Risk sheet


def register(book: Book, ws: Worksheet, row: int, put: Any, header: Any) -> int:
    """The risks and the correlations, listed under the Monte Carlo statistics of the Risk
    sheet; returns the next free row."""
    s, st = book.scenario, book.styles
    if s.risks:
        ws.write_string(row, 0, SHEET_RISKS, st.band)
        row += 1
        header(ws, st, row, SHEET_RISK_HEADER)
        row += 1
        lines: list[RiskLine] = book.workings.risks
        for r, w in zip(s.risks, lines, strict=True):
            first, last = s.risk_window(r)
            ws.write_string(row, 0, r.label, st.label)
            ws.write_string(row, 1, r.category, st.unit)
            put(ws, st, row, 2, r.probability, "percent")
            put(ws, st, row, 3, r.impact, "money")
            ws.write_number(row, 4, first, st.cell("year", "value"))
            ws.write_number(row, 5, last, st.cell("year", "value"))
            put(ws, st, row, 6, float(series(w.expected).sum()), "money")
            row += 1
        row += 1
    ws.write_string(row, 0, SHEET_CORRELATIONS, st.band)
    row += 1
    if not s.correlations:
        ws.write_string(row, 0, SHEET_NO_CORRELATIONS, st.note)
        return row + 2
    header(ws, st, row, SHEET_CORRELATION_HEADER)
    row += 1
    for a, b, rho in s.correlations:
        ws.write_string(row, 0, a, st.label)
        ws.write_string(row, 1, b, st.label)
        put(ws, st, row, 2, rho, "ratio")
        row += 1
    return row + 1

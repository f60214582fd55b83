"""The ``portfolio`` workbook: every initiative of a city or a programme, summed.

Sheets: Overview (one row per initiative, the totals, two charts), Yearly (each initiative's rows on
the calendar years of all of them, and their totals), Payers (the plan per payer summed over the
initiatives), Funders (funding per funder per year), Risk (the portfolio's Monte Carlo) and About.

Each initiative's figures are its engine values (the portfolio holds no live model of a file; its
own workbook does). Totals that are sums of those figures are formulas (SUM, MIN, a running total)
with the engine's sum cached. Figures from simulation are values on the value fill, labelled with
draws, seed and version, and are never summed: a percentile of the total is not the total of the
percentiles.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from labfinance import __version__
from labfinance.engine.catalogue import BY_NAME
from labfinance.outputs.excel.charts import PALETTE, safe
from labfinance.outputs.excel.layout import print_landscape
from labfinance.outputs.excel.styles import Styles
from labfinance.outputs.excel.workbook import timestamp

SHEETS = ("Overview", "Yearly", "Payers", "Funders", "Risk", "About")
HEAD = 3                     # the header row of every table (0-based); its body starts below
FIRST_YEAR_COL = 3           # A label, B unit, C total, then the years
NA = "n/a"
STACKED_MAX = len(PALETTE)  # initiatives stacked in a chart; more: their total alone
# the Yearly sheet's blocks: ledger row, label
BLOCKS = (("costs", "Costs"), ("funding", "Funding (grants, contributions, in kind)"),
          ("revenue", "Revenue"), ("net_cash", "Net cash (funding, revenue and loans less costs)"),
          ("top_up", "New money needed (top-up), every planned source paying"),
          ("secured_top_up", "New money needed (top-up), committed sources only"))


def _ref(sheet: str, row: int, col: int, here: str) -> str:
    cell = xl_rowcol_to_cell(row, col, row_abs=True, col_abs=True)
    return cell if sheet == here else f"'{sheet}'!{cell}"


def _finish(ws: Worksheet, title: str, widths: dict[int, float]) -> None:
    """Print settings of every sheet: A4 landscape, one page wide, the header rows repeated, a
    footer with the workbook's title, the sheet's name and the page."""
    for col, width in widths.items():
        ws.set_column(col, col, width)
    print_landscape(ws)
    ws.repeat_rows(0, HEAD)
    ws.set_footer(f"&L{title.replace('&', '&&')}&C&A&RPage &P of &N")


class Writer:
    """The portfolio, the workbook's formats, and where the Overview's columns landed."""

    def __init__(self, book: Any, portfolio: Any):
        self.book = book
        self.p = portfolio
        self.st = Styles(book, portfolio.currency)
        self.sheets = {name: book.add_worksheet(name) for name in SHEETS}
        self.n = len(portfolio.initiatives)
        self.title = f"Portfolio of {self.n} initiative{'' if self.n == 1 else 's'}"
        self.risk_cells: dict[str, str] = {}        # Risk's figures, referenced from Overview
        self.risk_row_sum_p80 = 0
        self.yearly_rows: dict[str, list[int]] = {}  # ledger row -> each initiative's row
        self.yearly_totals: dict[str, int] = {}      # ledger row -> its all-initiatives row
        cur = portfolio.currency
        self.simulated = (f"Monte Carlo: {portfolio.draws:,} draws per initiative, seed "
                          f"{portfolio.seed} (each file's own seed on About), labfinance "
                          f"{__version__}")
        self.cur = cur

    # ------------------------------------------------------------------ helpers

    def header(self, ws: Worksheet, heads: list[str]) -> None:
        ws.set_row(HEAD, 42)  # room for headings wrapped on three lines
        for col, text in enumerate(heads):
            ws.write_string(HEAD, col, text, self.st.header)

    def top(self, ws: Worksheet, title: str, subtitle: str) -> None:
        ws.write_string(0, 0, title, self.st.title)
        ws.write_string(1, 0, subtitle, self.st.subtitle)

    def number(self, ws: Worksheet, row: int, col: int, value: float | None, kind: str,
               role: str = "calc") -> None:
        if value is None or not np.isfinite(value):
            ws.write_string(row, col, NA, self.st.cell("text", role))
        else:
            ws.write_number(row, col, float(value), self.st.cell(kind, role))

    def formula(self, ws: Worksheet, row: int, col: int, formula: str, value: Any, kind: str,
                role: str = "total") -> None:
        cached = NA if value is None or (isinstance(value, float) and not np.isfinite(value)) \
            else value
        ws.write_formula(row, col, formula, self.st.cell(kind if cached != NA else "text", role),
                         cached)


# --------------------------------------------------------------------------- Overview

OVERVIEW = (  # heading, kind, what (a metric, or a Monte Carlo figure of the initiative)
    ("Total cost", "money", "total_cost"),
    ("Shortfall, committed sources only (secured)", "money", "secured_funding_shortfall"),
    ("Shortfall, every planned source paying", "money", "funding_shortfall"),
    ("Shortfall, likely (P50)", "money", "mc:p50"),
    ("Shortfall, prudent (P80)", "money", "mc:p80"),
    ("First year short of cash, secured", "year", "secured_first_shortfall_year"),
    ("First year short of cash, planned", "year", "first_shortfall_year"),
    ("Economic NPV (societal)", "money", "economic_npv"),
    ("Benefit-cost ratio", "ratio", "bcr"),
    ("P(shortfall)", "percent", "mc:prob"),
)


def _overview(w: Writer) -> dict[str, int]:
    ws, p = w.sheets["Overview"], w.p
    w.top(ws, f"{w.title}, {p.years[0]}-{p.years[-1]} ({w.cur})",
          f"Base-case figures of each file as `labfinance run` computes them; P50, P80 and "
          f"P(shortfall) from {w.simulated}")
    heads = ["Initiative", "File", "Years", *(h for h, _, _ in OVERVIEW)]
    w.header(ws, heads)
    cols = {what: 3 + j for j, (_, _, what) in enumerate(OVERVIEW)}
    first, last = HEAD + 1, HEAD + w.n
    for i, item in enumerate(p.initiatives):
        row = first + i
        ys = item.results.years
        ws.write_string(row, 0, item.name, w.st.label)
        ws.write_string(row, 1, item.path, w.st.label)
        ws.write_string(row, 2, f"{ys[0]}-{ys[-1]}", w.st.label)
        for _, kind, what in OVERVIEW:
            role = "calc"
            if what == "mc:prob":
                value, role = item.prob_shortfall, "value"
            elif what.startswith("mc:"):
                value, role = item.shortfall.get(what[3:]), "value"
            elif what == "secured_first_shortfall_year":
                value = item.secured_first_shortfall_year
            else:
                value = item.metric(what)
            w.number(ws, row, cols[what], value, kind, role)
    total = last + 1
    ws.write_string(total, 0, "All initiatives", w.st.label_bold)
    ws.write_string(total, 2, f"{p.years[0]}-{p.years[-1]}", w.st.label_bold)
    for what in ("total_cost", "secured_funding_shortfall", "funding_shortfall", "economic_npv"):
        col = cols[what]
        span = f"{xl_col_to_name(col)}{first + 1}:{xl_col_to_name(col)}{last + 1}"
        w.formula(ws, total, col, f"=SUM({span})",
                  _fsum(item.metric(what) for item in p.initiatives), "money")
    for what in ("secured_first_shortfall_year", "first_shortfall_year"):
        col = cols[what]
        span = f"{xl_col_to_name(col)}{first + 1}:{xl_col_to_name(col)}{last + 1}"
        years = [item.secured_first_shortfall_year if what.startswith("secured")
                 else item.metric(what) for item in p.initiatives]
        known = [y for y in years if np.isfinite(y)]
        w.formula(ws, total, col, f'=IF(COUNT({span})=0,"{NA}",MIN({span}))',
                  min(known) if known else None, "year")
    for what, key in (("mc:p50", "p50"), ("mc:p80", "p80"), ("mc:prob", "prob")):
        if key in w.risk_cells:
            value = (p.monte_carlo["prob_any_shortfall"] if key == "prob"
                     else p.monte_carlo["total_shortfall"][key])
            w.formula(ws, total, cols[what], "=" + w.risk_cells[key], value,
                      "percent" if key == "prob" else "money", "link")
    note = total + 2
    ws.write_string(note, 0, "The totals of cost, shortfall and NPV are sums of the rows above; "
                    "the first year short is the earliest. P50, P80 and P(shortfall) of all "
                    "initiatives come from the Risk sheet: draws summed across initiatives, "
                    "not the sum of each row's percentile.", w.st.label)
    ws.write_string(note + 1, 0, "Money in " + w.cur + "; each initiative in its own price "
                    "basis (see its workbook).", w.st.label)
    _overview_charts(w, first, last, cols, note + 3)
    _finish(ws, w.title, {0: 42, 1: 30, 2: 11, **{c: 15 for c in cols.values()}})
    ws.freeze_panes(HEAD + 1, 1)
    return cols


def _fsum(values: Any) -> float:
    return math.fsum(values)


def _overview_charts(w: Writer, first: int, last: int, cols: dict[str, int], at: int) -> None:
    """New money needed (top-up) by year stacked by initiative, and the shortfall by initiative:
    secured, planned and P80."""
    book, ws = w.book, w.sheets["Overview"]
    stacked = book.add_chart({"type": "column", "subtype": "stacked"})
    row_name = "top_up"
    rows = w.yearly_rows.get(row_name, [])
    last_col = FIRST_YEAR_COL + len(w.p.years) - 1
    series = [(item.name, r) for item, r in zip(w.p.initiatives, rows, strict=False)]
    if len(series) > STACKED_MAX:  # beyond a dozen colours a stack reads as noise: the total
        series = [("All initiatives", w.yearly_totals[row_name])]
    for i, (name, r) in enumerate(series):
        stacked.add_series({"name": safe(name),
                            "categories": ["Yearly", HEAD, FIRST_YEAR_COL, HEAD, last_col],
                            "values": ["Yearly", r, FIRST_YEAR_COL, r, last_col],
                            "fill": {"color": PALETTE[i % len(PALETTE)]}, "gap": 50})
    title = "New money needed by year (top-up, every planned source paying)"
    title += ", stacked by initiative" if len(series) > 1 or w.n == 1 else ", all initiatives"
    _chart_style(stacked, title, w.cur)
    ws.insert_chart(at, 0, stacked)
    bars = book.add_chart({"type": "bar"})
    for (name, what), colour in zip((("Secured", "secured_funding_shortfall"),
                                     ("Planned", "funding_shortfall"),
                                     ("Prudent (P80)", "mc:p80")),
                                    ("#C55A11", "#2E75B6", "#7F7F7F"), strict=True):
        if what == "mc:p80" and not w.p.monte_carlo:
            continue
        bars.add_series({"name": name, "categories": ["Overview", first, 0, last, 0],
                         "values": ["Overview", first, cols[what], last, cols[what]],
                         "fill": {"color": colour}, "gap": 40})
    _chart_style(bars, "Shortfall by initiative: secured, planned, prudent (P80)", w.cur)
    bars.set_y_axis({"reverse": True, "num_font": {"size": 8}})
    bars.set_x_axis({"num_format": "#,##0", "num_font": {"size": 8}})
    ws.insert_chart(at, 3, bars)


def _chart_style(chart: Any, title: str, currency: str) -> None:
    chart.set_title({"name": title, "name_font": {"size": 11, "bold": True}})
    chart.set_legend({"position": "bottom", "font": {"size": 8}})
    chart.set_size({"width": 620, "height": 320})
    chart.set_chartarea({"border": {"color": "#BFBFBF"}})
    chart.set_x_axis({"num_font": {"size": 8}})
    chart.set_y_axis({"num_format": "#,##0", "name": currency, "num_font": {"size": 8}})


# --------------------------------------------------------------------------- Yearly

def _timeline_header(w: Writer, ws: Worksheet, first_head: str) -> None:
    w.header(ws, [first_head, "Unit", "Total"])
    for j, year in enumerate(w.p.years):
        ws.write_number(HEAD, FIRST_YEAR_COL + j, year, w.st.header_year)


def _series_row(w: Writer, ws: Worksheet, row: int, label: str, values: np.ndarray,
                total_role: str = "calc") -> None:
    """A row of values over the years, its total a SUM formula."""
    ws.write_string(row, 0, label, w.st.label_indent)
    ws.write_string(row, 1, w.cur, w.st.unit)
    for j, v in enumerate(values):
        ws.write_number(row, FIRST_YEAR_COL + j, float(v), w.st.cell("money"))
    _row_total(w, ws, row, values, total_role)


def _row_total(w: Writer, ws: Worksheet, row: int, values: np.ndarray, role: str) -> None:
    a = xl_col_to_name(FIRST_YEAR_COL)
    b = xl_col_to_name(FIRST_YEAR_COL + len(w.p.years) - 1)
    w.formula(ws, row, 2, f"=SUM({a}{row + 1}:{b}{row + 1})", _fsum(values), "money", role)


def _sum_row(w: Writer, ws: Worksheet, row: int, label: str, first: int, last: int,
             values: np.ndarray) -> None:
    """Each year the SUM of the rows ``first``..``last`` above, cached with ``values``."""
    ws.write_string(row, 0, label, w.st.label_bold)
    ws.write_string(row, 1, w.cur, w.st.unit)
    for j, v in enumerate(values):
        c = xl_col_to_name(FIRST_YEAR_COL + j)
        w.formula(ws, row, FIRST_YEAR_COL + j, f"=SUM({c}{first + 1}:{c}{last + 1})", float(v),
                  "money")
    _row_total(w, ws, row, values, "total")


def _yearly(w: Writer) -> dict[str, int]:
    ws, p = w.sheets["Yearly"], w.p
    w.top(ws, f"{w.title}: by calendar year ({w.cur})",
          "Each initiative's rows as its own run gives them, 0 outside its years; the "
          "totals are sums of the rows above")
    _timeline_header(w, ws, "Row")
    row = HEAD + 2
    totals: dict[str, int] = {}
    for key, label in BLOCKS:
        if key not in p.totals:
            continue
        ws.write_string(row, 0, label, w.st.band)
        row += 1
        first = row
        w.yearly_rows[key] = []
        for i, item in enumerate(p.initiatives):
            _series_row(w, ws, row, item.name, p.row(i, key))
            w.yearly_rows[key].append(row)
            row += 1
        _sum_row(w, ws, row, f"{label.split(' (')[0]}, all initiatives", first, row - 1,
                 p.totals[key])
        totals[key] = w.yearly_totals[key] = row
        row += 1
        if key == "net_cash":
            _cumulative_row(w, ws, row, totals["net_cash"], p.totals["cumulative_cash"])
            totals["cumulative_cash"] = row
            row += 1
        row += 1
    _finish(ws, w.title, {0: 48, 1: 8, 2: 15, **{FIRST_YEAR_COL + j: 13
                                                  for j in range(len(p.years))}})
    ws.freeze_panes(HEAD + 1, FIRST_YEAR_COL)
    return totals


def _cumulative_row(w: Writer, ws: Worksheet, row: int, net: int, values: np.ndarray) -> None:
    """The running total of the summed net cash: the first year's net cash, then the year
    before plus this year's."""
    ws.write_string(row, 0, "Cumulative cash, all initiatives", w.st.label_bold)
    ws.write_string(row, 1, w.cur, w.st.unit)
    for j, v in enumerate(values):
        c = xl_col_to_name(FIRST_YEAR_COL + j)
        formula = (f"={c}{net + 1}" if j == 0
                   else f"={xl_col_to_name(FIRST_YEAR_COL + j - 1)}{row + 1}+{c}{net + 1}")
        w.formula(ws, row, FIRST_YEAR_COL + j, formula, float(v), "money")


# --------------------------------------------------------------------------- Payers, Funders

def _by_id(w: Writer, sheet: str, table: dict[str, np.ndarray], title: str, subtitle: str,
           empty: str) -> tuple[int, int] | None:
    ws = w.sheets[sheet]
    w.top(ws, title, subtitle)
    _timeline_header(w, ws, "Who (id)")
    if not table:
        ws.write_string(HEAD + 2, 0, empty, w.st.note)
        _finish(ws, w.title, {0: 48, 1: 8, 2: 15})
        return None
    first = row = HEAD + 1
    for key, values in table.items():
        name = w.p.names.get(key, key)
        _series_row(w, ws, row, f"{name} ({key})" if name != key else key, values)
        row += 1
    total = np.array([_fsum(v[j] for v in table.values()) for j in range(len(w.p.years))])
    _sum_row(w, ws, row, "All", first, row - 1, total)
    _finish(ws, w.title, {0: 48, 1: 8, 2: 15, **{FIRST_YEAR_COL + j: 13
                                                  for j in range(len(w.p.years))}})
    ws.freeze_panes(HEAD + 1, FIRST_YEAR_COL)
    return first, row


def _funders(w: Writer, yearly_totals: dict[str, int]) -> None:
    span = _by_id(w, "Funders", w.p.funders, f"{w.title}: funding per funder per year ({w.cur})",
                  "Each source's cash in the year, counted under the stakeholder that gives it "
                  "(a source without one under source:<id>); loans are financing and left out",
                  "No initiative has a funding source other than loans.")
    if span is None:
        return
    ws, all_row = w.sheets["Funders"], span[1]
    check = all_row + 2
    ws.write_string(check, 0, "Check: all funders = funding + revenue of all initiatives (Yearly)",
                    w.st.label)
    for j in range(len(w.p.years)):
        c = xl_col_to_name(FIRST_YEAR_COL + j)
        parts = "+".join(f"'Yearly'!{c}{yearly_totals[k] + 1}" for k in ("funding", "revenue")
                         if k in yearly_totals)
        w.formula(ws, check, FIRST_YEAR_COL + j,
                  f'=IF(ABS({c}{all_row + 1}-({parts}))<0.01,"OK","CHECK")', "OK", "text",
                  "calc")


def _payers(w: Writer) -> None:
    _by_id(w, "Payers", w.p.payers,
           f"{w.title}: what each payer is asked for, year by year ({w.cur})",
           "Each payer's funding plan summed over the initiatives, matched by stakeholder id",
           "No initiative needs new money from a payer: every planned source covers its "
           "years, or no stakeholder gains and so none is asked.")


# --------------------------------------------------------------------------- Risk, About

def _risk(w: Writer) -> None:
    ws, p = w.sheets["Risk"], w.p
    w.top(ws, f"{w.title}: the risk of the whole", w.simulated if p.monte_carlo
          else "Monte Carlo did not run (--draws 0)")
    w.header(ws, ["Total shortfall of all initiatives", "Unit", "Value"])
    if not p.monte_carlo:
        _finish(ws, w.title, {0: 60, 1: 8, 2: 18})
        return
    stats = p.monte_carlo["total_shortfall"]
    rows = [("Mean", "mean"), ("P20", "p20"), ("Likely (P50)", "p50"), ("Prudent (P80)", "p80"),
            ("P95", "p95")]
    row = HEAD + 1
    for label, key in rows:
        ws.write_string(row, 0, label, w.st.label)
        ws.write_string(row, 1, w.cur, w.st.unit)
        w.number(ws, row, 2, stats[key], "money", "value")
        w.risk_cells[key] = _ref("Risk", row, 2, "Overview")
        row += 1
    ws.write_string(row, 0, "P(any shortfall): share of draws in which at least one initiative "
                    "runs short", w.st.label)
    ws.write_string(row, 1, "%", w.st.unit)
    w.number(ws, row, 2, p.monte_carlo["prob_any_shortfall"], "percent", "value")
    w.risk_cells["prob"] = _ref("Risk", row, 2, "Overview")
    row += 2
    ws.write_string(row, 0, "For comparison: the sum of each initiative's P80 (Overview)",
                    w.st.label)
    ws.write_string(row, 1, w.cur, w.st.unit)
    w.risk_row_sum_p80 = row
    ws.write_string(row + 2, 0, "Draw d of the portfolio is draw d of every initiative, each "
                    "from its own seed; the total shortfall of a draw is the sum of the "
                    "initiatives' shortfalls in it.", w.st.label)
    _finish(ws, w.title, {0: 60, 1: 8, 2: 18})


def _sum_of_p80(w: Writer, cols: dict[str, int]) -> None:
    """The Risk sheet's comparison row: a SUM over the Overview's P80 column."""
    if not w.p.monte_carlo:
        return
    col = xl_col_to_name(cols["mc:p80"])
    w.formula(w.sheets["Risk"], w.risk_row_sum_p80, 2,
              f"=SUM('Overview'!{col}{HEAD + 2}:{col}{HEAD + 1 + w.n})",
              w.p.monte_carlo["sum_of_p80"], "money")


def _about(w: Writer) -> None:
    ws, p = w.sheets["About"], w.p
    w.top(ws, f"{w.title}: method and files", f"Written by labfinance {__version__}")
    w.header(ws, ["Initiative", "File", "SHA-256", "Seed"])
    row = HEAD + 1
    for item in p.initiatives:
        for col, text in enumerate((item.name, item.path, item.sha256)):
            ws.write_string(row, col, text, w.st.label)
        ws.write_string(row, 3, str(item.seed), w.st.label)  # 52 bits: text keeps every digit
        row += 1
    row += 1
    lines = [
        "Method",
        "Each file is evaluated as `labfinance run` evaluates it (the same engine and rules).",
        f"Each file's seed: the first 13 hex digits of SHA-256 of \"{p.seed}:<the file's SHA-256>"
        "\", read as a number; `labfinance run FILE --seed <seed>` gives the same draws.",
        "Yearly rows are summed by calendar year over the years of all initiatives; an "
        "initiative counts 0 outside its years. Cumulative cash is the running total of the "
        "summed net cash.",
        "Stakeholders are matched across files by id.",
        f"{BY_NAME['funding_shortfall'].label}: {BY_NAME['funding_shortfall'].meaning}",
    ]
    if p.problems:
        lines += ["", "Left out (not valid)", *p.problems]
    if p.warnings:
        lines += ["", "Warnings", *p.warnings]
    for text in lines:
        bold = text in ("Method", "Left out (not valid)", "Warnings")
        ws.write_string(row, 0, text, w.st.label_bold if bold else w.st.label)
        row += 1
    _finish(ws, w.title, {0: 48, 1: 40, 2: 66, 3: 18})


def write_workbook(portfolio: Any, path: str | Path, lang: str = "en") -> None:
    """Write the portfolio workbook of ``portfolio`` (a
    :class:`~labfinance.analysis.portfolio.Portfolio` with at least one initiative) to ``path``.
    The same portfolio and version give the same bytes."""
    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False,
                                           "strings_to_urls": False})
    try:
        w = Writer(book, portfolio)
        book.set_properties({"title": w.title, "subject": "Portfolio of business cases",
                             "author": "labfinance",
                             "comments": f"Written by labfinance {__version__}",
                             "created": timestamp()})
        _risk(w)
        yearly_totals = _yearly(w)
        cols = _overview(w)
        _sum_of_p80(w, cols)
        _payers(w)
        _funders(w, yearly_totals)
        _about(w)
        w.sheets["Overview"].activate()
    finally:
        book.close()

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
from labfinance.outputs.excel.charts import PALETTE, safe
from labfinance.outputs.excel.layout import print_landscape
from labfinance.outputs.excel.styles import Styles
from labfinance.outputs.excel.workbook import timestamp
from labfinance.texts import Texts

# sheet keys; their names are the texts portfolio.sheet.*
SHEETS = ("Overview", "Yearly", "Payers", "Funders", "Risk", "About")
HEAD = 3                     # the header row of every table (0-based); its body starts below
FIRST_YEAR_COL = 3           # A label, B unit, C total, then the years
STACKED_MAX = len(PALETTE)  # initiatives stacked in a chart; more: their total alone
# the Yearly sheet's blocks (ledger rows); labels portfolio.block.<row>, short ones .block_short
BLOCKS = ("costs", "funding", "revenue", "net_cash", "top_up", "secured_top_up")


def _finish(ws: Worksheet, title: str, widths: dict[int, float], t: Texts) -> None:
    """Print settings of every sheet: A4 landscape, one page wide, the header rows repeated, a
    footer with the workbook's title, the sheet's name and the page."""
    for col, width in widths.items():
        ws.set_column(col, col, width)
    print_landscape(ws)
    ws.repeat_rows(0, HEAD)
    page = t("print.page_of", page="&P", pages="&N")
    ws.set_footer(f"&L{title.replace('&', '&&')}&C&A&R{page}")


class Writer:
    """The portfolio, the workbook's formats, and where the Overview's columns landed."""

    def __init__(self, book: Any, portfolio: Any, t: Texts):
        self.book = book
        self.p = portfolio
        self.t = t
        self.st = Styles(book, portfolio.currency)
        self.names = {key: t(f"portfolio.sheet.{key.lower()}") for key in SHEETS}
        self.sheets = {key: book.add_worksheet(self.names[key]) for key in SHEETS}
        self.n = len(portfolio.initiatives)
        self.title = t("portfolio.title", count=t(
            "term.portfolio_one" if self.n == 1 else "term.portfolio_many", n=self.n))
        self.na = t("value.na")
        self.risk_cells: dict[str, str] = {}        # Risk's figures, referenced from Overview
        self.risk_row_sum_p80 = 0
        self.yearly_rows: dict[str, list[int]] = {}  # ledger row -> each initiative's row
        self.yearly_totals: dict[str, int] = {}      # ledger row -> its all-initiatives row
        cur = portfolio.currency
        self.simulated = t("portfolio.simulated", draws=f"{portfolio.draws:,}",
                           seed=portfolio.seed, about=self.names["About"], version=__version__)
        self.cur = cur

    def ref(self, sheet: str, row: int, col: int, here: str) -> str:
        """A cell of sheet ``sheet`` (a key), absolute, from sheet ``here``."""
        cell = xl_rowcol_to_cell(row, col, row_abs=True, col_abs=True)
        return cell if sheet == here else f"'{self.names[sheet]}'!{cell}"

    def finish(self, ws: Worksheet, widths: dict[int, float]) -> None:
        _finish(ws, self.title, widths, self.t)

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
            ws.write_string(row, col, self.na, self.st.cell("text", role))
        else:
            ws.write_number(row, col, float(value), self.st.cell(kind, role))

    def formula(self, ws: Worksheet, row: int, col: int, formula: str, value: Any, kind: str,
                role: str = "total") -> None:
        cached = self.na if value is None or (isinstance(value, float)
                                              and not np.isfinite(value)) else value
        ws.write_formula(row, col, formula, self.st.cell(kind if cached != self.na else "text",
                                                         role),
                         cached)


# --------------------------------------------------------------------------- Overview

OVERVIEW = (  # heading (portfolio.col.<key>), kind, what (a metric, or a Monte Carlo figure)
    ("total_cost", "money", "total_cost"),
    ("secured", "money", "secured_funding_shortfall"),
    ("planned", "money", "funding_shortfall"),
    ("p50", "money", "mc:p50"),
    ("p80", "money", "mc:p80"),
    ("first_secured", "year", "secured_first_shortfall_year"),
    ("first_planned", "year", "first_shortfall_year"),
    ("enpv", "money", "economic_npv"),
    ("bcr", "ratio", "bcr"),
    ("prob", "percent", "mc:prob"),
)


def _overview(w: Writer) -> dict[str, int]:
    ws, p, t = w.sheets["Overview"], w.p, w.t
    w.top(ws, f"{w.title}, {p.years[0]}-{p.years[-1]} ({w.cur})",
          t("portfolio.overview_subtitle", simulated=w.simulated))
    heads = [t("portfolio.col.initiative"), t("about.file"), t("portfolio.col.years"),
             *(t(f"portfolio.col.{h}") for h, _, _ in OVERVIEW)]
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
    ws.write_string(total, 0, t("portfolio.all"), w.st.label_bold)
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
        w.formula(ws, total, col, f'=IF(COUNT({span})=0,"{w.na}",MIN({span}))',
                  min(known) if known else None, "year")
    for what, key in (("mc:p50", "p50"), ("mc:p80", "p80"), ("mc:prob", "prob")):
        if key in w.risk_cells:
            value = (p.monte_carlo["prob_any_shortfall"] if key == "prob"
                     else p.monte_carlo["total_shortfall"][key])
            w.formula(ws, total, cols[what], "=" + w.risk_cells[key], value,
                      "percent" if key == "prob" else "money", "link")
    note = total + 2
    ws.write_string(note, 0, t("portfolio.overview_note", risk=w.names["Risk"]), w.st.label)
    ws.write_string(note + 1, 0, t("portfolio.money_note", currency=w.cur), w.st.label)
    _overview_charts(w, first, last, cols, note + 3)
    w.finish(ws, {0: 42, 1: 30, 2: 11, **{c: 15 for c in cols.values()}})
    ws.freeze_panes(HEAD + 1, 1)
    return cols


def _fsum(values: Any) -> float:
    return math.fsum(values)


def _overview_charts(w: Writer, first: int, last: int, cols: dict[str, int], at: int) -> None:
    """New money needed (top-up) by year stacked by initiative, and the shortfall by initiative:
    secured, planned and P80."""
    book, ws, t = w.book, w.sheets["Overview"], w.t
    stacked = book.add_chart({"type": "column", "subtype": "stacked"})
    row_name = "top_up"
    rows = w.yearly_rows.get(row_name, [])
    last_col = FIRST_YEAR_COL + len(w.p.years) - 1
    series = [(item.name, r) for item, r in zip(w.p.initiatives, rows, strict=False)]
    if len(series) > STACKED_MAX:  # beyond a dozen colours a stack reads as noise: the total
        series = [(t("portfolio.all"), w.yearly_totals[row_name])]
    yearly = w.names["Yearly"]
    for i, (name, r) in enumerate(series):
        stacked.add_series({"name": safe(name),
                            "categories": [yearly, HEAD, FIRST_YEAR_COL, HEAD, last_col],
                            "values": [yearly, r, FIRST_YEAR_COL, r, last_col],
                            "fill": {"color": PALETTE[i % len(PALETTE)]}, "gap": 50})
    title = t("portfolio.chart_top_up")
    title += (t("portfolio.chart_stacked") if len(series) > 1 or w.n == 1
              else t("portfolio.chart_all"))
    _chart_style(stacked, title, w.cur)
    ws.insert_chart(at, 0, stacked)
    bars = book.add_chart({"type": "bar"})
    for (name, what), colour in zip(((t("summary.col.secured"), "secured_funding_shortfall"),
                                     (t("summary.col.planned"), "funding_shortfall"),
                                     (t("summary.col.prudent"), "mc:p80")),
                                    ("#C55A11", "#2E75B6", "#7F7F7F"), strict=True):
        if what == "mc:p80" and not w.p.monte_carlo:
            continue
        overview = w.names["Overview"]
        bars.add_series({"name": name, "categories": [overview, first, 0, last, 0],
                         "values": [overview, first, cols[what], last, cols[what]],
                         "fill": {"color": colour}, "gap": 40})
    _chart_style(bars, t("portfolio.chart_shortfall"), w.cur)
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
    w.header(ws, [first_head, w.t("summary.col.unit"), w.t("summary.col.total")])
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
    ws, p, t = w.sheets["Yearly"], w.p, w.t
    w.top(ws, t("portfolio.yearly_title", title=w.title, currency=w.cur),
          t("portfolio.yearly_subtitle"))
    _timeline_header(w, ws, t("portfolio.col.row"))
    row = HEAD + 2
    totals: dict[str, int] = {}
    for key in BLOCKS:
        if key not in p.totals:
            continue
        ws.write_string(row, 0, t(f"portfolio.block.{key}"), w.st.band)
        row += 1
        first = row
        w.yearly_rows[key] = []
        for i, item in enumerate(p.initiatives):
            _series_row(w, ws, row, item.name, p.row(i, key))
            w.yearly_rows[key].append(row)
            row += 1
        _sum_row(w, ws, row, t(f"portfolio.block_total.{key}"), first, row - 1, p.totals[key])
        totals[key] = w.yearly_totals[key] = row
        row += 1
        if key == "net_cash":
            _cumulative_row(w, ws, row, totals["net_cash"], p.totals["cumulative_cash"])
            totals["cumulative_cash"] = row
            row += 1
        row += 1
    w.finish(ws, {0: 48, 1: 8, 2: 15, **{FIRST_YEAR_COL + j: 13 for j in range(len(p.years))}})
    ws.freeze_panes(HEAD + 1, FIRST_YEAR_COL)
    return totals


def _cumulative_row(w: Writer, ws: Worksheet, row: int, net: int, values: np.ndarray) -> None:
    """The running total of the summed net cash: the first year's net cash, then the year
    before plus this year's."""
    ws.write_string(row, 0, w.t("portfolio.cumulative"), w.st.label_bold)
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
    _timeline_header(w, ws, w.t("portfolio.col.who"))
    if not table:
        ws.write_string(HEAD + 2, 0, empty, w.st.note)
        w.finish(ws, {0: 48, 1: 8, 2: 15})
        return None
    first = row = HEAD + 1
    for key, values in table.items():
        name = w.p.names.get(key, key)
        _series_row(w, ws, row, f"{name} ({key})" if name != key else key, values)
        row += 1
    total = np.array([_fsum(v[j] for v in table.values()) for j in range(len(w.p.years))])
    _sum_row(w, ws, row, w.t("portfolio.all_rows"), first, row - 1, total)
    w.finish(ws, {0: 48, 1: 8, 2: 15, **{FIRST_YEAR_COL + j: 13 for j in range(len(w.p.years))}})
    ws.freeze_panes(HEAD + 1, FIRST_YEAR_COL)
    return first, row


def _funders(w: Writer, yearly_totals: dict[str, int]) -> None:
    t = w.t
    span = _by_id(w, "Funders", w.p.funders,
                  t("portfolio.funders_title", title=w.title, currency=w.cur),
                  t("portfolio.funders_subtitle"), t("portfolio.funders_none"))
    if span is None:
        return
    ws, all_row = w.sheets["Funders"], span[1]
    check = all_row + 2
    ws.write_string(check, 0, t("portfolio.funders_check", yearly=w.names["Yearly"]), w.st.label)
    ok, wrong = t("checks.ok"), t("checks.error")
    for j in range(len(w.p.years)):
        c = xl_col_to_name(FIRST_YEAR_COL + j)
        parts = "+".join(f"'{w.names['Yearly']}'!{c}{yearly_totals[k] + 1}"
                         for k in ("funding", "revenue") if k in yearly_totals)
        w.formula(ws, check, FIRST_YEAR_COL + j,
                  f'=IF(ABS({c}{all_row + 1}-({parts}))<0.01,"{ok}","{wrong}")', ok, "text",
                  "calc")


def _payers(w: Writer) -> None:
    t = w.t
    _by_id(w, "Payers", w.p.payers, t("portfolio.payers_title", title=w.title, currency=w.cur),
           t("portfolio.payers_subtitle"), t("portfolio.payers_none"))


# --------------------------------------------------------------------------- Risk, About

def _risk(w: Writer) -> None:
    ws, p, t = w.sheets["Risk"], w.p, w.t
    w.top(ws, t("portfolio.risk_title", title=w.title), w.simulated if p.monte_carlo
          else t("portfolio.no_mc"))
    w.header(ws, [t("portfolio.col.total_shortfall"), t("summary.col.unit"),
                  t("summary.col.value")])
    if not p.monte_carlo:
        w.finish(ws, {0: 60, 1: 8, 2: 18})
        return
    stats = p.monte_carlo["total_shortfall"]
    rows = [(t("risk.col.mean"), "mean"), ("P20", "p20"), (t("risk.col.p50"), "p50"),
            (t("risk.col.p80"), "p80"), ("P95", "p95")]
    row = HEAD + 1
    for label, key in rows:
        ws.write_string(row, 0, label, w.st.label)
        ws.write_string(row, 1, w.cur, w.st.unit)
        w.number(ws, row, 2, stats[key], "money", "value")
        w.risk_cells[key] = w.ref("Risk", row, 2, "Overview")
        row += 1
    ws.write_string(row, 0, t("portfolio.any_shortfall"), w.st.label)
    ws.write_string(row, 1, "%", w.st.unit)
    w.number(ws, row, 2, p.monte_carlo["prob_any_shortfall"], "percent", "value")
    w.risk_cells["prob"] = w.ref("Risk", row, 2, "Overview")
    row += 2
    ws.write_string(row, 0, t("portfolio.sum_p80", overview=w.names["Overview"]), w.st.label)
    ws.write_string(row, 1, w.cur, w.st.unit)
    w.risk_row_sum_p80 = row
    ws.write_string(row + 2, 0, t("portfolio.draws_note"), w.st.label)
    w.finish(ws, {0: 60, 1: 8, 2: 18})


def _sum_of_p80(w: Writer, cols: dict[str, int]) -> None:
    """The Risk sheet's comparison row: a SUM over the Overview's P80 column."""
    if not w.p.monte_carlo:
        return
    col = xl_col_to_name(cols["mc:p80"])
    w.formula(w.sheets["Risk"], w.risk_row_sum_p80, 2,
              f"=SUM('{w.names['Overview']}'!{col}{HEAD + 2}:{col}{HEAD + 1 + w.n})",
              w.p.monte_carlo["sum_of_p80"], "money")


def _about(w: Writer) -> None:
    ws, p, t = w.sheets["About"], w.p, w.t
    w.top(ws, t("portfolio.about_title", title=w.title), t("book.comments", version=__version__))
    w.header(ws, [t("portfolio.col.initiative"), t("about.file"), "SHA-256", "Seed"])
    row = HEAD + 1
    for item in p.initiatives:
        for col, text in enumerate((item.name, item.path, item.sha256)):
            ws.write_string(row, col, text, w.st.label)
        ws.write_string(row, 3, str(item.seed), w.st.label)  # 52 bits: text keeps every digit
        row += 1
    row += 1
    heads = (t("about.method"), t("portfolio.left_out"), t("portfolio.warnings"))
    lines = [
        heads[0],
        t("portfolio.method_run"),
        t("portfolio.method_seed", seed=p.seed),
        t("portfolio.method_yearly"),
        t("portfolio.method_ids"),
        f"{t('metric.funding_shortfall.label')}: {t('metric.funding_shortfall.meaning')}",
    ]
    if p.problems:
        lines += ["", heads[1], *p.problems]
    if p.warnings:
        lines += ["", heads[2], *(t.known(x) for x in p.warnings)]
    for text in lines:
        bold = text in heads
        ws.write_string(row, 0, text, w.st.label_bold if bold else w.st.label)
        row += 1
    w.finish(ws, {0: 48, 1: 40, 2: 66, 3: 18})


def write_workbook(portfolio: Any, path: str | Path, lang: str = "en") -> None:
    """Write the portfolio workbook of ``portfolio`` (a
    :class:`~labfinance.analysis.portfolio.Portfolio` with at least one initiative) to ``path``.
    The same portfolio and version give the same bytes."""
    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False,
                                           "strings_to_urls": False})
    try:
        t = Texts(lang)
        w = Writer(book, portfolio, t)
        book.set_properties({"title": w.title, "subject": t("portfolio.subject"),
                             "author": "labfinance",
                             "comments": t("book.comments", version=__version__),
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

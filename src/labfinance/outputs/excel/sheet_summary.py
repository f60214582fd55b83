"""Summary: the verdict in words, headline metrics (formulas on Cash flow), the master check, the
staleness flag of the analyses, and the charts. Prints on one landscape page."""

from __future__ import annotations

from typing import Any

from labfinance import __version__
from labfinance.engine.catalogue import BY_NAME
from labfinance.model.scenario import Loan
from labfinance.outputs.excel import charts
from labfinance.outputs.excel import sheet_assumptions as assumptions
from labfinance.outputs.excel.book import Book, value_or_na
from labfinance.outputs.excel.cells import Cell
from labfinance.outputs.excel.layout import print_landscape
from labfinance.outputs.excel.sheet_analyses import kind_of, tornado_chart
from labfinance.outputs.excel.verdict import verdict_formula
from labfinance.outputs.terminal import verdict

NAME = "Summary"
HEADLINES = ("total_cost", "total_funding", "funding_shortfall", "secured_funding_shortfall",
             "peak_cash_need", "first_shortfall_year", "receivable_after_horizon",
             "debt_outstanding", "economic_npv", "bcr", "economic_irr", "payback_year",
             "discounted_payback_year", "financial_npv", "financial_irr", "financial_mirr",
             "funding_gap_rate")
CHART_COL = 4
LAST_COL = 19
CHART_WIDTH, CHART_HEIGHT = 560, 600
UP_TO_DATE = "up to date"
STALE = "STALE: inputs changed, run labfinance again"


def build(book: Book, tornado: dict[str, Any] | None) -> None:
    ws, st = book.sheets[NAME], book.styles
    s, a = book.scenario, book.analysis
    cur = s.currency
    ws.set_column(0, 0, 40)
    ws.set_column(1, 1, 9)
    ws.set_column(2, 2, 17)
    ws.set_column(3, 3, 2)
    ws.set_column(CHART_COL, LAST_COL, 10.3)
    ws.write_string(0, 0, s.name, st.title)
    case = f"variant {a.variant}" if a.variant not in (None, "base") else "base case"
    sets = ", ".join(f"{k}={v}" for k, v in a.overrides.items())
    ws.write_string(1, 0, f"Business case and financing plan, {s.start_year}-{s.last_year}, "
                    f"{s.prices} prices, {cur}; {case}{'; --set ' + sets if sets else ''}. "
                    f"labfinance {__version__}.", st.subtitle)
    ws.merge_range(2, 0, 2, LAST_COL, "", st.verdict)
    # live: the sentence follows the metric cells when a reader changes an input
    ws.write_formula(2, 0, verdict_formula(book.results,
                                           lambda m: book.cells[f"metric.{m}"].ref(NAME)),
                     st.verdict, verdict(book.results))
    ws.set_row(2, 34)

    row = 4
    for col, text in enumerate(("Headline figure", "Unit", "Value")):
        ws.write_string(row, col, text, st.header)
    row += 1
    units = {"money": cur, "percent": "%", "year": "year", "ratio": "ratio"}
    for name in HEADLINES:
        label = BY_NAME[name].label
        cell = book.cells[f"metric.{name}"]
        kind = kind_of(name)
        value = value_or_na(book.metric(name))
        ws.write_string(row, 0, label, st.label)
        ws.write_string(row, 1, units[kind], st.unit)
        fmt = st.cell("currency" if kind == "money" else kind, "summary")
        ws.write_formula(row, 2, f"={cell.ref(NAME)}", fmt, value)
        row += 1
    row += 1
    ws.write_string(row, 0, "Master check (sheet Checks)", st.label_bold)
    ws.write_formula(row, 2, f"={book.cells['master_check'].ref(NAME)}", st.cell("general", "key"),
                     "OK")
    ws.conditional_format(row, 2, row, 2, {"type": "cell", "criteria": "==", "value": '"OK"',
                                           "format": st.ok})
    ws.conditional_format(row, 2, row, 2, {"type": "cell", "criteria": "!=", "value": '"OK"',
                                           "format": st.error})
    row += 1
    if book.analysed_inputs is not None:
        live = assumptions.column_range(assumptions.VALUE_COL, *book.analysed_inputs)
        analysed = assumptions.column_range(assumptions.ANALYSED_COL, *book.analysed_inputs)
        formula = f'=IF(SUMPRODUCT(({live}<>{analysed})*1)=0,"{UP_TO_DATE}","{STALE}")'
        ws.write_string(row, 0, "Sensitivity, risk and variants", st.label_bold)
        ws.write_formula(row, 2, formula, st.cell("general", "key"), UP_TO_DATE)
        ws.conditional_format(row, 2, row, 2, {"type": "cell", "criteria": "!=",
                                               "value": f'"{UP_TO_DATE}"', "format": st.error})
        book.cells["stale_flag"] = Cell(NAME, row, 2)
        row += 1
    mc = a.monte_carlo
    if mc:
        for key, text in (("prob_shortfall", "P(funding shortfall), Monte Carlo"),
                          ("prob_bcr_below_1", "P(BCR below 1), Monte Carlo")):
            if mc.get(key) is not None:
                ws.write_string(row, 0, text, st.label)
                ws.write_string(row, 1, "%", st.unit)
                ws.write_number(row, 2, float(mc[key]), st.cell("percent", "value"))
                row += 1
    for warning in book.results.warnings[:3]:
        row += 1
        ws.merge_range(row, 0, row + 1, 2, "", st.note)
        ws.write_string(row, 0, f"Warning: {warning}", st.note)
        row += 1
    _charts(book, tornado)
    last_row = max(row, 4 + 2 * (CHART_HEIGHT + 12) // 20 + 1)
    ws.print_area(0, 0, last_row, LAST_COL)
    print_landscape(ws, pages_tall=1)
    ws.center_horizontally()
    ws.set_margins(left=0.3, right=0.3, top=0.4, bottom=0.4)
    ws.activate()


def _charts(book: Book, tornado: dict[str, Any] | None) -> None:
    ws, s = book.sheets[NAME], book.scenario
    sources = [(f.label, book.rows[f"all.source.{f.id}"]) for f in s.funding
               if not isinstance(f, Loan)]
    grid = [charts.costs_vs_funding(book, sources, book.rows["costs.total"]),
            charts.cumulative_cash(book, [("All sources", book.rows["cf.cumulative_cash"]),
                                          ("Committed sources only",
                                           book.rows["cf.c.cumulative_cash"])])]
    first, last, col = book.values["stakeholder_table"]
    grid.append(charts.stakeholders(book, "Stakeholders", first, last, 0,
                                    [("Contributed (PV)", col["contributed_pv"]),
                                     ("Benefits received (PV)", col["benefits_received_pv"])]))
    if tornado is not None:
        grid.append(tornado_chart(book, **tornado))
    for i, chart in enumerate(grid):
        chart.set_size({"width": CHART_WIDTH, "height": CHART_HEIGHT})
        ws.insert_chart(4, CHART_COL, chart, {"x_offset": (i % 2) * (CHART_WIDTH + 12),
                                              "y_offset": (i // 2) * (CHART_HEIGHT + 12),
                                              "object_position": 3})

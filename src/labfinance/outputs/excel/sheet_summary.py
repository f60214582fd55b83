"""Summary: the decision on page one. The verdict in words (a live formula, worded step by step in
helper cells at the bottom), the master check, the answers for the secured, planned, likely and
prudent cases side by side, the funding plan per payer, the sources at risk, the success
criteria, the headline figures, then the charts. Prints one page wide."""

from __future__ import annotations

from typing import Any

from labfinance import __version__
from labfinance.engine.catalogue import BY_NAME, reported
from labfinance.model.scenario import Loan
from labfinance.outputs.excel import charts, verdict_workings
from labfinance.outputs.excel import sheet_assumptions as assumptions
from labfinance.outputs.excel.book import Book, value_or_na
from labfinance.outputs.excel.cells import Cell
from labfinance.outputs.excel.layout import print_landscape
from labfinance.outputs.excel.sheet_analyses import kind_of, tornado_chart

NAME = "Summary"
HEADLINES = ("total_cost", "total_funding", "funding_shortfall", "secured_funding_shortfall",
             "peak_cash_need", "first_shortfall_year", "receivable_after_horizon",
             "debt_outstanding", "economic_npv", "bcr", "economic_irr", "payback_year",
             "discounted_payback_year", "financial_npv", "financial_irr", "financial_mirr",
             "funding_gap_rate")
PLAN_COL = 3  # the first year of the funding plan (the total is in the column before)
LAST_COL = 13
CHART_WIDTH, CHART_HEIGHT = 620, 380
UP_TO_DATE = "up to date"
STALE = "STALE: inputs changed, run labfinance again"


def build(book: Book, tornado: dict[str, Any] | None) -> None:
    ws, st = book.sheets[NAME], book.styles
    s, a = book.scenario, book.analysis
    Y = book.timeline.horizon
    last_col = max(LAST_COL, PLAN_COL + Y)
    book.values["summary_last_col"] = last_col
    ws.set_column(0, 0, 44)
    ws.set_column(1, 1, 16)
    ws.set_column(2, last_col, 13)
    ws.write_string(0, 0, s.name, st.title)
    case = f"variant {a.variant}" if a.variant not in (None, "base") else "base case"
    sets = ", ".join(f"{k}={v}" for k, v in a.overrides.items())
    ws.write_string(1, 0, f"Business case and financing plan, {s.start_year}-{s.last_year}; "
                    f"money in {price_basis(s)}; {case}{'; --set ' + sets if sets else ''}. "
                    f"labfinance {__version__}.", st.subtitle)
    ws.merge_range(2, 0, 2, last_col, "", st.verdict)
    ws.set_row(2, 64)
    row = _status(book, 3)
    row = _answers(book, row + 1)
    row = _plan(book, row + 1, last_col)
    row = _sources(book, row + 1)
    row = _criteria(book, row + 1)
    row = _headlines(book, row + 1)
    for warning in book.results.warnings[:3]:
        ws.merge_range(row, 0, row + 1, last_col, "", st.note)
        ws.write_string(row, 0, f"Warning: {warning}", st.note)
        row += 2
    ws.set_h_pagebreaks([row])  # the decision on the first page, the charts on the next
    row = _charts(book, tornado, row + 1)
    # the verdict, live: it follows the metric cells when a reader changes an input
    formula, text = _workings(book, row + 1)
    ws.write_formula(2, 0, formula, st.verdict, text)
    ws.print_area(0, 0, book.values["summary_last_row"], last_col)
    print_landscape(ws)
    ws.center_horizontally()
    ws.set_margins(left=0.3, right=0.3, top=0.4, bottom=0.4)
    ws.activate()


def price_basis(s: Any) -> str:
    return (f"{s.currency}, {s.start_year} prices" if s.prices == "real"
            else f"{s.currency}, cash of the day")


def _band(book: Book, row: int, text: str) -> int:
    ws, st = book.sheets[NAME], book.styles
    ws.write_string(row, 0, text, st.band)
    for col in range(1, book.values["summary_last_col"] + 1):
        ws.write_blank(row, col, None, st.band)
    return row + 1


def _header(book: Book, row: int, texts: list[str], first: int = 0) -> int:
    ws, st = book.sheets[NAME], book.styles
    for col, text in enumerate(texts, start=first):
        ws.write_string(row, col, text, st.header)
    return row + 1


def _status(book: Book, row: int) -> int:
    """The master check and the staleness flag of the analyses, under the verdict."""
    ws, st = book.sheets[NAME], book.styles
    ws.write_string(row, 0, "Master check (sheet Checks)", st.label_bold)
    ws.write_formula(row, 2, f"={book.cells['master_check'].ref(NAME)}", st.cell("general", "key"),
                     "OK")
    ws.conditional_format(row, 2, row, 2, {"type": "cell", "criteria": "==", "value": '"OK"',
                                           "format": st.ok})
    ws.conditional_format(row, 2, row, 2, {"type": "cell", "criteria": "!=", "value": '"OK"',
                                           "format": st.error})
    if book.analysed_inputs is not None:
        live = assumptions.column_range(assumptions.VALUE_COL, *book.analysed_inputs)
        analysed = assumptions.column_range(assumptions.ANALYSED_COL, *book.analysed_inputs)
        formula = f'=IF(SUMPRODUCT(({live}<>{analysed})*1)=0,"{UP_TO_DATE}","{STALE}")'
        ws.write_string(row, 4, "Sensitivity, risk, variants, sources at risk", st.label_bold)
        ws.write_formula(row, 7, formula, st.cell("general", "key"), UP_TO_DATE)
        ws.conditional_format(row, 7, row, 7, {"type": "cell", "criteria": "!=",
                                               "value": f'"{UP_TO_DATE}"', "format": st.error})
        book.cells["stale_flag"] = Cell(NAME, row, 7)
    return row + 1


ANSWERS = (("first_shortfall_year", "First year short of cash", "year"),
           ("funding_shortfall", "Funding shortfall", "money"),
           ("shortfall_per_year", "Shortfall per year", "money"),
           ("peak_cash_need", "Peak cash need (new money to find)", "money"))


def _answers(book: Book, row: int) -> int:
    """The answers side by side: secured and planned live from Cash flow, likely and prudent
    from the Monte Carlo (values)."""
    ws, st = book.sheets[NAME], book.styles
    s, a = book.scenario, book.analysis
    mc = (a.monte_carlo if a.monte_carlo and a.monte_carlo.get("draws")
          and "likely" in a.answers and "prudent" in a.answers else None)
    row = _band(book, row, "The answers: committed sources only (secured), every source as "
                "entered (planned)" + (", and the Monte Carlo's likely (P50) and prudent (P80) "
                                       "cases" if mc else ""))
    heads = ["Answer", "Unit", "Secured", "Planned"] + (["Likely (P50)", "Prudent (P80)"]
                                                        if mc else [])
    row = _header(book, row, heads)
    live = {"secured": {"first_shortfall_year": "metric.secured_first_shortfall_year",
                        "funding_shortfall": "metric.secured_funding_shortfall",
                        "shortfall_per_year": "metric.secured_shortfall_per_year",
                        "peak_cash_need": "secured_peak_cash_need"},
            "planned": {name: f"metric.{name}" for name, _, _ in ANSWERS}}
    for name, label, kind in ANSWERS:
        ws.write_string(row, 0, label, st.label)
        ws.write_string(row, 1, "year" if kind == "year" else price_basis(s), st.unit)
        fmt = st.cell("currency" if kind == "money" else kind, "summary")
        for col, case in ((2, "secured"), (3, "planned")):
            cell = book.cells[live[case][name]]
            ws.write_formula(row, col, f"={cell.ref(NAME)}", fmt,
                             value_or_na(float(book.values[live[case][name]])
                                         if not isinstance(book.values[live[case][name]], str)
                                         else float("nan")))
        if mc:
            for col, case in ((4, "likely"), (5, "prudent")):
                value = a.answers[case][name]
                if value is None:
                    ws.write_string(row, col, "none" if kind == "year" else "n/a", st.unit)
                else:
                    ws.write_number(row, col, float(value), st.cell(
                        "currency" if kind == "money" else kind, "value"))
                book.cells[f"answer.{case}.{name}"] = Cell(NAME, row, col)
        row += 1
    if mc:
        ws.write_string(row, 0, f"Likely and prudent: values from {mc['draws']:,} Monte Carlo "
                        f"draws (seed {mc['seed']}); the prudent first year is the one by which "
                        "cash has run out in 20 % of the draws.", st.subtitle)
        row += 1
        for key, text in (("prob_shortfall", "Chance of a funding shortfall (Monte Carlo)"),
                          ("prob_bcr_below_1", "Chance that benefits fall short of costs "
                                               "(Monte Carlo)")):
            if mc.get(key) is not None:
                ws.write_string(row, 0, text, st.label)
                ws.write_string(row, 1, "%", st.unit)
                ws.write_number(row, 2, float(mc[key]), st.cell("percent", "value"))
                book.cells[f"mc.{key}"] = Cell(NAME, row, 2)
                row += 1
    return row


def _plan(book: Book, row: int, last_col: int) -> int:
    """The funding plan: new money per payer per year, live from the Stakeholders sheet."""
    ws, st = book.sheets[NAME], book.styles
    s, r = book.scenario, book.results
    Y = book.timeline.horizon
    row = _band(book, row, f"Funding plan: new money each payer puts in each year to keep cash at "
                f"or above zero, if every expected source pays ({price_basis(s)})")
    row = _header(book, row, ["Payer", "", "Total"] + [str(y) for y in s.calendar_years])
    plans = [(sid, book.rows[f"plan.{sid}"]) for sid in s.stakeholders
             if f"plan.{sid}" in book.rows]
    if not plans:
        ws.write_string(row, 0, r.notes.get("plan", "No payer gains, so there is nothing to "
                                            "share the new money by."), st.subtitle)
        return row + 1
    lines = [(s.stakeholders[sid].name or sid, book.rows[f"plan.{sid}"], f"plan.{sid}")
             for sid, _ in plans]
    lines.append(("All payers (the top-up)", book.rows["plan.all"], "plan.all"))
    if "cf.top_up_nominal" in book.rows:
        lines.append(("All payers in cash of the day", book.rows["cf.top_up_nominal"],
                      "cf.top_up_nominal"))
    for label, source, key in lines:
        bold = label.startswith("All payers")
        ws.write_string(row, 0, label, st.label_bold if bold else st.label)
        values = book.values[key]
        fmt = st.cell("money", "total" if bold else "calc")
        ws.write_formula(row, PLAN_COL - 1, f"=SUM({source.range(NAME)})", fmt,
                         float(sum(values[:Y])))
        for t in range(Y):
            ws.write_formula(row, PLAN_COL + t, f"={source.cell(t).ref(NAME)}", fmt,
                             float(values[t]))
        row += 1
    secured = book.cells["secured_peak_cash_need"]
    ws.write_string(row, 0, "On committed sources alone, new money in all", st.label_indent)
    ws.write_formula(row, PLAN_COL - 1, f"={secured.ref(NAME)}", st.cell("money", "calc"),
                     float(book.values["secured_peak_cash_need"]))
    return row + 1


def _sources(book: Book, row: int) -> int:
    """The sources not yet committed, and what the shortfall becomes without each."""
    ws, st = book.sheets[NAME], book.styles
    s, a = book.scenario, book.analysis
    if not a.sources_at_risk:
        return row
    row = _band(book, row, "Sources at risk: funding not yet committed, and the planned case "
                "without each (values, as a Monte Carlo draw that does not award it)")
    row = _header(book, row, ["Source", "Status", "Probability", f"Amount ({s.currency})",
                              "Short without", "From (year)"])
    for item in a.sources_at_risk:
        ws.write_string(row, 0, item["name"], st.label)
        ws.write_string(row, 1, item["status"], st.unit)
        ws.write_number(row, 2, item["probability"], st.cell("percent", "value"))
        ws.write_formula(row, 3, f"=SUM({book.rows['all.source.' + item['id']].range(NAME)})"
                         if f"all.source.{item['id']}" in book.rows else f"={item['amount']}",
                         st.cell("money", "calc"), float(item["amount"]))
        ws.write_number(row, 4, float(item["shortfall_without"] or 0.0),
                        st.cell("money", "value"))
        year = item["first_shortfall_year_without"]
        if year is None:
            ws.write_string(row, 5, "none", st.unit)
        else:
            ws.write_number(row, 5, year, st.cell("year", "value"))
        row += 1
    return row


def _criteria(book: Book, row: int) -> int:
    ws, st = book.sheets[NAME], book.styles
    criteria = book.scenario.criteria
    if not criteria:
        return row
    row = _band(book, row, "Success criteria beside the money")
    row = _header(book, row, ["Criterion", "Unit", "Baseline", "Target", "Direction"])
    for c in criteria:
        ws.write_string(row, 0, c.label, st.label)
        ws.write_string(row, 1, c.unit, st.unit)
        for col, value in ((2, c.baseline), (3, c.target)):
            if value is not None:
                ws.write_number(row, col, value, st.cell("general", "value"))
        ws.write_string(row, 4, c.direction, st.unit)
        row += 1
    return row


def _headlines(book: Book, row: int) -> int:
    ws, st = book.sheets[NAME], book.styles
    cur = book.scenario.currency
    row = _band(book, row, "Headline figures (each explained in the Glossary of the About sheet)")
    row = _header(book, row, ["Figure", "Unit", "Value"])
    units = {"money": cur, "percent": "%", "year": "year", "ratio": "ratio"}
    # format 1.2: the EU decision amount and maximum EU grant beside the funding-gap rate
    given = book.scenario.eu_cofinancing_rate is not None
    eu = ("decision_amount", "max_eu_grant") if given else ()
    for name in (*HEADLINES, *eu):
        cell = book.cells[f"metric.{name}"]
        kind = kind_of(name)
        ws.write_string(row, 0, BY_NAME[name].label, st.label)
        ws.write_string(row, 1, units[kind], st.unit)
        fmt = st.cell("currency" if kind == "money" else kind, "summary")
        ws.write_formula(row, 2, f"={cell.ref(NAME)}", fmt, value_or_na(book.metric(name)))
        row += 1
    return row


def _workings(book: Book, row: int) -> tuple[str, str]:
    """The verdict's workings under the charts, one labelled step a row; returns the verdict's
    formula and the engine's wording."""
    ws, st = book.sheets[NAME], book.styles
    a = book.analysis
    row = _band(book, row, "How the verdict is worded: each step a formula (the verdict above "
                "joins the parts)")
    at = [row]

    def put(label: str, formula: str, cached: Any) -> str:
        ws.write_string(at[0], 0, label, st.label_indent)
        ws.write_formula(at[0], 2, formula, st.label, cached)
        at[0] += 1
        return Cell(NAME, at[0] - 1, 2).ref(NAME)

    names, ranks, asked = book.values["who_pays"]
    stakeholders = "'Stakeholders'!"
    mc = a.monte_carlo if a.monte_carlo and a.monte_carlo.get("draws") else None

    def ref(key: str) -> str | None:
        cell = book.cells.get(key)
        return cell.ref(NAME) if cell is not None else None

    cells = verdict_workings.VerdictCells(
        {name: book.cells[f"metric.{name}"].ref(NAME) for name in reported(book.scenario)},
        book.cells["secured_peak_cash_need"].ref(NAME),
        stakeholders + names, stakeholders + ranks, stakeholders + asked,
        ref("answer.likely.funding_shortfall"), ref("answer.prudent.funding_shortfall"),
        ref("mc.prob_shortfall"), ref("mc.prob_bcr_below_1"))
    likely = a.answers.get("likely", {}).get("funding_shortfall") if mc else None
    prudent = a.answers.get("prudent", {}).get("funding_shortfall") if mc else None
    formula, text = verdict_workings.write(put, cells, book.results, mc, likely, prudent)
    book.values["summary_last_row"] = at[0]
    return formula, text


def _charts(book: Book, tornado: dict[str, Any] | None, row: int) -> int:
    """The charts, two a row, from ``row``; returns the first row under them."""
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
        ws.insert_chart(row, 0, chart, {"x_offset": (i % 2) * (CHART_WIDTH + 12),
                                        "y_offset": (i // 2) * (CHART_HEIGHT + 12),
                                        "object_position": 3})
    rows_per_chart = (CHART_HEIGHT + 12) // 20 + 1
    return row + ((len(grid) + 1) // 2) * rows_per_chart

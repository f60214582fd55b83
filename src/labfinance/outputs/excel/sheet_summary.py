"""Summary: the decision on page one. The verdict in words (a live formula, worded step by step in
helper cells at the bottom), the master check, the answers for the secured, planned, likely and
prudent cases side by side, the funding plan per payer, the sources at risk, the success
criteria, the headline figures, then the charts. Prints one page wide."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from labfinance import __version__
from labfinance.engine.catalogue import reported
from labfinance.model.scenario import Loan
from labfinance.outputs.excel import charts, verdict_workings
from labfinance.outputs.excel import sheet_assumptions as assumptions
from labfinance.outputs.excel.book import Book, note, value_or_na
from labfinance.outputs.excel.cells import Cell, sheet_prefix
from labfinance.outputs.excel.layout import page_breaks, print_landscape, wrapped_height
from labfinance.outputs.excel.sheet_analyses import kind_of, tornado_chart
from labfinance.outputs.parameter_words import sentence_words
from labfinance.texts import Texts

NAME = "Summary"
HEADLINES = ("total_cost", "total_funding", "funding_shortfall", "secured_funding_shortfall",
             "peak_cash_need", "first_shortfall_year", "receivable_after_horizon",
             "debt_outstanding", "economic_npv", "bcr", "economic_irr", "payback_year",
             "discounted_payback_year", "financial_npv", "financial_irr", "financial_mirr",
             "funding_gap_rate")
PLAN_COL = 3  # the first year of the funding plan (the total is in the column before)
# Widths in characters, chosen so that the page prints near full size (10-point text prints at
# 9 or more): A4 landscape between 0.3-inch margins holds about 1,060 pixels; label 38 + unit 16
# + total and 8 years of 11 take about 1,130 (a spreadsheet draws w characters as 7 w + 5
# pixels), printed at about 94 %. Longer plans continue in blocks of 8 years under each other,
# so the page never gets wider. The charts take the width of the columns, two a row.
LABEL_WIDTH, UNIT_WIDTH, NUMBER_WIDTH = 38, 16, 11
YEARS_PER_BLOCK = 8
CHART_HEIGHT = 340  # pixels: 17 rows of 20


def build(book: Book, tornado: dict[str, Any] | None) -> None:
    ws, st = book.sheets[NAME], book.styles
    s, a = book.scenario, book.analysis
    last_col = PLAN_COL + YEARS_PER_BLOCK - 1
    book.values["summary_last_col"] = last_col
    ws.set_column(0, 0, LABEL_WIDTH)
    ws.set_column(1, 1, UNIT_WIDTH)
    ws.set_column(2, last_col, NUMBER_WIDTH)
    t = book.t
    ws.write_string(0, 0, s.name, st.title)
    case = (t("summary.variant", name=a.variant) if a.variant not in (None, "base")
            else t("summary.base_case"))
    sets = ", ".join(f"{k}={v}" for k, v in a.overrides.items())
    ws.write_string(1, 0, t("summary.subtitle", first=s.start_year, last=s.last_year,
                            basis=price_basis(s, t), case=case,
                            sets="; --set " + sets if sets else "", version=__version__),
                    st.subtitle)
    ws.merge_range(2, 0, 2, last_col, "", st.verdict)
    row = _status(book, 3)
    for warning in book.results.warnings[:3]:  # under the verdict, where they are read
        ws.merge_range(row, 0, row + 1, last_col, "", st.note)
        ws.write_string(row, 0, t("summary.warning", text=sentence_words(s, warning, t)),
                        st.note)
        row += 2
    # sections kept whole on a printed page: (first row, kept together)
    sections: list[tuple[int, bool]] = [(0, True)]
    parts: list[Callable[[Book, int], int]] = [
        _answers, lambda b, r: _plan(b, r, last_col, sections), _sources, _criteria, _headlines]
    for part in parts:
        sections.append((row + 1, True))
        row = part(book, row + 1)
    chart_rows = _charts(book, tornado, row + 1, _pixels(last_col))
    sections += [(first, True) for first in chart_rows[:-1]]
    row = chart_rows[-1]
    sections.append((row, False))  # the workings, from the blank row under the charts
    # the verdict, live: it follows the metric cells when a reader changes an input
    formula, text = _workings(book, row + 1)
    ws.write_formula(2, 0, formula, st.verdict, text)
    # tall enough for the verdict wrapped across the page (12-point bold runs about 0.85 characters
    # a unit of width), with half a line to spare for an edit that lengthens it
    width = LABEL_WIDTH + UNIT_WIDTH + NUMBER_WIDTH * (last_col - 1)
    _tall(book, 2, wrapped_height([(text, width * 0.85 / 1.1)], line=16.0) + 8.0)
    last = book.values["summary_last_row"]
    blocks = [(first, nxt, together) for (first, together), (nxt, _) in
              zip(sections, sections[1:] + [(last + 1, False)], strict=True)]
    ws.set_h_pagebreaks(page_breaks(blocks, book.values["summary_heights"], _pixels(last_col)))
    ws.print_area(0, 0, book.values["summary_last_row"], last_col)
    print_landscape(ws)
    ws.center_horizontally()
    ws.set_margins(left=0.3, right=0.3, top=0.4, bottom=0.4)
    ws.activate()


def price_basis(s: Any, t: Texts) -> str:
    return (t("summary.basis_real", currency=s.currency, year=s.start_year) if s.prices == "real"
            else t("summary.basis_nominal", currency=s.currency))


def _band(book: Book, row: int, text: str) -> int:
    ws, st = book.sheets[NAME], book.styles
    ws.write_string(row, 0, text, st.band)
    for col in range(1, book.values["summary_last_col"] + 1):
        ws.write_blank(row, col, None, st.band)
    return row + 1


def _header(book: Book, row: int, texts: list[str], first: int = 0) -> int:
    """A table's header row, tall enough for its longest heading wrapped in its column (a
    language's words may be longer than the column)."""
    ws, st = book.sheets[NAME], book.styles
    widths = [float(LABEL_WIDTH), float(UNIT_WIDTH)] + [float(NUMBER_WIDTH)] * (
        book.values["summary_last_col"] + 1)
    for col, text in enumerate(texts, start=first):
        # from column C the tables hold numbers: their headings right-aligned over them
        ws.write_string(row, col, text, st.header_number if col >= 2 else st.header)
    _tall(book, row, wrapped_height([(text, widths[col] * 0.85)
                                     for col, text in enumerate(texts, start=first)]))
    return row + 1


def _tall(book: Book, row: int, height: float) -> None:
    """Give ``row`` the height its wrapped words need (noted for the page breaks)."""
    if height > 15.0:
        book.sheets[NAME].set_row(row, height)
        book.values.setdefault("summary_heights", {})[row] = height


def _status(book: Book, row: int) -> int:
    """The master check and the staleness flag of the analyses, under the verdict."""
    ws, st, t = book.sheets[NAME], book.styles, book.t
    ok = t("checks.ok")
    ws.write_string(row, 0, t("summary.master_check", sheet=t("sheet.checks")), st.label_bold)
    ws.write_formula(row, 2, f"={book.cells['master_check'].ref(NAME)}", st.cell("general", "key"),
                     book.values.get("master_check", ok))
    ws.conditional_format(row, 2, row, 2, {"type": "cell", "criteria": "==", "value": f'"{ok}"',
                                           "format": st.ok})
    ws.conditional_format(row, 2, row, 2, {"type": "cell", "criteria": "!=", "value": f'"{ok}"',
                                           "format": st.error})
    if book.analysed_inputs is not None:
        UP_TO_DATE, STALE = t("summary.up_to_date"), t("summary.stale")  # noqa: N806
        live = assumptions.column_range(assumptions.VALUE_COL, *book.analysed_inputs)
        analysed = assumptions.column_range(assumptions.ANALYSED_COL, *book.analysed_inputs)
        formula = f'=IF(SUMPRODUCT(({live}<>{analysed})*1)=0,"{UP_TO_DATE}","{STALE}")'
        row += 1  # on a row of its own: the flag's words run on into the empty cells beside it
        ws.write_string(row, 0, t("summary.analyses"), st.label_bold)
        ws.write_formula(row, 2, formula, st.cell("general", "key"), UP_TO_DATE)
        ws.conditional_format(row, 2, row, 2, {"type": "cell", "criteria": "!=",
                                               "value": f'"{UP_TO_DATE}"', "format": st.error})
        book.cells["stale_flag"] = Cell(NAME, row, 2)
    return row + 1


ANSWERS = (("first_shortfall_year", "year"), ("funding_shortfall", "money"),
           ("shortfall_per_year", "money"), ("peak_cash_need", "money"))  # summary.answer.*


def _answers(book: Book, row: int) -> int:
    """The answers side by side: secured and planned live from Cash flow, likely and prudent
    from the Monte Carlo (values)."""
    ws, st = book.sheets[NAME], book.styles
    s, a = book.scenario, book.analysis
    mc = (a.monte_carlo if a.monte_carlo and a.monte_carlo.get("draws")
          and "likely" in a.answers and "prudent" in a.answers else None)
    t = book.t
    row = _band(book, row, t("summary.band_answers") + (t("summary.band_answers_mc")
                                                         if mc else ""))
    heads = [t(f"summary.col.{k}") for k in ("answer", "unit", "secured", "planned")] + (
        [t("summary.col.likely"), t("summary.col.prudent")] if mc else [])
    row = _header(book, row, heads)
    live = {"secured": {"first_shortfall_year": "metric.secured_first_shortfall_year",
                        "funding_shortfall": "metric.secured_funding_shortfall",
                        "shortfall_per_year": "metric.secured_shortfall_per_year",
                        "peak_cash_need": "secured_peak_cash_need"},
            "planned": {name: f"metric.{name}" for name, _ in ANSWERS}}
    for name, kind in ANSWERS:
        ws.write_string(row, 0, t(f"summary.answer.{name}"), st.label)
        ws.write_string(row, 1, t("unit.year") if kind == "year" else price_basis(s, t), st.unit)
        fmt = st.cell(kind, "summary")  # the unit column names the currency
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
                    ws.write_string(row, col, t("value.none") if kind == "year" else
                                    t("value.na"), st.unit)
                else:
                    ws.write_number(row, col, float(value), st.cell(kind, "value"))
                book.cells[f"answer.{case}.{name}"] = Cell(NAME, row, col)
        row += 1
    if mc:
        ws.write_string(row, 0, t("summary.mc_note", draws=mc["draws"], seed=mc["seed"]),
                        st.subtitle)
        row += 1
        for key in ("prob_shortfall", "prob_bcr_below_1"):
            if mc.get(key) is not None:
                ws.write_string(row, 0, t(f"summary.{key}"), st.label)
                ws.write_string(row, 1, "%", st.unit)
                ws.write_number(row, 2, float(mc[key]), st.cell("percent", "value"))
                book.cells[f"mc.{key}"] = Cell(NAME, row, 2)
                row += 1
    return row


def _plan(book: Book, row: int, last_col: int, sections: list[tuple[int, bool]]) -> int:
    """The funding plan: new money per payer per year, live from the Stakeholders sheet; a block
    of years after the first is a section of its own (kept whole on a printed page)."""
    ws, st = book.sheets[NAME], book.styles
    s = book.scenario
    Y = book.timeline.horizon
    t = book.t
    row = _band(book, row, t("summary.band_plan", basis=price_basis(s, t)))
    payer, total = t("summary.col.payer"), t("summary.col.total")
    plans = [(sid, book.rows[f"plan.{sid}"]) for sid in s.stakeholders
             if f"plan.{sid}" in book.rows]
    if not plans:
        row = _header(book, row, [payer, "", total] + [str(y) for y in
                                                       s.calendar_years[:YEARS_PER_BLOCK]])
        ws.write_string(row, 0, note(book, "plan", "summary.no_plan"), st.subtitle)
        return row + 1
    lines = [(s.stakeholders[sid].name or sid, book.rows[f"plan.{sid}"], f"plan.{sid}")
             for sid, _ in plans]
    lines.append((t("summary.all_payers"), book.rows["plan.all"], "plan.all"))
    if "cf.top_up_nominal" in book.rows:
        lines.append((t("summary.all_payers_nominal"), book.rows["cf.top_up_nominal"],
                      "cf.top_up_nominal"))
    for first in range(0, Y, YEARS_PER_BLOCK):  # blocks of years under each other
        years = range(first, min(Y, first + YEARS_PER_BLOCK))
        if first:
            row += 1
            sections.append((row, True))
        row = _header(book, row, [payer if first == 0 else t("summary.payer_continued"), "",
                                  total if first == 0 else ""]
                      + [str(s.calendar_years[k]) for k in years])
        for label, source, key in lines:
            bold = key in ("plan.all", "cf.top_up_nominal")
            ws.write_string(row, 0, label, st.label_bold if bold else st.label)
            values = book.values[key]
            fmt = st.cell("money", "total" if bold else "calc")
            if first == 0:
                ws.write_formula(row, PLAN_COL - 1, f"=SUM({source.range(NAME)})", fmt,
                                 float(sum(values[:Y])))
            for k in years:
                ws.write_formula(row, PLAN_COL + k - first, f"={source.cell(k).ref(NAME)}", fmt,
                                 float(values[k]))
            row += 1
        if first == 0:
            secured = book.cells["secured_peak_cash_need"]
            ws.write_string(row, 0, t("summary.committed_alone"), st.label_indent)
            ws.write_formula(row, PLAN_COL - 1, f"={secured.ref(NAME)}",
                             st.cell("money", "calc"),
                             float(book.values["secured_peak_cash_need"]))
            row += 1
    return row


def _sources(book: Book, row: int) -> int:
    """The sources not yet committed, and what the shortfall becomes without each."""
    ws, st = book.sheets[NAME], book.styles
    s, a = book.scenario, book.analysis
    if not a.sources_at_risk:
        return row
    t = book.t
    row = _band(book, row, t("summary.band_sources"))
    row = _header(book, row, [t("summary.col.source"), t("summary.col.status"),
                              t("summary.col.probability"),
                              t("summary.col.amount", currency=s.currency),
                              t("summary.col.short_without"), t("summary.col.from_year")])
    for item in a.sources_at_risk:
        ws.write_string(row, 0, item["name"], st.label)
        ws.write_string(row, 1, t.word(item["status"]), st.unit)
        ws.write_number(row, 2, item["probability"], st.cell("percent", "value"))
        if f"all.source.{item['id']}" in book.rows:
            ws.write_formula(row, 3, f"=SUM({book.rows['all.source.' + item['id']].range(NAME)})",
                             st.cell("money", "calc"), float(item["amount"]))
        else:  # a source without a row of its own: the engine's amount, a value like the rest
            ws.write_number(row, 3, float(item["amount"]), st.cell("money", "value"))
        ws.write_number(row, 4, float(item["shortfall_without"] or 0.0),
                        st.cell("money", "value"))
        year = item["first_shortfall_year_without"]
        if year is None:
            ws.write_string(row, 5, t("value.none"), st.unit)
        else:
            ws.write_number(row, 5, year, st.cell("year", "value"))
        row += 1
    return row


def _criteria(book: Book, row: int) -> int:
    ws, st = book.sheets[NAME], book.styles
    criteria = book.scenario.criteria
    if not criteria:
        return row
    t = book.t
    row = _band(book, row, t("summary.band_criteria"))
    row = _header(book, row, [t(f"criteria.col.{k}") for k in (
        "criterion", "unit", "baseline", "target", "direction")])
    for c in criteria:
        ws.write_string(row, 0, c.label, st.wrap)  # a criterion is a sentence: wrapped, whole
        ws.write_string(row, 1, c.unit, st.wrap)
        _tall(book, row, wrapped_height([(c.label, LABEL_WIDTH), (c.unit, UNIT_WIDTH)]))
        for col, value in ((2, c.baseline), (3, c.target)):
            if value is not None:
                ws.write_number(row, col, value, st.cell("general", "value"))
        ws.write_string(row, 4, t.word(c.direction), st.unit)
        row += 1
    return row


def _headlines(book: Book, row: int) -> int:
    ws, st = book.sheets[NAME], book.styles
    cur, t = book.scenario.currency, book.t
    row = _band(book, row, t("summary.band_headlines", sheet=t("sheet.about")))
    row = _header(book, row, [t("summary.col.figure"), t("summary.col.unit"),
                              t("summary.col.value")])
    # the meaning's heading across the columns its text runs into
    for col in range(3, book.values["summary_last_col"] + 1):
        ws.write_blank(row - 1, col, None, st.header)
    ws.write_string(row - 1, 3, t("summary.col.meaning"), st.header_line)
    units = {"money": cur, "percent": "%", "year": t("unit.year"), "ratio": t("unit.ratio")}
    # format 1.2: the EU decision amount and maximum EU grant beside the funding-gap rate
    given = book.scenario.eu_cofinancing_rate is not None
    eu = ("decision_amount", "max_eu_grant") if given else ()
    for name in (*HEADLINES, *eu):
        cell = book.cells[f"metric.{name}"]
        kind = kind_of(name)
        ws.write_string(row, 0, t(f"metric.{name}.label"), st.label)
        # every metric explained beside it (runs on to the right, unwrapped)
        # its meaning across the columns to the page's edge, wrapped there (not cut off)
        meaning, last = t(f"metric.{name}.meaning"), book.values["summary_last_col"]
        ws.merge_range(row, 3, row, last, meaning, st.wrap)
        _tall(book, row, wrapped_height([(meaning, NUMBER_WIDTH * (last - 2))]))
        ws.write_string(row, 1, units[kind], st.unit)
        fmt = st.cell(kind, "summary")  # the unit column names the currency
        ws.write_formula(row, 2, f"={cell.ref(NAME)}", fmt, value_or_na(book.metric(name)))
        row += 1
    return row


def _workings(book: Book, row: int) -> tuple[str, str]:
    """The verdict's workings under the charts, one labelled step a row; returns the verdict's
    formula and the engine's wording."""
    ws, st = book.sheets[NAME], book.styles
    a = book.analysis
    row = _band(book, row, book.t("summary.band_workings"))
    at = [row]

    last = book.values["summary_last_col"]

    def put(label: str, formula: str, cached: Any) -> str:
        ws.write_string(at[0], 0, label, st.label_indent)
        # the step's words across the columns to the page's edge, wrapped there
        ws.merge_range(at[0], 2, at[0], last, "", st.wrap)
        ws.write_formula(at[0], 2, formula, st.wrap, cached)
        _tall(book, at[0], wrapped_height([(str(cached), NUMBER_WIDTH * (last - 1))]))
        at[0] += 1
        return Cell(NAME, at[0] - 1, 2).ref(NAME)

    names, ranks, asked = book.values["who_pays"]
    stakeholders = sheet_prefix("Stakeholders", NAME)
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
    formula, text = verdict_workings.write(put, cells, book.results, mc, likely, prudent, book.t)
    book.values["summary_last_row"] = at[0]
    return formula, text


def _pixels(last_col: int) -> int:
    """Width of columns A to ``last_col`` in pixels, as a spreadsheet draws a column of ``w``
    characters in the default font: 7 w + 5."""
    widths = [LABEL_WIDTH, UNIT_WIDTH] + [NUMBER_WIDTH] * (last_col - 1)
    return sum(int(w * 7 + 0.5) + 5 for w in widths)


def _charts(book: Book, tornado: dict[str, Any] | None, row: int, width: int) -> list[int]:
    """The charts, two a row across ``width`` pixels, from ``row``; returns the first row of
    each row of charts and the first row under them."""
    ws, s, t = book.sheets[NAME], book.scenario, book.t
    sources = [(f.label, book.rows[f"all.source.{f.id}"]) for f in s.funding
               if not isinstance(f, Loan)]
    loans = [f for f in s.funding if isinstance(f, Loan)]
    sources += [(t("chart.loan_drawn", name=f.label), book.rows[f"all.loan.{f.id}.in"])
                for f in loans]
    grid = [charts.costs_vs_funding(book, sources, book.rows["costs.total"],
                                    book.rows["cf.money_out"] if loans else None),
            charts.cumulative_cash(book, [(t("chart.all_sources"), book.rows["cf.cumulative_cash"]),
                                          (t("chart.committed_only"),
                                           book.rows["cf.c.cumulative_cash"])])]
    first, last, col = book.values["stakeholder_table"]
    grid.append(charts.stakeholders(book, "Stakeholders", first, last, 0,
                                    [(t("stakeholders.col.contributed_pv"),
                                      col["contributed_pv"]),
                                     (t("stakeholders.col.benefits_received_pv"),
                                      col["benefits_received_pv"])]))
    if tornado is not None:
        grid.append(tornado_chart(book, **tornado))
    chart_width = (width - 12) // 2
    # each row of charts starts on a row of the sheet (rows of 20 pixels, a blank one between),
    # so a page break between them cuts none
    rows_per_chart = CHART_HEIGHT // 20 + 1
    for i, chart in enumerate(grid):
        chart.set_size({"width": chart_width, "height": CHART_HEIGHT})
        ws.insert_chart(row + (i // 2) * rows_per_chart, 0, chart,
                        {"x_offset": (i % 2) * (chart_width + 12), "object_position": 3})
    return [row + i * rows_per_chart for i in range((len(grid) + 1) // 2 + 1)]

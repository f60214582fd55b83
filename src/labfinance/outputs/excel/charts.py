"""Native Excel charts. Their data are ranges of the workbook, so they follow a recalculation.

Series names that come from scenario text are passed as text that cannot be read as a formula.
"""

from __future__ import annotations

from typing import Any

from xlsxwriter.chart import Chart

from labfinance.outputs.excel.book import Book
from labfinance.outputs.excel.cells import Row, shown
from labfinance.outputs.excel.layout import YEAR_ROW

PALETTE = ("#1F3864", "#2E75B6", "#9DC3E6", "#548235", "#A9D18E", "#BF9000", "#FFD966",
           "#7030A0", "#C55A11", "#F4B183", "#7F7F7F", "#D9D9D9")
WIDTH, HEIGHT = 520, 290


def safe(text: str) -> str:
    """Chart text that XlsxWriter will not take for a formula (it reads a leading '=' so), and
    no straight double quote, which LibreOffice reads as a reference (the legend said "Row 93"
    for 'Test-bed fees ("living lab as a service")'): typographic quotes instead."""
    text = " " + text if text.startswith(("=", "+", "-", "@")) else text
    opening = True
    out = []
    for ch in text:
        if ch == '"':
            out.append("\u201c" if opening else "\u201d")
            opening = not opening
        else:
            out.append(ch)
    return "".join(out)


def category_format(kind: str) -> str:
    """The number format of a metric's values on a chart axis: a ratio needs decimals (the BCR's
    bins all read "1" or "2" with "#,##0")."""
    return {"ratio": "0.00", "percent": "0.0%", "year": "0"}.get(kind, "#,##0")


YEAR_AXIS = {"num_font": {"size": 8, "rotation": -45}}  # years slanted, so they never run together


def _range(row: Row, span: str = "horizon") -> list[Any]:
    ts = row.timeline.span(span)
    return [shown(row.sheet), row.row, row.timeline.col(ts[0]), row.row, row.timeline.col(ts[-1])]


def _column(sheet: str, first: int, last: int, col: int) -> list[Any]:
    """Rows ``first``..``last`` of one column of ``sheet``."""
    return [shown(sheet), first, col, last, col]


def _years(row: Row) -> list[Any]:
    ts = row.timeline.span("horizon")
    return [shown(row.sheet), YEAR_ROW, row.timeline.col(ts[0]), YEAR_ROW, row.timeline.col(ts[-1])]


def _metric(book: Book, metric: str) -> str:
    """A metric's name in a chart title: its label, or its key in words."""
    key = f"metric.{metric}.label"
    return book.t(key) if book.t.has(key) else metric.replace("_", " ")


def _style(chart: Chart, title: str, y_title: str, num_format: str) -> Chart:
    chart.set_title({"name": title, "name_font": {"size": 11, "bold": True}})
    chart.set_y_axis({"num_format": num_format, "name": y_title,
                      "name_font": {"size": 9, "bold": False}, "num_font": {"size": 8},
                      "major_gridlines": {"visible": True, "line": {"color": "#E0E0E0"}}})
    chart.set_legend({"position": "bottom", "font": {"size": 8}})
    chart.set_size({"width": WIDTH, "height": HEIGHT})
    chart.set_chartarea({"border": {"color": "#BFBFBF"}})
    return chart


def costs_vs_funding(book: Book, sources: list[tuple[str, Row]], costs: Row,
                     service: Row | None = None) -> Chart:
    """Money in stacked by source, loans drawn included (columns), against money out: costs,
    plus debt service where there are loans (a line), by year; the gap between the two is the
    year's net cash. Without a source the chart is the line alone (a chart without series is
    invalid)."""
    wb = book.workbook
    line = wb.add_chart({"type": "line"})
    t = book.t
    out_name = t("chart.costs") if service is None else t("chart.costs_and_service")
    out_values = _range(costs) if service is None else _range(service)
    line.add_series({"name": out_name, "categories": _years(costs), "values": out_values,
                     "line": {"color": "#C00000", "width": 2.25},
                     "marker": {"type": "diamond", "size": 5,
                                "fill": {"color": "#C00000"}, "border": {"color": "#C00000"}}})
    if sources:
        chart = wb.add_chart({"type": "column", "subtype": "stacked"})
        for i, (name, row) in enumerate(sources):
            chart.add_series({"name": safe(name), "categories": _years(row),
                              "values": _range(row),
                              "fill": {"color": PALETTE[i % len(PALETTE)]}, "gap": 60})
        chart.combine(line)
    else:
        chart = line
    chart.set_x_axis(YEAR_AXIS)
    _style(chart, t("chart.money_in_out"),
           book.scenario.currency, "#,##0")
    chart.set_legend({"position": "right", "font": {"size": 7}})
    return chart


def cumulative_cash(book: Book, rows: list[tuple[str, Row]]) -> Chart:
    chart = book.workbook.add_chart({"type": "line"})
    colours = ("#1F3864", "#C55A11")
    for (name, row), colour in zip(rows, colours, strict=False):
        chart.add_series({"name": safe(name), "categories": _years(row),
                          "values": _range(row), "line": {"color": colour, "width": 2.25},
                          "marker": {"type": "circle", "size": 4, "fill": {"color": colour},
                                     "border": {"color": colour}}})
    chart.set_x_axis({**YEAR_AXIS, "label_position": "low"})
    return _style(chart, book.t("chart.cumulative_cash"),
                  book.scenario.currency, "#,##0")


def stakeholders(book: Book, sheet: str, first: int, last: int, label_col: int,
                 series: list[tuple[str, int]]) -> Chart:
    """Bars per stakeholder: PV contributed against PV of benefits received."""
    chart = book.workbook.add_chart({"type": "bar"})
    colours = ("#2E75B6", "#548235", "#BF9000")
    for (name, col), colour in zip(series, colours, strict=False):
        chart.add_series({"name": name, "categories": _column(sheet, first, last, label_col),
                          "values": _column(sheet, first, last, col),
                          "fill": {"color": colour}, "gap": 40})
    _style(chart, book.t("chart.who_pays"), "", "#,##0")
    chart.set_x_axis({"num_format": "#,##0", "num_font": {"size": 8},
                      "major_gridlines": {"visible": True, "line": {"color": "#E0E0E0"}}})
    chart.set_y_axis({"reverse": True, "num_font": {"size": 8}})
    return chart


def tornado(book: Book, sheet: str, first: int, last: int, label_col: int, low_col: int,
            high_col: int, metric: str) -> Chart:
    """Change of ``metric`` with each parameter at its low and high value (largest on top)."""
    chart = book.workbook.add_chart({"type": "bar"})
    t = book.t
    for name, col, colour in ((t("chart.at_low"), low_col, "#C55A11"),
                              (t("chart.at_high"), high_col, "#2E75B6")):
        chart.add_series({"name": name, "categories": _column(sheet, first, last, label_col),
                          "values": _column(sheet, first, last, col), "fill": {"color": colour},
                          "overlap": 100, "gap": 40})
    _style(chart, t("chart.tornado", metric=_metric(book, metric)), "", "#,##0")
    chart.set_x_axis({"num_format": "#,##0", "num_font": {"size": 8},
                      "major_gridlines": {"visible": True, "line": {"color": "#E0E0E0"}}})
    chart.set_y_axis({"reverse": True, "num_font": {"size": 8}, "label_position": "low"})
    return chart


def histogram(book: Book, sheet: str, first: int, last: int, label_col: int, value_col: int,
              metric: str, kind: str = "money") -> Chart:
    chart = book.workbook.add_chart({"type": "column"})
    t = book.t
    chart.add_series({"name": t("risk.col.share"),
                      "categories": _column(sheet, first, last, label_col),
                      "values": _column(sheet, first, last, value_col),
                      "fill": {"color": "#2E75B6"}, "gap": 5})
    _style(chart, t("chart.distribution", metric=_metric(book, metric)), t("chart.share_axis"),
           "0%")
    chart.set_x_axis({"num_format": category_format(kind),
                      "num_font": {"size": 7, "rotation": -45}})
    chart.set_legend({"none": True})
    return chart


def cumulative_distribution(book: Book, sheet: str, first: int, last: int, x_col: int,
                            y_col: int, metric: str, kind: str = "money") -> Chart:
    chart = book.workbook.add_chart({"type": "scatter", "subtype": "straight"})
    t = book.t
    chart.add_series({"name": t("chart.at_most"),
                      "categories": _column(sheet, first, last, x_col),
                      "values": _column(sheet, first, last, y_col),
                      "line": {"color": "#1F3864", "width": 2}})
    _style(chart, t("chart.cumulative_distribution", metric=_metric(book, metric)),
           t("chart.probability"), "0%")
    chart.set_x_axis({"num_format": category_format(kind), "num_font": {"size": 8},
                      "major_gridlines": {"visible": False}})
    chart.set_y_axis({"min": 0, "max": 1, "num_format": "0%", "num_font": {"size": 8}})
    chart.set_legend({"none": True})
    return chart


def cash_out(book: Book, sheet: str, first: int, last: int, year_col: int,
             value_col: int) -> Chart:
    chart = book.workbook.add_chart({"type": "column"})
    t = book.t
    chart.add_series({"name": t("chart.cash_below"),
                      "categories": _column(sheet, first, last, year_col),
                      "values": _column(sheet, first, last, value_col),
                      "fill": {"color": "#C55A11"}, "gap": 40})
    _style(chart, t("chart.cash_out"), t("chart.probability"), "0%")
    chart.set_y_axis({"min": 0, "max": 1, "num_format": "0%", "num_font": {"size": 8}})
    chart.set_legend({"none": True})
    return chart

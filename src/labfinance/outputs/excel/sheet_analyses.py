"""Sensitivity, Risk and Variants: results the spreadsheet cannot recompute, written as values and
labelled with the tool version, seed and draws that made them. The Summary flags them when the
Assumptions no longer hold the inputs they were computed from."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from xlsxwriter.chart import Chart
from xlsxwriter.worksheet import Worksheet

from labfinance import __version__
from labfinance.analysis.montecarlo import spread
from labfinance.engine.catalogue import BY_NAME, METRICS, reported
from labfinance.outputs.excel import charts, sheet_risks
from labfinance.outputs.excel.book import NA, Book, scalar
from labfinance.outputs.excel.layout import print_landscape
from labfinance.outputs.excel.styles import Styles


def kind_of(metric: str) -> str:
    """The cell format of a metric's values (see :mod:`labfinance.engine.catalogue`)."""
    kind = BY_NAME[metric].kind
    return "percent" if kind == "rate" else kind


def put(ws: Worksheet, st: Styles, row: int, col: int, value: Any, kind: str = "money") -> None:
    """A value cell (not a formula): numbers as numbers, None/NaN as n/a, text as text."""
    if isinstance(value, str):
        ws.write_string(row, col, value, st.cell("text", "value"))
    elif value is None or (isinstance(value, float) and not math.isfinite(value)):
        ws.write_string(row, col, NA, st.cell("text", "value"))
    else:
        if kind == "parameter":  # money, a count or a share: as many decimals as its size needs
            size = abs(float(value))
            kind = "money" if size >= 100 else "quantity" if size >= 1 else "fine"
        ws.write_number(row, col, float(value), st.cell(kind, "value"))


def frame(book: Book, name: str, note: str, widths: list[int]) -> Worksheet:
    ws, st = book.sheets[name], book.styles
    ws.write_string(0, 0, name, st.title)
    ws.write_string(1, 0, note, st.subtitle)
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    print_landscape(ws)
    return ws


def header(ws: Worksheet, st: Styles, row: int, labels: list[str]) -> None:
    for col, text in enumerate(labels):
        ws.write_string(row, col, text, st.header)


def label(analysis: Any) -> str:
    mc = analysis.monte_carlo or {}
    seed = f", seed {mc['seed']}, {mc['draws']} draws" if mc else ""
    return (f"Values, not formulas: computed by labfinance {__version__}{seed} from the inputs "
            "in the 'As analysed' column of Assumptions.")


def sensitivity(book: Book) -> dict[str, Any] | None:
    sens = book.analysis.sensitivity
    if not sens:
        return None
    ws, st = frame(book, "Sensitivity", label(book.analysis) + " One-way: each parameter at "
                   "the 10th and 90th percentile of its range.",
                   [44, 20, 14, 14, 14, 16, 16, 16, 16, 16]), book.styles
    ws.freeze_panes(4, 1)
    header(ws, st, 3, ["Parameter", "Metric", "Low", "High", "Base", "Metric at low",
                       "Metric at high", "Swing", "Change at low", "Change at high"])
    bars = sorted(sens.get("tornado", []), key=lambda b: (
        [b2["metric"] for b2 in sens["tornado"]].index(b["metric"]), -(b["swing"] or 0)))
    row = 4
    blocks: dict[str, list[int]] = {}
    for bar in bars:
        metric = bar["metric"]
        base = book.metric(metric) if metric in METRICS else math.nan
        ws.write_string(row, 0, bar["parameter"], st.label)
        ws.write_string(row, 1, metric, st.label)
        for col, key in enumerate(("low", "high", "base"), start=2):
            put(ws, st, row, col, bar[key], "parameter")
        for col, key in enumerate(("at_low", "at_high", "swing"), start=5):
            put(ws, st, row, col, bar[key], kind_of(metric))
        for col, key in ((8, "at_low"), (9, "at_high")):
            value = bar[key]
            put(ws, st, row, col, None if value is None else value - base, kind_of(metric))
        blocks.setdefault(metric, []).append(row)
        row += 1
    row += 2
    ws.write_string(row, 0, "Switching values: the value of a parameter at which the metric "
                    "reaches its target", st.band)
    row += 1
    header(ws, st, row, ["Parameter", "Metric", "Target", "Base", "Switching value",
                         "Reason"])
    row += 1
    for item in sens.get("switching_values", []):
        ws.write_string(row, 0, item["parameter"], st.label)
        ws.write_string(row, 1, item["metric"], st.label)
        for col, key in ((2, "target"), (3, "base"), (4, "value")):
            put(ws, st, row, col, item[key], "parameter")
        if item.get("reason"):
            ws.write_string(row, 5, item["reason"], st.label)  # no wrap: runs on to the right
        row += 1
    row += 2
    placed = None
    for metric, rows in blocks.items():
        ws.insert_chart(row, 0, tornado_chart(book, rows[0], rows[-1], metric))
        row += 16
        if placed is None:
            placed = {"first": rows[0], "last": rows[-1], "metric": metric}
    return placed


def tornado_chart(book: Book, first: int, last: int, metric: str) -> Chart:
    """The tornado of ``metric`` over the Sensitivity rows ``first``..``last`` (parameter names in
    column A, the changes at low and high in columns I and J)."""
    return charts.tornado(book, "Sensitivity", first, last, 0, 8, 9, metric)


def risk(book: Book) -> None:
    mc = book.analysis.monte_carlo
    if not mc:
        return
    ws, st = frame(book, "Risk", label(book.analysis) + " Monte Carlo: each non-committed "
                   "source awarded with its probability.",
                   [30, 15, 15, 15, 15, 15, 15, 15, 15, 15, 13, 13]), book.styles
    ws.freeze_panes(4, 1)
    stats_keys = ("mean", "sd", "p5", "p10", "p20", "p50", "p80", "p90", "p95")
    header(ws, st, 3, ["Metric", "Mean", "SD", "P5", "P10", "P20", "P50 (likely)",
                       "P80 (prudent)", "P90", "P95", "P(below 0)", "Share n/a"])
    row = 4
    for metric, stats in mc.get("metrics", {}).items():
        ws.write_string(row, 0, metric, st.label)
        for col, key in enumerate(stats_keys, start=1):
            put(ws, st, row, col, stats.get(key), kind_of(metric))
        put(ws, st, row, len(stats_keys) + 1, stats.get("prob_below_zero"), "percent")
        put(ws, st, row, len(stats_keys) + 2, stats.get("share_null"), "percent")
        row += 1
    row += 1
    for key, text in (("prob_shortfall", "Probability of a funding shortfall"),
                      ("prob_bcr_below_1", "Probability that the BCR is below 1")):
        ws.write_string(row, 0, text, st.label_bold)
        put(ws, st, row, 1, mc.get(key), "percent")
        row += 1
    row += 1
    ws.write_string(row, 0, "Probability of running out of cash by year", st.band)
    row += 1
    header(ws, st, row, ["Year", "P(cumulative cash < 0)"])
    row += 1
    first = row
    for year, p in zip(book.results.years, mc.get("prob_cash_out_by_year", []), strict=False):
        ws.write_number(row, 0, year, st.cell("year", "value"))
        put(ws, st, row, 1, p, "percent")
        row += 1
    if row > first:
        ws.insert_chart(first - 2, 3, charts.cash_out(book, "Risk", first, row - 1, 0, 1))
    row = max(row, first + 14) + 2
    samples = getattr(book.analysis, "samples", None) or {}
    for metric in [m for m in ("economic_npv", "funding_shortfall", "bcr") if m in samples][:3]:
        found = spread(np.asarray(samples[metric], dtype=float))
        if found is None:
            continue
        ws.write_string(row, 0, f"{metric}: histogram and cumulative distribution", st.band)
        row += 1
        header(ws, st, row, ["Bin centre", "Share of draws", "", "Value", "P(at most value)"])
        row += 1
        top = row
        for i, (centre, share) in enumerate(zip(found.centres, found.shares, strict=True)):
            put(ws, st, row + i, 0, float(centre), kind_of(metric))
            put(ws, st, row + i, 1, float(share), "percent")
        for i, (q, p) in enumerate(zip(found.quantiles, found.probabilities, strict=True)):
            put(ws, st, row + i, 3, float(q), kind_of(metric))
            put(ws, st, row + i, 4, float(p), "percent")
        ws.insert_chart(top, 6, charts.histogram(book, "Risk", top, top + found.centres.size - 1,
                                                 0, 1, metric))
        ws.insert_chart(top + 16, 6, charts.cumulative_distribution(book, "Risk", top, top + 20,
                                                                    3, 4, metric))
        row = top + 34
    sheet_risks.register(book, ws, row, put, header)  # format 1.2: risks and correlations


def variants(book: Book) -> None:
    found = book.analysis.variants
    if not found:
        return
    a = book.analysis
    names = [a.variant or "base", *found]
    ws, st = frame(book, "Variants", label(a) + " Each variant is the file with its `set` "
                   "overrides applied.", [40] + [20] * len(names)), book.styles
    ws.freeze_panes(5, 1)
    header(ws, st, 3, ["Metric", *names])
    ws.write_string(4, 0, "description", st.subtitle)
    file_variants = a.loaded.scenario.variants
    for col, name in enumerate(names, start=1):
        text = file_variants[name].description if name in file_variants else (
            "this workbook's case" if col == 1 else "the file's own case")
        ws.write_string(4, col, text, st.wrap)
    results = [a.results, *found.values()]
    for i, metric in enumerate(reported(a.scenario)):
        ws.write_string(5 + i, 0, metric, st.label)
        for col, res in enumerate(results, start=1):
            put(ws, st, 5 + i, col, scalar(res.metrics[metric]), kind_of(metric))

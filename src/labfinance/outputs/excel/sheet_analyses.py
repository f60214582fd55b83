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
from labfinance.outputs.excel.book import Book, scalar
from labfinance.outputs.excel.cells import na
from labfinance.outputs.excel.layout import print_landscape, wrapped_height
from labfinance.outputs.excel.styles import Styles
from labfinance.outputs.parameter_words import parameter_words, sentence_words
from labfinance.texts import Texts


def kind_of(metric: str) -> str:
    """The cell format of a metric's values (see :mod:`labfinance.engine.catalogue`)."""
    kind = BY_NAME[metric].kind
    return "percent" if kind == "rate" else kind


def put(ws: Worksheet, st: Styles, row: int, col: int, value: Any, kind: str = "money") -> None:
    """A value cell (not a formula): numbers as numbers, None/NaN as n/a, text as text."""
    if isinstance(value, str):
        ws.write_string(row, col, value, st.cell("text", "value"))
    elif value is None or (isinstance(value, float) and not math.isfinite(value)):
        ws.write_string(row, col, na(), st.na)  # right-aligned, under its heading like a number
    else:
        if kind == "parameter":  # money, a count or a share: as many decimals as its size needs
            size = abs(float(value))
            kind = "money" if size >= 100 else "quantity" if size >= 1 else "fine"
        ws.write_number(row, col, float(value), st.cell(kind, "value"))


def metric_label(t: Texts, metric: str) -> str:
    """A metric in words (its catalogue label), a name the catalogue does not know as it is."""
    return t(f"metric.{metric}.label") if t.has(f"metric.{metric}.label") else metric


def frame(book: Book, name: str, note: str, widths: list[int]) -> Worksheet:
    ws, st = book.sheets[name], book.styles
    ws.write_string(0, 0, book.t(f"sheet.{name.lower()}"), st.title)
    ws.write_string(1, 0, note, st.subtitle)
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    print_landscape(ws)
    return ws


def header(ws: Worksheet, st: Styles, row: int, labels: list[str], text_cols: int = 1) -> None:
    """A table's header row: the first ``text_cols`` columns hold text (left-aligned), the
    others numbers, whose headings stand right-aligned over them."""
    for col, text in enumerate(labels):
        ws.write_string(row, col, text, st.header if col < text_cols else st.header_number)


def label(book: Book) -> str:
    mc = book.analysis.monte_carlo or {}
    t = book.t
    seed = t("analyses.seed", seed=mc["seed"], draws=mc["draws"]) if mc else ""
    return t("analyses.values", version=__version__, seed=seed,
             column=t("assumptions.col.analysed"))


def sensitivity(book: Book) -> dict[str, Any] | None:
    sens = book.analysis.sensitivity
    if not sens:
        return None
    t, s = book.t, book.scenario
    ws, st = frame(book, "Sensitivity", label(book) + " " + t("sensitivity.note"),
                   [62, 34, 14, 14, 14, 16, 16, 16, 16, 16, 40]), book.styles
    ws.freeze_panes(4, 1)
    ws.repeat_rows(3)
    header(ws, st, 3, [t(f"sensitivity.col.{k}") for k in (
        "parameter", "metric", "low", "high", "base", "at_low", "at_high", "swing",
        "change_low", "change_high")], text_cols=2)
    ws.write_string(3, 10, t("assumptions.col.path"), st.header)  # the path, in its own column
    bars = sorted(sens.get("tornado", []), key=lambda b: (
        [b2["metric"] for b2 in sens["tornado"]].index(b["metric"]), -(b["swing"] or 0)))
    row = 4
    blocks: dict[str, list[int]] = {}
    for bar in bars:
        metric = bar["metric"]
        base = book.metric(metric) if metric in METRICS else math.nan
        ws.write_string(row, 0, parameter_words(s, bar["parameter"], t), st.label)
        ws.write_string(row, 1, metric_label(t, metric), st.label)
        ws.write_string(row, 10, bar["parameter"], st.unit)
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
    ws.write_string(row, 0, t("sensitivity.band_switching"), st.band)
    row += 1
    header(ws, st, row, [t(f"sensitivity.col.{k}") for k in (
        "parameter", "metric", "target", "base", "switching", "reason")], text_cols=2)
    ws.write_string(row, 5, t("sensitivity.col.reason"), st.header)
    ws.write_string(row, 10, t("assumptions.col.path"), st.header)
    row += 1
    for item in sens.get("switching_values", []):
        ws.write_string(row, 0, parameter_words(s, item["parameter"], t), st.label)
        ws.write_string(row, 1, metric_label(t, item["metric"]), st.label)
        ws.write_string(row, 10, item["parameter"], st.unit)
        for col, key in ((2, "target"), (3, "base"), (4, "value")):
            put(ws, st, row, col, item[key], "parameter")
        if item.get("reason"):
            # no wrap: runs on to the right
            ws.write_string(row, 5, sentence_words(s, item["reason"], t), st.label)
        row += 1
    row += 2
    placed = None
    breaks = []
    for i, metric_rows in enumerate(blocks.items()):
        metric, rows = metric_rows
        if i % 2 == 0:  # two tornadoes a page, none cut by a page break
            breaks.append(row)
        ws.insert_chart(row, 0, tornado_chart(book, rows[0], rows[-1], metric))
        row += 16
        if placed is None:
            placed = {"first": rows[0], "last": rows[-1], "metric": metric}
    ws.set_h_pagebreaks(breaks)
    return placed


def tornado_chart(book: Book, first: int, last: int, metric: str) -> Chart:
    """The tornado of ``metric`` over the Sensitivity rows ``first``..``last`` (parameter names in
    column A, the changes at low and high in columns I and J)."""
    return charts.tornado(book, "Sensitivity", first, last, 0, 8, 9, metric)


def risk(book: Book) -> None:
    mc = book.analysis.monte_carlo
    if not mc:
        return
    t = book.t
    ws, st = frame(book, "Risk", label(book) + " " + t("risk.note"),
                   [44, 15, 15, 15, 15, 15, 15, 15, 15, 15, 13, 13]), book.styles
    ws.freeze_panes(4, 1)
    ws.repeat_rows(0, 1)
    stats_keys = ("mean", "sd", "p5", "p10", "p20", "p50", "p80", "p90", "p95")
    header(ws, st, 3, [t(f"risk.col.{k}") for k in (
        "metric", "mean", "sd", "p5", "p10", "p20", "p50", "p80", "p90", "p95", "below_zero",
        "share_na")])
    row = 4
    for metric, stats in mc.get("metrics", {}).items():
        ws.write_string(row, 0, metric_label(t, metric), st.label)
        for col, key in enumerate(stats_keys, start=1):
            # a year metric's mean and sd are not years a draw has: shown to a tenth of a year
            kind = "tenths" if kind_of(metric) == "year" and key in ("mean", "sd") \
                else kind_of(metric)
            put(ws, st, row, col, stats.get(key), kind)
        put(ws, st, row, len(stats_keys) + 1, stats.get("prob_below_zero"), "percent")
        put(ws, st, row, len(stats_keys) + 2, stats.get("share_null"), "percent")
        row += 1
    row += 1
    for key in ("prob_shortfall", "prob_bcr_below_1"):
        ws.write_string(row, 0, t(f"risk.{key}"), st.label_bold)
        put(ws, st, row, 1, mc.get(key), "percent")
        row += 1
    row += 1
    ws.write_string(row, 0, t("risk.band_cash_out"), st.band)
    row += 1
    header(ws, st, row, [t("assumptions.col.year"), t("risk.cash_out")])
    row += 1
    first = row
    for year, p in zip(book.results.years, mc.get("prob_cash_out_by_year", []), strict=False):
        ws.write_number(row, 0, year, st.cell("year", "value"))
        put(ws, st, row, 1, p, "percent")
        row += 1
    if row > first:
        ws.insert_chart(first - 2, 3, charts.cash_out(book, "Risk", first, row - 1, 0, 1))
    row = max(row, first + 14) + 2
    breaks = [first - 3]  # the cash-out table and chart start a page; so does each histogram
    samples = getattr(book.analysis, "samples", None) or {}
    for metric in [m for m in ("economic_npv", "funding_shortfall", "bcr") if m in samples][:3]:
        found = spread(np.asarray(samples[metric], dtype=float))
        if found is None:
            continue
        breaks.append(row)
        ws.write_string(row, 0, t("risk.band_histogram", metric=metric_label(t, metric)), st.band)
        row += 1
        header(ws, st, row, [t("risk.col.bin"), t("risk.col.share"), "", t("risk.col.value"),
                             t("risk.col.at_most")])
        row += 1
        top = row
        for i, (centre, share) in enumerate(zip(found.centres, found.shares, strict=True)):
            put(ws, st, row + i, 0, float(centre), kind_of(metric))
            put(ws, st, row + i, 1, float(share), "percent")
        for i, (q, p) in enumerate(zip(found.quantiles, found.probabilities, strict=True)):
            put(ws, st, row + i, 3, float(q), kind_of(metric))
            put(ws, st, row + i, 4, float(p), "percent")
        last = top + found.centres.size - 1
        ws.insert_chart(top - 1, 6, charts.histogram(book, "Risk", top, last,
                                                 0, 1, metric, kind_of(metric)))
        ws.insert_chart(top + 15, 6, charts.cumulative_distribution(book, "Risk", top, top + 20,
                                                                    3, 4, metric,
                                                                    kind_of(metric)))
        row = top + 34
    sheet_risks.register(book, ws, row, put, header)  # format 1.2: risks and correlations
    ws.set_h_pagebreaks(breaks)


def variants(book: Book) -> None:
    found = book.analysis.variants
    if not found:
        return
    a = book.analysis
    names = [a.variant or "base", *found]
    t = book.t
    ws, st = frame(book, "Variants", label(book) + " " + t("variants.note"),
                   [44] + [20] * len(names)), book.styles
    ws.freeze_panes(5, 1)
    ws.repeat_rows(3, 4)
    header(ws, st, 3, [t("risk.col.metric"), *names])
    ws.write_string(4, 0, t("variants.description"), st.subtitle)
    file_variants = a.loaded.scenario.variants
    texts = []
    for col, name in enumerate(names, start=1):
        text = file_variants[name].description if name in file_variants else (
            t("variants.this_case") if col == 1 else t("variants.file_case"))
        ws.write_string(4, col, text, st.wrap)
        texts.append((text, 20))
    ws.set_row(4, wrapped_height(texts))
    results = [a.results, *found.values()]
    for i, metric in enumerate(reported(a.scenario)):
        ws.write_string(5 + i, 0, metric_label(t, metric), st.label)
        for col, res in enumerate(results, start=1):
            put(ws, st, 5 + i, col, scalar(res.metrics[metric]), kind_of(metric))

"""Assemble the workbook: sheet order is data; each sheet has its own small builder."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import xlsxwriter

from labfinance import __version__
from labfinance.outputs.excel import (
    sheet_analyses,
    sheet_assumptions,
    sheet_benefits,
    sheet_cashflow,
    sheet_checks,
    sheet_costs,
    sheet_funding,
    sheet_source,
    sheet_stakeholders,
    sheet_summary,
    sheet_text,
)
from labfinance.outputs.excel.book import Book, after_columns
from labfinance.outputs.excel.cells import sheet_names as naming
from labfinance.outputs.excel.layout import Timeline, print_footer
from labfinance.outputs.excel.styles import Styles
from labfinance.texts import Texts

SHEETS = ("Summary", "Assumptions", "Costs", "Funding", "Benefits", "Cash flow", "Stakeholders",
          "Sensitivity", "Risk", "Variants", "Criteria", "Checks", "About")
OPTIONAL = {"Sensitivity": "sensitivity", "Risk": "monte_carlo", "Variants": "variants"}


def sheet_names(analysis: Any) -> list[str]:
    """The sheets of this analysis, in order: Sensitivity, Risk and Variants only when present."""
    return [name for name in SHEETS
            if name not in OPTIONAL or getattr(analysis, OPTIONAL[name], None)]


def timestamp() -> dt.datetime:
    """A fixed creation time, so that the same input gives the same bytes. SOURCE_DATE_EPOCH
    (the reproducible-builds convention) overrides it."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).replace(tzinfo=None)
    return dt.datetime(2000, 1, 1)


def label_width(s: Any) -> float:
    """Column A wide enough for the longest line-item name (the same on every timeline sheet),
    so no label is cut."""
    names = [c.label for c in s.costs] + [f"{f.label} (in natura)" for f in s.funding]
    names += [b.label for b in s.benefits]
    names += [h.name or sid for sid, h in s.stakeholders.items()]
    longest = max((len(n) for n in names), default=0)
    return min(110.0, max(64.0, 1.1 * longest + 4))


def names_of(t: Texts) -> dict[str, str]:
    """The name of each sheet (by key) in the reader's language."""
    return {key: t(f"sheet.{key.lower().replace(' ', '_')}") for key in SHEETS}


def write_workbook(analysis: Any, path: str | Path, lang: str = "en") -> None:
    """Write the business-case workbook of ``analysis`` (an
    :class:`~labfinance.analysis.run.Analysis`) to ``path``, in language ``lang``."""
    t = Texts(lang)
    with naming(names_of(t), t("value.na")):
        _write(analysis, path, t)


def _write(analysis: Any, path: str | Path, t: Texts) -> None:
    s = analysis.scenario
    names = names_of(t)
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": False})
    try:
        workbook.set_properties({
            "title": s.name, "subject": t("book.subject"),
            "author": "labfinance", "comments": t("book.comments", version=__version__),
            "created": timestamp(),
        })
        workbook.set_calc_mode("auto")
        book = Book(workbook, Styles(workbook, s.currency),
                    Timeline(s.start_year, s.years, after_columns(s)), analysis, t=t)
        book.label_width = label_width(s)
        for name in sheet_names(analysis):
            book.sheets[name] = workbook.add_worksheet(names[name])
        sheet_assumptions.build(book)
        costs = sheet_costs.build(book)
        sheet_benefits.build(book)
        sheet_funding.build(book, costs)
        sheet_cashflow.build(book)
        sheet_stakeholders.build(book)
        sheet_checks.build(book)
        tornado = sheet_analyses.sensitivity(book)
        sheet_analyses.risk(book)
        sheet_analyses.variants(book)
        sheet_text.criteria(book)
        sheet_text.about(book)
        sheet_summary.build(book, tornado)
        sheet_source.build(book)
        for sheet in book.timeline_sheets:
            sheet.finish()
        for ws in book.sheets.values():
            print_footer(ws, s.name, t)
        for name, cell in book.names.items():
            workbook.define_name(name, "=" + cell.ref(""))
    finally:
        workbook.close()

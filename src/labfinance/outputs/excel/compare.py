"""The ``compare`` workbook: one sheet, one column per case, values (the cases' base draws)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from labfinance import __version__
from labfinance.engine.catalogue import CATALOGUE
from labfinance.outputs.excel.layout import print_landscape
from labfinance.outputs.excel.styles import Styles
from labfinance.outputs.excel.workbook import timestamp
from labfinance.outputs.report import metrics_json


def write_workbook(cases: Sequence[Any], path: str | Path) -> None:
    """A one-sheet workbook: labels and units in columns A-B, one column per case, values only.

    Scenario text is written as text (``write_string``), never as a formula.
    """
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False,
                                           "strings_to_urls": False})
    try:
        book.set_properties({"title": "Scenarios and variants side by side",
                             "author": "labfinance", "created": timestamp()})
        currencies = {case.loaded.scenario.currency for case in cases}
        st = Styles(book, currencies.pop() if len(currencies) == 1 else "")
        sheet = book.add_worksheet("Compare")
        bold, wrap = st.label_bold, st.wrap
        formats = {"money": st.cell("money", "value"), "year": st.cell("year", "value"),
                   "rate": st.cell("percent", "value"), "ratio": st.cell("ratio", "value")}
        sheet.write_string(0, 0, "Scenarios and variants side by side", st.title)
        sheet.write_string(1, 0, f"labfinance {__version__}; base-case values, not formulas",
                           st.subtitle)
        top = 3
        labels = [("Case", ""), ("Scenario", ""), ("File", ""), ("SHA-256", ""),
                  ("Variant", ""), ("Description", ""), ("Currency", "")]
        for i, (label, unit) in enumerate(labels):
            sheet.write_string(top + i, 0, label, bold)
            sheet.write_string(top + i, 1, unit, st.unit)
        sheet.write_string(top - 1, 0, "Metric", st.header)
        sheet.write_string(top - 1, 1, "Unit", st.header)
        for j, case in enumerate(cases):
            col = 2 + j
            s = case.loaded.scenario
            texts = [case.label, s.name, case.loaded.path, case.loaded.document.sha256,
                     case.variant, case.description, s.currency]
            for i, text in enumerate(texts):
                sheet.write_string(top + i, col, text, bold if i == 0 else wrap)
        first = top + len(labels) + 1
        metrics = [metrics_json(case.results) for case in cases]
        # a metric no case reports (the EU decision amount without eu_cofinancing_rate) is left out
        shown = [m for m in CATALOGUE if any(m.name in values for values in metrics)]
        for i, metric in enumerate(shown):
            name, kind = metric.name, metric.kind
            sheet.write_string(first + i, 0, name, st.label)
            sheet.write_string(first + i, 1, metric.unit, st.unit)
            for j, values in enumerate(metrics):
                value = values.get(name)
                if value is None:
                    sheet.write_string(first + i, 2 + j, "n/a", st.cell("text", "value"))
                else:
                    sheet.write_number(first + i, 2 + j, value, formats[kind])
        sheet.set_column(0, 0, 28)
        sheet.set_column(1, 1, 10)
        sheet.set_column(2, 1 + max(1, len(cases)), 24)
        sheet.freeze_panes(top + 1, 2)
        print_landscape(sheet)
    finally:
        book.close()

"""The ``compare`` workbook: one sheet, one column per case, values (the cases' base draws)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from labfinance import __version__
from labfinance.engine.core import METRICS
from labfinance.outputs.report import YEAR_METRICS, metrics_json

_RATES = {"financial_irr", "financial_mirr", "funding_gap_rate", "economic_irr"}


def write_workbook(cases: Sequence[Any], path: str | Path) -> None:
    """A one-sheet workbook: labels and units in columns A-B, one column per case, values only.

    Scenario text is written as text (``write_string``), never as a formula.
    """
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False,
                                           "strings_to_urls": False})
    try:
        sheet = book.add_worksheet("Compare")
        bold = book.add_format({"bold": True})
        wrap = book.add_format({"text_wrap": True, "valign": "top"})
        formats = {
            "money": book.add_format({"num_format": "#,##0"}),
            "year": book.add_format({"num_format": "0"}),
            "rate": book.add_format({"num_format": "0.00%"}),
            "ratio": book.add_format({"num_format": "0.00"}),
        }
        sheet.write_string(0, 0, "Scenarios and variants side by side", bold)
        sheet.write_string(1, 0, f"labfinance {__version__}; base-case values, not formulas")
        top = 3
        labels = [("Case", ""), ("Scenario", ""), ("File", ""), ("SHA-256", ""),
                  ("Variant", ""), ("Description", ""), ("Currency", "")]
        for i, (label, unit) in enumerate(labels):
            sheet.write_string(top + i, 0, label, bold)
            sheet.write_string(top + i, 1, unit)
        sheet.write_string(top - 1, 1, "Unit", bold)
        for j, case in enumerate(cases):
            col = 2 + j
            s = case.loaded.scenario
            texts = [case.label, s.name, case.loaded.path, case.loaded.document.sha256,
                     case.variant, case.description, s.currency]
            for i, text in enumerate(texts):
                sheet.write_string(top + i, col, text, bold if i == 0 else wrap)
        first = top + len(labels) + 1
        metrics = [metrics_json(case.results) for case in cases]
        for i, name in enumerate(METRICS):
            kind = ("year" if name in YEAR_METRICS else "rate" if name in _RATES
                    else "ratio" if name == "bcr" else "money")
            sheet.write_string(first + i, 0, name)
            sheet.write_string(first + i, 1, {"money": "currency", "year": "year", "rate": "%",
                                              "ratio": "ratio"}[kind])
            for j, values in enumerate(metrics):
                value = values[name]
                if value is None:
                    sheet.write_string(first + i, 2 + j, "n/a")
                else:
                    sheet.write_number(first + i, 2 + j, value, formats[kind])
        sheet.set_column(0, 0, 28)
        sheet.set_column(1, 1, 10)
        sheet.set_column(2, 1 + max(1, len(cases)), 24)
        sheet.freeze_panes(top + 1, 2)
        sheet.set_landscape()
        sheet.fit_to_pages(1, 0)
    finally:
        book.close()

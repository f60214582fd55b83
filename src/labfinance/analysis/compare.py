"""Several scenarios or variants side by side: ``labfinance compare FILE[#VARIANT]...``.

A case is a file and one of its variants (``base`` for the file as written); a file named alone
stands for its base case and every variant, in file order. Each case is evaluated by the same
engine as ``run`` (its base draw; no sensitivity or Monte Carlo).
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labfinance import __version__
from labfinance.engine.core import METRICS, Results, evaluate
from labfinance.model.loader import Loaded, ScenarioError, load, with_overrides
from labfinance.outputs.report import YEAR_METRICS, metrics_json, money

__all__ = ["Case", "compare_json", "load_cases", "parse_case", "table_lines", "write_workbook"]

# The metrics of the terminal table, with how each is shown
TABLE_METRICS = (
    ("total_cost", "money"), ("total_funding", "money"), ("funding_shortfall", "money"),
    ("secured_funding_shortfall", "money"), ("peak_cash_need", "money"),
    ("first_shortfall_year", "year"), ("financial_npv", "money"), ("funding_gap_rate", "rate"),
    ("economic_npv", "money"), ("economic_irr", "rate"), ("bcr", "ratio"),
    ("payback_year", "year"),
)
_RATES = {"financial_irr", "financial_mirr", "funding_gap_rate", "economic_irr"}


@dataclass
class Case:
    """One column of the comparison."""

    path: str
    loaded: Loaded
    variant: str
    results: Results

    @property
    def label(self) -> str:
        return f"{Path(self.path).stem}#{self.variant}"

    @property
    def description(self) -> str:
        if self.variant == "base":
            return "the scenario as written"
        return self.loaded.scenario.variants[self.variant].description


def parse_case(argument: str) -> tuple[str, str | None]:
    """``FILE#VARIANT`` -> (FILE, VARIANT); ``FILE`` -> (FILE, None). A file whose own name holds
    a ``#`` is taken whole when it exists."""
    if "#" in argument and not Path(argument).exists():
        path, variant = argument.rsplit("#", 1)
        return path, variant or None
    return argument, None


def load_cases(arguments: Iterable[str]) -> list[Case]:
    """Load and evaluate every case; raises :class:`ScenarioError` with every problem at once."""
    cases: list[Case] = []
    errors: list[str] = []
    loaded_files: dict[str, Loaded] = {}
    for argument in arguments:
        path, variant = parse_case(argument)
        try:
            if path not in loaded_files:
                loaded_files[path] = load(path)
            loaded = loaded_files[path]
            if variant not in (None, "base") and variant not in loaded.scenario.variants:
                known = ", ".join(["base", *loaded.scenario.variants])
                errors.append(f"{path}: no variant '{variant}' (known: {known})")
                continue
            names = ["base", *loaded.scenario.variants] if variant is None else [variant]
            for name in names:
                scenario = with_overrides(loaded, name)
                cases.append(Case(path, loaded, name, evaluate(scenario)))
        except ScenarioError as exc:
            errors += [m if m.startswith(path) else f"{path}: {m}" for m in exc.messages]
    if errors:
        raise ScenarioError(list(dict.fromkeys(errors)))
    return cases


def compare_json(cases: Sequence[Case]) -> dict[str, Any]:
    """``{labfinance_version, cases: [{scenario, variant, metrics}]}``; ``scenario`` holds the
    file's ``name``, ``path`` and ``sha256`` as in the results of ``run``."""
    return {
        "labfinance_version": __version__,
        "cases": [{
            "scenario": {"name": c.loaded.scenario.name, "path": c.loaded.path,
                         "sha256": c.loaded.document.sha256},
            "variant": c.variant,
            "metrics": metrics_json(c.results),
        } for c in cases],
    }


def _shown(value: float | None, kind: str, currency: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if kind == "money":
        return money(value, currency)
    if kind == "year":
        return str(int(value))
    if kind == "rate":
        return f"{value:.1%}"
    return f"{value:.2f}"


def table_lines(cases: Sequence[Case]) -> list[str]:
    """The terminal table: one row per key metric, one column per case."""
    one_file = len({c.path for c in cases}) == 1
    header = ["metric", *(c.variant if one_file else c.label for c in cases)]
    rows = [header]
    metrics = [metrics_json(c.results) for c in cases]
    for name, kind in TABLE_METRICS:
        rows.append([name, *(_shown(m[name], kind, c.loaded.scenario.currency)
                             for c, m in zip(cases, metrics, strict=True))])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [cell.rjust(w) for cell, w in zip(row[1:], widths[1:],
                                                                              strict=True)]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines


def write_workbook(cases: Sequence[Case], path: str | Path) -> None:
    """A one-sheet workbook: labels and units in columns A-B, one column per case, values only.

    Scenario text is written as text (``write_string``), never as a formula.
    """
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False,
                                           "strings_to_urls": False})
    # a fixed creation time, as the business-case workbook has: the same input, the same bytes
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    created = (dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).replace(tzinfo=None)
               if epoch.isdigit() and len(epoch) <= 11 else dt.datetime(2000, 1, 1))
    book.set_properties({"created": created})
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

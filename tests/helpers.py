"""Shared helpers for tests: write a scenario file and evaluate it."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from labfinance.engine.core import Results, evaluate
from labfinance.model.loader import load, with_overrides

HEADER = """\
labfinance: 1
name: Test case
start_year: 2026
years: {years}
discount_rate: {rate}
stakeholders:
  city: {{name: City, kind: municipality}}
  police: {{name: Police, kind: police}}
  insurer: {{name: Insurer, kind: insurer}}
  eu: {{name: EU, kind: eu}}
"""


def scenario_file(folder: Path, body: str, *, years: int = 5, rate: float = 0.04,
                  name: str = "case.yaml") -> Path:
    """Write a scenario with a standard header (2026, ``years`` years, four stakeholders)."""
    path = folder / name
    path.write_text(HEADER.format(years=years, rate=rate) + textwrap.dedent(body), encoding="utf-8")
    return path


def run(folder: Path, body: str, *, sets: dict[str, Any] | None = None, **header: Any) -> Results:
    loaded = load(scenario_file(folder, body, **header))
    scenario = with_overrides(loaded, None, list((sets or {}).items()))
    return evaluate(scenario)


def row(results: Results, name: str) -> list[float]:
    return [float(x) for x in results.ledger[name][0]]


def metric(results: Results, name: str) -> float:
    return float(results.metrics[name][0])

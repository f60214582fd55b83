"""Shared helpers for tests: write a scenario file and evaluate it; the test profile."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

from labfinance.engine.core import Results, evaluate
from labfinance.model.loader import load, with_overrides


def profile() -> str:
    """The test profile: "ci" (CI=true, as .ci/run sets) or "dev" (the development loop);
    TEST_PROFILE=ci|dev chooses. It sets hypothesis' examples (tests/conftest.py) and how many
    workbooks the fast tier recalculates in Python (tests/test_workbook_fast.py)."""
    default = "ci" if os.environ.get("CI", "").lower() == "true" else "dev"
    chosen = os.environ.get("TEST_PROFILE", default)
    if chosen not in ("ci", "dev"):
        raise ValueError(f"TEST_PROFILE={chosen!r}: expected ci or dev")
    return chosen


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


# A scenario with every funding type and text that looks like a formula (name, notes, criteria):
# the workbook tests write it to check parity and that scenario text stays text.
TRICKY = """\
labfinance: 1
name: "=HYPERLINK(\\"http://example.org\\",\\"click\\") tricky lab"
description: "+cmd|' /C calc'!A0"
currency: GBP
start_year: 2025
years: 6
prices: nominal
inflation: 0.02
discount_rate: 0.035
social_discount_rate: 0.03
contingency: {capex: 0.2, staff: 0.05}
stakeholders:
  council: {name: "=SUM(1,2)", kind: municipality, note: "-starts with a minus"}
  eu: {kind: eu}
  bank: {kind: other}
  insurer: {kind: insurer}
  residents: {kind: residents}
costs:
  - {id: sensors, name: "@sensors", category: capex, amount: 200000, year: 2025, life: 4,
     escalation: 0.01, note: "=1+1 is not a formula"}
  - {id: platform, category: capex, schedule: {2025: 50000, 2027: 30000}, life: 3}
  - {id: team, category: staff, fte: 1.5, cost_per_fte: 90000, from: 2025, to: 2029}
  - {id: audits, category: compliance, amount: 10000, from: 2026, every: 2, contingency: 0}
funding:
  - {id: erdf, type: grant, stakeholder: eu, rate: 0.5, eligible: [capex, staff], cap: 250000,
     from: 2025, to: 2027, payment: {advance: 0.3, retention: 0.1, lag: 2}}
  - {id: volunteers, type: in_kind, stakeholder: residents, status: expected, probability: 0.5,
     covers: team, share: 0.4}
  - {id: lab_space, type: in_kind, stakeholder: council, status: prospective, probability: 0.4,
     category: capex, amount: 20000, from: 2025, to: 2026}
  - {id: city_fund, type: contribution, stakeholder: council, amount: 150000, from: 2025,
     escalation: 0.01}
  - {id: fixed_grant, type: grant, stakeholder: eu, status: expected, probability: 0.7,
     schedule: {2028: 40000, 2030: 60000}, payment: {lag: 1}}
  - {id: fees, type: revenue, stakeholder: insurer, amount: 12000, from: 2027}
  - {id: bridge, type: loan, stakeholder: bank, amount: 100000, year: 2026, rate: 0.04, term: 8}
  - {id: payer, type: outcome_payment, stakeholder: insurer, status: expected, probability: 0.6,
     benefit: incidents, price: 300, cap: 60000, lag: 1}
benefits:
  - {id: incidents, beneficiary: insurer, quantity: 150, unit_value: 2000, from: 2026,
     ramp_up: [0.25, 0.6], deadweight: 0.1, displacement: 0.2, attribution: 0.3, drop_off: 0.05,
     cash_releasing: true}
  - {id: wellbeing, name: "=wellbeing", beneficiary: residents,
     schedule: {2027: 40000, 2029: 50000}, deadweight: 0.2, escalation: 0.02}
criteria:
  - {id: kpi, name: "=KPI", unit: "%", baseline: 10, target: 5, direction: decrease,
     note: "@note"}
"""

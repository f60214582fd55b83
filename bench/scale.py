"""Scenarios that grow along one axis, for ``bench/scaling.py``: many cost lines, long horizons.

``many_lines`` keeps the largest example (its funding, benefits and 11 cost lines) and adds cost
lines until there are ``lines`` of them, a realistic mix of equipment bought again after its life,
yearly running costs, staff and one-off schedules across every category; ``uncertain_lines`` of
them get two ranges each (equipment: amount and contingency; running costs: amount and
escalation; staff: FTE and cost per FTE), and these replace the example's own ranges.
``long_horizon`` stretches the example to ``years`` years. ``as_a_user_runs`` makes the fresh
Pythons of ``bench/bench.py`` and ``bench/scaling.py`` start as an installed labfinance does.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "smart-mobility-lab.yaml"


def as_a_user_runs() -> None:
    """Fresh Pythons start as an installed labfinance does: from cached bytecode. A shell with
    PYTHONDONTWRITEBYTECODE set (this development machine's) would compile every module on every
    start, about 0.17 s of start-up no user pays."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src" / "labfinance")],
                   check=True)


def _example() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    return data


def _cost(i: int, start: int, years: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Cost line i and the two ranges it gets when it is uncertain."""
    kind = i % 4
    ident = f"line_{i:04d}"
    size = 1_000 + (i * 7_919) % 40_000  # amounts spread over EUR 1k-41k, no two alike in a row
    if kind == 0:
        life = 3 + i % 6
        cost = {"id": ident, "name": f"Equipment {i}", "category": "capex", "amount": 5 * size,
                "year": start + i % min(years, 5), "life": life}
        ranges = {f"costs.{ident}.amount": {"dist": "triangular", "low": 4 * size,
                                             "mode": 5 * size, "high": 7 * size},
                  f"costs.{ident}.contingency": {"dist": "uniform", "low": 0.1, "high": 0.4}}
    elif kind == 1:
        cost = {"id": ident, "name": f"Running cost {i}", "category": "opex", "amount": size,
                "from": start + i % 3, "escalation": 0.01}
        ranges = {f"costs.{ident}.amount": {"dist": "pert", "low": 0.8 * size, "mode": size,
                                             "high": 1.5 * size},
                  f"costs.{ident}.escalation": {"dist": "uniform", "low": 0.0, "high": 0.03}}
    elif kind == 2:
        cost = {"id": ident, "name": f"Staff {i}", "category": "staff", "fte": 0.1 + (i % 9) / 10,
                "cost_per_fte": 90_000 + (i % 5) * 10_000, "from": start, "to": start + 2 + i % 5}
        ranges = {f"costs.{ident}.fte": {"dist": "uniform", "low": 0.05, "high": 1.5},
                  f"costs.{ident}.cost_per_fte": {"dist": "normal", "mean": 110_000, "sd": 10_000,
                                                   "low": 80_000}}
    else:
        category = ("other", "compliance")[i % 2]
        cost = {"id": ident, "name": f"Project cost {i}", "category": category,
                "schedule": {start + i % 3: size, start + 1 + i % 3: size // 2}}
        ranges = {f"costs.{ident}.schedule.{start + i % 3}": {"dist": "uniform", "low": 0.5 * size,
                                                              "high": 2 * size},
                  f"costs.{ident}.contingency": {"dist": "uniform", "low": 0.0, "high": 0.3}}
    return cost, ranges


def many_lines(lines: int = 2_000, uncertain_lines: int = 200) -> dict[str, Any]:
    data = _example()
    start, years = data["start_year"], data["years"]
    added = lines - len(data["costs"])
    step = max(1, added // uncertain_lines) if uncertain_lines else 0
    uncertainty: dict[str, Any] = {}
    for i in range(added):
        cost, ranges = _cost(i, start, years)
        data["costs"].append(cost)
        if step and i % step == 0 and len(uncertainty) < 2 * uncertain_lines:
            uncertainty.update(ranges)
    data["uncertainty"] = uncertainty
    data["name"] = f"{data['name']}, {lines:,} cost lines"
    return data


def long_horizon(years: int = 100) -> dict[str, Any]:
    data = _example()
    data["years"] = years
    data["name"] = f"{data['name']}, {years} years"
    return data


def write(data: dict[str, Any], path: Path) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path

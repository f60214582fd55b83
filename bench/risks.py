"""Cost of the risk register and correlated inputs in Monte Carlo: ``python bench/risks.py``.

Issue 15 asks that Monte Carlo with 10 correlated inputs and 5 risks at 100,000 draws cost at most
1.5 times the same run without them. On the largest example (``smart-mobility-lab``: 12 years,
7 uncertain parameters) three more cost ranges make 10 uncertain inputs, drawn in both runs:

* **without**: the 10 inputs drawn independently, no risks;
* **with**: the same 10 inputs, every pair of them correlated (45 entries, rank correlation 0.3,
  the densest copula 10 inputs can have), and 5 risks over the whole horizon (60 risk-years drawn
  per draw).

Each run is :func:`labfinance.analysis.montecarlo.simulate` on 100,000 draws; the figure is CPU time
(user + system of this process, which other load on a shared machine hardly moves), the median of
``--repeat`` runs, the two cases alternating. Wall time is printed beside it.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import tempfile
import time
from pathlib import Path

import yaml

from labfinance.analysis.distributions import uncertain_parameters
from labfinance.analysis.montecarlo import simulate
from labfinance.model.loader import load
from labfinance.model.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "smart-mobility-lab.yaml"
DRAWS = 100_000
EXTRA_RANGES = {  # three more ranges on cost lines of the example: 10 uncertain inputs in all
    "costs.data_platform.amount": {"dist": "triangular", "low": 250000, "mode": 300000,
                                   "high": 400000},
    "costs.platform_licence.amount": {"dist": "uniform", "low": 40000, "high": 70000},
    "costs.maintenance.amount": {"dist": "pert", "low": 20000, "mode": 30000, "high": 50000},
}
RISKS = [
    {"id": "breach", "category": "compliance", "probability": 0.05, "impact": 150000},
    {"id": "vendor", "category": "capex", "probability": 0.03, "impact": 400000},
    {"id": "outage", "category": "opex", "probability": 0.2, "impact": 20000},
    {"id": "fine", "category": "compliance", "probability": 0.02, "impact": 250000},
    {"id": "vandalism", "category": "capex", "probability": 0.1, "impact": 50000,
     "escalation": 0.01},
]


def scenarios(folder: Path) -> tuple[Scenario, Scenario]:
    raw = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    raw["uncertainty"].update(EXTRA_RANGES)
    raw["variants"] = {}
    without = dict(raw)
    paths = list(raw["uncertainty"])
    assert len(paths) == 10
    linked = dict(raw, risks=RISKS,
                  correlations=[[a, b, 0.3] for a, b in itertools.combinations(paths, 2)])
    out = []
    for name, doc in (("without", without), ("with", linked)):
        path = folder / f"{name}.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        out.append(load(path).scenario)
    return out[0], out[1]


def measure(s: Scenario, seed: int) -> tuple[float, float]:
    parameters, notes = uncertain_parameters(s)
    cpu, wall = time.process_time(), time.perf_counter()
    simulate(s, parameters, draws=DRAWS, seed=seed, notes=notes)
    return time.process_time() - cpu, time.perf_counter() - wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        without, linked = scenarios(Path(tmp))
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    measure(without, 1)  # warm-up: imports, PERT tables
    measure(linked, 1)
    runs: dict[str, list[tuple[float, float]]] = {"without": [], "with": []}
    for k in range(args.repeat):
        runs["without"].append(measure(without, 20261127 + k))
        runs["with"].append(measure(linked, 20261127 + k))
    cpu = {name: statistics.median(c for c, _ in found) for name, found in runs.items()}
    wall = {name: statistics.median(w for _, w in found) for name, found in runs.items()}
    for name in ("without", "with"):
        print(f"{name:8s} CPU {cpu[name]:.2f} s (median of {args.repeat}), wall {wall[name]:.2f} s")
    print(f"ratio    CPU {cpu['with'] / cpu['without']:.2f}x, wall "
          f"{wall['with'] / wall['without']:.2f}x (target: at most 1.5x)")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()

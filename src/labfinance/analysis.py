"""One run of a scenario: the base case, its variants, and (where asked) sensitivity and risk.

This is what the terminal, the JSON and the workbook are made from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from labfinance.engine import Results, evaluate
from labfinance.loader import Loaded, with_overrides
from labfinance.report import metrics_json
from labfinance.scenario import Scenario


@dataclass
class Analysis:
    loaded: Loaded
    scenario: Scenario
    results: Results
    variant: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    variants: dict[str, Results] = field(default_factory=dict)
    sensitivity: dict[str, Any] | None = None
    monte_carlo: dict[str, Any] | None = None

    def json(self) -> dict[str, Any]:
        """The sections of the JSON results beyond the base case."""
        out: dict[str, Any] = {}
        if self.variants:
            out["variants"] = {name: metrics_json(r) for name, r in self.variants.items()}
        if self.sensitivity is not None:
            out["sensitivity"] = self.sensitivity
        if self.monte_carlo is not None:
            out["monte_carlo"] = self.monte_carlo
        return out

    def summary_lines(self) -> list[str]:
        return []


def analyse(loaded: Loaded, scenario: Scenario, *, variant: str | None = None,
            overrides: dict[str, Any] | None = None, draws: int = 0, seed: int = 0,
            extra_metrics: tuple[str, ...] = ()) -> Analysis:
    """Evaluate the chosen case and every named variant of the file."""
    results = evaluate(scenario)
    variants = {"base": evaluate(loaded.scenario)} if variant not in (None, "base") else {}
    for name in loaded.scenario.variants:
        if name != variant:
            variants[name] = evaluate(with_overrides(loaded, name))
    return Analysis(loaded, scenario, results, variant, dict(overrides or {}), variants)

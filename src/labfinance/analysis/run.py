"""One run of a scenario: the base case, its variants, and (where asked) sensitivity and risk.

This is what the terminal, the JSON and the workbook are made from. Sensitivity (tornado and
switching values) and Monte Carlo run when the case has an ``uncertainty`` section or a funding
source that is not committed; ``draws=0`` skips Monte Carlo.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labfinance.analysis.answers import answers as decision_answers
from labfinance.analysis.distributions import uncertain_parameters
from labfinance.analysis.montecarlo import needs_risk_analysis, simulate
from labfinance.analysis.sensitivity import sensitivity as run_sensitivity
from labfinance.analysis.sources import sources_at_risk
from labfinance.engine.catalogue import METRICS
from labfinance.engine.core import Results, evaluate
from labfinance.engine.parameters import Parameters
from labfinance.model.loader import Loaded, with_overrides
from labfinance.model.scenario import Scenario

# ``progress(total)`` gives a context manager whose value has ``update(n)``, or is None
Progress = Callable[[int], AbstractContextManager[Any]]


@dataclass
class Analysis:
    """The chosen case, its variants, and the sensitivity and risk sections where computed.

    ``sensitivity`` and ``monte_carlo`` are exactly the JSON sections; ``samples`` maps every
    metric to the ``(draws,)`` array of its Monte Carlo draws (NaN where null in a draw).
    """

    loaded: Loaded
    scenario: Scenario
    results: Results
    variant: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    variants: dict[str, Results] = field(default_factory=dict)
    sensitivity: dict[str, Any] | None = None
    monte_carlo: dict[str, Any] | None = None
    samples: dict[str, np.ndarray] = field(default_factory=dict)
    sources_at_risk: list[dict[str, Any]] = field(default_factory=list)
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)


def fixed_parameters(loaded: Loaded, variant: str | None,
                     overrides: dict[str, Any] | None) -> dict[str, str]:
    """Paths a variant or ``--set`` fixed, each with who fixed it (for the notes)."""
    fixed: dict[str, str] = {}
    if variant not in (None, "base") and variant in loaded.scenario.variants:
        fixed.update(dict.fromkeys(loaded.scenario.variants[variant].set, f"variant {variant}"))
    fixed.update(dict.fromkeys(overrides or {}, "--set"))
    return fixed


def analyse(loaded: Loaded, scenario: Scenario, *, variant: str | None = None,
            overrides: dict[str, Any] | None = None, draws: int = 0, seed: int = 0,
            extra_metrics: tuple[str, ...] = (), progress: Progress | None = None,
            with_variants: bool = True, with_sensitivity: bool = True,
            threads: int | None = None) -> Analysis:
    """Evaluate the chosen case and every named variant of the file; add sensitivity and risk
    where the case has anything uncertain.

    ``extra_metrics`` adds metrics to the tornado. ``progress(total)``, where given, wraps the
    Monte Carlo run (a progress bar). ``with_variants=False`` and ``with_sensitivity=False`` skip
    what a portfolio does not report; the case and its Monte Carlo are the same either way.
    ``threads`` Monte Carlo chunks run at once (default: the cores, see
    :func:`~labfinance.analysis.montecarlo.default_threads`); the draws are the same bytes.
    """
    if seed < 0 or any(m not in METRICS for m in extra_metrics):
        raise ValueError(f"a seed of 0 or more and known metrics, please (got {seed}, "
                         f"{extra_metrics})")
    case_parameters = Parameters(record=True)  # numeric_parameters(scenario), read on the way
    results = evaluate(scenario, case_parameters)
    variants = ({"base": evaluate(loaded.scenario)}
                if with_variants and variant not in (None, "base") else {})
    for name in loaded.scenario.variants if with_variants else ():
        if name != variant:
            variants[name] = evaluate(with_overrides(loaded, name))
    analysis = Analysis(loaded, scenario, results, variant, dict(overrides or {}), variants)
    analysis.sources_at_risk = sources_at_risk(scenario)
    analysis.answers = decision_answers(results)
    if not needs_risk_analysis(scenario):
        return analysis

    assert case_parameters.recorded is not None
    base_values = dict(case_parameters.recorded)
    parameters, notes = uncertain_parameters(
        scenario, fixed_parameters(loaded, variant, overrides), base_values)
    extra = tuple(m for m in extra_metrics if m not in ("economic_npv", "funding_shortfall"))
    if with_sensitivity:
        analysis.sensitivity = run_sensitivity(scenario, parameters, base_values, extra, notes)
    if draws > 0:
        with (progress or (lambda total: nullcontext()))(draws) as bar:
            mc = simulate(scenario, parameters, draws=draws, seed=seed, notes=notes,
                          on_chunk=None if bar is None else bar.update, threads=threads)
        analysis.monte_carlo = mc.json()
        analysis.samples = mc.samples
        analysis.answers = decision_answers(results, mc.samples, list(mc.cash_out_by_year))
    return analysis

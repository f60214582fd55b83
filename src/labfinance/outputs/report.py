"""Results -> the JSON document of ``run`` and ``compare`` (workbook-and-cli.md, "JSON results")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from labfinance import __version__
from labfinance.engine.catalogue import YEAR_METRICS, reported
from labfinance.engine.core import LEDGER_ROWS, NOMINAL_ROWS, Results
from labfinance.engine.metrics import finite_or_none

number = finite_or_none  # a JSON number: NaN and infinities become null


def _series(values: np.ndarray) -> list[float | int | None]:
    """JSON numbers of a row, NaN and infinities null (as :func:`number` each, at once: a file
    of 2,000 lines has 24,000 of them)."""
    row = np.asarray(values, dtype=float)
    out: list[float | int | None] = list(row.tolist())
    for i in np.flatnonzero(~np.isfinite(row)):
        out[i] = None
    return out


def metrics_json(results: Results, draw: int = 0) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in reported(results.scenario):
        value = number(results.metrics[name][draw])
        out[name] = int(value) if name in YEAR_METRICS and value is not None else value
    return out


def loans_json(results: Results, draw: int = 0) -> dict[str, Any]:
    """Format 1.2: each loan's ``interest``, ``principal`` and ``balance`` (after that year's
    payment) per year, as in the planned case."""
    return {lid: {key: _series(rows[key][draw]) for key in ("interest", "principal", "balance")}
            for lid, rows in results.loans.items()}


def stakeholders_json(results: Results, draw: int = 0) -> dict[str, Any]:
    out = {}
    for sid, figures in results.stakeholders.items():
        holder = results.scenario.stakeholders[sid]

        def pair(key: str, figures: dict[str, np.ndarray] = figures) -> dict[str, Any]:
            return {"total": number(figures[key][draw]), "pv": number(figures[f"{key}_pv"][draw])}

        out[sid] = {
            "name": holder.name or sid,
            "kind": holder.kind,
            "contributed": pair("contributed"),
            "lent": number(figures["lent"][draw]),
            "benefits_received": pair("benefits_received"),
            "cash_releasing_received": pair("cash_releasing_received"),
            "net": number(figures["net"][draw]),
            "represented_by": results.represented_by.get(sid),
            "gain": number(figures["gain"][draw]),
            "weight": number(figures["weight"][draw]),
            "fair_share": number(figures["fair_share"][draw]),
            "secured_fair_share": number(figures["secured_fair_share"][draw]),
            "plan": _plan(figures["plan"][draw]),
            "secured_plan": _plan(figures["secured_plan"][draw]),
        }
    return out


def _plan(values: np.ndarray) -> list[float | int | None] | None:
    """A payer's plan over the years; ``None`` where it has none (represented, or no weights)."""
    return None if np.all(np.isnan(values)) else _series(values)


def results_json(results: Results, *, path: str, sha256: str, variant: str | None,
                 overrides: dict[str, Any], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON results of ``docs/workbook-and-cli.md`` for the base draw."""
    s = results.scenario
    doc: dict[str, Any] = {
        "labfinance_version": __version__,
        "scenario": {"name": s.name, "path": path, "sha256": sha256,
                     "variant": variant or "base", "overrides": overrides},
        "currency": s.currency,
        "years": results.years,
        "ledger": {row: _series(results.ledger[row][0])
                   for row in (*LEDGER_ROWS, *NOMINAL_ROWS) if row in results.ledger},
        "lines": {**{kind: {lid: _series(v[0]) for lid, v in lines.items()}
                     for kind, lines in results.lines.items()},
                  "loans": loans_json(results)},
        "metrics": metrics_json(results),
        "stakeholders": stakeholders_json(results),
        "warnings": list(results.warnings),
        "notes": dict(results.notes),
    }
    doc.update(extra or {})
    return doc


def analysis_json(analysis: Any) -> dict[str, Any]:
    """The sections of the JSON results beyond the base case: variants, sensitivity, risk."""
    out: dict[str, Any] = {}
    if analysis.variants:
        out["variants"] = {name: metrics_json(r) for name, r in analysis.variants.items()}
    if analysis.sensitivity is not None:
        out["sensitivity"] = analysis.sensitivity
    if analysis.monte_carlo is not None:
        out["monte_carlo"] = analysis.monte_carlo
    return out


def compare_json(cases: Sequence[Any]) -> dict[str, Any]:
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

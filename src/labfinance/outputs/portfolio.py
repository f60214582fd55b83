"""The JSON of ``portfolio`` (``workbook-and-cli.md``, "Portfolio")."""

from __future__ import annotations

from typing import Any

import numpy as np

from labfinance import __version__
from labfinance.outputs.decision import analysis_verdict
from labfinance.outputs.report import metrics_json, number


def series(values: np.ndarray) -> list[float | int | None]:
    return [number(v) for v in values]


def portfolio_json(portfolio: Any) -> dict[str, Any]:
    """The JSON of ``portfolio`` (``workbook-and-cli.md``, "Portfolio"): every initiative with its
    base-case metrics and verdict, the rows summed by calendar year, payers and funders by id, the
    portfolio's Monte Carlo, and the files left out (``problems``)."""
    initiatives = []
    for item in portfolio.initiatives:
        metrics = metrics_json(item.results)
        initiatives.append({
            "path": item.path, "sha256": item.sha256, "name": item.name, "seed": item.seed,
            "years": item.results.years, "metrics": metrics,
            "verdict": analysis_verdict(item.analysis),
            "monte_carlo": None if not item.shortfall else {
                "funding_shortfall": item.shortfall, "prob_shortfall": item.prob_shortfall},
        })
    mc = portfolio.monte_carlo
    return {
        "labfinance_version": __version__,
        "seed": portfolio.seed,
        "draws": portfolio.draws,
        "currency": portfolio.currency,
        "initiatives": initiatives,
        "years": portfolio.years,
        "totals": {row: series(v) for row, v in portfolio.totals.items()},
        "payers": {pid: series(v) for pid, v in portfolio.payers.items()},
        "funders": {fid: series(v) for fid, v in portfolio.funders.items()},
        "monte_carlo": None if mc is None else {
            "total_shortfall": mc["total_shortfall"],
            "prob_any_shortfall": mc["prob_any_shortfall"]},
        "problems": list(portfolio.problems),
        "warnings": list(portfolio.warnings),
    }

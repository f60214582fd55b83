"""Results -> the JSON document and the few lines of terminal summary."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

import numpy as np

from labfinance import __version__
from labfinance.engine.core import LEDGER_ROWS, METRICS, Results

YEAR_METRICS = ("first_shortfall_year", "payback_year", "discounted_payback_year")


def number(value: Any) -> float | int | None:
    """A JSON number: NaN and infinities become ``None``."""
    x = float(value)
    if not math.isfinite(x):
        return None
    return x


def _series(values: np.ndarray) -> list[float | int | None]:
    return [number(v) for v in values]


def metrics_json(results: Results, draw: int = 0) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in METRICS:
        value = number(results.metrics[name][draw])
        out[name] = int(value) if name in YEAR_METRICS and value is not None else value
    return out


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
            "fair_share": number(figures["fair_share"][draw]),
            "secured_fair_share": number(figures["secured_fair_share"][draw]),
        }
    return out


def results_json(results: Results, *, path: str, sha256: str, variant: str | None,
                 overrides: dict[str, Any], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON results of ``shared/spec/workbook-and-cli.md`` for the base draw."""
    s = results.scenario
    doc: dict[str, Any] = {
        "labfinance_version": __version__,
        "scenario": {"name": s.name, "path": path, "sha256": sha256,
                     "variant": variant or "base", "overrides": overrides},
        "currency": s.currency,
        "years": results.years,
        "ledger": {row: _series(results.ledger[row][0]) for row in LEDGER_ROWS},
        "lines": {kind: {lid: _series(v[0]) for lid, v in lines.items()}
                  for kind, lines in results.lines.items()},
        "metrics": metrics_json(results),
        "stakeholders": stakeholders_json(results),
        "warnings": list(results.warnings),
        "notes": dict(results.notes),
    }
    doc.update(extra or {})
    return doc


def fixed(value: float, decimals: int, thousands: bool = False) -> str:
    """A number rounded half away from zero, as spreadsheets' TEXT() does (Python's format rounds
    half to even: 1.25 -> '1.2' where a spreadsheet shows '1.3').

    >>> fixed(1.25, 1), fixed(-2.5, 0), fixed(12345.5, 0, thousands=True)
    ('1.3', '-3', '12,346')
    """
    step = Decimal(1).scaleb(-decimals)
    # precision for any double (309 digits before the point): the default 28 fails beyond 1e28
    rounded = Decimal(repr(float(value))).quantize(step, rounding=ROUND_HALF_UP,
                                                    context=Context(prec=340))
    return f"{rounded:,}" if thousands else f"{rounded}"


# The verdict's money in a spreadsheet formula: the same steps as money() below.
MONEY_FORMULA = ('"{cur} "&IF(ABS({x})>=1E9,TEXT({x}/1E9,"0.0")&"bn",IF(ABS({x})>=1E6,'
                 'TEXT({x}/1E6,"0.0")&"m",IF(ABS({x})>=1E4,TEXT({x}/1E3,"0")&"k",'
                 'TEXT({x},"#,##0"))))')


def money(value: float, currency: str) -> str:
    """Money for a sentence: EUR 1.2m, EUR 350k, EUR 950.

    >>> money(1_234_567, "EUR"), money(-350_400, "EUR"), money(950, "EUR")
    ('EUR 1.2m', 'EUR -350k', 'EUR 950')
    """
    v = abs(value)
    if v >= 1e9:
        text = fixed(value / 1e9, 1) + "bn"
    elif v >= 1e6:
        text = fixed(value / 1e6, 1) + "m"
    elif v >= 1e4:
        text = fixed(value / 1e3, 0) + "k"
    else:
        text = fixed(value, 0, thousands=True)
    return f"{currency} {text}"


def verdict(results: Results, draw: int = 0) -> str:
    """The business case in one sentence a council member understands."""
    s = results.scenario
    m = {k: float(v[draw]) for k, v in results.metrics.items()}
    cur = s.currency
    parts = []
    first_short = m["first_shortfall_year"]
    shortfall = m["funding_shortfall"]
    if math.isnan(first_short):
        parts.append(f"Funded throughout {s.start_year}-{s.last_year}")
    else:
        year = int(first_short)
        head = f"Funded until {year - 1}" if year > s.start_year else "Not funded from the start"
        if shortfall > 0:
            parts.append(f"{head}; shortfall of {money(shortfall, cur)} from {year}")
        else:
            parts.append(f"{head}; bridge finance of {money(m['peak_cash_need'], cur)} needed "
                         f"from {year} until money due later arrives")
    if m["secured_funding_shortfall"] > shortfall + 0.005:
        parts.append(f"committed sources alone leave {money(m['secured_funding_shortfall'], cur)} "
                     "uncovered")
    societal = f"societal NPV {money(m['economic_npv'], cur)}"
    if not math.isnan(m["bcr"]):
        societal += f", BCR {fixed(m['bcr'], 2)}"  # two decimals: 0.98 must not read as 1.0
    parts.append(societal)
    return "; ".join(parts) + "."


def verdict_formula(results: Results, cell: Any) -> str:
    """The verdict as a spreadsheet formula over the metric cells: ``cell(name)`` gives the
    reference of a metric. It follows :func:`verdict` step by step, so a reader who changes an
    input sees the sentence change too."""
    s = results.scenario

    def money_of(x: str) -> str:
        return MONEY_FORMULA.format(cur=s.currency, x=x)

    year, short = cell("first_shortfall_year"), cell("funding_shortfall")
    secured, bcr = cell("secured_funding_shortfall"), cell("bcr")
    head = (f'IF({year}>{s.start_year},"Funded until "&({year}-1),"Not funded from the start")'
            f'&IF({short}>0,"; shortfall of "&{money_of(short)}&" from "&{year},'
            f'"; bridge finance of "&{money_of(cell("peak_cash_need"))}&" needed from "&{year}'
            f'&" until money due later arrives")')
    return (f'=IF(ISNUMBER({year}),{head},"Funded throughout {s.start_year}-{s.last_year}")'
            f'&IF({secured}>{short}+0.005,"; committed sources alone leave "&{money_of(secured)}'
            f'&" uncovered","")&"; societal NPV "&{money_of(cell("economic_npv"))}'
            f'&IF(ISNUMBER({bcr}),", BCR "&TEXT({bcr},"0.00"),"")&"."')


def summary_lines(results: Results) -> list[str]:
    s = results.scenario
    m = {k: float(v[0]) for k, v in results.metrics.items()}
    cur = s.currency

    def pct(x: float) -> str:
        return "n/a" if math.isnan(x) else f"{x:.1%}"

    lines = [
        f"{s.name} ({s.start_year}-{s.last_year}, {s.prices} prices, {cur})",
        verdict(results),
        f"  total cost {money(m['total_cost'], cur)}, funding {money(m['total_funding'], cur)}, "
        f"shortfall {money(m['funding_shortfall'], cur)} "
        f"(committed only {money(m['secured_funding_shortfall'], cur)}), "
        f"peak cash need {money(m['peak_cash_need'], cur)}",
        f"  financial NPV {money(m['financial_npv'], cur)} at {s.discount_rate:.2%}, "
        f"funding-gap rate {pct(m['funding_gap_rate'])}; economic NPV "
        f"{money(m['economic_npv'], cur)} at {s.effective_social_discount_rate:.2%}, "
        f"EIRR {pct(m['economic_irr'])}, BCR "
        f"{'n/a' if math.isnan(m['bcr']) else format(m['bcr'], '.2f')}",
    ]
    lines += [f"  warning: {w}" for w in results.warnings]
    return lines

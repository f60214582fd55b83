"""Terminal text: the summary of ``run``, the table of ``compare``, money for reading.

Money is rounded half away from zero, as spreadsheets round, so the terminal and the workbook's
verdict read the same.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

from labfinance.engine.catalogue import BY_NAME
from labfinance.engine.core import Results
from labfinance.outputs.report import metrics_json


def fixed(value: float, decimals: int, thousands: bool = False) -> str:
    """A number rounded half away from zero, as spreadsheets' FIXED() and ROUND() do (Python's
    format rounds half to even: 1.25 -> '1.2' where a spreadsheet shows '1.3').

    >>> fixed(1.25, 1), fixed(-2.5, 0), fixed(12345.5, 0, thousands=True)
    ('1.3', '-3', '12,346')
    """
    step = Decimal(1).scaleb(-decimals)
    # precision for any double (309 digits before the point): the default 28 fails beyond 1e28
    rounded = Decimal(repr(float(value))).quantize(step, rounding=ROUND_HALF_UP,
                                                    context=Context(prec=340))
    return f"{rounded:,}" if thousands else f"{rounded}"


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


def summary_lines(results: Results) -> list[str]:
    s = results.scenario
    m = {k: float(v[0]) for k, v in results.metrics.items()}
    cur = s.currency

    def pct(x: float) -> str:
        return "n/a" if math.isnan(x) else f"{x:.1%}"

    lines = [
        f"{s.name} ({s.start_year}-{s.last_year}, {s.prices} prices, {cur})",
        f"  total cost {money(m['total_cost'], cur)}, funding {money(m['total_funding'], cur)}, "
        f"shortfall {money(m['funding_shortfall'], cur)} "
        f"(committed only {money(m['secured_funding_shortfall'], cur)}), "
        f"peak cash need {money(m['peak_cash_need'], cur)}",
        f"  financial NPV {money(m['financial_npv'], cur)} at {s.discount_rate:.2%}, "
        f"funding-gap rate {pct(m['funding_gap_rate'])}; economic NPV "
        f"{money(m['economic_npv'], cur)} at {_social_rate(s)}, "
        f"EIRR {pct(m['economic_irr'])}, BCR "
        f"{'n/a' if math.isnan(m['bcr']) else format(m['bcr'], '.2f')}",
    ]
    lines += risk_register_lines(results)
    lines += eu_decision_lines(results)
    lines += [f"  warning: {w}" for w in results.warnings]
    return lines


def _social_rate(s: Any) -> str:
    """The social rate in words: one rate, or declining rates from the first to the last step
    (format 1.2)."""
    steps = s.social_discount_steps
    if steps is None:
        return f"{s.effective_social_discount_rate:.2%}"
    return f"declining rates {steps[0][1]:.2%} to {steps[-1][1]:.2%}"


def eu_decision_lines(results: Results) -> list[str]:
    """Format 1.2 (issue 15): the EU decision amount, where the file gives a co-financing rate."""
    s = results.scenario
    if s.eu_cofinancing_rate is None:
        return []
    m = {k: float(results.metrics[k][0]) for k in ("eligible_cost", "decision_amount",
                                                   "max_eu_grant")}
    if math.isnan(m["decision_amount"]):
        return [f"  EU decision amount n/a: {results.notes.get('decision_amount', '')}"]
    return [f"  EU decision amount {money(m['decision_amount'], s.currency)} (eligible cost "
            f"{money(m['eligible_cost'], s.currency)} × funding-gap rate), maximum EU grant "
            f"{money(m['max_eu_grant'], s.currency)} at {s.eu_cofinancing_rate:.0%} "
            "co-financing"]


def risk_register_lines(results: Results) -> list[str]:
    """Format 1.2: the risk register's expected cost, where the file has one."""
    s = results.scenario
    if not s.risks:
        return []
    total = float(results.metrics["expected_risk_cost"][0])
    return [f"  risk register: expected cost {money(total, s.currency)} in the total cost "
            f"({len(s.risks)} risk{'s' if len(s.risks) != 1 else ''}; Monte Carlo draws each "
            "year's events)"]


def _value(x: float) -> str:
    """A parameter value for the terminal: 532,158 or 0.1242."""
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def analysis_lines(analysis: Any) -> list[str]:
    """A few terminal lines about an :class:`~labfinance.analysis.run.Analysis`: the biggest
    tornado bars and the Monte Carlo odds."""
    cur = analysis.scenario.currency
    lines: list[str] = []
    if analysis.sensitivity is not None:
        bars = [b for b in analysis.sensitivity["tornado"]
                if b["metric"] == "economic_npv" and b["swing"]][:3]
        if bars:
            lines.append("  biggest uncertainties for the economic NPV (10th-90th percentile):")
            for b in bars:
                lines.append(f"    {b['parameter']} {_value(b['low'])}..{_value(b['high'])}: "
                             f"{money(b['at_low'], cur)} to {money(b['at_high'], cur)}")
    mc = analysis.monte_carlo
    if mc is not None and mc["draws"]:
        npv = mc["metrics"]["economic_npv"]

        def pct(x: float | None) -> str:
            return "n/a" if x is None or math.isnan(x) else f"{x:.0%}"

        spread = ("n/a" if npv["p10"] is None else
                  f"{money(npv['p10'], cur)} to {money(npv['p90'], cur)}")
        lines.append(f"  risk ({mc['draws']:,} draws, seed {mc['seed']}): P(shortfall) "
                     f"{pct(mc['prob_shortfall'])}, P(BCR < 1) {pct(mc['prob_bcr_below_1'])}, "
                     f"economic NPV p10-p90 {spread}")
    return lines


# The metrics of the terminal table of ``compare``
TABLE_METRICS = ("total_cost", "total_funding", "funding_shortfall", "secured_funding_shortfall",
                 "peak_cash_need", "first_shortfall_year", "financial_npv", "funding_gap_rate",
                 "economic_npv", "economic_irr", "bcr", "payback_year")


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


def table_lines(cases: Sequence[Any]) -> list[str]:
    """The terminal table: one row per key metric, one column per case."""
    one_file = len({c.path for c in cases}) == 1
    header = ["metric", *(c.variant if one_file else c.label for c in cases)]
    rows = [header]
    metrics = [metrics_json(c.results) for c in cases]
    for name in TABLE_METRICS:
        kind = BY_NAME[name].kind
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




def portfolio_lines(portfolio: Any) -> list[str]:
    """The terminal summary of ``portfolio``: one line per initiative, the totals, the risk."""
    cur = portfolio.currency
    items = portfolio.initiatives
    years = portfolio.years
    lines = [f"Portfolio of {len(items)} initiative{'s' if len(items) != 1 else ''} "
             f"({years[0]}-{years[-1]}, {cur})" if items else "Portfolio: no valid initiative"]
    for item in items:
        m = {k: float(v[0]) for k, v in item.results.metrics.items()}
        p80 = item.shortfall.get("p80")
        lines.append(f"  {item.name}: shortfall {money(m['funding_shortfall'], cur)} "
                     f"(committed only {money(m['secured_funding_shortfall'], cur)}"
                     + (f", P80 {money(p80, cur)}" if p80 is not None else "") + ")")
    if items:
        total = {k: float(sum(float(i.results.metrics[k][0]) for i in items))
                 for k in ("total_cost", "funding_shortfall", "secured_funding_shortfall")}
        lines.append(f"  all: total cost {money(total['total_cost'], cur)}, shortfall "
                     f"{money(total['funding_shortfall'], cur)} (committed only "
                     f"{money(total['secured_funding_shortfall'], cur)})")
    mc = portfolio.monte_carlo
    if mc is not None:
        t = mc["total_shortfall"]
        lines.append(f"  risk ({portfolio.draws:,} draws, seed {portfolio.seed}): total shortfall "
                     f"P50 {money(t['p50'], cur)}, P80 {money(t['p80'], cur)}; "
                     f"P(any shortfall) {mc['prob_any_shortfall']:.0%}")
    lines += [f"  warning: {w}" for w in portfolio.warnings]
    return lines

"""Terminal text: the summary of ``run``, the table of ``compare``, money for reading.

Money is rounded half away from zero, as spreadsheets round, so the terminal and the workbook's
verdict read the same.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

from labfinance.engine.catalogue import BY_NAME
from labfinance.engine.core import Results
from labfinance.outputs.parameter_words import local, parameter_words, sentence_words
from labfinance.outputs.report import metrics_json
from labfinance.texts import Texts

ENGLISH = Texts("en")


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


def money(value: float, currency: str, t: Texts | None = None, localised: bool = False) -> str:
    """Money for a sentence, in the words of ``t`` (English by default): EUR 1.2m, EUR 350k,
    EUR 950; Dutch EUR 1.2 mln, EUR 350 duizend (``localised``: EUR 1,2 mln).

    >>> money(1_234_567, "EUR"), money(-350_400, "EUR"), money(950, "EUR")
    ('EUR 1.2m', 'EUR -350k', 'EUR 950')
    >>> money(1_234_567, "EUR", Texts("nl"), localised=True), money(12_500, "EUR", Texts("nl"))
    ('EUR 1,2 mln', 'EUR 13 duizend')
    """
    t = t or ENGLISH
    v = abs(value)
    if v >= 1e9:
        text = fixed(value / 1e9, 1) + t("money.bn")
    elif v >= 1e6:
        text = fixed(value / 1e6, 1) + t("money.m")
    elif v >= 1e4:
        text = fixed(value / 1e3, 0) + t("money.k")
    else:
        text = fixed(value, 0, thousands=True)
    return f"{currency} {local(text, t) if localised else text}"


class Words:
    """The verdict's words in one language (the ``verdict.*`` texts), with money and numbers
    written as the terminal (``localised``) or the workbook's cached text writes them."""

    def __init__(self, t: Texts | None = None, localised: bool = False):
        self.t = t or ENGLISH
        self.localised = localised

    def __call__(self, key: str, **values: Any) -> str:
        return self.t(f"verdict.{key}", **values)

    def money(self, value: float, cur: str) -> str:
        return money(value, cur, self.t, self.localised)

    def number(self, value: float, decimals: int) -> str:
        text = fixed(value, decimals)
        return local(text, self.t) if self.localised else text


def summary_lines(results: Results, w: Words | None = None) -> list[str]:
    w = w or Words()
    t = w.t
    s = results.scenario
    m = {k: float(v[0]) for k, v in results.metrics.items()}
    cur = s.currency

    def pct(x: float, digits: int = 1) -> str:
        return t("value.na") if math.isnan(x) else local(f"{x:.{digits}%}", t) if w.localised \
            else f"{x:.{digits}%}"

    def pct_free(text: str) -> str:
        return local(text, t) if w.localised else text

    def money_(name: str) -> str:
        return w.money(m[name], cur)

    lines = [
        t("term.title", name=s.name, first=s.start_year, last=s.last_year,
          prices=t.word(s.prices), currency=cur),
        "  " + t("term.figures", cost=money_("total_cost"), funding=money_("total_funding"),
                 shortfall=money_("funding_shortfall"),
                 secured=money_("secured_funding_shortfall"), peak=money_("peak_cash_need")),
        "  " + t("term.appraisal", fnpv=money_("financial_npv"), rate=pct(s.discount_rate, 2),
                 gap=pct(m["funding_gap_rate"]), enpv=money_("economic_npv"),
                 social=_social_rate(s, pct, t), eirr=pct(m["economic_irr"]),
                 bcr=t("value.na") if math.isnan(m["bcr"]) else pct_free(format(m["bcr"], ".2f"))),
    ]
    lines += risk_register_lines(results, w)
    lines += eu_decision_lines(results, w, pct)
    lines += ["  " + t("term.warning", text=sentence_words(s, x, t)) for x in results.warnings]
    return lines


def _social_rate(s: Any, pct: Callable[[float, int], str], t: Texts) -> str:
    """The social rate in words: one rate, or declining rates from the first to the last step
    (format 1.2)."""
    steps = s.social_discount_steps
    if steps is None:
        return pct(s.effective_social_discount_rate, 2)
    return t("term.declining", first=pct(steps[0][1], 2), last=pct(steps[-1][1], 2))


def eu_decision_lines(results: Results, w: Words, pct: Callable[[float, int], str]) -> list[str]:
    """Format 1.2 (issue 15): the EU decision amount, where the file gives a co-financing rate."""
    s, t = results.scenario, w.t
    if s.eu_cofinancing_rate is None:
        return []
    m = {k: float(results.metrics[k][0]) for k in ("eligible_cost", "decision_amount",
                                                   "max_eu_grant")}
    if math.isnan(m["decision_amount"]):
        reason = sentence_words(s, results.notes.get("decision_amount", ""), t)
        return ["  " + t("term.eu_decision_na", reason=reason)]
    return ["  " + t("term.eu_decision", amount=w.money(m["decision_amount"], s.currency),
                     eligible=w.money(m["eligible_cost"], s.currency),
                     grant=w.money(m["max_eu_grant"], s.currency),
                     rate=pct(s.eu_cofinancing_rate, 0))]


def risk_register_lines(results: Results, w: Words) -> list[str]:
    """Format 1.2: the risk register's expected cost, where the file has one."""
    s, t = results.scenario, w.t
    if not s.risks:
        return []
    total = float(results.metrics["expected_risk_cost"][0])
    key = "term.risk_register_one" if len(s.risks) == 1 else "term.risk_register_many"
    return ["  " + t(key, money=w.money(total, s.currency), count=len(s.risks))]


def _value(x: float, w: Words) -> str:
    """A parameter value for the terminal: 532,158 or 0.1242."""
    text = f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"
    return local(text, w.t) if w.localised else text


def analysis_lines(analysis: Any, w: Words | None = None) -> list[str]:
    """A few terminal lines about an :class:`~labfinance.analysis.run.Analysis`: the biggest
    tornado bars and the Monte Carlo odds."""
    w = w or Words()
    t = w.t
    cur = analysis.scenario.currency
    lines: list[str] = []
    if analysis.sensitivity is not None:
        bars = [b for b in analysis.sensitivity["tornado"]
                if b["metric"] == "economic_npv" and b["swing"]][:3]
        if bars:
            lines.append("  " + t("term.uncertainties"))
            for b in bars:
                name = (b["parameter"] if t.lang == "en"
                        else parameter_words(analysis.scenario, b["parameter"], t))
                lines.append("    " + t("term.bar", parameter=name, low=_value(b["low"], w),
                                         high=_value(b["high"], w),
                                         at_low=w.money(b["at_low"], cur),
                                         at_high=w.money(b["at_high"], cur)))
    mc = analysis.monte_carlo
    if mc is not None and mc["draws"]:
        npv = mc["metrics"]["economic_npv"]

        def pct(x: float | None) -> str:
            return t("value.na") if x is None or math.isnan(x) else f"{x:.0%}"

        spread = (t("value.na") if npv["p10"] is None else
                  t("term.spread", low=w.money(npv["p10"], cur), high=w.money(npv["p90"], cur)))
        draws = f"{mc['draws']:,}"
        lines.append("  " + t("term.risk", draws=local(draws, t) if w.localised else draws,
                              seed=mc["seed"], shortfall=pct(mc["prob_shortfall"]),
                              bcr=pct(mc["prob_bcr_below_1"]), spread=spread))
    return lines


# The metrics of the terminal table of ``compare``
TABLE_METRICS = ("total_cost", "total_funding", "funding_shortfall", "secured_funding_shortfall",
                 "peak_cash_need", "first_shortfall_year", "financial_npv", "funding_gap_rate",
                 "economic_npv", "economic_irr", "bcr", "payback_year")


def _shown(value: float | None, kind: str, currency: str, w: Words) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return w.t("value.na")
    if kind == "money":
        return w.money(value, currency)
    if kind == "year":
        return str(int(value))
    text = f"{value:.1%}" if kind == "rate" else f"{value:.2f}"
    return local(text, w.t) if w.localised else text


def table_lines(cases: Sequence[Any], lang: str = "en") -> list[str]:
    """The terminal table: one row per key metric (by its name, as scripts know it), one column
    per case."""
    w = Words(Texts(lang), localised=True)
    one_file = len({c.path for c in cases}) == 1
    header = [w.t("term.metric"), *(c.variant if one_file else c.label for c in cases)]
    rows = [header]
    metrics = [metrics_json(c.results) for c in cases]
    for name in TABLE_METRICS:
        kind = BY_NAME[name].kind
        rows.append([name, *(_shown(m[name], kind, c.loaded.scenario.currency, w)
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


def portfolio_lines(portfolio: Any, lang: str = "en") -> list[str]:
    """The terminal summary of ``portfolio``: one line per initiative, the totals, the risk."""
    w = Words(Texts(lang), localised=True)
    t = w.t
    cur = portfolio.currency
    items = portfolio.initiatives
    years = portfolio.years
    count = t("term.portfolio_one" if len(items) == 1 else "term.portfolio_many", n=len(items))
    lines = [t("term.portfolio", count=count, first=years[0], last=years[-1], currency=cur)
             if items else t("term.portfolio_none")]
    for item in items:
        m = {k: float(v[0]) for k, v in item.results.metrics.items()}
        p80 = item.shortfall.get("p80")
        extra = t("term.portfolio_p80", money=w.money(p80, cur)) if p80 is not None else ""
        lines.append("  " + t("term.portfolio_item", name=item.name,
                              shortfall=w.money(m["funding_shortfall"], cur),
                              secured=w.money(m["secured_funding_shortfall"], cur), p80=extra))
    if items:
        total = {k: float(sum(float(i.results.metrics[k][0]) for i in items))
                 for k in ("total_cost", "funding_shortfall", "secured_funding_shortfall")}
        lines.append("  " + t("term.portfolio_all", cost=w.money(total["total_cost"], cur),
                              shortfall=w.money(total["funding_shortfall"], cur),
                              secured=w.money(total["secured_funding_shortfall"], cur)))
    mc = portfolio.monte_carlo
    if mc is not None:
        total_short = mc["total_shortfall"]
        draws = f"{portfolio.draws:,}"
        lines.append("  " + t("term.portfolio_risk",
                              draws=local(draws, t) if w.localised else draws,
                              seed=portfolio.seed, p50=w.money(total_short["p50"], cur),
                              p80=w.money(total_short["p80"], cur),
                              chance=f"{mc['prob_any_shortfall']:.0%}"))
    lines += ["  " + t("term.warning", text=t.known(x)) for x in portfolio.warnings]
    return lines

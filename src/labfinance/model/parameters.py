"""The real-valued parameters of a scenario: the paths ``uncertainty``, ``--set`` ranges,
sensitivity and Monte Carlo may move, each with its value in the file (or its default).

A parameter is a money amount, quantity, share or rate that the engine reads as a number: not a
year, a count, an id or a probability (Monte Carlo already awards each non-committed source with
its probability). The list is walked from the model, so validation needs no engine; a test checks
that it is exactly the list of paths the engine reads (``tests/test_parameters.py``).
"""

from __future__ import annotations

from labfinance.model.scenario import (
    Contribution,
    Grant,
    InKind,
    Loan,
    OutcomePayment,
    Revenue,
    Scenario,
    Timed,
)


def _amounts(prefix: str, item: Timed, out: dict[str, float]) -> None:
    """The amount form of an item: its amount, or each schedule year; and its escalation."""
    if item.schedule is not None:
        for year, amount in sorted(item.schedule.items()):
            out[f"{prefix}.schedule.{year}"] = float(amount)
    elif item.amount is not None:
        out[f"{prefix}.amount"] = float(item.amount)
    out[f"{prefix}.escalation"] = float(item.escalation)


def numeric_parameters(s: Scenario) -> dict[str, float]:
    """Every real-valued parameter path of ``s`` with its base value.

    >>> from labfinance.model.scenario import Scenario
    >>> s = Scenario.model_validate({"labfinance": 1, "name": "x", "start_year": 2026,
    ...     "years": 2, "discount_rate": 0.03, "stakeholders": {"c": {"kind": "municipality"}},
    ...     "costs": [{"id": "a", "amount": 10.0}]})
    >>> numeric_parameters(s)  # doctest: +NORMALIZE_WHITESPACE
    {'inflation': 0.0, 'costs.a.amount': 10.0, 'costs.a.escalation': 0.0, 'contingency': 0.0,
     'costs.a.contingency': 0.0, 'discount_rate': 0.03, 'social_discount_rate': 0.03}
    """
    out: dict[str, float] = {"inflation": float(s.inflation)}
    for c in s.costs:
        prefix = f"costs.{c.id}"
        if c.fte is not None:
            out[f"{prefix}.fte"] = float(c.fte)
            out[f"{prefix}.cost_per_fte"] = float(c.cost_per_fte or 0.0)
            out[f"{prefix}.escalation"] = float(c.escalation)
        elif c.quantity is not None:  # unit prices (format 1.2)
            out[f"{prefix}.quantity"] = float(c.quantity)
            out[f"{prefix}.unit_cost"] = float(c.unit_cost or 0.0)
            out[f"{prefix}.escalation"] = float(c.escalation)
        else:
            _amounts(prefix, c, out)
        top = f"contingency.{c.category}" if isinstance(s.contingency, dict) else "contingency"
        out.setdefault(top, s.category_contingency(c.category))
        own = c.contingency if c.contingency is not None else s.category_contingency(c.category)
        out[f"{prefix}.contingency"] = float(own)
    for f in s.funding:
        if isinstance(f, InKind) and f.covers is None and f.award_probability > 0:
            _amounts(f"funding.{f.id}", f, out)  # the cost line it implies
    for b in s.benefits:
        prefix = f"benefits.{b.id}"
        for i, share in enumerate(b.ramp_up):
            out[f"{prefix}.ramp_up.{i}"] = float(share)
        for key in ("deadweight", "displacement", "attribution", "drop_off"):
            out[f"{prefix}.{key}"] = float(getattr(b, key))
        if b.quantity is not None:
            out[f"{prefix}.escalation"] = float(b.escalation)
            out[f"{prefix}.quantity"] = float(b.quantity)
            out[f"{prefix}.unit_value"] = float(b.unit_value or 0.0)
        else:
            _amounts(prefix, b, out)
    for f in s.funding:
        prefix = f"funding.{f.id}"
        if isinstance(f, InKind) and f.covers is not None:
            out[f"{prefix}.share"] = f.cover_share
        elif isinstance(f, Contribution | Revenue) or (isinstance(f, Grant) and f.rate is None):
            _amounts(prefix, f, out)
        elif isinstance(f, Grant):
            out[f"{prefix}.rate"] = float(f.rate or 0.0)
            if f.cap is not None:
                out[f"{prefix}.cap"] = float(f.cap)
            out[f"{prefix}.payment.advance"] = float(f.payment.advance)
            out[f"{prefix}.payment.retention"] = float(f.payment.retention)
        elif isinstance(f, OutcomePayment):
            out[f"{prefix}.price"] = float(f.price)
            out[f"{prefix}.escalation"] = float(f.escalation)
            if f.cap is not None:
                out[f"{prefix}.cap"] = float(f.cap)
        elif isinstance(f, Loan):
            out[f"{prefix}.amount"] = float(f.amount)
            out[f"{prefix}.rate"] = float(f.rate)
    out["discount_rate"] = float(s.discount_rate)
    out.update(social_rate_parameters(s))
    out.update(risk_parameters(s))
    out.update(_loans_and_eu(s))
    return out


def _loans_and_eu(s: Scenario) -> dict[str, float]:
    """Format 1.2 (issue 15): each loan's balloon share (its grace years are a count, not a
    parameter, as its term is) and the EU co-financing rate where the file gives it."""
    out = {f"funding.{f.id}.balloon": float(f.balloon) for f in s.funding if isinstance(f, Loan)}
    if s.eu_cofinancing_rate is not None:
        out["eu_cofinancing_rate"] = float(s.eu_cofinancing_rate)
    return out


def risk_parameters(s: Scenario) -> dict[str, float]:
    """The risk register's parameters (format 1.2): each risk's probability per year, impact and
    escalation. The probability is a parameter for ``--set`` and variants, not for
    ``uncertainty`` (Monte Carlo already draws each year's event with it)."""
    out: dict[str, float] = {}
    for r in s.risks:
        prefix = f"risks.{r.id}"
        out[f"{prefix}.probability"] = float(r.probability)
        out[f"{prefix}.impact"] = float(r.impact)
        out[f"{prefix}.escalation"] = float(r.escalation)
    return out


def social_rate_parameters(s: Scenario) -> dict[str, float]:
    """The social discount rate: one number, or each step's rate of declining rates (a preset's
    steps too, so that Monte Carlo may draw them; format 1.2).

    >>> from labfinance.model.scenario import Scenario
    >>> s = Scenario.model_validate({"labfinance": 1, "name": "x", "start_year": 2026,
    ...     "years": 2, "discount_rate": 0.03, "social_discount_rate": "green_book",
    ...     "stakeholders": {"c": {"kind": "municipality"}}, "costs": [{"id": "a", "amount": 1.0}]})
    >>> social_rate_parameters(s)  # doctest: +NORMALIZE_WHITESPACE
    {'social_discount_rate.0.rate': 0.035, 'social_discount_rate.1.rate': 0.03,
     'social_discount_rate.2.rate': 0.025}
    """
    steps = s.social_discount_steps
    if steps is None:
        return {"social_discount_rate": float(s.effective_social_discount_rate)}
    return {f"social_discount_rate.{k}.rate": float(rate) for k, (_, rate) in enumerate(steps)}

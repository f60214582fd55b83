"""Invariants of the engine on random scenarios (hypothesis)."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labfinance.engine.core import evaluate
from labfinance.engine.metrics import present_value
from labfinance.model.rules import check
from labfinance.model.scenario import Scenario

START = 2026
money = st.floats(min_value=0, max_value=1e6, allow_nan=False).map(lambda x: round(x, 2))
share = st.floats(min_value=0, max_value=1).map(lambda x: round(x, 3))


@st.composite
def scenarios(draw: Any, non_committed_loans: bool = True) -> dict[str, Any]:
    years = draw(st.integers(2, 8))
    last = START + years - 1
    year = st.integers(START, last)

    def timed() -> dict[str, Any]:
        form = draw(st.sampled_from(["one-off", "recurring", "schedule"]))
        if form == "one-off":
            return {"amount": draw(money), "year": draw(year)}
        if form == "recurring":
            first = draw(year)
            return {"amount": draw(money), "from": first, "to": draw(st.integers(first, last)),
                    "every": draw(st.integers(1, 3))}
        return {"schedule": draw(st.dictionaries(year, money, min_size=1, max_size=3))}

    costs = []
    for i in range(draw(st.integers(1, 4))):
        category = draw(st.sampled_from(["capex", "opex", "staff", "compliance", "other"]))
        cost = {"id": f"c{i}", "category": category, **timed(),
                "escalation": draw(st.sampled_from([0, 0.02]))}
        if category == "capex" and draw(st.booleans()):
            cost["life"] = draw(st.integers(1, 6))
        costs.append(cost)
    funding: list[dict[str, Any]] = []
    for i in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["contribution", "revenue", "grant", "in_kind", "loan"]))
        status = draw(st.sampled_from(["committed", "expected"]))
        if kind == "loan" and not non_committed_loans:
            status = "committed"
        source: dict[str, Any] = {"id": f"f{i}", "type": kind, "stakeholder": "city",
                                  "status": status}
        if status != "committed":
            source["probability"] = draw(share)
        if kind in ("contribution", "revenue"):
            source.update(timed())
        elif kind == "grant":
            source.update({"rate": round(draw(share) / 4, 3),
                           "payment": {"advance": 0.1, "retention": 0.1,
                                       "lag": draw(st.integers(0, 2))}})
            if draw(st.booleans()):
                source["cap"] = draw(money)
        elif kind == "in_kind":
            source.update({"covers": draw(st.sampled_from([c["id"] for c in costs])),
                           "share": round(draw(share) / 4, 3)})
        else:
            source.update({"amount": draw(money), "year": draw(year),
                           "rate": draw(st.sampled_from([0, 0.03, 0.08])),
                           "term": draw(st.integers(1, 10))})
        funding.append(source)
    benefits = [{"id": f"b{i}", "beneficiary": draw(st.sampled_from(["city", "police"])),
                 "quantity": draw(money) / 100, "unit_value": draw(money) / 100,
                 "ramp_up": [draw(share)], "deadweight": draw(share), "drop_off": draw(share) / 2}
                for i in range(draw(st.integers(0, 2)))]
    return {
        "labfinance": 1, "name": "random", "start_year": START, "years": years,
        "discount_rate": draw(st.sampled_from([0.0, 0.0225, 0.04, 0.1])),
        "contingency": draw(st.sampled_from([0, 0.1, {"capex": 0.3}])),
        "stakeholders": {"city": {"kind": "municipality"}, "police": {"kind": "police"}},
        "costs": costs, "funding": funding, "benefits": benefits,
    }


def _scenario(raw: dict[str, Any]) -> Scenario:
    s = Scenario.model_validate(raw)
    problems = check(s, raw, file_rules=False)
    assert not problems, problems
    return s


FAST = settings(suppress_health_check=[HealthCheck.too_slow])  # examples: tests/conftest.py


@FAST
@given(scenarios())
def test_sources_minus_uses_is_the_change_in_cash(raw):
    r = evaluate(_scenario(raw))
    led = {k: v[0] for k, v in r.ledger.items()}
    sources_minus_uses = (led["funding"] + led["revenue"] + led["loan_in"] - led["debt_service"]
                          - led["costs"])
    change = np.diff(led["cumulative_cash"], prepend=0.0)
    np.testing.assert_allclose(change, sources_minus_uses, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(sum(r.lines["costs"].values())[0], led["costs"], rtol=1e-12)


@FAST
@given(scenarios(), st.sampled_from([0.5, 2.0, 3.7]))
def test_scaling_every_cost_by_k_scales_their_present_value(raw, k):
    scaled = copy.deepcopy(raw)
    for cost in scaled["costs"]:
        if "schedule" in cost:
            cost["schedule"] = {y: v * k for y, v in cost["schedule"].items()}
        else:
            cost["amount"] *= k
    base, big = evaluate(_scenario(raw)), evaluate(_scenario(scaled))
    rate = raw["discount_rate"]
    assert present_value(big.ledger["costs"][0], rate) == pytest.approx(
        k * present_value(base.ledger["costs"][0], rate), rel=1e-9, abs=1e-6)


@FAST
@given(scenarios())
def test_npv_at_the_irr_is_zero(raw):
    r = evaluate(_scenario(raw))
    flows = (r.ledger["benefits"] + r.ledger["residual_value"] - r.ledger["costs"])[0]
    irr = float(r.metrics["economic_irr"][0])
    if not np.isnan(irr):
        # relative to the size of the discounted terms, which near -100 % dwarf the flows
        scale = present_value(np.abs(flows), irr)
        assert abs(present_value(flows, irr)) <= 1e-9 * max(1.0, scale)


@FAST
@given(scenarios(non_committed_loans=False))
def test_committed_only_shortfall_is_never_smaller(raw):
    # a non-committed loan with interest could make the all-sources case worse, so loans here
    # are committed; every other source only adds money when it takes part
    r = evaluate(_scenario(raw))
    assert r.metrics["secured_funding_shortfall"][0] >= r.metrics["funding_shortfall"][0] - 1e-6


@FAST
@given(scenarios(), money, st.integers(2026, 2027))
def test_a_committed_contribution_never_raises_the_shortfall(raw, amount, year):
    more = copy.deepcopy(raw)
    more["funding"].append({"id": "extra", "type": "contribution", "stakeholder": "police",
                            "amount": amount, "year": year})
    before, after = evaluate(_scenario(raw)), evaluate(_scenario(more))
    for name in ("funding_shortfall", "secured_funding_shortfall", "peak_cash_need"):
        assert after.metrics[name][0] <= before.metrics[name][0] + 1e-6, name


@FAST
@given(scenarios())
def test_shortfalls_are_never_negative_and_name_a_year(raw):
    r = evaluate(_scenario(raw))
    m = {k: float(v[0]) for k, v in r.metrics.items()}
    assert m["funding_shortfall"] >= 0 and m["peak_cash_need"] >= 0
    if m["peak_cash_need"] > 0:
        assert START <= m["first_shortfall_year"] <= START + raw["years"] - 1


@FAST
@given(scenarios())
def test_one_draw_of_many_equals_the_base_case(raw):
    from labfinance.engine.parameters import Parameters

    s = _scenario(raw)
    base = evaluate(s)
    path = "discount_rate"
    many = evaluate(s, Parameters(3, {path: np.full(3, s.discount_rate)}), detail=False)
    for name, value in base.metrics.items():
        np.testing.assert_allclose(many.metrics[name], np.repeat(value, 3), rtol=1e-12,
                                   atol=1e-9, equal_nan=True, err_msg=name)


@pytest.mark.parametrize("example", ["smart-mobility-lab", "fire-risk-alerts", "citizen-alert-app"])
def test_a_monte_carlo_chunk_that_awards_every_source_is_the_planned_case(example):
    # A Monte Carlo chunk (detail=False) works a rate grant on its window, skips the top-up rows
    # and leaves out the sources that take no part; none of that may change a metric. Awarding
    # every non-committed source in every draw, at the case's values, is the planned case; and
    # awarding none leaves each draw's secured figures as the case's own.
    from labfinance.engine.parameters import Parameters
    from labfinance.model.loader import load

    s = load(f"scenarios/{example}.yaml").scenario
    base = evaluate(s)
    pending = [f.id for f in s.funding if not f.committed and f.award_probability > 0]
    assert pending  # else the awards would prove nothing
    every = evaluate(s, Parameters(4), {i: np.ones(4, bool) for i in pending}, detail=False)
    none = evaluate(s, Parameters(4), {i: np.zeros(4, bool) for i in pending}, detail=False)
    for name, value in base.metrics.items():
        np.testing.assert_allclose(every.metrics[name], np.repeat(value, 4), rtol=1e-12,
                                   atol=1e-9, equal_nan=True, err_msg=name)
    for name in ("secured_funding_shortfall", "secured_first_shortfall_year",
                 "secured_shortfall_per_year"):
        np.testing.assert_allclose(none.metrics[name], np.repeat(base.metrics[name], 4),
                                   rtol=1e-12, atol=1e-9, equal_nan=True, err_msg=name)
    # with no unsigned source, the planned shortfall is the committed-only one
    np.testing.assert_allclose(none.metrics["funding_shortfall"],
                               np.repeat(base.metrics["secured_funding_shortfall"], 4),
                               rtol=1e-12, atol=1e-9)


def test_a_rate_grant_pays_its_advance_instalments_and_retention_bit_for_bit():
    # the engine adds a rate grant's payments on its window's columns (RateGrantWorkings.due);
    # the workbook shows the three rows built at full width: they must add up to the same money
    import glob

    from labfinance.engine.financing import RateGrantWorkings
    from labfinance.model.loader import load

    grants = 0
    for path in sorted(glob.glob("scenarios/*.yaml")):
        r = evaluate(load(path).scenario)
        assert r.workings is not None
        for cash in (r.workings.planned, r.workings.secured):
            for source in cash.flows.sources.values():
                d = source.detail
                if isinstance(d, RateGrantWorkings):
                    grants += 1
                    assert np.array_equal(d.due(), d.instalments + d.advance + d.retention)
    assert grants >= 6  # the examples' Interreg, ERDF and province grants, both selections


# --- running sums over the years -----------------------------------------------------------

year_rows = st.integers(1, 200).flatmap(lambda draws: st.integers(1, 14).flatmap(
    lambda years: st.lists(st.floats(-1e9, 1e9, allow_nan=False), min_size=draws * years,
                           max_size=draws * years).map(
        lambda values: np.array(values).reshape(draws, years))))


@given(year_rows)
def test_running_totals_are_numpys_accumulate_bit_for_bit(values):
    # A year at a time across the draws (from 64 draws on) must add in numpy's order: each
    # year's total is last year's plus this year's, the same rounding, so the same bytes.
    from labfinance.engine.finance import increase
    from labfinance.engine.sums import running

    for step in (np.add, np.minimum, np.maximum):
        assert running(step, values).tobytes() == step.accumulate(values, axis=-1).tobytes()
    assert running(np.logical_and, values[:, ::-1] > 0).tolist() == \
        np.logical_and.accumulate(values[:, ::-1] > 0, axis=-1).tolist()
    assert increase(values).tobytes() == np.diff(values, axis=-1, prepend=0.0).tobytes()


@given(st.integers(1, 30).flatmap(lambda n: st.tuples(
    st.lists(st.floats(-1e9, 1e9, allow_nan=False), min_size=3 * n, max_size=3 * n),
    st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, 2)), max_size=n),
    st.integers(2, 4))))
def test_a_sum_told_only_its_changes_is_the_full_sum_bit_for_bit(case):
    # A call reads only the lines it built again; the sum must be the one of every line. A
    # change is the stacked term itself (0), another row (1) or a row per draw (2).
    from labfinance.engine.sums import Stacked, add_up

    values, changes, draws = case
    n = len(values) // 3
    terms = [np.array([values[3 * i:3 * i + 3]]) for i in range(n)]
    stack = Stacked(terms, (3,))
    changed = {}
    for i, kind in changes:
        changed[i] = (terms[i], np.full((1, 3), i + 0.25),
                      np.arange(3.0 * draws).reshape(draws, 3) * (i + 0.5))[kind]
    full = [changed.get(i, term) for i, term in enumerate(terms)]
    assert stack.add_up_changes(changed).tobytes() == add_up(full, (3,)).tobytes()

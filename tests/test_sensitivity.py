"""Tornado bars and switching values (sensitivity.py), through the library and the CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import stats

from helpers import scenario_file
from labfinance.analysis import sensitivity as sens
from labfinance.analysis.distributions import Pert, Triangular, uncertain_parameters
from labfinance.analysis.run import analyse
from labfinance.cli import main
from labfinance.engine.core import evaluate
from labfinance.model.loader import load, parse_set, with_overrides
from labfinance.model.parameters import numeric_parameters

approx = pytest.approx
EXAMPLES = Path(__file__).resolve().parents[1] / "scenarios"

# One year, so nothing is discounted: economic NPV = quantity × unit value - cost, and the
# shortfall is max(0, cost - 1,200 of contribution).
LINEAR = """
    costs:
      - {id: kit, category: capex, amount: 1000, year: 2026}
    funding:
      - {id: city, type: contribution, stakeholder: city, amount: 1200, year: 2026}
    benefits:
      - {id: thefts, beneficiary: city, quantity: 10, unit_value: 150}
    uncertainty:
      benefits.thefts.quantity: {dist: uniform, low: 5, high: 15}
      costs.kit.amount: {dist: triangular, low: 500, mode: 1000, high: 2000}
    """

# Five years with a grant, a loan, deductions, contingency and a prospective source: the switching
# values of every kind of parameter (share, rate, amount, contingency) are exercised.
RICH = """
    contingency: 0.1
    costs:
      - {id: cams, category: capex, amount: 100000, year: 2026, life: 4}
      - {id: ops, category: opex, amount: 20000}
      - {id: team, category: staff, fte: 0.5, cost_per_fte: 90000}
    funding:
      - {id: city, type: contribution, stakeholder: city, amount: 100000}
      - {id: erdf, type: grant, stakeholder: eu, rate: 0.4, eligible: [capex], cap: 60000,
         payment: {advance: 0.2, retention: 0.1, lag: 1}}
      - {id: bank, type: loan, stakeholder: city, amount: 30000, year: 2026, rate: 0.03, term: 3}
      - {id: insurer, type: contribution, stakeholder: insurer, status: prospective,
         probability: 0.5, amount: 10000, from: 2027}
    benefits:
      - {id: burglaries, beneficiary: insurer, quantity: 30, unit_value: 8000, ramp_up: [0.5],
         deadweight: 0.2, attribution: 0.3}
    uncertainty:
      benefits.burglaries.quantity: {dist: pert, low: 10, mode: 30, high: 40}
      benefits.burglaries.deadweight: {dist: uniform, low: 0.1, high: 0.4}
      costs.ops.amount: {dist: normal, mean: 20000, sd: 4000, low: 10000}
      contingency: {dist: triangular, low: 0, mode: 0.1, high: 0.5}
      funding.erdf.rate: {dist: pert, low: 0.3, mode: 0.4, high: 0.5}
      funding.city.amount: {dist: uniform, low: 80000, high: 130000}
    """


def _run_json(args: list[str]) -> dict:
    result = CliRunner().invoke(main, ["run", *args, "--json", "-"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _decimal(value: float) -> str:
    """A float as YAML reads it back exactly (YAML 1.1 wants a '.' and no bare exponent)."""
    text = np.format_float_positional(value, unique=True, trim="-")
    return text if "." in text else text + ".0"


# ----------------------------------------------------------------------------- tornado


def test_tornado_bars_of_a_linear_model_match_a_hand_calculation(tmp_path):
    loaded = load(scenario_file(tmp_path, LINEAR, years=1, rate=0.0))
    analysis = analyse(loaded, loaded.scenario, draws=0)
    assert analysis.sensitivity is not None
    bars = analysis.sensitivity["tornado"]
    assert [(b["metric"], b["parameter"]) for b in bars] == [
        ("economic_npv", "benefits.thefts.quantity"), ("economic_npv", "costs.kit.amount"),
        ("funding_shortfall", "costs.kit.amount"),
        ("funding_shortfall", "benefits.thefts.quantity"),
    ]
    by = {(b["metric"], b["parameter"]): b for b in bars}
    # quantity uniform 5..15: p10 = 6, p90 = 14; ENPV = q × 150 - 1000 -> -100 and 1,100
    q = by[("economic_npv", "benefits.thefts.quantity")]
    assert (q["low"], q["high"], q["base"]) == (approx(6), approx(14), 10)
    assert (q["at_low"], q["at_high"], q["swing"]) == (approx(-100), approx(1100), approx(1200))
    # cost triangular 500/1000/2000: F(mode) = 1/3, so p10 = 500 + sqrt(0.1 × 1500 × 500)
    # = 773.861 and p90 = 2000 - sqrt(0.1 × 1500 × 1000) = 1612.702; ENPV = 1500 - cost
    low, high = 500 + math.sqrt(75_000), 2000 - math.sqrt(150_000)
    c = by[("economic_npv", "costs.kit.amount")]
    assert (c["low"], c["high"]) == (approx(low), approx(high))
    assert (c["at_low"], c["at_high"]) == (approx(1500 - low), approx(1500 - high))
    assert c["swing"] == approx(high - low)
    # shortfall = max(0, cost - 1200): 0 at the low end, 412.70 at the high end
    s = by[("funding_shortfall", "costs.kit.amount")]
    assert (s["at_low"], s["at_high"], s["swing"]) == (0, approx(high - 1200), approx(high - 1200))
    assert by[("funding_shortfall", "benefits.thefts.quantity")]["swing"] == 0


def test_tornado_is_one_engine_call_for_all_parameters_and_both_ends(tmp_path, monkeypatch):
    loaded = load(scenario_file(tmp_path, RICH))
    s = loaded.scenario
    base = numeric_parameters(s)
    params, _ = uncertain_parameters(s, {}, base)
    calls = []
    real = sens.evaluate
    monkeypatch.setattr(sens, "evaluate", lambda *a, **k: calls.append(a[1].draws) or real(*a, **k))
    sens.tornado(s, params, base_values=base)
    assert calls == [2 * len(params)]


def test_sensitivity_cut_into_small_engine_calls_equals_one_call(monkeypatch):
    """Cutting the stacked cases into calls (memory linear in the parameters) changes nothing but
    the last bits of sums; at 3,000 cells a call the example takes dozens of calls."""
    s = load(EXAMPLES / "smart-mobility-lab.yaml").scenario
    base = numeric_parameters(s)
    params, _ = uncertain_parameters(s, {}, base)
    monkeypatch.setattr(sens, "CELLS_PER_CALL", 2 ** 40)
    whole = sens.sensitivity(s, params, base, ("economic_irr",))
    calls = []
    real = sens.evaluate
    monkeypatch.setattr(sens, "evaluate", lambda *a, **k: calls.append(a[1].draws) or real(*a, **k))
    monkeypatch.setattr(sens, "CELLS_PER_CALL", 3000)
    cut = sens.sensitivity(s, params, base, ("economic_irr",))
    assert len(calls) > 50 and max(calls) < 3000 / s.years
    for key in ("tornado", "switching_values"):
        assert len(cut[key]) == len(whole[key])
        for a, b in zip(cut[key], whole[key], strict=True):
            assert a.keys() == b.keys()
            for field, value in a.items():
                if isinstance(value, float):
                    assert value == approx(b[field], rel=1e-9, abs=1e-9), (key, a, b)
                else:
                    assert value == b[field], (key, a, b)


def test_extra_metric_joins_the_tornado_and_unknown_metric_is_refused(tmp_path):
    path = scenario_file(tmp_path, LINEAR, years=1, rate=0.0)
    doc = _run_json([str(path), "--draws", "0", "--metric", "bcr"])
    assert {b["metric"] for b in doc["sensitivity"]["tornado"]} == {
        "economic_npv", "funding_shortfall", "bcr"}
    result = CliRunner().invoke(main, ["run", str(path), "--json", "-", "--metric", "npv"])
    assert result.exit_code == 2
    assert "--metric: unknown metric 'npv'" in result.stderr


def test_tornado_ends_are_the_10th_and_90th_percentiles(tmp_path):
    loaded = load(scenario_file(tmp_path, RICH))
    bars = analyse(loaded, loaded.scenario, draws=0).sensitivity["tornado"]
    quantity = next(b for b in bars if b["parameter"] == "benefits.burglaries.quantity")
    # PERT 10/30/40: beta(1 + 4 × 20/30, 1 + 4 × 10/30) on [10, 40]
    ref = stats.beta(1 + 80 / 30, 1 + 40 / 30, loc=10, scale=30)
    assert (quantity["low"], quantity["high"]) == (approx(ref.ppf(0.1), rel=1e-12),
                                                   approx(ref.ppf(0.9), rel=1e-12))
    ops = next(b for b in bars if b["parameter"] == "costs.ops.amount")
    ref = stats.truncnorm((10000 - 20000) / 4000, np.inf, loc=20000, scale=4000)
    assert (ops["low"], ops["high"]) == (approx(ref.ppf(0.1)), approx(ref.ppf(0.9)))


# ----------------------------------------------------------------------------- switching values


def test_setting_a_parameter_to_its_switching_value_hits_the_threshold(tmp_path):
    path = scenario_file(tmp_path, RICH)
    doc = _run_json([str(path), "--draws", "0"])
    values = doc["sensitivity"]["switching_values"]
    found = [v for v in values if v["value"] is not None]
    assert {v["metric"] for v in found} == {"economic_npv", "bcr", "funding_shortfall"}
    assert {"discount_rate", "social_discount_rate", "contingency"} <= {
        v["parameter"] for v in found}
    for v in found:
        rerun = _run_json([str(path), "--draws", "0", "--set",
                           f"{v['parameter']}={_decimal(v['value'])}"])
        assert rerun["metrics"][v["metric"]] == approx(v["target"], abs=1e-6), v


def test_switching_values_on_every_example_scenario(tmp_path):
    """Library route for speed: the same overrides ``--set`` applies."""
    for file in sorted(EXAMPLES.glob("*.yaml")):
        loaded = load(file)
        base = numeric_parameters(loaded.scenario)
        params, _ = uncertain_parameters(loaded.scenario, {}, base)
        for v in sens.switching_values(loaded.scenario, params, base):
            assert (v["value"] is None) == ("reason" in v)
            if v["value"] is None:
                continue
            option = f"{v['parameter']}={_decimal(v['value'])}"
            case = with_overrides(loaded, None, [parse_set(option)])
            got = float(evaluate(case).metrics[v["metric"]][0])
            assert got == approx(v["target"], abs=1e-6), (file.name, v)


def test_switching_value_of_the_social_rate_is_the_economic_irr(tmp_path):
    loaded = load(EXAMPLES / "burglary-predictor.yaml")
    analysis = analyse(loaded, loaded.scenario, draws=0)
    eirr = float(analysis.results.metrics["economic_irr"][0])
    values = {(v["parameter"], v["metric"]): v["value"]
              for v in analysis.sensitivity["switching_values"]}
    # NPV = 0 at the IRR by definition; the file has no social rate, so it follows discount_rate
    assert values[("social_discount_rate", "economic_npv")] == approx(eirr, abs=1e-12)
    assert values[("discount_rate", "economic_npv")] == approx(eirr, abs=1e-12)
    assert values[("social_discount_rate", "bcr")] == approx(eirr, abs=1e-12)


def test_shortfall_switching_value_is_the_edge_of_the_plateau(tmp_path):
    loaded = load(scenario_file(tmp_path, LINEAR, years=1, rate=0.0))
    base = numeric_parameters(loaded.scenario)
    params, _ = uncertain_parameters(loaded.scenario, {}, base)
    values = {(v["parameter"], v["metric"]): v for v in
              sens.switching_values(loaded.scenario, params, base)}
    # the shortfall is 0 up to a cost of 1,200 (the contribution) and positive above
    edge = values[("costs.kit.amount", "funding_shortfall")]
    assert edge["value"] == approx(1200, rel=1e-15) and edge["value"] <= 1200
    # ENPV = 10 × 150 - cost: 0 at a cost of 1,500; = 1,500 × quantity/10 - 1,000: 0 at 6.667
    assert values[("costs.kit.amount", "economic_npv")]["value"] == approx(1500, rel=1e-15)
    assert values[("benefits.thefts.quantity", "bcr")]["value"] == approx(20 / 3, rel=1e-15)


def test_switching_value_is_null_with_a_reason_where_there_is_none(tmp_path):
    loaded = load(scenario_file(tmp_path, LINEAR, years=1, rate=0.0))
    base = numeric_parameters(loaded.scenario)
    params, _ = uncertain_parameters(loaded.scenario, {}, base)
    values = {(v["parameter"], v["metric"]): v for v in
              sens.switching_values(loaded.scenario, params, base)}
    # the quantity never touches the funding: no shortfall anywhere in 0..100
    v = values[("benefits.thefts.quantity", "funding_shortfall")]
    assert v["value"] is None
    assert v["reason"] == "funding_shortfall is 0 for every benefits.thefts.quantity from 0 to 100"
    # one year is never discounted, so the rates change nothing
    v = values[("discount_rate", "economic_npv")]
    assert v["value"] is None and v["reason"].startswith("economic_npv does not depend on")
    assert set(v) == {"parameter", "base", "metric", "target", "value", "reason"}
    assert set(values[("costs.kit.amount", "bcr")]) == {"parameter", "base", "metric", "target",
                                                        "value"}


def test_search_ranges_follow_the_kind_of_parameter(tmp_path):
    s = load(scenario_file(tmp_path, RICH)).scenario
    assert sens.search_range(s, "benefits.burglaries.deadweight", 0.2) == (0, 1)
    assert sens.search_range(s, "funding.erdf.rate", 0.4) == (0, 1)        # a grant rate: a share
    assert sens.search_range(s, "funding.bank.rate", 0.03) == (-0.99, 1)   # a loan rate: a rate
    assert sens.search_range(s, "discount_rate", 0.04) == (-0.99, 1)
    assert sens.search_range(s, "contingency", 0.1) == (0, 2)
    assert sens.search_range(s, "costs.ops.amount", 20000) == (0, 200000)
    assert sens.search_range(s, "costs.ops.amount", 20000, Triangular(0, 1, 300000)) == (0, 300000)
    assert sens.search_range(s, "benefits.burglaries.quantity", 30, Pert(10, 30, 40)) == (0, 300)


def test_a_parameter_fixed_by_a_variant_is_held_and_noted(tmp_path):
    path = scenario_file(tmp_path, LINEAR + """
    variants:
      bigger:
        set: {benefits.thefts.quantity: 12}
    """, years=1, rate=0.0)
    doc = _run_json([str(path), "--draws", "0", "--variant", "bigger"])
    assert {b["parameter"] for b in doc["sensitivity"]["tornado"]} == {"costs.kit.amount"}
    assert doc["sensitivity"]["notes"] == {"benefits.thefts.quantity":
                                           "held at 12 by variant bigger; its uncertainty range "
                                           "is not used"}
    assert doc["variants"]["base"]["economic_npv"] == approx(500)


def test_every_tornado_end_equals_a_rerun_with_that_value_set(tmp_path):
    """Stacking cases on the draws axis must not couple them: a file without a social rate
    discounts the societal case at ``discount_rate``, and costs without their own contingency
    take the top-level one, so moving those must move their followers too."""
    path = scenario_file(tmp_path, RICH + """
      discount_rate: {dist: uniform, low: 0.0, high: 0.08}
      social_discount_rate: {dist: uniform, low: 0.02, high: 0.06}
      costs.ops.contingency: {dist: uniform, low: 0.0, high: 0.3}
    """)
    loaded = load(path)
    analysis = analyse(loaded, loaded.scenario, draws=0)
    for bar in analysis.sensitivity["tornado"]:
        for end in ("low", "high"):
            sets = [(bar["parameter"], bar[end])]
            if bar["parameter"].count(".") == 1:  # a funder: low is the case without it
                # (RICH has no in-kind amount, whose implied cost probability 0 would drop too)
                sets = [(f"{bar['parameter']}.probability", 0)] if end == "low" else []
            case = with_overrides(loaded, None, sets)
            got = float(evaluate(case).metrics[bar["metric"]][0])
            assert bar[f"at_{end}"] == approx(got, rel=1e-12, abs=1e-9), (bar, end)


def _nearest_crossing_by_scan(x, f, base):
    """Reference: scan from below, keep a candidate only when strictly nearer than the best."""
    best = None
    for i in range(len(x)):
        if f[i] == 0:
            candidate = (abs(x[i] - base), (x[i], x[i], 0.0, 0.0))
        elif i + 1 < len(x) and np.isfinite(f[i]) and np.isfinite(f[i + 1]) \
                and f[i] * f[i + 1] < 0:
            inside = x[i] <= base <= x[i + 1]
            distance = 0.0 if inside else min(abs(x[i] - base), abs(x[i + 1] - base))
            candidate = (distance, (x[i], x[i + 1], f[i], f[i + 1]))
        else:
            continue
        if best is None or candidate[0] < best[0]:
            best = candidate
    return None if best is None else best[1]


def test_first_crossing_is_the_nearest_zero_or_sign_change_on_ties_the_lowest():
    # small integer grids with zeros, NaN and inf make ties and undefined stretches common
    rng = np.random.default_rng(5)
    for _ in range(5000):
        n = int(rng.integers(1, 12))
        x = np.sort(rng.integers(0, 20, n).astype(float))
        f = rng.choice([-2.0, -1.0, 0.0, 1.0, 3.0, np.nan, np.inf], n)
        base = float(rng.integers(0, 20))
        assert sens._first_crossing(x, f, base) == _nearest_crossing_by_scan(x, f, base)

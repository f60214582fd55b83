"""The risk register and correlated uncertainty (format 1.2, "Extensions").

Every expected number is worked by hand in a comment; Monte Carlo figures are checked against
their exact value within 3 standard errors of the sample (a check that a wrong probability or
a wrong copula fails, and a right one passes 99.7 % of the time for a fixed seed: it is fixed).
"""

from __future__ import annotations

import json
import math

import jsonschema
import numpy as np
import openpyxl
import pytest
from click.testing import CliRunner
from scipy import stats

from helpers import metric, row, run, scenario_file
from labfinance.analysis.distributions import copula, uncertain_parameters
from labfinance.analysis.montecarlo import draw, simulate
from labfinance.cli import main
from labfinance.engine.core import evaluate
from labfinance.model.loader import load, with_overrides
from labfinance.model.schema import scenario_schema
from pyrecalc import check, recalculate
from recalc import close, named_cells

RISK = """\
costs:
  - {id: ops, category: opex, amount: 1000}
funding:
  - {id: city, type: contribution, stakeholder: city, amount: 1000}
risks:
  - {id: breach, name: Privacy breach, category: compliance, probability: 0.1,
     impact: 50000, from: 2027, to: 2028, escalation: 0.02}
"""


def test_expected_cost_by_hand(tmp_path):
    r = run(tmp_path, RISK, years=4)
    # years at risk 2027-2028 (t = 1, 2); price factor 1.02^t:
    # 0.1 × 50,000 × 1.02 = 5,100 and 0.1 × 50,000 × 1.0404 = 5,202; 0 in 2026 and 2029
    assert r.lines["risks"]["breach"][0].tolist() == pytest.approx([0, 5100, 5202, 0])
    assert metric(r, "expected_risk_cost") == pytest.approx(10302)
    # part of the costs: 1,000 a year of opex plus the risk (no contingency on it)
    assert row(r, "costs") == pytest.approx([1000, 6100, 6202, 1000])
    assert metric(r, "total_cost") == pytest.approx(4000 + 10302)
    # the contribution pays 1,000 a year: the shortfall is the risk's expected cost
    assert metric(r, "funding_shortfall") == pytest.approx(10302)


def test_contingency_does_not_apply_to_a_risk(tmp_path):
    r = run(tmp_path, "contingency: 0.5\n" + RISK, years=4)
    # opex 1,000 × 1.5 = 1,500 a year; the risk stays 5,100 and 5,202
    assert row(r, "costs") == pytest.approx([1500, 6600, 6702, 1500])


def test_the_funding_gap_rate_leaves_risks_out_as_it_leaves_out_contingency(tmp_path):
    body = RISK.replace("category: opex, amount: 1000}",
                        "category: capex, amount: 1000, year: 2026}")
    with_risk = run(tmp_path, body, years=4)
    without = run(tmp_path, body.split("risks:")[0], years=4)
    # no revenue: DIC 1,000, DNR 0 either way, so the rate is 1 with or without the risk
    assert metric(with_risk, "funding_gap_rate") == metric(without, "funding_gap_rate") == 1.0
    assert metric(with_risk, "financial_npv") < metric(without, "financial_npv")


def test_set_and_variants_reach_a_risk(tmp_path):
    r = run(tmp_path, RISK, years=4, sets={"risks.breach.probability": 0.2,
                                            "risks.breach.impact": 10000})
    # 0.2 × 10,000 × (1.02 + 1.0404) = 4,120.8
    assert metric(r, "expected_risk_cost") == pytest.approx(4120.8)


def _loaded(tmp_path, body, years=4):
    loaded = load(scenario_file(tmp_path, body, years=years))
    return with_overrides(loaded, None, [])


def test_monte_carlo_frequency_within_three_standard_errors(tmp_path):
    s = _loaded(tmp_path, RISK)
    n = 40_000
    d = draw(s, [], seed=7, first=0, n=n)
    happens = d.happens["breach"]
    assert happens.shape == (n, 4)
    se = math.sqrt(0.1 * 0.9 / n)  # 0.0015
    for t in range(4):
        assert abs(happens[:, t].mean() - 0.1) < 3 * se
    # years are independent: both years at risk hit in 0.1 × 0.1 = 1 % of draws
    both = (happens[:, 1] & happens[:, 2]).mean()
    assert abs(both - 0.01) < 3 * math.sqrt(0.01 * 0.99 / n)
    mc = simulate(s, [], draws=n, seed=7)
    # each draw costs 4,000 of opex plus 51,000 (2027) and 52,020 (2028) in the years it happens;
    # mean 4,000 + 10,302; its standard error from the sample's own spread
    cost = mc.samples["total_cost"]
    assert abs(cost.mean() - 14302) < 3 * cost.std(ddof=1) / math.sqrt(n)
    drawn = set(np.round(cost, 6))
    assert drawn == {4000.0, 55000.0, 56020.0, 107020.0}
    # the expected cost is the same in every draw
    assert np.all(mc.samples["expected_risk_cost"] == pytest.approx(10302))


def test_the_risk_draws_do_not_depend_on_the_chunk(tmp_path):
    s = _loaded(tmp_path, RISK)
    one = simulate(s, [], draws=6000, seed=3, chunk=1000)
    other = simulate(s, [], draws=6000, seed=3, chunk=5000)
    assert np.array_equal(one.samples["total_cost"], other.samples["total_cost"])


def test_a_risk_probability_has_no_range(tmp_path):
    path = scenario_file(tmp_path, RISK + "uncertainty:\n  risks.breach.probability: "
                         "{dist: uniform, low: 0.05, high: 0.2}\n", years=4)
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert "uncertainty.risks.breach.probability: names a risk's probability" in result.output


def test_an_uncertain_impact_is_drawn_and_in_the_tornado(tmp_path):
    body = RISK + ("uncertainty:\n  risks.breach.impact: "
                   "{dist: triangular, low: 20000, mode: 50000, high: 80000}\n")
    path = scenario_file(tmp_path, body, years=4)
    out = tmp_path / "out.json"
    result = CliRunner().invoke(main, ["run", str(path), "--json", str(out), "--draws", "2000"])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert doc["lines"]["risks"]["breach"] == pytest.approx([0, 5100, 5202, 0])
    names = [entry["parameter"] for entry in doc["sensitivity"]["tornado"]]
    assert "risks.breach.impact" in names


# --------------------------------------------------------------------------- correlations

PAIR = """\
costs:
  - {id: cameras, category: capex, amount: 180000, year: 2026}
  - {id: sensors, category: capex, amount: 60000, year: 2026}
  - {id: ops, category: opex, amount: 20000}
uncertainty:
  costs.cameras.amount: {dist: triangular, low: 150000, mode: 180000, high: 240000}
  costs.sensors.amount: {dist: pert, low: 40000, mode: 60000, high: 100000}
  costs.ops.amount: {dist: normal, mean: 20000, sd: 2000}
correlations:
  - [costs.cameras.amount, costs.sensors.amount, 0.7]
  - [costs.sensors.amount, costs.ops.amount, -0.4]
"""


def _spearman(a, b):
    return float(stats.spearmanr(a, b).statistic)


def test_rank_correlations_hit_their_targets_at_100000_draws(tmp_path):
    s = _loaded(tmp_path, PAIR)
    parameters, _ = uncertain_parameters(s)
    d = draw(s, parameters, seed=11, first=0, n=100_000, linked=copula(s, parameters))
    cameras, sensors, ops = (d.values[f"costs.{k}.amount"] for k in ("cameras", "sensors", "ops"))
    assert abs(_spearman(cameras, sensors) - 0.7) < 0.02
    assert abs(_spearman(sensors, ops) - (-0.4)) < 0.02
    # cameras and ops have no entry: the spec's matrix holds 0 there, and it is drawn so
    assert abs(_spearman(cameras, ops)) < 0.02


def test_marginals_are_unchanged(tmp_path):
    s = _loaded(tmp_path, PAIR)
    parameters, _ = uncertain_parameters(s)
    n = 100_000
    linked = draw(s, parameters, seed=11, first=0, n=n, linked=copula(s, parameters))
    apart = draw(s, parameters, seed=11, first=0, n=n)
    # Cholesky keeps the first parameter's own draws (to the rounding of Phi(Phi^-1(u)))
    np.testing.assert_allclose(linked.values["costs.cameras.amount"],
                               apart.values["costs.cameras.amount"], rtol=1e-9)
    qs = np.array([0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95])
    band = 3 * np.sqrt(qs * (1 - qs) / n)  # standard error of an empirical CDF at q
    for p in parameters:
        own = p.distribution.ppf(qs)  # the distribution's own quantiles
        for values in (linked.values[p.path], apart.values[p.path]):
            share_below = (values[:, None] <= own[None, :]).mean(axis=0)
            assert np.all(np.abs(share_below - qs) < band), p.path
    # e.g. the triangular's median: F(mode) = 30/90 = 1/3 < 0.5, so
    # 240,000 - sqrt(0.5 × 90,000 × 60,000) = 188,038.4
    median = float(np.median(linked.values["costs.cameras.amount"]))
    assert median == pytest.approx(188038.4, rel=0.003)


def test_correlation_raises_the_spread_of_the_total(tmp_path):
    linked = _loaded(tmp_path, PAIR)
    apart = _loaded(tmp_path, PAIR.split("correlations:")[0])
    a = simulate(linked, uncertain_parameters(linked)[0], draws=20_000, seed=5)
    b = simulate(apart, uncertain_parameters(apart)[0], draws=20_000, seed=5)
    # cameras and sensors rise together: the capex total spreads more
    assert a.samples["total_cost"].std() > b.samples["total_cost"].std()
    # one-way sensitivity is unchanged: the base case is the same
    assert metric(evaluate(linked), "total_cost") == metric(evaluate(apart), "total_cost")


def test_correlated_draws_do_not_depend_on_the_chunk(tmp_path):
    s = _loaded(tmp_path, PAIR)
    parameters, _ = uncertain_parameters(s)
    one = simulate(s, parameters, draws=5000, seed=9, chunk=1000)
    other = simulate(s, parameters, draws=5000, seed=9, chunk=5000)
    assert np.array_equal(one.samples["total_cost"], other.samples["total_cost"])


def test_a_held_parameter_leaves_the_copula(tmp_path):
    path = scenario_file(tmp_path, PAIR, years=4)
    s = with_overrides(load(path), None, [("costs.sensors.amount", 70000)])
    parameters, notes = uncertain_parameters(s, {"costs.sensors.amount": "--set"})
    mc = simulate(s, parameters, draws=2000, seed=1, notes=notes)
    assert "costs.sensors.amount" in mc.notes
    assert [p.path for p in parameters] == ["costs.cameras.amount", "costs.ops.amount"]


NOT_PSD = """\
costs:
  - {id: a, amount: 100}
  - {id: b, amount: 100}
  - {id: c, amount: 100}
uncertainty:
  costs.a.amount: {dist: uniform, low: 50, high: 150}
  costs.b.amount: {dist: uniform, low: 50, high: 150}
  costs.c.amount: {dist: uniform, low: 50, high: 150}
correlations:
  - [costs.a.amount, costs.b.amount, 0.9]
  - [costs.b.amount, costs.c.amount, 0.9]
  - [costs.a.amount, costs.c.amount, -0.9]
"""


def test_a_matrix_that_is_not_positive_semidefinite_is_a_located_error(tmp_path):
    path = scenario_file(tmp_path, NOT_PSD, years=3)
    result = CliRunner().invoke(main, ["run", str(path), "-o", str(tmp_path / "o.xlsx")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert not (tmp_path / "o.xlsx").exists()
    # the header takes 10 lines; the first entry is line 20. a and c follow b closely (0.9
    # each) yet move apart (-0.9): the matrix [[1, .9, -.9], [.9, 1, .9], [-.9, .9, 1]] has the
    # eigenvalue 1 - 2 × 0.9 = -0.8 on (1, -1, 1)
    assert (f"{path}:20: correlations.0: the correlations entry 1 [costs.a.amount, "
            "costs.b.amount, 0.9]; entry 2 [costs.b.amount, costs.c.amount, 0.9]; entry 3 "
            "[costs.a.amount, costs.c.amount, -0.9] cannot hold together: their matrix is not "
            "positive semidefinite (smallest eigenvalue -0.8)") in result.output


@pytest.mark.parametrize(("entry", "message"), [
    ("[costs.a.amount, costs.d.amount, 0.5]",
     "correlations.0.1: 'costs.d.amount' has no range in `uncertainty`"),
    ("[costs.a.amount, costs.a.amount, 0.5]",
     "correlations.0.1: 'costs.a.amount' is correlated with itself"),
    ("[costs.a.amount, costs.b.amount, 1.5]",
     "correlations.0.2: must be between -1 and 1 (got 1.5)"),
    ("[costs.a.amount, costs.b.amount]", "correlations.0: must be [path_a, path_b, rho]"),
])
def test_bad_correlations_are_located(tmp_path, entry, message):
    body = NOT_PSD.split("correlations:")[0] + f"correlations:\n  - {entry}\n"
    path = scenario_file(tmp_path, body, years=3)
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}:20: {message}" in result.output


def test_same_seed_same_bytes(tmp_path):
    path = scenario_file(tmp_path, PAIR + RISK.replace("costs:\n  - {id: ops, category: opex, "
                                                       "amount: 1000}\n", ""), years=4)
    outs = []
    for k in range(2):
        out = tmp_path / f"r{k}.json"
        result = CliRunner().invoke(main, ["run", str(path), "--json", str(out), "--draws",
                                           "3000"])
        assert result.exit_code == 0, result.output
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]


# --------------------------------------------------------------------------- the workbook

WORKBOOK = """\
prices: nominal
inflation: 0.02
contingency: 0.1
costs:
  - {id: cameras, category: capex, amount: 180000, year: 2026}
  - {id: sensors, category: capex, amount: 60000, year: 2026}
  - {id: ops, category: opex, amount: 20000}
funding:
  - {id: c, type: contribution, stakeholder: city, amount: 100000}
  - {id: g, type: grant, rate: 0.5, status: expected, probability: 0.6}
risks:
  - {id: breach, name: Privacy breach, category: compliance, probability: 0.1,
     impact: 50000, from: 2027, escalation: 0.02}
  - {id: vendor, probability: 0.05, impact: 80000}
uncertainty:
  costs.cameras.amount: {dist: triangular, low: 150000, mode: 180000, high: 240000}
  costs.sensors.amount: {dist: pert, low: 40000, mode: 60000, high: 100000}
  risks.breach.impact: {dist: uniform, low: 20000, high: 90000}
correlations:
  - [costs.cameras.amount, costs.sensors.amount, 0.7]
"""


def test_the_workbook_recalculates_each_risk_and_lists_the_correlations(tmp_path):
    path = scenario_file(tmp_path, WORKBOOK, years=4)
    out = tmp_path / "book.xlsx"
    result = CliRunner().invoke(main, ["run", str(path), "-o", str(out), "--draws", "1000"])
    assert result.exit_code == 0, result.output
    found = check(out)
    assert not found.failures and not found.excluded
    book = openpyxl.load_workbook(out, data_only=True)
    costs = {r[0].value: [c.value for c in r] for r in book["Costs"].iter_rows()
             if r[0].value}
    # nominal prices: price factor (1.02 × 1.02)^t; 2027 (t = 1): 0.1 × 50,000 × 1.0404 = 5,202
    breach = costs["Privacy breach (expected)"]
    assert breach[5:9] == pytest.approx([0, 5202, 5202 * 1.0404, 5202 * 1.0404 ** 2])
    # vendor: 0.05 × 80,000 × 1.02^t from 2026: 4,000, 4,080, 4,161.6, 4,244.832
    assert costs["vendor (expected)"][5:9] == pytest.approx([4000, 4080, 4161.6, 4244.832])
    listed = [[c.value for c in r[:3]] for r in book["Risk"].iter_rows()]
    assert ["costs.cameras.amount", "costs.sensors.amount", 0.7] in listed
    assert any(r[:2] == ["Privacy breach", "compliance"] for r in listed)
    formulas = openpyxl.load_workbook(out)["Costs"]
    row = next(r for r in formulas.iter_rows() if r[0].value == "Privacy breach (expected)")
    # probability × impact × price factor × at risk, from the Assumptions inputs
    assert row[6].value.count("'Assumptions'!") == 2


def test_the_json_schema_knows_risks_and_correlation_triples():
    validator = jsonschema.Draft202012Validator(scenario_schema())
    doc = {"labfinance": 1, "name": "x", "start_year": 2026, "years": 2, "discount_rate": 0.03,
           "stakeholders": {"c": {"kind": "municipality"}}, "costs": [{"id": "a", "amount": 1}],
           "risks": [{"id": "r", "probability": 0.1, "impact": 100, "from": 2026}],
           "correlations": [["costs.a.amount", "costs.a.escalation", 0.5]]}
    assert not list(validator.iter_errors(doc))
    for bad in ([["a", "b"]], [["a", "b", 2]], [["a", "b", 0.5, 1]]):
        assert list(validator.iter_errors({**doc, "correlations": bad}))
    assert list(validator.iter_errors({**doc, "risks": [{"id": "r", "probability": 1.5,
                                                         "impact": 100}]}))


@pytest.mark.parametrize(("risks", "message"), [
    ("  - {id: r, probability: 0.1, impact: 10, from: 2040}",
     "risks.r.from: year 2040 is outside the horizon 2026-2029"),
    ("  - {id: r, probability: 0.1, impact: 10, from: 2028, to: 2027}",
     "risks.r.to: 2027 is before `from` (2028)"),
    ("  - {id: r, probability: 1.2, impact: 10}",
     "risks.r.probability: must be between 0 and 1 (got 1.2)"),
    ("  - {id: r, probability: 0.1, impact: -5}", "risks.r.impact: must not be negative"),
    ("  - {id: r, probability: 0.1}", "risks.r.impact: is required"),
    ("  - {id: r, probability: 0.1, impact: 10}\n  - {id: r, probability: 0.2, impact: 10}",
     "17: risks.r.id: id 'r' is used twice in risks (the first is line 16)"),
])
def test_bad_risks_are_located(tmp_path, risks, message):
    body = RISK.split("risks:")[0] + "risks:\n" + risks + "\n"
    path = scenario_file(tmp_path, body, years=4)
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_a_changed_risk_input_recalculates_to_the_engine_with_the_same_override(tmp_path):
    path = scenario_file(tmp_path, WORKBOOK, years=4)
    out = tmp_path / "book.xlsx"
    result = CliRunner().invoke(main, ["run", str(path), "-o", str(out), "--draws", "0"])
    assert result.exit_code == 0, result.output
    sets = [("risks.breach.probability", 0.3), ("risks.vendor.impact", 10000),
            ("risks.vendor.to", 2027)]
    book = openpyxl.load_workbook(out)
    rows = {r[4].value: r[2].coordinate for r in book["Assumptions"].iter_rows() if r[4].value}
    for key, value in sets:
        book["Assumptions"][rows[key]].value = value
    edited = tmp_path / "edited.xlsx"
    book.save(edited)
    fresh = recalculate(edited)
    engine = evaluate(with_overrides(load(path), None, sets))
    # by hand: breach 0.3 × 50,000 × 1.0404^t for t = 1..3 = 15,606 + 16,236.48 + 16,892.43;
    # vendor 0.05 × 10,000 × 1.02^t for t = 0..1 = 500 + 510
    by_hand = 0.3 * 50000 * sum(1.0404 ** t for t in (1, 2, 3)) + 500 + 510
    assert metric(engine, "expected_risk_cost") == pytest.approx(by_hand)
    for name in ("expected_risk_cost", "total_cost", "funding_shortfall", "economic_npv"):
        sheet, coord = named_cells(out)[name]
        _, value = fresh[(sheet, coord)]
        assert close(metric(engine, name), value), name


def test_adding_risks_leaves_the_other_draws_as_they_were(tmp_path):
    # the risks' rows of uniforms come after every other row of a block: a file's ranges and
    # awards draw the same numbers with or without a register (docs/decisions.md)
    body = PAIR.split("correlations:")[0] + ("funding:\n  - {id: g, type: contribution, "
                                              "stakeholder: city, amount: 10, status: expected, "
                                              "probability: 0.5}\n")
    apart = _loaded(tmp_path, body)
    (tmp_path / "with").mkdir()
    linked = _loaded(tmp_path / "with", body + "risks:\n  - {id: breach, probability: 0.1, "
                     "impact: 50000}\n  - {id: vendor, probability: 0.03, impact: 90000}\n")
    assert linked.risks and not apart.risks
    parameters, _ = uncertain_parameters(apart)
    a = draw(apart, parameters, seed=4, first=2400, n=300)
    b = draw(linked, parameters, seed=4, first=2400, n=300)
    for path in a.values:
        assert np.array_equal(a.values[path], b.values[path])
    assert np.array_equal(a.awarded["g"], b.awarded["g"])

"""Monte Carlo (montecarlo.py) and its distributions (distributions.py)."""

from __future__ import annotations

import json
import math
import threading
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import stats

from helpers import scenario_file
from labfinance.analysis import montecarlo
from labfinance.analysis.distributions import (
    Normal,
    Pert,
    Triangular,
    Uniform,
    uncertain_parameters,
)
from labfinance.analysis.montecarlo import (
    BLOCK,
    MIN_CHUNK,
    MonteCarlo,
    chunk_draws,
    describe,
    percentiles,
    simulate,
    uniforms,
)
from labfinance.analysis.run import analyse
from labfinance.cli import main
from labfinance.engine.catalogue import reported
from labfinance.model.loader import load

approx = pytest.approx

# Three years at 5 %: ENPV = quantity × 100 × (1 + 1/1.05 + 1/1.05²) - 1,000, linear in quantity.
ANNUITY = 1 + 1 / 1.05 + 1 / 1.05**2
LINEAR = """
    costs:
      - {{id: kit, category: capex, amount: 1000, year: 2026}}
    funding:
      - {{id: city, type: contribution, stakeholder: city, amount: 1000, year: 2026}}
    benefits:
      - {{id: thefts, beneficiary: city, quantity: 10, unit_value: 100}}
    uncertainty:
      benefits.thefts.quantity: {dist}
    """


def _linear(tmp_path, dist: str):
    loaded = load(scenario_file(tmp_path, LINEAR.format(dist=dist), years=3, rate=0.05))
    params, notes = uncertain_parameters(loaded.scenario, {})
    return loaded, params


# ----------------------------------------------------------------------------- distributions


@pytest.mark.parametrize("low, mode, high", [(0, 0.5, 1), (1, 2, 5), (10, 10, 20), (3, 9, 9)])
def test_triangular_percentiles_are_the_closed_form(low, mode, high):
    q = np.array([0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1])
    ref = stats.triang((mode - low) / (high - low), loc=low, scale=high - low).ppf(q)
    assert Triangular(low, mode, high).ppf(q) == approx(ref, rel=1e-13, abs=1e-13)


@pytest.mark.parametrize("low, mode, high", [(0, 0.5, 1), (3000, 4000, 5100), (150, 400, 600),
                                             (0, 0, 1), (0, 1, 1), (0.3, 0.4, 0.5)])
def test_pert_percentiles_are_those_of_its_beta(low, mode, high):
    # PERT with lambda = 4: beta(1 + 4 (m - a)/(b - a), 1 + 4 (b - m)/(b - a)) on [a, b]
    a = 1 + 4 * (mode - low) / (high - low)
    b = 1 + 4 * (high - mode) / (high - low)
    q = np.concatenate([np.linspace(0, 1, 1001), [1e-12, 1e-6, 1 - 1e-6]])
    ref = stats.beta(a, b, loc=low, scale=high - low).ppf(q)
    assert Pert(low, mode, high).ppf(q) == approx(ref, rel=1e-11, abs=1e-11 * (high - low))
    assert Pert(low, mode, high).mean == approx((low + 4 * mode + high) / 6)


@pytest.mark.parametrize("low, mode, high", [(800, 1000, 1500), (0, 0.5, 1), (0.4, 0.8, 0.8),
                                             (100, 101, 1000)])
def test_pert_percentiles_between_table_nodes_skip_newton_only_where_that_changes_nothing(
        low, mode, high):
    """Random q fall between the table's nodes, where most draws skip the Newton step. Against
    scipy's beta percentile (betaincinv): within 1e-12 of the range (the polished value itself
    is up to 6e-13 away in the tails, where the density is low and q's last digit moves x
    most); against polishing every draw (every interval marked not exact): within 2e-14 of the
    range, twice the error allowed when the table marks an interval exact."""
    a = 1 + 4 * (mode - low) / (high - low)
    b = 1 + 4 * (high - mode) / (high - low)
    q = np.random.default_rng(7).random(200_000)
    ref = stats.beta(a, b, loc=low, scale=high - low).ppf(q)
    d = Pert(low, mode, high)
    got = d.ppf(q)
    assert d._interpolated.mean() > 0.5  # most intervals skip the Newton step
    assert np.abs(got - ref).max() <= 1e-12 * (high - low)
    object.__setattr__(d, "_interpolated", np.zeros_like(d._interpolated))
    assert np.abs(got - d.ppf(q)).max() <= 2e-14 * (high - low)


def test_normal_percentiles_come_from_the_truncated_distribution():
    q = np.array([0.001, 0.1, 0.5, 0.9, 0.999])
    assert Normal(10, 2).ppf(q) == approx(stats.norm(10, 2).ppf(q))
    for low, high in ((6, 12), (11, None), (None, 9), (14, 20)):  # (14, 20): deep in the tail
        a = -np.inf if low is None else (low - 10) / 2
        b = np.inf if high is None else (high - 10) / 2
        ref = stats.truncnorm(a, b, loc=10, scale=2)
        d = Normal(10, 2, low, high)
        assert d.ppf(q) == approx(ref.ppf(q), rel=1e-12)
        assert d.mean == approx(ref.mean(), rel=1e-12)


def test_scalar_in_gives_scalar_out():
    for d in (Uniform(0, 1), Triangular(0, 1, 2), Pert(0, 1, 2), Normal(0, 1)):
        assert isinstance(d.ppf(0.3), float)
        assert d.ppf([0.3]).shape == (1,)


@pytest.mark.parametrize("dist, ref", [
    ("{dist: triangular, low: 4, mode: 10, high: 20}", stats.triang(6 / 16, loc=4, scale=16)),
    ("{dist: pert, low: 4, mode: 10, high: 20}", stats.beta(1 + 24 / 16, 1 + 40 / 16, loc=4,
                                                             scale=16)),
])
def test_monte_carlo_percentiles_of_one_input_match_its_quantiles(tmp_path, dist, ref):
    loaded, params = _linear(tmp_path, dist)
    n = 20_000
    mc = simulate(loaded.scenario, params, draws=n, seed=7).json()["metrics"]["economic_npv"]
    for p in (5, 10, 50, 90, 95):
        x = ref.ppf(p / 100)
        # the sample quantile's standard error is sqrt(p (1 - p) / n) / density(x)
        se = math.sqrt(p / 100 * (1 - p / 100) / n) / ref.pdf(x) * 100 * ANNUITY
        assert mc[f"p{p}"] == approx(x * 100 * ANNUITY - 1000, abs=4 * se)


# ----------------------------------------------------------------------------- Monte Carlo


def test_mean_of_a_linear_model_is_within_three_standard_errors(tmp_path):
    loaded, params = _linear(tmp_path, "{dist: pert, low: 5, mode: 10, high: 20}")
    mc = simulate(loaded.scenario, params, draws=20_000, seed=11).json()["metrics"]["economic_npv"]
    # E[ENPV] = E[quantity] × 100 × annuity - 1,000 with E[quantity] = (5 + 4 × 10 + 20)/6 for
    # PERT; its standard error is the sample sd / sqrt(draws)
    expected = (5 + 40 + 20) / 6 * 100 * ANNUITY - 1000
    assert abs(mc["mean"] - expected) < 3 * mc["sd"] / math.sqrt(20_000)
    # and the sd is that of the PERT (beta variance on [5, 20]) times the slope
    a, b = 1 + 4 * 5 / 15, 1 + 4 * 10 / 15
    sd = 15 * math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1))) * 100 * ANNUITY
    assert mc["sd"] == approx(sd, rel=0.03)


def test_prospective_source_is_awarded_with_its_probability(tmp_path):
    path = scenario_file(tmp_path, """
        costs:
          - {id: kit, amount: 1000, year: 2026}
        funding:
          - {id: hope, type: contribution, stakeholder: city, status: prospective,
             probability: 0.3, amount: 1000, year: 2026}
        """, years=2)
    loaded = load(path)
    n = 10_000
    mc = simulate(loaded.scenario, [], draws=n, seed=3).json()
    # a shortfall happens exactly where the source is not awarded: P = 0.7, binomial sd
    tolerance = 4 * math.sqrt(0.3 * 0.7 / n)
    assert mc["prob_shortfall"] == approx(0.7, abs=tolerance)
    assert mc["metrics"]["total_funding"]["mean"] == approx(300, abs=1000 * tolerance)
    # the cash runs out in the first year or never; the list runs over the years
    assert mc["prob_cash_out_by_year"] == [mc["prob_shortfall"]] * 2


def test_a_source_with_probability_zero_is_never_awarded_and_committed_always(tmp_path):
    loaded = load(scenario_file(tmp_path, """
        costs:
          - {id: kit, amount: 1000, year: 2026}
        funding:
          - {id: never, type: contribution, stakeholder: city, status: prospective,
             probability: 0, amount: 500, year: 2026}
          - {id: sure, type: contribution, stakeholder: city, amount: 400, year: 2026}
        """, years=1))
    mc = simulate(loaded.scenario, [], draws=500, seed=1)
    assert np.all(mc.samples["total_funding"] == 400)


def test_json_shape_and_null_statistics(tmp_path):
    loaded, params = _linear(tmp_path, "{dist: uniform, low: 5, high: 15}")
    doc = simulate(loaded.scenario, params, draws=1000, seed=5).json()
    assert list(doc) == ["draws", "seed", "metrics", "prob_shortfall", "prob_bcr_below_1",
                         "prob_cash_out_by_year", "notes"]
    assert (doc["draws"], doc["seed"], len(doc["prob_cash_out_by_year"])) == (1000, 5, 3)
    assert list(doc["metrics"]) == list(reported(loaded.scenario))
    stats_keys = ["mean", "sd", "p5", "p10", "p20", "p50", "p80", "p90", "p95", "prob_below_zero",
                  "share_null"]
    assert all(list(v) == stats_keys for v in doc["metrics"].values())
    # no cash ever runs short: the first shortfall year is null in every draw
    assert doc["metrics"]["first_shortfall_year"] == dict.fromkeys(stats_keys[:-1]) | {
        "share_null": 1.0}
    # ENPV = q × 100 × 2.859 - 1000 < 0 for q < 3.5: never with q in 5..15
    assert doc["metrics"]["economic_npv"]["prob_below_zero"] == 0
    assert doc["prob_bcr_below_1"] == 0


def test_percentiles_of_sorted_draws_are_numpys_bit_for_bit():
    # the reference is numpy's own np.percentile (linear, and inverted_cdf for years) on the
    # unsorted draws: spreads over many magnitudes, many ties (years, rounded values), n = 1..
    rng = np.random.default_rng(12)
    levels = (5, 10, 20, 50, 80, 90, 95)
    for trial in range(600):
        n = int(rng.integers(1, 2_000))
        x = (rng.normal(size=n) * 10.0 ** rng.integers(-3, 9) if trial % 3 == 0
             else rng.integers(2025, 2040, size=n).astype(float) if trial % 3 == 1
             else np.round(rng.normal(size=n), 1))
        ordered = np.sort(x)
        assert np.array_equal(percentiles(ordered, levels), np.percentile(x, levels))
        assert np.array_equal(percentiles(ordered, levels, years=True),
                              np.percentile(x, levels, method="inverted_cdf"))


def test_percentiles_of_a_year_metric_are_years_the_draws_have():
    # "year metrics are calendar years" (the JSON): half the draws run short in 2027, half in
    # 2028. Linear interpolation puts the median at position 999 × 0.5 = 499.5 of the sorted
    # draws, between 2027 and 2028: 2027.5, which the Risk sheet printed as "2028". The median
    # year is the first by which at least half the draws have it: 2027 (500 of 1,000 by then).
    drawn = np.array([2027.0] * 500 + [2028.0] * 500)
    money = drawn * 1.0
    mc = MonteCarlo(1000, 1, [2026, 2027, 2028], {"first_shortfall_year": drawn,
                                                  "funding_shortfall": money,
                                                  "bcr": np.full(1000, 1.2)}, np.zeros(3))
    doc = mc.json()["metrics"]
    assert doc["first_shortfall_year"]["p50"] == 2027  # inverted distribution function
    assert doc["first_shortfall_year"]["p20"] == 2027 and doc["first_shortfall_year"]["p80"] == 2028
    assert doc["first_shortfall_year"]["mean"] == 2027.5  # a mean is not a year a draw has
    assert doc["funding_shortfall"]["p50"] == 2027.5  # money interpolates as before
    # 499 of 1,000 draws by 2027 (49.9 %): the median year is 2028
    assert describe(np.array([2027.0] * 499 + [2028.0] * 501), years=True)["p50"] == 2028


def test_a_chunk_is_sized_by_the_items_the_ranges_feed(tmp_path):
    # Ranges on one benefit widen the same rows however many there are: the chunk is sized by
    # the items fed. By hand over 50 years, one item: CHUNK_BYTES // (8 × 50 × (130 + 4 × 1))
    # = 125,829,120 // 53,600 = 2,347 draws, in multiples of 100 below a block: 2,300. Counted
    # by parameter (three ranges) it would be 125,829,120 // (8 × 50 × 142) = 2,215 -> 2,200.
    # Over 3 years: 125,829,120 // (8 × 3 × 134) = 39,125, in whole blocks of 2,500: 37,500.
    text = LINEAR.format(dist="{dist: uniform, low: 5, high: 15}").rstrip() + """
      benefits.thefts.unit_value: {dist: uniform, low: 90, high: 110}
      benefits.thefts.deadweight: {dist: uniform, low: 0, high: 0.2}
    """
    for years, want in ((50, 2_300), (3, 37_500)):
        loaded = load(scenario_file(tmp_path, text, years=years, rate=0.05))
        params, _ = uncertain_parameters(loaded.scenario, {})
        assert len(params) == 3
        assert chunk_draws(loaded.scenario, params) == want, years


def test_chunked_draws_equal_draws_at_once(tmp_path):
    loaded = load(scenario_file(tmp_path, """
        costs:
          - {id: kit, category: capex, amount: 1000, year: 2026, life: 2}
        funding:
          - {id: hope, type: contribution, stakeholder: city, status: expected, probability: 0.6,
             amount: 300}
        benefits:
          - {id: thefts, beneficiary: city, quantity: 10, unit_value: 100, deadweight: 0.2}
        uncertainty:
          benefits.thefts.quantity: {dist: pert, low: 2, mode: 10, high: 12}
          benefits.thefts.deadweight: {dist: uniform, low: 0, high: 0.5}
          costs.kit.amount: {dist: normal, mean: 1000, sd: 100, low: 700}
        """))
    params, _ = uncertain_parameters(loaded.scenario, {})
    n = 3 * BLOCK + 123
    whole = simulate(loaded.scenario, params, draws=n, seed=42, chunk=10**6)
    for chunk in (MIN_CHUNK, BLOCK, 2 * BLOCK, 3 * BLOCK + 7):  # a chunk may end inside a block
        parts = simulate(loaded.scenario, params, draws=n, seed=42, chunk=chunk)
        for name in reported(loaded.scenario):
            # the draws are the same numbers; the engine's IRR iterations may end one unit in
            # the last place apart when a series sits elsewhere in a batch (BLAS blocking)
            np.testing.assert_allclose(parts.samples[name], whole.samples[name], rtol=1e-13,
                                       atol=0, equal_nan=True, err_msg=f"{name}, chunk {chunk}")
        money = ("economic_npv", "funding_shortfall", "total_cost", "total_funding")
        for name in money:
            np.testing.assert_array_equal(parts.samples[name], whole.samples[name])
    # the stream of a draw does not depend on where a slice starts
    u = uniforms(42, 0, 2 * BLOCK + 10, 4)
    np.testing.assert_array_equal(uniforms(42, BLOCK - 5, 20, 4), u[:, BLOCK - 5:BLOCK + 15])


def test_same_seed_same_json_different_seed_different_json(tmp_path):
    path = scenario_file(tmp_path, LINEAR.format(dist="{dist: triangular, low: 5, mode: 10, "
                                                      "high: 20}"), years=3, rate=0.05)

    def run(*extra: str) -> dict:
        result = CliRunner().invoke(main, ["run", str(path), "--json", "-", "--draws", "2000",
                                           *extra])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    first, again = run("--seed", "123"), run("--seed", "123")
    assert first == again
    assert first["monte_carlo"]["seed"] == 123 and first["monte_carlo"]["draws"] == 2000
    other = run("--seed", "124")
    assert other["monte_carlo"]["metrics"] != first["monte_carlo"]["metrics"]
    assert other["metrics"] == first["metrics"]  # the base case does not depend on the seed
    default = run()
    assert default["monte_carlo"]["seed"] == 20261127


def test_draws_zero_skips_monte_carlo_and_a_certain_case_has_no_risk_sections(tmp_path):
    path = scenario_file(tmp_path, LINEAR.format(dist="{dist: uniform, low: 5, high: 15}"),
                         years=3, rate=0.05)
    result = CliRunner().invoke(main, ["run", str(path), "--json", "-", "--draws", "0"])
    doc = json.loads(result.stdout)
    assert "monte_carlo" not in doc and "sensitivity" in doc
    certain = scenario_file(tmp_path, """
        costs:
          - {id: kit, amount: 1000, year: 2026}
        """, name="certain.yaml")
    doc = json.loads(CliRunner().invoke(main, ["run", str(certain), "--json", "-"]).stdout)
    assert "monte_carlo" not in doc and "sensitivity" not in doc


def test_parameter_fixed_by_set_is_held_with_a_note(tmp_path):
    path = scenario_file(tmp_path, LINEAR.format(dist="{dist: uniform, low: 5, high: 15}"),
                         years=3, rate=0.05)
    loaded = load(path)
    from labfinance.model.loader import with_overrides

    scenario = with_overrides(loaded, None, [("benefits.thefts.quantity", 12)])
    a = analyse(loaded, scenario, overrides={"benefits.thefts.quantity": 12}, draws=500, seed=1)
    assert a.monte_carlo is not None
    assert a.monte_carlo["notes"] == {
        "benefits.thefts.quantity": "held at 12 by --set; its uncertainty range is not used"}
    npv = a.samples["economic_npv"]
    assert npv.shape == (500,) and np.all(npv == approx(12 * 100 * ANNUITY - 1000))
    assert a.monte_carlo["metrics"]["economic_npv"]["sd"] == approx(0, abs=1e-9)
    assert set(a.samples) == set(reported(a.scenario))


def test_negative_seed_is_bad_input(tmp_path):
    path = scenario_file(tmp_path, LINEAR.format(dist="{dist: uniform, low: 5, high: 15}"))
    result = CliRunner().invoke(main, ["run", str(path), "--json", "-", "--seed", "-1"])
    assert result.exit_code == 2
    assert "--seed: must be 0 or more" in result.stderr


# --- threads ---------------------------------------------------------------------------------

CITIZEN_APP = Path(__file__).resolve().parents[1] / "scenarios" / "citizen-alert-app.yaml"


@pytest.mark.parametrize("threads", [2, 3])
def test_threads_give_the_same_bytes_as_one(threads):
    # The example with risks, correlated ranges and a source at risk. The chunks are the same
    # whatever the threads (1,000 draws each here, 7 of them, the last one short): each lands
    # in its own slice of the samples, and the yearly counts of draws out of cash are whole
    # numbers, exact in any order. So every sample is the same bytes, IRRs included.
    scenario = load(CITIZEN_APP).scenario
    params, _ = uncertain_parameters(scenario, {})
    one = simulate(scenario, params, draws=6_500, seed=7, chunk=MIN_CHUNK, threads=1)
    many = simulate(scenario, params, draws=6_500, seed=7, chunk=MIN_CHUNK, threads=threads)
    assert one.samples.keys() == many.samples.keys()
    for name, sample in one.samples.items():
        assert sample.tobytes() == many.samples[name].tobytes(), name
    assert one.cash_out_by_year.tobytes() == many.cash_out_by_year.tobytes()
    assert json.dumps(one.json()) == json.dumps(many.json())


def test_progress_is_reported_on_the_calling_thread_for_every_draw():
    scenario = load(CITIZEN_APP).scenario
    params, _ = uncertain_parameters(scenario, {})
    seen: list[tuple[int, str]] = []
    simulate(scenario, params, draws=4_321, seed=1, chunk=MIN_CHUNK, threads=2,
             on_chunk=lambda n: seen.append((n, threading.current_thread().name)))
    assert sorted(n for n, _ in seen) == [321, 1_000, 1_000, 1_000, 1_000]
    assert {name for _, name in seen} == {threading.current_thread().name}


def test_an_error_in_a_thread_reaches_the_caller(monkeypatch):
    # The third engine call fails: simulate raises that error instead of waiting for a result
    # that never comes, and the other thread takes no more chunks (six in all).
    scenario = load(CITIZEN_APP).scenario
    params, _ = uncertain_parameters(scenario, {})
    engine = montecarlo.evaluate

    def failing(s, p, *args, **kwargs):
        if p.draws == 1_000 and failing.calls == 2:
            raise ArithmeticError("third chunk")
        failing.calls += 1
        return engine(s, p, *args, **kwargs)

    failing.calls = 0
    monkeypatch.setattr(montecarlo, "evaluate", failing)
    with pytest.raises(ArithmeticError, match="third chunk"):
        simulate(scenario, params, draws=6_000, seed=1, chunk=MIN_CHUNK, threads=2)
    assert failing.calls <= 4  # the two before, and one or two the other thread began meanwhile;
    # without the stop it would go on to the last of the six


def test_the_chunks_are_the_files_on_any_machine():
    # The chunk size comes from the file alone (CHUNK_BYTES per engine call), so the default
    # run gives the same bytes on one core and on several: IRRs may end one unit in the last
    # place apart when a series sits in another batch, and a chunk size that followed the
    # cores would have moved them.
    scenario = load(CITIZEN_APP).scenario
    params, _ = uncertain_parameters(scenario, {})
    chunk = chunk_draws(scenario, params)
    runs = [simulate(scenario, params, draws=2 * chunk + 700, seed=3, threads=threads)
            for threads in (1, 2, 4)]
    for other in runs[1:]:
        assert json.dumps(other.json()) == json.dumps(runs[0].json())
        for name, sample in runs[0].samples.items():
            assert sample.tobytes() == other.samples[name].tobytes(), name
    assert 1 <= montecarlo.default_threads() <= montecarlo.MAX_THREADS

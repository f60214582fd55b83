"""The decision view, worked by hand: top-ups, shortfall per year, bridge finance, funding at risk,
payers and representation, the three fair-share bases, the plan, sources at risk, the two-point
tornado bars and the verdict."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest
from pytest import approx

from labfinance.analysis.run import analyse
from labfinance.engine.core import evaluate
from labfinance.engine.decision import top_up
from labfinance.model.loader import load, with_overrides
from labfinance.model.reading import ScenarioError
from labfinance.outputs.decision import analysis_verdict, decision_json

HEADER = """\
labfinance: 1
name: Decision case
start_year: 2026
years: 5
discount_rate: 0.0
stakeholders:
  city: {name: City, kind: municipality}
  police: {name: Police, kind: police}
  residents: {name: Residents, kind: residents}
  insurer: {name: Insurer, kind: insurer}
  eu: {name: EU, kind: eu}
"""

# Costs 100 a year. The city pays 150 in 2026; a committed EU grant pays 120 in 2030; an expected
# grant (probability 0.5) pays 100 in 2027. Benefits at rate 0, so PV = sum over 5 years:
# police 20/yr -> 100, residents 16/yr -> 80, insurer 8/yr cash-releasing -> 40,
# city 10/yr cash-releasing -> 50.
CASE = """\
costs:
  - {id: ops, category: opex, amount: 100}
funding:
  - {id: city_fund, type: contribution, stakeholder: city, amount: 150, year: 2026}
  - {id: late_grant, type: grant, stakeholder: eu, schedule: {2030: 120}}
  - {id: maybe_grant, type: grant, stakeholder: eu, status: expected, probability: 0.5,
     schedule: {2027: 100}}
benefits:
  - {id: b_police, beneficiary: police, amount: 20}
  - {id: b_residents, beneficiary: residents, amount: 16}
  - {id: b_insurer, beneficiary: insurer, amount: 8, cash_releasing: true}
  - {id: b_city, beneficiary: city, amount: 10, cash_releasing: true}
"""


def write(folder: Path, body: str, header: str = HEADER) -> Path:
    path = folder / "case.yaml"
    path.write_text(header + textwrap.dedent(body), encoding="utf-8")
    return path


def results(folder: Path, body: str = CASE, sets: dict | None = None, header: str = HEADER):
    loaded = load(write(folder, body, header))
    return evaluate(with_overrides(loaded, None, list((sets or {}).items())))


def test_top_up_keeps_cash_at_zero_and_sums_to_the_peak_cash_need(tmp_path):
    r = results(tmp_path)
    m = {k: float(v[0]) for k, v in r.metrics.items()}
    # planned net cash +50, 0 (100 - 100), -100, -100, +20 -> cumulative 50, 50, -50, -150, -130
    assert r.ledger["cumulative_cash"][0].tolist() == [50, 50, -50, -150, -130]
    # top-up: 2028 max(0, 50 - 0) = 50; 2029 max(0, 150 - 50) = 100; 2030 130 - 150 < 0 -> 0
    assert r.ledger["top_up"][0].tolist() == [0, 0, 50, 100, 0]
    assert r.ledger["top_up"][0].sum() == m["peak_cash_need"] == 150
    # committed only (no 2027 grant): cumulative 50, -50, -150, -250, -230 -> 0, 50, 100, 100, 0
    assert r.ledger["secured_top_up"][0].tolist() == [0, 50, 100, 100, 0]
    # shortfall 130 spread over 2028-2030 (3 years); committed 230 over 2027-2030 (4 years)
    assert m["first_shortfall_year"] == 2028 and m["secured_first_shortfall_year"] == 2027
    assert m["shortfall_per_year"] == approx(130 / 3)
    assert m["secured_shortfall_per_year"] == approx(230 / 4)
    # bridge finance: peak 150 less shortfall 130 = 20, repaid by the 2030 grant
    assert m["bridge_finance"] == approx(20)
    # the expected grant's 100 is the funding at risk
    assert m["funding_at_risk"] == 100
    # no nominal rows in real prices without inflation
    assert "top_up_nominal" not in r.ledger


def test_top_up_in_cash_of_the_day_where_real_prices_have_inflation(tmp_path):
    r = results(tmp_path, CASE + "inflation: 0.02\n")
    # 50 × 1.02^2 = 52.02 in 2028; 100 × 1.02^3 = 106.1208 in 2029
    assert r.ledger["top_up_nominal"][0] == approx([0, 0, 52.02, 106.1208, 0])
    assert r.ledger["secured_top_up_nominal"][0] == approx([0, 51, 104.04, 106.1208, 0])


def test_top_up_ignores_money_within_half_a_cent_of_zero():
    # cumulative -0.004 counts as zero; then -10, -5 (already covered), -12 (2 more)
    assert top_up(np.array([[-0.004, -10.0, -5.0, -12.0]])).tolist() == [[0, 10, 0, 2]]


def test_no_shortfall_year_gives_null_per_year_figures(tmp_path):
    r = results(tmp_path, """
        costs:
          - {id: ops, category: opex, amount: 100}
        funding:
          - {id: city_fund, type: contribution, stakeholder: city, amount: 100}
        """)
    m = r.metrics
    assert np.isnan(m["shortfall_per_year"][0]) and np.isnan(m["secured_first_shortfall_year"][0])
    assert r.notes["shortfall_per_year"] == "cash never runs short inside the horizon"
    assert m["bridge_finance"][0] == 0 and m["funding_at_risk"][0] == 0


# ----------------------------------------------------------------------------- who pays


def test_residents_fall_to_the_municipality_and_shares_follow_net_gain(tmp_path):
    r = results(tmp_path)
    f = {sid: {k: v[0] for k, v in fig.items()} for sid, fig in r.stakeholders.items()}
    # gains (PV benefits - PV contributed), residents counted with the city:
    # city 50 - 150 + residents 80 = -20 -> 0; police 100; insurer 40; EU 0 - 220 -> 0
    assert r.represented_by == {"city": None, "police": None, "residents": "city",
                                "insurer": None, "eu": None}
    assert f["city"]["gain"] == approx(-20) and f["police"]["gain"] == approx(100)
    assert np.isnan(f["residents"]["gain"]) and np.isnan(f["residents"]["weight"])
    # weights: police 100/140 = 5/7, insurer 40/140 = 2/7
    assert f["police"]["weight"] == approx(5 / 7) and f["insurer"]["weight"] == approx(2 / 7)
    assert f["city"]["weight"] == 0 and f["eu"]["weight"] == 0
    # fair shares: 5/7 × 130 = 92.857, 2/7 × 130 = 37.143; committed: × 230
    assert f["police"]["fair_share"] == approx(650 / 7)
    assert f["insurer"]["secured_fair_share"] == approx(460 / 7)
    assert np.isnan(f["residents"]["fair_share"])
    # plan: 5/7 × top-up (0, 0, 50, 100, 0)
    assert f["police"]["plan"] == approx([0, 0, 250 / 7, 500 / 7, 0])
    assert f["insurer"]["secured_plan"] == approx([0, 100 / 7, 200 / 7, 200 / 7, 0])
    assert np.all(np.isnan(f["residents"]["plan"]))
    assert not any("residents" in w for w in r.warnings)


def test_fair_share_by_benefits_received(tmp_path):
    r = results(tmp_path, CASE + "fair_share_basis: benefits\n")
    w = {sid: fig["weight"][0] for sid, fig in r.stakeholders.items()}
    # gains: city 50 + residents 80 = 130, police 100, insurer 40, EU 0; total 270
    assert w["city"] == approx(13 / 27) and w["police"] == approx(10 / 27)
    assert w["insurer"] == approx(4 / 27) and w["eu"] == 0
    assert r.stakeholders["city"]["fair_share"][0] == approx(13 / 27 * 130)


def test_fair_share_by_cash_releasing_benefits(tmp_path):
    r = results(tmp_path, CASE + "fair_share_basis: cash_releasing\n")
    w = {sid: fig["weight"][0] for sid, fig in r.stakeholders.items()}
    # only the city (50) and the insurer (40) free budget; total 90
    assert w["city"] == approx(5 / 9) and w["insurer"] == approx(4 / 9) and w["police"] == 0


def test_a_stakeholder_representing_itself_pays_its_own_share(tmp_path):
    header = HEADER.replace("kind: residents}", "kind: residents, represented_by: residents}")
    r = results(tmp_path, header=header)
    w = {sid: fig["weight"][0] for sid, fig in r.stakeholders.items()}
    # residents 80, police 100, insurer 40, city -100 -> 0; total 220
    assert w["residents"] == approx(80 / 220) and w["police"] == approx(100 / 220)
    assert r.represented_by["residents"] is None


def test_residents_without_one_municipality_pay_with_a_warning(tmp_path):
    header = HEADER.replace("  eu: {name: EU, kind: eu}",
                            "  eu: {name: EU, kind: eu}\n  town: {kind: municipality}")
    r = results(tmp_path, header=header)
    assert r.represented_by["residents"] is None
    assert r.stakeholders["residents"]["weight"][0] == approx(80 / 220)
    assert any("residents ('residents') are asked to pay a share themselves: there are several "
               "municipalities" in w for w in r.warnings)


def test_no_positive_gain_gives_null_shares_with_a_note(tmp_path):
    r = results(tmp_path, """
        costs:
          - {id: ops, category: opex, amount: 100}
        """)
    assert all(np.isnan(f["weight"][0]) and np.isnan(f["fair_share"][0])
               for f in r.stakeholders.values())
    assert r.notes["plan"].startswith("no payer has a positive net gain")


@pytest.mark.parametrize(("stakeholders", "message"), [
    ("residents: {kind: residents, represented_by: town}",
     "stakeholders.residents.represented_by: no stakeholder 'town' (known: city, police, "
     "residents)"),
    ("residents: {kind: residents, represented_by: police}\n"
     "  police: {kind: police, represented_by: city}",
     "stakeholders.residents.represented_by: 'police' is itself represented by 'city'; a "
     "representative may not itself be represented (name 'city' here)"),
])
def test_representation_errors_are_located(tmp_path, stakeholders, message):
    path = tmp_path / "bad.yaml"
    body = ("labfinance: 1\nname: Bad\nstart_year: 2026\nyears: 2\ndiscount_rate: 0\n"
            "stakeholders:\n  city: {kind: municipality}\n  " + stakeholders
            + "\ncosts:\n  - {id: ops, amount: 1}\n")
    if "police: {kind: police" not in stakeholders:
        body = body.replace("stakeholders:\n", "stakeholders:\n  police: {kind: police}\n")
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ScenarioError) as error:
        load(path)
    line = body.splitlines().index("  " + stakeholders.splitlines()[0]) + 1
    assert error.value.messages == [f"{path}:{line}: {message}"]


# ----------------------------------------------------------------------------- sources at risk

def _two_sources(folder: Path) -> Path:
    # CASE with a prospective insurer contribution of 30 in 2030 added to the funding
    body = CASE.replace("benefits:\n", """\
  - {id: insurer_gift, type: contribution, stakeholder: insurer, status: prospective,
     probability: 0.4, amount: 30, year: 2030}
benefits:
""")
    return write(folder, body)


def test_sources_at_risk_are_the_planned_case_without_each(tmp_path):
    loaded = load(_two_sources(tmp_path))
    a = analyse(loaded, loaded.scenario, draws=0)
    # planned cumulative 50, 50, -50, -150, -100 -> shortfall 100
    assert a.results.metrics["funding_shortfall"][0] == approx(100)
    # without the 2027 grant: 50, -50, -150, -250, -200 -> 200 from 2027;
    # without the insurer's 30: 130 from 2028 (the case of the first test)
    assert a.sources_at_risk == [
        {"id": "maybe_grant", "name": "maybe_grant", "type": "grant", "status": "expected",
         "probability": 0.5, "amount": 100.0, "shortfall_without": 200.0,
         "first_shortfall_year_without": 2027},
        {"id": "insurer_gift", "name": "insurer_gift", "type": "contribution",
         "status": "prospective", "probability": 0.4, "amount": 30.0, "shortfall_without": 130.0,
         "first_shortfall_year_without": 2028},
    ]


def test_an_in_kind_source_at_risk_is_paid_in_cash_without_it(tmp_path):
    loaded = load(write(tmp_path, """
        costs:
          - {id: ops, category: opex, amount: 100}
        funding:
          - {id: city_fund, type: contribution, stakeholder: city, amount: 60}
          - {id: rooms, type: in_kind, stakeholder: police, status: expected, probability: 0.5,
             covers: ops, share: 0.5}
        """))
    a = analyse(loaded, loaded.scenario, draws=0)
    # planned: 60 + 50 in kind - 100 = +10 a year; without the rooms -40 a year: 200 from 2026
    assert a.results.metrics["funding_shortfall"][0] == 0
    [item] = a.sources_at_risk
    assert (item["amount"], item["shortfall_without"], item["first_shortfall_year_without"]) == (
        250.0, 200.0, 2026)


def test_funders_are_two_point_tornado_bars_and_not_switching_values(tmp_path):
    loaded = load(_two_sources(tmp_path))
    a = analyse(loaded, loaded.scenario, draws=0)
    assert a.sensitivity is not None
    bars = [b for b in a.sensitivity["tornado"] if b["metric"] == "funding_shortfall"]
    # shortfall 100 with both; without the grant 200 (swing 100), without the gift 130 (30)
    assert bars == [
        {"parameter": "funding.maybe_grant", "low": 0, "high": 1, "base": 1,
         "metric": "funding_shortfall", "at_low": 200.0, "at_high": 100.0, "swing": 100.0},
        {"parameter": "funding.insurer_gift", "low": 0, "high": 1, "base": 1,
         "metric": "funding_shortfall", "at_low": 130.0, "at_high": 100.0, "swing": 30.0},
    ]
    # transfers do not move the societal case
    npv = [b for b in a.sensitivity["tornado"] if b["metric"] == "economic_npv"]
    assert [b["swing"] for b in npv] == [0.0, 0.0]
    assert not any(v["parameter"].startswith("funding.") for v in
                   a.sensitivity["switching_values"])


# ----------------------------------------------------------------------------- verdict


def test_verdict_reads_secured_then_planned_then_value_then_who_pays(tmp_path):
    loaded = load(write(tmp_path, CASE))
    a = analyse(loaded, loaded.scenario, draws=0)
    # secured 230 from 2027; planned 130 from 2028, 130/3 = 43.3 a year; 100 not committed;
    # societal at rate 0: benefits 270 - costs 500 = -230, ratio 0.54; committed-only gap is the
    # larger, so shares of 230: police 5/7 × 230 = 164.3, insurer 2/7 × 230 = 65.7
    assert analysis_verdict(a) == (
        "Committed sources run out in 2027 and leave EUR 230 uncovered; if every expected "
        "source pays (EUR 100 not yet committed), short from 2028 by EUR 130 (about EUR 43 a "
        "year); net societal value EUR -230, benefits 0.54 times the costs; fair shares of the "
        "committed-only gap (by net gain): Police EUR 164, Insurer EUR 66.")


def test_verdict_with_monte_carlo_names_the_likely_and_prudent_shortfall(tmp_path):
    loaded = load(write(tmp_path, CASE))
    a = analyse(loaded, loaded.scenario, draws=400, seed=3)
    # the only chance is the 2027 grant: a draw without it is short 230, with it 130. About half
    # the draws award it, so P50 lies between; P80 is 230 (at least 20 % of draws miss it).
    likely, prudent = a.answers["likely"], a.answers["prudent"]
    assert prudent["funding_shortfall"] == 230
    assert 130 <= likely["funding_shortfall"] <= 230
    text = analysis_verdict(a)
    assert "likely shortfall EUR " in text
    assert "prudent EUR 230; 100 % chance of a shortfall" in text
    # first year short: 2027 in the half of the draws without the grant (>= 20 %): prudent
    assert prudent["first_shortfall_year"] == 2027
    assert decision_json(a)["verdict"] == analysis_verdict(a)

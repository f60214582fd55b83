"""Format 1.2 (issue 15): loans with grace years and a balloon, and the EU decision amount.

Every expected number comes from a hand calculation in the comment beside it (a calculator's
arithmetic, not the engine's functions) or from a published vector (docs/published-vectors.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import metric, row, run, scenario_file
from labfinance.analysis.run import analyse
from labfinance.cli import main
from labfinance.engine.catalogue import EU_METRICS, METRICS
from labfinance.engine.core import evaluate
from labfinance.engine.parameters import Parameters
from labfinance.model.loader import load, with_overrides
from labfinance.model.scenario import Scenario
from labfinance.model.workbook import import_workbook
from labfinance.outputs.excel import write_workbook
from labfinance.outputs.excel.layout import FIRST_YEAR_COL, VALUE_COL
from pyrecalc import check
from recalc import compare_formula_cells, named_cells, recalculate, require_soffice
from test_import import edit, write_book  # the round trip's own helpers

# A loan of 1,000,000 drawn in 2026 at 5 %, term 5 years of which 2 interest-only, 40 % balloon,
# on a 7-year horizon 2026-2032.
LOAN = """\
costs:
  - {id: cameras, category: capex, amount: 1000000, year: 2026}
funding:
  - {id: bank, type: loan, stakeholder: city, amount: 1000000, year: 2026, rate: 0.05, term: 5,
     grace: 2, balloon: 0.4}
"""

# Hand schedule (calculator):
#   instalment after the grace years: the 600,000 not in the balloon amortised over 5 - 2 = 3
#   years, 600,000 × 0.05 / (1 - 1.05^-3) = 600,000 × 0.05 / 0.1361624 = 220,325.1388, plus a
#   year's interest on the 400,000 balloon, 20,000: 240,325.1388.
#   2026: draw-down; balance 1,000,000.
#   2027, 2028 (grace): interest 1,000,000 × 5 % = 50,000, principal 0, balance 1,000,000.
#   2029: interest 50,000; principal 240,325.1388 - 50,000 = 190,325.1388; balance 809,674.8612.
#   2030: interest 809,674.8612 × 5 % = 40,483.7431; principal 199,841.3957; balance 609,833.4655.
#   2031: payment 240,325.1388 + 400,000 = 640,325.1388; interest 30,491.6733; principal
#         609,833.4655; balance 0.
#   2032: nothing.
INSTALMENT = 240_325.1388
SERVICE = [0, 50_000, 50_000, INSTALMENT, INSTALMENT, INSTALMENT + 400_000, 0]
INTEREST = [0, 50_000, 50_000, 50_000, 40_483.7431, 30_491.6733, 0]
PRINCIPAL = [0, 0, 0, 190_325.1388, 199_841.3957, 609_833.4655, 0]
BALANCE = [1_000_000, 1_000_000, 1_000_000, 809_674.8612, 609_833.4655, 0, 0]


def test_a_loan_with_grace_and_balloon_follows_the_hand_schedule(tmp_path):
    r = run(tmp_path, LOAN, years=7)
    loan = r.loans["bank"]
    assert [float(x) for x in loan["interest"][0]] == pytest.approx(INTEREST, abs=1e-4)
    assert [float(x) for x in loan["principal"][0]] == pytest.approx(PRINCIPAL, abs=1e-4)
    assert [float(x) for x in loan["balance"][0]] == pytest.approx(BALANCE, abs=1e-4)
    assert row(r, "debt_service") == pytest.approx(SERVICE, abs=1e-4)
    assert row(r, "loan_in") == [1_000_000, 0, 0, 0, 0, 0, 0]
    assert metric(r, "debt_outstanding") == 0


def test_a_loan_still_in_its_grace_years_at_the_end_leaves_the_principal_owed(tmp_path):
    # 3-year horizon 2026-2028: both grace years inside it, no principal repaid: 1,000,000 owed;
    # the shortfall counts it: cash at the end = 1,000,000 in - 1,000,000 cost - 2 × 50,000
    # interest = -100,000, less 1,000,000 owed: shortfall 1,100,000.
    r = run(tmp_path, LOAN, years=3)
    assert metric(r, "debt_outstanding") == pytest.approx(1_000_000, abs=1e-6)
    assert metric(r, "funding_shortfall") == pytest.approx(1_100_000, abs=1e-6)
    assert [float(x) for x in r.loans["bank"]["balance"][0]] == [1e6, 1e6, 1e6]


def test_lines_loans_in_the_json(tmp_path):
    path = scenario_file(tmp_path, LOAN, years=7)
    result = CliRunner().invoke(main, ["run", str(path), "--json", "-", "--draws", "0"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert list(doc["lines"]["loans"]) == ["bank"]
    loan = doc["lines"]["loans"]["bank"]
    assert list(loan) == ["interest", "principal", "balance"]
    assert loan["interest"] == pytest.approx(INTEREST, abs=1e-4)
    assert loan["principal"] == pytest.approx(PRINCIPAL, abs=1e-4)
    assert loan["balance"] == pytest.approx(BALANCE, abs=1e-4)


@pytest.mark.parametrize(("loan", "first_year", "expected"), [
    # numpy-financial docstrings (docs/published-vectors.md, B1): ipmt(.1/12, 1, 24, 2000) =
    # -16.666667 (the first period's interest), ppmt(.1/12, 1, 60, 55000) = -710.254126 (the first
    # period's principal), pmt(.08/12, 60, 15000) = -304.145914 (the payment). A labfinance year
    # stands for the period; the horizon holds the draw-down and the first payment.
    ("amount: 2000, rate: 0.008333333333333333, term: 24", "interest", 16.666667),
    ("amount: 55000, rate: 0.008333333333333333, term: 60", "principal", 710.254126),
    ("amount: 15000, rate: 0.006666666666666667, term: 60", "service", 304.145914),
])
def test_the_first_payment_matches_numpy_financial(tmp_path, loan, first_year, expected):
    body = ("costs:\n  - {id: kit, amount: 1, year: 2026}\nfunding:\n"
            f"  - {{id: bank, type: loan, stakeholder: city, year: 2026, {loan}}}\n")
    r = run(tmp_path, body, years=2)
    value = (row(r, "debt_service")[1] if first_year == "service"
             else float(r.loans["bank"][first_year][0][1]))
    assert value == pytest.approx(expected, abs=5e-7)


def test_a_zero_rate_loan_with_grace_and_balloon(tmp_path):
    # 1,000 at 0 %, term 4, 1 grace year, 20 % balloon: no interest; the 800 not in the balloon
    # over 3 years is 266.67 a year; the last year adds the 200 balloon.
    body = ("costs:\n  - {id: kit, amount: 1, year: 2026}\nfunding:\n"
            "  - {id: bank, type: loan, stakeholder: city, amount: 1000, year: 2026, rate: 0,\n"
            "     term: 4, grace: 1, balloon: 0.2}\n")
    r = run(tmp_path, body, years=6)
    third = 800 / 3
    assert row(r, "debt_service") == pytest.approx([0, 0, third, third, third + 200, 0])
    assert [float(x) for x in r.loans["bank"]["balance"][0]] == pytest.approx(
        [1000, 1000, 1000 - third, 1000 - 2 * third, 0, 0], abs=1e-9)
    assert not r.loans["bank"]["interest"].any()


def test_a_full_balloon_pays_interest_only_then_the_principal(tmp_path):
    # balloon 1: nothing is amortised; each year pays 1,000 × 4 % = 40 and the last year the
    # 1,000 as well (a bullet loan).
    body = ("costs:\n  - {id: kit, amount: 1, year: 2026}\nfunding:\n"
            "  - {id: bank, type: loan, stakeholder: city, amount: 1000, year: 2026, rate: 0.04,\n"
            "     term: 3, balloon: 1}\n")
    r = run(tmp_path, body, years=4)
    assert row(r, "debt_service") == pytest.approx([0, 40, 40, 1040], abs=1e-9)


def test_the_balloon_moves_per_draw_as_in_separate_runs(tmp_path):
    # the vectorised engine (one call, three draws of the balloon) against three base runs
    path = scenario_file(tmp_path, LOAN, years=7)
    loaded = load(path)
    draws = evaluate(loaded.scenario, Parameters(3, {"funding.bank.balloon": [0.0, 0.4, 1.0]}),
                     detail=False)
    for i, balloon in enumerate((0.0, 0.4, 1.0)):
        one = evaluate(with_overrides(loaded, None, [("funding.bank.balloon", balloon)]))
        assert draws.ledger["debt_service"][i] == pytest.approx(one.ledger["debt_service"][0],
                                                                rel=1e-12)
        assert draws.metrics["funding_shortfall"][i] == pytest.approx(
            one.metrics["funding_shortfall"][0], rel=1e-12, abs=1e-9)


# ----------------------------------------------------------------------------- EU decision amount

# Discount rate 4 %, 2026-2028. Capex 600,000 in 2026 and 400,000 in 2027 (10 % contingency, which
# DIC, DNR and the eligible cost leave out); opex 100,000 a year; revenue 300,000 a year.
EU = """\
contingency: {capex: 0.1}
eu_cofinancing_rate: 0.85
costs:
  - {id: cameras, category: capex, schedule: {2026: 600000, 2027: 400000}}
  - {id: running, category: opex, amount: 100000}
funding:
  - {id: fees, type: revenue, stakeholder: insurer, amount: 300000}
"""
# Hand calculation:
#   DIC = 600,000 + 400,000 / 1.04 = 600,000 + 384,615.3846 = 984,615.3846
#   annuity factor of 3 years, first undiscounted: 1 + 1/1.04 + 1/1.04^2 = 2.8860947
#   PV revenue 300,000 × 2.8860947 = 865,828.4024; PV other costs 100,000 × 2.8860947 = 288,609.4675
#   DNR = 577,218.9349 (no residual value: no asset has a life)
#   funding-gap rate R = (984,615.3846 - 577,218.9349) / 984,615.3846 = 407,396.4497 / 984,615.3846
#     = 0.4137620
#   eligible cost EC = 600,000 + 400,000 = 1,000,000 (undiscounted, contingency left out)
#   decision amount DA = EC × R = 413,762.0
#   maximum EU grant = DA × 85 % = 351,697.7
DIC, DNR = 984_615.3846, 577_218.9349
RATE = 407_396.4497 / 984_615.3846


def test_decision_amount_and_max_eu_grant_on_a_worked_example(tmp_path):
    r = run(tmp_path, EU, years=3)
    assert metric(r, "dic") == pytest.approx(DIC, abs=1e-4)
    assert metric(r, "dnr") == pytest.approx(DNR, abs=1e-4)
    assert metric(r, "funding_gap_rate") == pytest.approx(RATE, rel=1e-9)
    assert metric(r, "eligible_cost") == pytest.approx(1_000_000, abs=1e-6)
    assert metric(r, "decision_amount") == pytest.approx(1_000_000 * RATE, abs=1e-3)
    assert metric(r, "max_eu_grant") == pytest.approx(0.85 * 1_000_000 * RATE, abs=1e-3)
    assert metric(r, "decision_amount") == pytest.approx(413_762.0, abs=0.05)
    assert metric(r, "max_eu_grant") == pytest.approx(351_697.7, abs=0.05)


def test_the_json_reports_dic_and_dnr_always_and_the_decision_amount_where_asked(tmp_path):
    ranged = EU + ("uncertainty:\n"
                   "  costs.running.amount: {dist: uniform, low: 90000, high: 110000}\n")
    with_rate = scenario_file(tmp_path, ranged, years=3, name="eu.yaml")
    without = scenario_file(tmp_path, ranged.replace("eu_cofinancing_rate: 0.85\n", ""),
                            years=3, name="plain.yaml")
    docs = {}
    for path in (with_rate, without):
        result = CliRunner().invoke(main, ["run", str(path), "--json", "-", "--draws", "20"])
        assert result.exit_code == 0, result.output
        docs[path.stem] = json.loads(result.stdout)
    assert list(docs["eu"]["metrics"]) == list(METRICS)
    assert list(docs["plain"]["metrics"]) == [m for m in METRICS if m not in EU_METRICS]
    assert docs["plain"]["metrics"]["dic"] == pytest.approx(DIC, abs=1e-4)
    assert docs["plain"]["metrics"]["dnr"] == pytest.approx(DNR, abs=1e-4)
    assert set(docs["eu"]["monte_carlo"]["metrics"]) == set(METRICS)
    assert "max_eu_grant" not in docs["plain"]["monte_carlo"]["metrics"]
    # --set adds the key the file leaves out, as the format allows
    result = CliRunner().invoke(main, ["run", str(without), "--json", "-", "--draws", "0",
                                       "--set", "eu_cofinancing_rate=0.5"])
    doc = json.loads(result.stdout)
    assert doc["metrics"]["max_eu_grant"] == pytest.approx(0.5 * 1_000_000 * RATE, abs=1e-3)


def test_without_capex_the_decision_amount_is_null_with_the_reason(tmp_path):
    body = ("eu_cofinancing_rate: 0.8\ncosts:\n  - {id: team, category: staff, amount: 50000}\n")
    r = run(tmp_path, body, years=3)
    assert metric(r, "dic") == 0  # no investment cost
    assert np.isnan(metric(r, "decision_amount")) and np.isnan(metric(r, "max_eu_grant"))
    assert "no capex" in r.notes["decision_amount"]
    assert metric(r, "eligible_cost") == 0


def test_the_cofinancing_rate_can_be_uncertain(tmp_path):
    body = EU + "uncertainty:\n  eu_cofinancing_rate: {dist: uniform, low: 0.5, high: 0.85}\n"
    path = scenario_file(tmp_path, body, years=3)
    loaded = load(path)
    analysis = analyse(loaded, loaded.scenario, draws=400, seed=7)
    assert analysis.monte_carlo is not None
    grant = analysis.monte_carlo["metrics"]["max_eu_grant"]
    # uniform 0.5..0.85 times the decision amount: every draw between the two ends
    assert 0.5 * 413_762.0 - 1 <= grant["p5"] <= grant["p95"] <= 0.85 * 413_762.0 + 1
    assert grant["mean"] == pytest.approx(0.675 * 413_762.0, rel=0.03)


# ----------------------------------------------------------------------------- the workbook

BOTH = LOAN.replace("costs:\n", "eu_cofinancing_rate: 0.85\ncosts:\n") + (
    "  - {id: fees, type: revenue, stakeholder: insurer, amount: 120000, from: 2027}\n")


# Loan shapes at the corners, for the workbook's parity: a negative rate, a zero rate with the
# longest grace, a bullet (balloon 1), one drawn late that runs past the horizon, an uncertain
# balloon; with the co-financing rate uncertain too.
CORNERS = BOTH + """\
  - {id: negative, type: loan, stakeholder: city, amount: 50000, year: 2027, rate: -0.01, term: 3,
     grace: 1, balloon: 0.3}
  - {id: free, type: loan, stakeholder: city, amount: 40000, year: 2026, rate: 0, term: 4,
     grace: 3, balloon: 0.5}
  - {id: bullet, type: loan, stakeholder: city, amount: 30000, year: 2026, rate: 0.06, term: 3,
     balloon: 1}
  - {id: late, type: loan, stakeholder: city, status: expected, probability: 0.5, amount: 80000,
     year: 2030, rate: 0.04, term: 6, grace: 2, balloon: 0.25}
uncertainty:
  funding.late.balloon: {dist: triangular, low: 0, mode: 0.25, high: 0.6}
  eu_cofinancing_rate: {dist: uniform, low: 0.5, high: 0.85}
"""


def _workbook(tmp_path: Path, body: str = BOTH) -> tuple[Path, Any]:
    loaded = load(scenario_file(tmp_path, body, years=7))
    analysis = analyse(loaded, loaded.scenario)
    target = tmp_path / "loan.xlsx"
    write_workbook(analysis, target)
    return target, analysis


def _labelled(sheet: object, label: str) -> list[object]:
    for cells in sheet.iter_rows():  # type: ignore[attr-defined]
        if cells[0].value == label:
            return [c.value for c in cells]
    raise AssertionError(f"no row {label!r}")


def test_the_workbook_shows_the_schedule_and_recalculates_in_python(tmp_path):
    target, analysis = _workbook(tmp_path)
    result = check(target)
    assert not result.failures and not result.excluded, result.failures[:10]
    values = openpyxl.load_workbook(target, data_only=True)
    funding = values["Funding"]
    for label, expected in (("interest (last year's balance × rate)", INTEREST),
                            ("principal repaid (debt service - interest)", PRINCIPAL),
                            ("balance at the end of the year (corkscrew)", BALANCE)):
        cells = _labelled(funding, label)
        assert cells[FIRST_YEAR_COL:FIRST_YEAR_COL + 7] == pytest.approx(expected, abs=1e-4)
    cash = values["Cash flow"]
    engine = analysis.results.metrics
    for label, name in (("Maximum EU grant", "max_eu_grant"), ("Decision amount (EU)",
                                                                "decision_amount"),
                        ("Eligible cost (EU)", "eligible_cost"),
                        ("DIC: present value of the investment cost", "dic")):
        assert _labelled(cash, label)[VALUE_COL] == pytest.approx(float(engine[name][0]),
                                                                 rel=1e-12)
    # the Summary's headline figures add the decision amount and the maximum EU grant
    assert _labelled(values["Summary"], "Maximum EU grant")[2] == pytest.approx(
        float(engine["max_eu_grant"][0]), rel=1e-12)
    formulas = openpyxl.load_workbook(target)
    assumptions = {c[4].value: c[2].value for c in formulas["Assumptions"].iter_rows()}
    assert assumptions["funding.bank.grace"] == 2
    assert assumptions["funding.bank.balloon"] == 0.4
    assert assumptions["eu_cofinancing_rate"] == 0.85


def test_loans_at_the_corners_recalculate_in_python(tmp_path):
    target, analysis = _workbook(tmp_path, CORNERS)
    assert analysis.sensitivity is not None  # the uncertain balloon and rate were analysed
    result = check(target)
    assert result.cells > 500
    assert not result.failures and not result.excluded, result.failures[:10]


LOAN_CASES = {"grace-balloon-eu": BOTH, "corners": CORNERS}


@pytest.fixture(scope="module")
def recalculated_loans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """Each loan case's workbook and its LibreOffice recalculation, both in one soffice call."""
    require_soffice()
    written = {}
    for key, body in LOAN_CASES.items():
        written[key], _ = _workbook(tmp_path_factory.mktemp(key), body)
    fresh = recalculate(list(written.values()), tmp_path_factory.mktemp("recalculated"))
    return {key: (written[key], out) for key, out in zip(written, fresh, strict=True)}


@pytest.mark.libreoffice
@pytest.mark.parametrize("case", LOAN_CASES)
def test_the_workbook_recalculates_in_libreoffice(recalculated_loans, case):
    target, fresh = recalculated_loans[case]
    count, failures, _ = compare_formula_cells(target, fresh)
    assert count > 300
    assert not failures, failures[:10]
    names = named_cells(target)
    sheet, coord = names["master_check"]
    assert openpyxl.load_workbook(fresh, data_only=True)[sheet][coord].value == "OK"


@settings(max_examples=60, deadline=None)
@given(amount=st.floats(1_000, 1e8), rate=st.sampled_from([-0.02, 0.0, 0.01, 0.05, 0.12]),
       term=st.integers(1, 10), data=st.data())
def test_a_schedule_inside_the_horizon_repays_exactly_the_amount(amount, rate, term, data):
    """Properties of any schedule that ends inside the horizon: principal repaid sums to the
    amount, the balance ends at 0, each payment is its interest plus its principal, and each
    year's interest is last year's balance × rate."""
    grace = data.draw(st.integers(0, term - 1))
    balloon = data.draw(st.sampled_from([0.0, 0.25, 1.0]))
    scenario = Scenario.model_validate({
        "labfinance": 1, "name": "p", "start_year": 2026, "years": term + 2,
        "discount_rate": 0.03, "stakeholders": {"city": {"kind": "municipality"}},
        "costs": [{"id": "kit", "amount": 1.0, "year": 2026}],
        "funding": [{"id": "bank", "type": "loan", "stakeholder": "city", "amount": amount,
                     "year": 2026, "rate": rate, "term": term, "grace": grace,
                     "balloon": balloon}]})
    r = evaluate(scenario)
    loan = {k: v[0] for k, v in r.loans["bank"].items()}
    service = r.ledger["debt_service"][0]
    assert loan["principal"].sum() == pytest.approx(amount, rel=1e-9)
    assert loan["balance"][-1] == 0 and metric(r, "debt_outstanding") == 0
    np.testing.assert_allclose(loan["interest"] + loan["principal"], service, rtol=1e-12,
                               atol=1e-9 * amount)
    np.testing.assert_allclose(loan["interest"][1:], loan["balance"][:-1] * rate, rtol=1e-12)
    # interest only in the grace years: no principal before year grace + 1 after the draw-down
    assert not loan["principal"][:grace + 1].any()


# ----------------------------------------------------------------------------- bad input
# (the broken files loan-*.yaml and eu-cofinancing-rate-above-1.yaml are in tests/broken and
# tests/test_validation.py)

@pytest.mark.parametrize(("options", "expected"), [
    (["--set", "funding.bank.grace=5"],
     "--set: funding.bank.grace: is 5 years, but the term is 5: grace must be less than the term "
     "(0..term - 1), so that at least one year repays principal"),
    (["--set", "funding.bank.balloon=-0.1"],
     "--set: funding.bank.balloon: must be between 0 and 1 (got -0.1)"),
    (["--set", "eu_cofinancing_rate=1.5"],
     "--set: eu_cofinancing_rate: must be between 0 and 1 (got 1.5)"),
])
def test_bad_overrides_exit_2_naming_the_parameter(tmp_path, options, expected):
    path = scenario_file(tmp_path, LOAN, years=7)
    result = CliRunner().invoke(main, ["run", str(path), "--draws", "0", *options])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [expected]
    assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.yaml"]  # nothing written


def test_grace_is_a_count_not_an_uncertain_parameter(tmp_path):
    body = LOAN + "uncertainty:\n  funding.bank.grace: {dist: uniform, low: 0, high: 3}\n"
    path = scenario_file(tmp_path, body, years=7)
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert "uncertainty.funding.bank.grace" in result.stderr
    assert "Traceback" not in result.output


def test_the_terminal_states_the_decision_amount(tmp_path):
    path = scenario_file(tmp_path, EU, years=3)
    result = CliRunner().invoke(main, ["run", str(path), "--draws", "0", "-o",
                                       str(tmp_path / "out.xlsx")])
    assert result.exit_code == 0, result.output
    # 413,762 and 351,698 (the hand calculation above), rounded for reading
    assert ("EU decision amount EUR 414k (eligible cost EUR 1.0m × funding-gap rate), maximum EU "
            "grant EUR 352k at 85% co-financing") in result.output


def test_compare_shows_the_eu_metrics_of_the_cases_that_have_them(tmp_path):
    with_rate = scenario_file(tmp_path, EU, years=3, name="eu.yaml")
    without = scenario_file(tmp_path, EU.replace("eu_cofinancing_rate: 0.85\n", ""), years=3,
                            name="plain.yaml")
    result = CliRunner().invoke(main, ["compare", str(with_rate), str(without), "--json", "-",
                                       "-o", str(tmp_path / "both.xlsx")])
    assert result.exit_code == 0, result.output
    cases = json.loads(result.stdout)["cases"]
    assert cases[0]["metrics"]["max_eu_grant"] == pytest.approx(351_697.7, abs=0.05)
    assert "max_eu_grant" not in cases[1]["metrics"]
    sheet = openpyxl.load_workbook(tmp_path / "both.xlsx").worksheets[0]
    # the metric in words in column A, its name for scripts in a column of its own
    assert "max_eu_grant" in [c.value for row in sheet.iter_rows() for c in row]
    assert "Maximum EU grant" in [c.value for c in sheet["A"]]


def test_edited_grace_balloon_and_cofinancing_rate_come_back_on_import(tmp_path):
    book = write_book(scenario_file(tmp_path, BOTH, years=7), tmp_path / "book.xlsx")
    assert import_workbook(book).edits == ()  # unedited: the defaults shown are not edits
    edit(book, tmp_path / "edited.xlsx", {"funding.bank.grace": 1, "funding.bank.balloon": 0.2,
                                          "eu_cofinancing_rate": 0.6})
    imported = import_workbook(tmp_path / "edited.xlsx")
    assert [e.line() for e in imported.edits] == [
        "eu_cofinancing_rate: 0.85 -> 0.6", "funding.bank.grace: 2 -> 1",
        "funding.bank.balloon: 0.4 -> 0.2"]
    loan = imported.loaded.scenario.funding[0]
    assert (loan.grace, loan.balloon, imported.loaded.scenario.eu_cofinancing_rate) == (
        1, 0.2, 0.6)
    # a grace year count typed at or above the term is refused at its cell
    edit(book, tmp_path / "bad.xlsx", {"funding.bank.grace": 5})
    result = CliRunner().invoke(main, ["import", str(tmp_path / "bad.xlsx"), "-o",
                                       str(tmp_path / "out.yaml")])
    assert result.exit_code == 2
    assert "Assumptions!C" in result.stderr and "funding.bank.grace" in result.stderr
    assert not (tmp_path / "out.yaml").exists()


def test_the_tornado_moves_the_max_eu_grant_with_the_cofinancing_rate(tmp_path):
    body = EU + "uncertainty:\n  eu_cofinancing_rate: {dist: uniform, low: 0.5, high: 0.85}\n"
    path = scenario_file(tmp_path, body, years=3)
    result = CliRunner().invoke(main, ["run", str(path), "--draws", "0", "--json", "-",
                                       "--metric", "max_eu_grant"])
    assert result.exit_code == 0, result.output
    bars = [b for b in json.loads(result.stdout)["sensitivity"]["tornado"]
            if b["metric"] == "max_eu_grant" and b["parameter"] == "eu_cofinancing_rate"]
    # uniform 0.5..0.85: 10th percentile 0.535, 90th 0.815; times the decision amount 413,762.0
    # (hand calculation above): 221,362.7 and 337,216.0, a swing of 0.28 × 413,762.0 = 115,853.4
    assert bars[0]["at_low"] == pytest.approx(221_362.7, abs=0.1)
    assert bars[0]["at_high"] == pytest.approx(337_216.0, abs=0.1)
    assert bars[0]["swing"] == pytest.approx(115_853.4, abs=0.1)


def test_a_tornado_metric_the_case_does_not_report_is_refused(tmp_path):
    path = scenario_file(tmp_path, LOAN, years=7)
    result = CliRunner().invoke(main, ["run", str(path), "--draws", "0", "--metric",
                                       "decision_amount"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "--metric: decision_amount needs `eu_cofinancing_rate` in the scenario (or --set it)"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.yaml"]

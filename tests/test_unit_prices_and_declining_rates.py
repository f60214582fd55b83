"""Format 1.2, issue 15 (part a): unit prices for costs and declining social discount rates.

Every expected number is worked out by hand in the comment beside it; the workbook tests check
that the formulas written for both features recalculate to the engine's values (in Python here,
in LibreOffice in the ``libreoffice`` tier).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pytest
from click.testing import CliRunner

from helpers import HEADER, metric, row, run, scenario_file
from labfinance.analysis.run import analyse
from labfinance.cli import main
from labfinance.engine.core import evaluate, recorded_parameters
from labfinance.engine.parameters import Parameters
from labfinance.model.loader import ScenarioError, load, with_overrides
from labfinance.model.parameters import numeric_parameters
from labfinance.model.workbook import import_workbook
from labfinance.outputs.excel import write_workbook
from pyrecalc import check

approx = pytest.approx

# ----------------------------------------------------------------------------- unit prices

UNIT_PRICED = """
    costs:
      - {id: cams, category: capex, quantity: 12, unit_cost: 15000, year: 2026, life: 3,
         escalation: 0.02, contingency: 0.1}
      - {id: licences, category: opex, quantity: 4, unit_cost: 250, from: 2027, to: 2029}
    """
AS_AMOUNTS = """
    costs:
      - {id: cams, category: capex, amount: 180000, year: 2026, life: 3, escalation: 0.02,
         contingency: 0.1}
      - {id: licences, category: opex, amount: 1000, from: 2027, to: 2029}
    """


def test_a_unit_priced_cost_is_quantity_times_unit_cost_times_price_factor_and_contingency(
        tmp_path):
    r = run(tmp_path, UNIT_PRICED)
    # cams: 12 × 15,000 = 180,000, bought in 2026 and again in 2029 (life 3):
    #   2026: 180,000 × 1.02^0 × 1.1 = 198,000
    #   2029: 180,000 × 1.02^3 × 1.1 = 180,000 × 1.061208 × 1.1 = 210,119.184
    # licences: 4 × 250 = 1,000 a year in 2027..2029, no contingency (none at the top)
    assert r.lines["costs"]["cams"][0].tolist() == approx([198000, 0, 0, 210119.184, 0])
    assert r.lines["costs"]["licences"][0].tolist() == approx([0, 1000, 1000, 1000, 0])
    # the 2029 purchase serves 2029..2031, 1 of 3 years after 2030: 180,000 × 1.02^4 / 3
    # = 180,000 × 1.08243216 / 3 = 64,945.9296 (residual value has no contingency)
    assert row(r, "residual_value")[-1] == approx(64945.9296)


def test_a_unit_priced_cost_means_the_same_as_its_amount(tmp_path):
    priced = run(tmp_path, UNIT_PRICED)
    amounts = run(tmp_path, AS_AMOUNTS)  # 12 × 15,000 = 180,000 and 4 × 250 = 1,000 by hand
    for name in ("costs", "residual_value", "net_cash"):
        assert row(priced, name) == approx(row(amounts, name), rel=1e-15)
    for name in ("total_cost", "economic_npv", "funding_gap_rate", "bcr"):
        assert metric(priced, name) == approx(metric(amounts, name), rel=1e-15, nan_ok=True)


def test_unit_price_paths_are_parameters_the_engine_reads(tmp_path):
    scenario = load(scenario_file(tmp_path, UNIT_PRICED)).scenario
    listed = numeric_parameters(scenario)
    assert listed["costs.cams.quantity"] == 12 and listed["costs.cams.unit_cost"] == 15000
    assert "costs.cams.amount" not in listed
    assert listed == recorded_parameters(scenario)


def test_unit_cost_drawn_per_draw_prices_each_draw(tmp_path):
    scenario = load(scenario_file(tmp_path, UNIT_PRICED)).scenario
    r = evaluate(scenario, Parameters(2, {"costs.cams.unit_cost": [12000.0, 18000.0]}))
    # 12 × 12,000 × 1.1 = 158,400 and 12 × 18,000 × 1.1 = 237,600 in 2026
    assert r.lines["costs"]["cams"][:, 0].tolist() == approx([158400, 237600])


def test_a_camera_price_range_of_20_percent_moves_the_tornado(tmp_path):
    path = scenario_file(tmp_path, UNIT_PRICED + """
    benefits:
      - {id: calm, beneficiary: city, amount: 60000}
    uncertainty:
      costs.cams.unit_cost: {dist: uniform, low: 12000, high: 18000}
    """)
    loaded = load(path)
    analysis = analyse(loaded, loaded.scenario, draws=0)
    assert analysis.sensitivity is not None
    bar = next(b for b in analysis.sensitivity["tornado"]
               if b["parameter"] == "costs.cams.unit_cost" and b["metric"] == "economic_npv")
    # uniform 12,000..18,000: 10th and 90th percentiles 12,600 and 17,400
    assert (bar["low"], bar["high"]) == approx((12600, 17400))
    # every camera 4,800 dearer costs 12 × 4,800 × 1.1 = 63,360 more in 2026 (not discounted),
    # 63,360 × 1.02^3 / 1.04^3 more in 2029, and is worth 12 × 4,800 × 1.02^4 / 3 / 1.04^4 more
    # at the end (residual value, no contingency)
    swing = 63360 * (1 + 1.02 ** 3 / 1.04 ** 3) - 57600 * 1.02 ** 4 / 3 / 1.04 ** 4
    assert bar["at_low"] - bar["at_high"] == approx(swing)


def test_quantity_and_unit_cost_are_set_and_varied_like_any_parameter(tmp_path):
    r = run(tmp_path, UNIT_PRICED, sets={"costs.cams.quantity": 10})
    # 10 × 15,000 × 1.1 = 165,000
    assert r.lines["costs"]["cams"][0][0] == approx(165000)
    path = scenario_file(tmp_path, UNIT_PRICED + """
    variants:
      dearer: {set: {costs.licences.unit_cost: 300}}
    """)
    loaded = load(path)
    r = evaluate(with_overrides(loaded, "dearer"))
    assert r.lines["costs"]["licences"][0].tolist() == approx([0, 1200, 1200, 1200, 0])  # 4 × 300


# ----------------------------------------------------------------------------- declining rates


def _factors(r) -> list[float]:
    return r.workings.appraisal.social_factors[0].tolist()


def test_green_book_discount_factors(tmp_path):
    r = run(tmp_path, """
        social_discount_rate: green_book
        costs:
          - {id: run, amount: 100}
        """, years=80)
    df = _factors(r)
    # Green Book 2022 table 8: 3.5 % to year 30, 3.0 % for 31..75, 2.5 % from 76
    assert df[0] == 1
    assert df[30] == approx(1 / 1.035 ** 30, rel=1e-13)           # 0.356278...
    assert df[31] == approx(df[30] / 1.03, rel=1e-15)
    assert df[31] == approx(1 / (1.035 ** 30 * 1.03), rel=1e-13)   # 0.345901...
    assert df[75] == approx(1 / (1.035 ** 30 * 1.03 ** 45), rel=1e-13)
    assert df[76] == approx(df[75] / 1.025, rel=1e-15)
    # a single rate of 3.5 % would give 1/1.035^31 = 0.344230 at year 31: 0.5 % lower
    assert df[31] / (1 / 1.035 ** 31) == approx(1.035 / 1.03)


def test_green_book_in_nominal_prices_combines_each_step_with_inflation(tmp_path):
    r = run(tmp_path, """
        prices: nominal
        inflation: 0.02
        social_discount_rate: green_book
        costs:
          - {id: run, amount: 100}
        """, years=33)
    df = _factors(r)
    # each step's rate made nominal: (1.035)(1.02) to year 30, then (1.03)(1.02)
    assert df[1] == approx(1 / (1.035 * 1.02), rel=1e-14)
    assert df[30] == approx(1 / (1.035 * 1.02) ** 30, rel=1e-13)
    assert df[32] == approx(df[30] / (1.03 * 1.02) ** 2, rel=1e-14)


TWO_STEPS = """
    social_discount_rate:
      - {from: 0, rate: 0.10}
      - {from: 2, rate: 0.05}
    costs:
      - {id: run, category: opex, amount: 100, to: 2029}
    benefits:
      - {id: calm, beneficiary: police, amount: 150, to: 2029}
    """


def test_two_steps_by_hand(tmp_path):
    r = run(tmp_path, TWO_STEPS, years=4)
    # D = 1, 1/1.1, 1/(1.1 × 1.05), 1/(1.1 × 1.05^2) = 1, 0.9090909, 0.8658009, 0.8245723
    assert _factors(r) == approx([1, 1 / 1.1, 1 / 1.155, 1 / 1.21275], rel=1e-15)
    total = 1 + 1 / 1.1 + 1 / 1.155 + 1 / 1.21275  # 3.5994641
    assert metric(r, "economic_npv") == approx(50 * total)    # 179.973
    assert metric(r, "bcr") == approx(1.5)                     # 150 Σ D / 100 Σ D
    police = r.stakeholders["police"]
    assert float(police["benefits_received_pv"][0]) == approx(150 * total)  # 539.920
    # the financial case keeps its own rate (4 %): PV of -100 a year
    assert metric(r, "financial_npv") == approx(-100 * (1 + 1 / 1.04 + 1 / 1.04 ** 2
                                                        + 1 / 1.04 ** 3))


def test_discounted_payback_uses_the_step_factors(tmp_path):
    r = run(tmp_path, """
        social_discount_rate:
          - {from: 0, rate: 0.10}
          - {from: 2, rate: 0.05}
        costs:
          - {id: build, category: capex, amount: 200, year: 2026}
        benefits:
          - {id: calm, beneficiary: police, amount: 90, from: 2027}
        """, years=5)
    # discounted net: -200, 90/1.1 = 81.82, 90/1.155 = 77.92, 90/1.21275 = 74.21
    # cumulative: -200, -118.18, -40.26, +33.95: paid back in 2029
    # (at 10 % throughout the third benefit is 90/1.331 = 67.62 and -40.26 + 67.62 > 0 too, so
    #  the year alone does not tell them apart: the cumulative row does)
    cum = r.workings.appraisal.cumulative_discounted_net_benefit[0]
    assert cum[3] == approx(-200 + 90 / 1.1 + 90 / 1.155 + 90 / 1.21275)
    assert metric(r, "discounted_payback_year") == 2029


def test_eirr_does_not_depend_on_the_steps(tmp_path):
    stepped = run(tmp_path, TWO_STEPS.replace("amount: 150", "amount: 150, from: 2027"),
                  years=4)
    single = run(tmp_path, TWO_STEPS.replace("amount: 150", "amount: 150, from: 2027")
                 .replace("social_discount_rate:\n      - {from: 0, rate: 0.10}\n"
                          "      - {from: 2, rate: 0.05}", "social_discount_rate: 0.10"),
                 years=4)
    # flows -100, 50, 50, 50: the IRR solves 100 = 50 (x + x^2 + x^3), 23.38 %, whatever
    # the discount rates
    assert metric(stepped, "economic_irr") == metric(single, "economic_irr")
    assert metric(stepped, "economic_irr") == approx(0.233751, abs=1e-6)


def test_step_rates_are_parameters_set_varied_and_drawn(tmp_path):
    path = scenario_file(tmp_path, TWO_STEPS + """
    variants:
      flat: {set: {social_discount_rate.1.rate: 0.10}}
    """, years=4)
    loaded = load(path)
    listed = numeric_parameters(loaded.scenario)
    assert listed["social_discount_rate.0.rate"] == 0.10
    assert listed["social_discount_rate.1.rate"] == 0.05
    assert "social_discount_rate" not in listed
    assert listed == recorded_parameters(loaded.scenario)
    # the variant makes the second step 10 % too: D_3 = 1/1.1^3
    assert _factors(evaluate(with_overrides(loaded, "flat")))[3] == approx(1 / 1.331)
    # --set the same
    r = evaluate(with_overrides(loaded, None, [("social_discount_rate.1.rate", 0.0)]))
    assert _factors(r) == approx([1, 1 / 1.1, 1 / 1.1, 1 / 1.1])
    # drawn, as Monte Carlo does: each draw its own factors
    r = evaluate(loaded.scenario, Parameters(2, {"social_discount_rate.1.rate": [0.0, 0.2]}))
    assert r.workings.appraisal.social_factors[:, 3].tolist() == approx(
        [1 / 1.1, 1 / (1.1 * 1.2 ** 2)])


def test_a_set_into_the_green_book_writes_its_steps_out(tmp_path):
    r = run(tmp_path, """
        social_discount_rate: green_book
        costs:
          - {id: run, amount: 100}
        """, years=35, sets={"social_discount_rate.1.rate": 0.02})
    df = _factors(r)
    assert df[31] == approx(1 / (1.035 ** 30 * 1.02), rel=1e-13)  # 3.5 % to 30, then 2 %


def test_files_without_the_new_keys_have_no_new_parameters(tmp_path):
    scenario = load(scenario_file(tmp_path, """
        costs:
          - {id: run, amount: 100}
        """)).scenario
    assert [p for p in numeric_parameters(scenario) if "social" in p] == ["social_discount_rate"]


# ----------------------------------------------------------------------------- bad input

# (text after the 10-line standard header, so its first line is line 11; line; message)
BAD = [
    ("social_discount_rate: green_bok", 11,
     "social_discount_rate: must be a rate (a number), the preset 'green_book' or a list of "
     "steps {from, rate} (got 'green_bok'; did you mean 'green_book'?)"),
    ("social_discount_rate:\n  - {from: 1, rate: 0.03}", 12,
     "social_discount_rate.0.from: the first step starts at year 0 (t = 0, the start year), not 1"),
    ("social_discount_rate:\n  - {from: 0, rate: 0.03}\n  - {from: 0, rate: 0.02}", 13,
     "social_discount_rate.1.from: 0 is not after the previous step's `from` (0); steps run in "
     "increasing `from`"),
    ("social_discount_rate:\n  - {from: 0, rate: 0.03}\n  - {from: 2056, rate: 0.02}", 13,
     "social_discount_rate.1.from: counts years from the start year (t = 0 is the start year); "
     "2056 looks like a calendar year: write year - start_year"),
    ("social_discount_rate:\n  - {from: 0, rate: -1.5}", 12,
     "social_discount_rate.0.rate: must be greater than -1 (got -1.5)"),
    ("social_discount_rate:\n  - {from: 0}", 12, "social_discount_rate.0.rate: is required"),
    ("social_discount_rate: []", 11,
     "social_discount_rate: has no steps; give at least {from: 0, rate: ...}"),
    ("social_discount_rate:\n  - {from: 0, rate: 0.03}\ncosts:\n  - {id: cams, quantity: 12}",
     14, "costs.cams.quantity: needs `unit_cost` beside it (cost = quantity × unit_cost)"),
    ("costs:\n  - {id: cams, quantity: 12, unit_cost: 10, amount: 120}", 12,
     "costs.cams.quantity: comes with `amount`; keep exactly one of `amount`, "
     "`fte`/`cost_per_fte`, `quantity`/`unit_cost` and `schedule`"),
    ("costs:\n  - {id: cams, quantity: 12, unit_cost: 10, schedule: {2026: 1}}", 12,
     "costs.cams.schedule: cannot go with `quantity`/`unit_cost`, which are one-off (with `year`) "
     "or recurring; keep exactly one of `amount`, `fte`/`cost_per_fte`, `quantity`/`unit_cost` "
     "and `schedule`"),
    ("costs:\n  - {id: cams, quantity: 12, unit_cost: 1.0e+14}", 12,
     "costs.cams.quantity: quantity × unit_cost is 1.2e+15 a year; money stays at most 1e+15"),
    ("costs:\n  - {id: cams, quantity: -2, unit_cost: 10}", 12,
     "costs.cams.quantity: must not be negative (got -2)"),
    ("social_discount_rate: green_book\ncosts:\n  - {id: run, amount: 1}\nuncertainty:\n"
     "  social_discount_rate: {dist: uniform, low: 0.02, high: 0.04}", 15,
     "uncertainty.social_discount_rate: the social discount rate declines in 3 steps here "
     "('green_book'); name a step's rate, social_discount_rate.<k>.rate with k from 0 to 2"),
    ("social_discount_rate: [{from: 0, rate: 0.03}]\ncosts:\n  - {id: run, amount: 1}\n"
     "uncertainty:\n  social_discount_rate.0.from: {dist: uniform, low: 0, high: 1}", 15,
     "uncertainty.social_discount_rate.0.from: names the year a step starts, not a real-valued "
     "parameter; a step's rate is social_discount_rate.<k>.rate with k from 0 to 0"),
]


@pytest.mark.parametrize("case", BAD, ids=range(len(BAD)))
def test_bad_input_is_located_with_exit_2(case, tmp_path):
    text, line, message = case
    if "costs:" not in text:
        text += "\ncosts:\n  - {id: run, amount: 1}"
    path = tmp_path / "case.yaml"
    path.write_text(HEADER.format(years=5, rate=0.04) + text + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"{path}:{line}: {message}"]
    assert "Traceback" not in result.output


def test_a_bad_override_of_a_step_names_the_step(tmp_path):
    path = scenario_file(tmp_path, TWO_STEPS, years=4)
    with pytest.raises(ScenarioError) as caught:
        with_overrides(load(path), None, [("social_discount_rate.1.from", 0)])
    assert caught.value.messages == [
        "--set: social_discount_rate.1.from: 0 is not after the previous step's `from` (0); "
        "steps run in increasing `from`"]


# ----------------------------------------------------------------------------- workbook

WORKBOOK_CASES = {
    # nominal prices, a schedule of three steps, unit prices bought again, a grant on them
    "steps": """
        prices: nominal
        inflation: 0.02
        social_discount_rate:
          - {from: 0, rate: 0.045}
          - {from: 2, rate: 0.03}
          - {from: 4, rate: -0.01}
        costs:
          - {id: cams, category: capex, quantity: 12, unit_cost: 15000, year: 2026, life: 3,
             escalation: 0.01, contingency: 0.15}
          - {id: care, category: opex, quantity: 3, unit_cost: 2000, from: 2027, every: 2}
        funding:
          - {id: city, type: contribution, stakeholder: city, amount: 40000}
          - {id: erdf, type: grant, stakeholder: eu, rate: 0.5, eligible: [cams],
             status: expected, probability: 0.6}
        benefits:
          - {id: calm, beneficiary: police, amount: 70000, from: 2027}
          - {id: claims, beneficiary: insurer, quantity: 20, unit_value: 900,
             cash_releasing: true}
        """,
    # the Green Book across its first change of rate (year 31)
    "green-book": """
        social_discount_rate: green_book
        costs:
          - {id: cams, category: capex, quantity: 4, unit_cost: 5000, year: 2026, life: 10}
        benefits:
          - {id: calm, beneficiary: police, amount: 3000}
        """,
}


def _book(tmp_path: Path, case: str) -> Path:
    years = 34 if case == "green-book" else 7
    loaded = load(scenario_file(tmp_path, WORKBOOK_CASES[case], years=years,
                                name=f"{case}.yaml"))
    target = tmp_path / f"{case}.xlsx"
    write_workbook(analyse(loaded, loaded.scenario, draws=0), target)
    return target


@pytest.mark.parametrize("case", list(WORKBOOK_CASES))
def test_the_new_formulas_recalculate_in_python_to_the_engine_value(case, tmp_path):
    result = check(_book(tmp_path, case))
    assert result.cells > 500
    assert not result.failures and not result.excluded, (result.failures + result.excluded)[:20]


def test_the_workbook_shows_the_inputs_and_the_factor_formula(tmp_path):
    book = openpyxl.load_workbook(_book(tmp_path, "steps"))
    rows = {r[4]: r for r in book["Assumptions"].iter_rows(values_only=True) if r[4]}
    assert rows["costs.cams.quantity"][2] == 12 and rows["costs.cams.quantity"][6] == "live"
    assert rows["costs.cams.unit_cost"][2] == 15000
    assert [rows[f"social_discount_rate.{k}.from"][2] for k in range(3)] == [0, 2, 4]
    assert [rows[f"social_discount_rate.{k}.rate"][2] for k in range(3)] == [0.045, 0.03, -0.01]
    assert rows["social_discount_rate.2.rate"][6] == "live"
    flow = book["Cash flow"]
    labels = {r[0].value: r for r in flow.iter_rows() if r[0].value}
    factor = labels["discount factor, social: D_t = D_(t-1) / (1 + r_t)"]
    rate_row = labels["social discount rate of the year (its step's rate) (nominal)"][0].row
    assert factor[6].value == f"=IF(G$5=0,1,F{factor[0].row}/(1+G{rate_row}))"
    # the cost line's amount is quantity × unit cost (the two Assumptions inputs) × purchases
    cells = {r[4].value: r[2].coordinate for r in book["Assumptions"].iter_rows() if r[4].value}
    costs = book["Costs"]
    amount = next(r for r in costs.iter_rows() if r[0].value == "amount in start-year prices")
    q, u = (cells[f"costs.cams.{key}"] for key in ("quantity", "unit_cost"))
    assert amount[5].value == (f"='Assumptions'!${q[0]}${q[1:]}*'Assumptions'!${u[0]}${u[1:]}"
                               f"*F{amount[0].row - 1}")


def test_edited_step_rate_and_unit_cost_come_back_from_the_workbook(tmp_path):
    book = _book(tmp_path, "steps")
    where = {}
    ws = openpyxl.load_workbook(book)
    sheet = ws["Assumptions"]
    for r in sheet.iter_rows():
        if r[4].value:
            where[r[4].value] = r[2].coordinate
    sheet[where["social_discount_rate.1.rate"]] = 0.025
    sheet[where["costs.cams.unit_cost"]] = 14000
    ws.save(tmp_path / "edited.xlsx")
    imported = import_workbook(tmp_path / "edited.xlsx")
    assert {(e.path, e.new) for e in imported.edits} == {("social_discount_rate.1.rate", 0.025),
                                                        ("costs.cams.unit_cost", 14000)}
    s = imported.loaded.scenario
    assert s.social_discount_steps == ((0, 0.045), (2, 0.025), (4, -0.01))
    assert s.costs[0].unit_cost == 14000


def test_a_green_book_step_is_not_live_and_an_edit_is_refused(tmp_path):
    book = _book(tmp_path, "green-book")
    wb = openpyxl.load_workbook(book)
    sheet = wb["Assumptions"]
    cell = next(r[2].coordinate for r in sheet.iter_rows()
                if r[4].value == "social_discount_rate.1.rate")
    assert sheet[cell].value == 0.03
    sheet[cell] = 0.02
    wb.save(tmp_path / "edited.xlsx")
    with pytest.raises(ScenarioError) as caught:
        import_workbook(tmp_path / "edited.xlsx")
    [message] = caught.value.messages
    assert "social_discount_rate.1.rate: is structural (not live) and was changed from 0.03 " \
           "to 0.02" in message


@pytest.mark.libreoffice
def test_the_new_formulas_recalculate_in_libreoffice_to_the_engine_value(tmp_path):
    from recalc import compare_formula_cells, named_cells, recalculate, require_soffice

    require_soffice()
    written = [_book(tmp_path, case) for case in WORKBOOK_CASES]
    fresh = recalculate(written, tmp_path / "recalculated")
    for before, after in zip(written, fresh, strict=True):
        count, failures, _ = compare_formula_cells(before, after)
        assert count > 500 and not failures, failures[:20]
        sheet, coord = named_cells(before)["master_check"]
        assert openpyxl.load_workbook(after, data_only=True)[sheet][coord].value == "OK"


def test_monte_carlo_draws_a_step_rate(tmp_path):
    path = scenario_file(tmp_path, """
        social_discount_rate:
          - {from: 0, rate: 0.10}
          - {from: 2, rate: 0.03}
        costs:
          - {id: run, amount: 0, year: 2026}
        benefits:
          - {id: calm, beneficiary: police, amount: 1000, year: 2029}
        uncertainty:
          social_discount_rate.1.rate: {dist: uniform, low: 0.02, high: 0.04}
        """, years=4)
    loaded = load(path)
    npv = analyse(loaded, loaded.scenario, draws=20_000, seed=7).samples["economic_npv"]
    # ENPV = 1000 / (1.1 (1 + X)^2), X uniform on 0.02..0.04; by hand
    # E[(1 + X)^-2] = (1/1.02 - 1/1.04) / 0.02 = (0.9803922 - 0.9615385) / 0.02 = 0.9426848
    # so E[ENPV] = 1000 × 0.9426848 / 1.1 = 856.9862; every draw lies within
    # 1000 / (1.1 × 1.04^2) = 840.53 and 1000 / (1.1 × 1.02^2) = 873.78
    assert npv.min() >= 1000 / (1.1 * 1.04 ** 2) - 1e-9
    assert npv.max() <= 1000 / (1.1 * 1.02 ** 2) + 1e-9
    se = npv.std() / np.sqrt(npv.size)
    assert abs(npv.mean() - 1000 * (1 / 1.02 - 1 / 1.04) / 0.02 / 1.1) < 3 * se

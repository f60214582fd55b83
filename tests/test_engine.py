"""Hand-worked scenarios, one per cost form, funding type and benefit rule.

Every expected value is worked out by hand in the comment beside it.
"""

from __future__ import annotations

import math

import pytest

from helpers import metric, row, run

approx = pytest.approx


# ----------------------------------------------------------------------------- cost forms


def test_one_off_recurring_every_and_schedule(tmp_path):
    r = run(tmp_path, """
        costs:
          - {id: kit, category: capex, amount: 1000, year: 2027}
          - {id: ops, category: opex, amount: 100, from: 2027, to: 2030, every: 2}
          - {id: audit, category: compliance, schedule: {2026: 50, 2030: 70}}
        """)
    # kit 1000 in 2027; ops 100 in 2027 and 2029 (every 2 from 2027); audit 50 in 2026, 70 in 2030
    assert row(r, "costs") == [50, 1100, 0, 100, 70]
    assert r.lines["costs"]["ops"][0].tolist() == [0, 100, 0, 100, 0]
    assert metric(r, "total_cost") == 1320


def test_staff_fte_times_cost_per_fte(tmp_path):
    r = run(tmp_path, """
        costs:
          - {id: team, category: staff, fte: 1.5, cost_per_fte: 120000, to: 2027}
        """)
    # 1.5 FTE × 120,000 = 180,000 in 2026 and 2027
    assert row(r, "costs") == [180000, 180000, 0, 0, 0]


def test_life_buys_again_and_leaves_residual_value(tmp_path):
    r = run(tmp_path, """
        costs:
          - {id: cams, category: capex, amount: 900, year: 2026, life: 3}
          - {id: server, category: capex, amount: 600, year: 2028, life: 6, residual_value: false}
        """)
    # cams bought 2026 and 2029 (every 3 years inside 2026-2030); server once in 2028
    assert row(r, "costs") == [900, 0, 600, 900, 0]
    # the 2029 purchase serves 2029-2031: one year after L = 2030 -> 900 × 1/3 = 300;
    # the 2026 purchase ended in 2028; the server's residual value is switched off
    assert row(r, "residual_value") == [0, 0, 0, 0, 300]


def test_residual_value_uses_the_price_factor_of_the_last_year(tmp_path):
    r = run(tmp_path, """
        costs:
          - {id: hub, category: capex, amount: 1000, year: 2027, life: 5, escalation: 0.1}
        """)
    # bought 2027 at 1000 × 1.1 = 1100; serves 2027-2031, so 1 of 5 years after L = 2030:
    # 1000 × 1.1^4 × 1/5 = 292.82
    assert row(r, "costs")[1] == approx(1100)
    assert row(r, "residual_value")[4] == approx(1000 * 1.1**4 / 5)


def test_contingency_scalar_map_and_item(tmp_path):
    body = """
        contingency: {capex: 0.5}
        costs:
          - {id: kit, category: capex, amount: 1000, year: 2026}
          - {id: ops, category: opex, amount: 100, year: 2026}
          - {id: app, category: capex, amount: 200, year: 2026, contingency: 0.1}
        """
    r = run(tmp_path, body)
    # kit 1000 × 1.5 = 1500; ops has no opex contingency = 100; app its own 200 × 1.1 = 220
    assert row(r, "costs")[0] == approx(1820)
    r2 = run(tmp_path, body.replace("contingency: {capex: 0.5}", "contingency: 0.2"))
    # 1000 × 1.2 + 100 × 1.2 + 200 × 1.1 = 1540
    assert row(r2, "costs")[0] == approx(1540)


def test_escalation_and_nominal_prices(tmp_path):
    r = run(tmp_path, """
        prices: nominal
        inflation: 0.02
        costs:
          - {id: ops, category: opex, amount: 100, escalation: 0.01}
        """, years=3)
    # 100 × (1.01 × 1.02)^t
    assert row(r, "costs") == approx([100, 100 * 1.01 * 1.02, 100 * (1.01 * 1.02) ** 2])


def test_real_and_nominal_give_the_same_metrics(tmp_path):
    body = """
        {prices}
        costs:
          - {{id: kit, category: capex, amount: 1000, year: 2026}}
          - {{id: ops, category: opex, amount: 100}}
        funding:
          - {{id: fees, type: revenue, stakeholder: insurer, amount: 400, from: 2027}}
        benefits:
          - {{id: safer, beneficiary: city, amount: 300, from: 2027}}
        """
    real = run(tmp_path, body.format(prices=""))
    nominal = run(tmp_path, body.format(prices="prices: nominal\n        inflation: 0.03"))
    # amounts grow with inflation and the rate is made nominal: real metrics must not change
    for name in ("financial_npv", "economic_npv", "bcr", "financial_irr", "economic_irr",
                 "financial_mirr", "funding_gap_rate"):
        assert metric(nominal, name) == approx(metric(real, name), rel=1e-9), name


# ----------------------------------------------------------------------------- funding types


def test_contribution_and_shortfall_from_the_year_cash_runs_out(tmp_path):
    r = run(tmp_path, """
        costs:
          - {id: ops, category: opex, amount: 100}
        funding:
          - {id: city, type: contribution, stakeholder: city, amount: 250, year: 2026}
        """)
    # cash: 250 - 100 = 150, 50, -50, -150, -250
    assert row(r, "cumulative_cash") == [150, 50, -50, -150, -250]
    assert metric(r, "funding_shortfall") == 250
    assert metric(r, "peak_cash_need") == 250
    assert metric(r, "first_shortfall_year") == 2028
    assert metric(r, "total_funding") == 250


def test_rate_grant_with_cap_window_advance_retention_and_lag(tmp_path):
    r = run(tmp_path, """
        costs:
          - {id: kit, category: capex, amount: 1000, year: 2026}
          - {id: ops, category: opex, amount: 400}
        funding:
          - id: erdf
            type: grant
            rate: 0.5
            eligible: [capex, ops]
            cap: 900
            to: 2027
            payment: {advance: 0.2, retention: 0.1, lag: 1}
        """)
    # eligible: 2026 1400, 2027 400 (window ends 2027). rate 0.5: 700, 200; cap 900 -> e = 700, 200
    # E = 900: advance 0.2 × 900 = 180 in 2026; interim 0.7 × e one year late: 490 in 2027,
    # 140 in 2028; retention 0.1 × 900 = 90 in 2027 + 1 = 2028
    assert row(r, "funding") == approx([180, 490, 230, 0, 0])
    assert r.workings.source("erdf").detail.entitlement[0].tolist() == approx([700, 200, 0, 0, 0])
    assert metric(r, "receivable_after_horizon") == 0


def test_grant_cap_binds_and_money_after_the_horizon_is_receivable(tmp_path):
    r = run(tmp_path, """
        costs:
          - {id: ops, category: opex, amount: 1000}
        funding:
          - {id: g, type: grant, rate: 0.6, cap: 1500, payment: {retention: 0.2, lag: 2}}
        """, years=3)
    # e = 600, 600, 300 (cap 1500 reached); interim 0.8 × e two years late: 480 in 2028;
    # 480 and 240 fall after 2028; retention 0.2 × 1500 = 300 in 2028 + 2 = 2030
    assert row(r, "funding") == approx([0, 0, 480])
    assert metric(r, "receivable_after_horizon") == approx(480 + 240 + 300)
    # shortfall = -(cash 480 - 3000 + receivable 1020) = 1500
    assert metric(r, "funding_shortfall") == approx(1500)
    assert any("after the horizon" in w for w in r.warnings)


def test_amount_grant_priced_in_its_year_and_paid_late(tmp_path):
    r = run(tmp_path, """
        costs:
          - {id: ops, category: opex, amount: 100}
        funding:
          - {id: rd, type: grant, amount: 100, year: 2027, escalation: 0.1, payment: {lag: 1}}
        """, years=4)
    # priced in 2027: 100 × 1.1 = 110, paid 2028
    assert row(r, "funding") == approx([0, 0, 110, 0])


def test_in_kind_covers_a_share_and_nets_to_zero_in_cash(tmp_path):
    r = run(tmp_path, """
        contingency: 0.1
        costs:
          - {id: hours, category: staff, amount: 1000}
        funding:
          - {id: police-hours, type: in_kind, stakeholder: police, covers: hours, share: 0.4}
          - {id: g, type: grant, rate: 0.5, eligible: [hours]}
        """, years=2)
    # cost 1000 × 1.1 = 1100; in-kind 0.4 × 1100 = 440; grant 0.5 × (1100 - 440) = 330
    assert row(r, "costs") == approx([1100, 1100])
    assert r.lines["funding"]["police-hours"][0].tolist() == approx([440, 440])
    assert row(r, "funding") == approx([770, 770])
    assert row(r, "net_cash") == approx([-330, -330])


def test_in_kind_amount_adds_an_implied_cost_line(tmp_path):
    r = run(tmp_path, """
        contingency: 0.5
        costs:
          - {id: ops, category: opex, amount: 100}
        funding:
          - {id: volunteers, type: in_kind, stakeholder: city, amount: 40, category: staff}
        """, years=2)
    # implied cost 40 without contingency; ops 100 × 1.5 = 150; in-kind 40 in funding
    assert r.lines["costs"]["volunteers"][0].tolist() == approx([40, 40])
    assert row(r, "costs") == approx([190, 190])
    assert row(r, "funding") == approx([40, 40])
    assert row(r, "net_cash") == approx([-150, -150])


def test_loan_annuity_debt_service_and_outstanding(tmp_path):
    r = run(tmp_path, """
        costs:
          - {id: kit, category: capex, amount: 1000, year: 2026}
        funding:
          - {id: bank, type: loan, stakeholder: city, amount: 1000, year: 2026, rate: 0.1, term: 5}
        """, years=4)
    # annuity 1000 × 0.1 / (1 - 1.1^-5) = 263.7975; paid 2027-2029 inside the horizon
    payment = 1000 * 0.1 / (1 - 1.1**-5)
    assert row(r, "loan_in") == approx([1000, 0, 0, 0])
    assert row(r, "debt_service") == approx([0, payment, payment, payment])
    # principal after 3 payments: 1000 × 1.1^3 - payment × (1.1^3 - 1) / 0.1 = 457.81
    assert metric(r, "debt_outstanding") == approx(1000 * 1.1**3 - payment * (1.1**3 - 1) / 0.1)
    # the loan stays out of the NPVs: financial NPV is just -1000
    assert metric(r, "financial_npv") == approx(-1000)
    assert r.stakeholders["city"]["lent"][0] == approx(1000)


def test_loan_at_zero_rate_repays_equal_parts(tmp_path):
    r = run(tmp_path, """
        costs:
          - {id: kit, category: capex, amount: 1000, year: 2026}
        funding:
          - {id: bank, type: loan, amount: 1000, year: 2026, rate: 0, term: 4}
        """, years=3)
    # 1000 / 4 = 250 a year, two payments inside 2026-2028, 500 left
    assert row(r, "debt_service") == approx([0, 250, 250])
    assert metric(r, "debt_outstanding") == approx(500)


def test_outcome_payment_with_lag_and_cap(tmp_path):
    r = run(tmp_path, """
        costs:
          - {id: ops, category: opex, amount: 100}
        benefits:
          - {id: avoided, beneficiary: insurer, quantity: 10, unit_value: 50, deadweight: 0.5}
        funding:
          - {id: sib, type: outcome_payment, stakeholder: insurer, benefit: avoided, price: 20,
             lag: 1, cap: 350}
        """, years=4)
    # net quantity 10 × 0.5 = 5 a year; 20 × 5 = 100 due a year later: 2027, 2028, 2029, then
    # 2030 (outside); cumulative cap 350 -> 100, 100, 100, 50 (after the horizon)
    assert row(r, "funding") == approx([0, 100, 100, 100])
    assert metric(r, "receivable_after_horizon") == approx(50)


def test_revenue_counts_in_the_financial_case(tmp_path):
    r = run(tmp_path, """
        costs:
          - {id: kit, category: capex, amount: 1000, year: 2026}
        funding:
          - {id: fees, type: revenue, stakeholder: insurer, amount: 600, from: 2027, to: 2028}
        """, years=3, rate=0.1)
    # FNPV = -1000 + 600/1.1 + 600/1.21 = 41.32
    assert metric(r, "financial_npv") == approx(-1000 + 600 / 1.1 + 600 / 1.21)
    assert row(r, "revenue") == [0, 600, 600]
    assert metric(r, "total_funding") == 1200


def test_secured_leaves_out_non_committed_and_probability_zero_is_left_out(tmp_path):
    r = run(tmp_path, """
        costs:
          - {id: ops, category: opex, amount: 100}
        funding:
          - {id: city, type: contribution, stakeholder: city, amount: 60}
          - {id: hope, type: contribution, stakeholder: insurer, amount: 40, status: expected,
             probability: 0.5}
          - {id: dream, type: contribution, stakeholder: eu, amount: 1000, status: prospective,
             probability: 0}
        """, years=2)
    # all sources with probability > 0: 60 + 40 = 100 a year, no shortfall; dream left out
    assert metric(r, "funding_shortfall") == 0
    # committed only: 60 a year against 100 -> 80 short
    assert metric(r, "secured_funding_shortfall") == approx(80)
    assert "dream" in r.lines["funding"] and sum(r.lines["funding"]["dream"][0]) == 0


# ----------------------------------------------------------------------------- benefits


def test_benefit_deductions_chain_and_ramp_up_and_drop_off(tmp_path):
    r = run(tmp_path, """
        costs:
          - {id: ops, category: opex, amount: 0}
        benefits:
          - {id: b, beneficiary: city, quantity: 100, unit_value: 10, from: 2027,
             ramp_up: [0.5], deadweight: 0.2, displacement: 0.1, attribution: 0.25, drop_off: 0.1}
        """, years=4)
    keep = 0.8 * 0.9 * 0.75  # multiplicative: 0.54, not 1 - 0.2 - 0.1 - 0.25 = 0.45
    # k = 0 in 2027: ramp 0.5; 2028: (1 - 0.1)^1; 2029: 0.9^2
    assert row(r, "benefits") == approx(
        [0, 1000 * keep * 0.5, 1000 * keep * 0.9, 1000 * keep * 0.81])
    assert r.workings.benefit("b").net_quantity[0].tolist() == approx(
        [0, 100 * keep * 0.5, 100 * keep * 0.9, 100 * keep * 0.81])


def test_amount_benefit_with_shares_and_cash_releasing(tmp_path):
    r = run(tmp_path, """
        costs:
          - {id: ops, category: opex, amount: 0}
        benefits:
          - {id: claims, beneficiary: insurer, schedule: {2026: 1000, 2028: 2000},
             attribution: 0.5, cash_releasing: true, escalation: 0.1}
          - {id: safety, beneficiary: city, amount: 10}
        """, years=3)
    # first year 2026 (first schedule year): 1000 × 0.5; 2028 k = 2: 2000 × 0.5 × 1.1^2
    assert row(r, "cash_releasing_benefits") == approx([500, 0, 1210])
    assert row(r, "benefits") == approx([510, 10, 1220])


# ----------------------------------------------------------------------------- metrics


def test_payback_years(tmp_path):
    r = run(tmp_path, """
        costs:
          - {id: kit, category: capex, amount: 1000, year: 2026}
        benefits:
          - {id: b, beneficiary: city, amount: 400, from: 2027}
        """, years=5, rate=0.1)
    # cumulative: -1000, -600, -200, 200, 600 -> payback 2029
    assert metric(r, "payback_year") == 2029
    # discounted: -1000 + 363.6 + 330.6 + 300.5 = -5.3 in 2029, +267.9 in 2030 -> 2030
    assert metric(r, "discounted_payback_year") == 2030


def test_funding_gap_rate_by_hand(tmp_path):
    r = run(tmp_path, """
        contingency: 0.5
        costs:
          - {id: kit, category: capex, amount: 1000, year: 2026}
          - {id: ops, category: opex, amount: 100, from: 2027}
        funding:
          - {id: fees, type: revenue, stakeholder: city, amount: 300, from: 2027}
        """, years=3, rate=0.1)
    # contingency excluded. DIC = 1000. PV(revenue) = 300/1.1 + 300/1.21 = 520.66;
    # PV(other costs) = 100/1.1 + 100/1.21 = 173.55; revenue exceeds costs but kit has no life,
    # so no residual value: DNR = 347.11 -> rate = (1000 - 347.11)/1000 = 0.65289
    dnr = 200 / 1.1 + 200 / 1.21
    assert metric(r, "funding_gap_rate") == approx((1000 - dnr) / 1000)


def test_no_capex_no_irr_no_costs_give_null_with_reasons(tmp_path):
    r = run(tmp_path, """
        costs:
          - {id: ops, category: opex, amount: 0}
        """, years=2)
    for name in ("funding_gap_rate", "financial_irr", "economic_irr", "bcr", "financial_mirr"):
        assert math.isnan(metric(r, name)), name
        assert r.notes[name]


def test_several_irr_roots_give_the_nearest_and_a_warning(tmp_path):
    # flows -100, +230, -132 have IRRs of 10 % and 20 %: (1+r)^2 - 2.3(1+r) + 1.32 = 0
    r = run(tmp_path, """
        costs:
          - {id: a, category: other, schedule: {2026: 100, 2028: 132}}
        benefits:
          - {id: b, beneficiary: city, amount: 230, year: 2027}
        """, years=3, rate=0.12)
    assert metric(r, "economic_irr") == approx(0.10, abs=1e-12)
    assert any("10.0000%" in w and "20.0000%" in w for w in r.warnings)


def test_stakeholders_contributed_received_and_fair_share(tmp_path):
    r = run(tmp_path, """
        costs:
          - {id: ops, category: opex, amount: 100}
        funding:
          - {id: city, type: contribution, stakeholder: city, amount: 50}
        benefits:
          - {id: b1, beneficiary: police, amount: 30}
          - {id: b2, beneficiary: insurer, amount: 10}
        """, years=2, rate=0.0)
    # shortfall = 200 - 100 = 100, split by PV benefits 60 : 20 -> 75 and 25
    police, insurer, city = (r.stakeholders[k] for k in ("police", "insurer", "city"))
    assert police["fair_share"][0] == approx(75)
    assert insurer["fair_share"][0] == approx(25)
    assert city["fair_share"][0] == approx(0)
    assert city["contributed"][0] == 100 and city["contributed_pv"][0] == 100
    assert police["net"][0] == approx(60)
    assert city["net"][0] == approx(-100)

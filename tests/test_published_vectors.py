"""Published NPV / IRR / MIRR vectors reproduced through scenario files
(docs/published-vectors.md, B1 and B2)."""

from __future__ import annotations

import pytest

from helpers import metric, run


def _flows_scenario(flows: list[float], *, as_revenue: bool) -> str:
    """Year 0 as a cost, later years as revenue (financial case) or a benefit (societal case)."""
    negative = {2026 + t: -v for t, v in enumerate(flows) if v < 0}
    positive = {2026 + t: v for t, v in enumerate(flows) if v > 0}
    text = f"costs:\n  - {{id: spend, category: other, schedule: {negative}}}\n"
    if as_revenue:
        text += ("funding:\n  - {id: income, type: revenue, stakeholder: city, "
                 f"schedule: {positive}}}\n")
    else:
        text += f"benefits:\n  - {{id: gain, beneficiary: city, schedule: {positive}}}\n"
    return text


def test_npv_numpy_financial_vector(tmp_path):
    # numpy-financial test_financial.py: npv(0.05, [-15000, 1500, 2500, 3500, 4500, 6000])
    # = 122.894854950942692 (first value at t = 0, undiscounted)
    r = run(tmp_path, _flows_scenario([-15000, 1500, 2500, 3500, 4500, 6000], as_revenue=False),
            years=6, rate=0.05)
    assert metric(r, "economic_npv") == pytest.approx(122.894854950942692, rel=1e-12)


def test_npv_second_numpy_financial_vector(tmp_path):
    # numpy-financial docstring: npv(0.08, [-40000, 5000, 8000, 12000, 30000]) = 3065.22267
    r = run(tmp_path, _flows_scenario([-40000, 5000, 8000, 12000, 30000], as_revenue=True),
            years=5, rate=0.08)
    assert metric(r, "financial_npv") == pytest.approx(3065.22267, abs=5e-6)


@pytest.mark.parametrize(("flows", "expected", "tolerance"), [
    # numpy-financial test_financial.py irr vectors
    ([-150000, 15000, 25000, 35000, 45000, 60000], 0.0524, 5e-5),
    ([-100, 0, 0, 74], -0.0955, 5e-5),
    ([-100, 39, 59, 55, 20], 0.28095, 5e-6),
    ([-100, 100, 0, 7], 0.06206, 5e-6),
    # Microsoft IRR documentation: -70,000 then 12,000 ... 26,000 -> 8.7 % (exact 0.086631)
    ([-70000, 12000, 15000, 18000, 21000, 26000], 0.086631, 5e-7),
    # the same after 4 years -> -2.1 % (exact -0.021245)
    ([-70000, 12000, 15000, 18000, 21000], -0.021245, 5e-7),
])
def test_irr_vectors_through_the_financial_case(tmp_path, flows, expected, tolerance):
    r = run(tmp_path, _flows_scenario(flows, as_revenue=True), years=len(flows), rate=0.04)
    assert metric(r, "financial_irr") == pytest.approx(expected, abs=tolerance)


def test_irr_vector_through_the_societal_case(tmp_path):
    # numpy-financial: irr([-100, 39, 59, 55, 20]) = 0.28095
    r = run(tmp_path, _flows_scenario([-100, 39, 59, 55, 20], as_revenue=False), years=5)
    assert metric(r, "economic_irr") == pytest.approx(0.28095, abs=5e-6)


def test_mirr_by_hand_through_a_scenario(tmp_path):
    # flows -1000, 600, 600 at 10 % for finance and reinvestment:
    # FV of positives = 600 × 1.1 + 600 = 1260; PV of negatives = 1000;
    # MIRR = (1260 / 1000)^(1/2) - 1 = 0.1224972160...
    r = run(tmp_path, _flows_scenario([-1000, 600, 600], as_revenue=True), years=3, rate=0.10)
    assert metric(r, "financial_mirr") == pytest.approx(1.26**0.5 - 1, rel=1e-12)


def test_excel_end_of_period_npv_becomes_first_plus_npv(tmp_path):
    # Microsoft/MESCIUS: NPV(0.10, 500, 1500, 4000, 10000) = 11529.60863329007 (Excel discounts
    # its first value). Our first year is undiscounted, so a zero first year gives the same number.
    r = run(tmp_path, _flows_scenario([0.0, 500, 1500, 4000, 10000], as_revenue=False).replace(
        "schedule: {}", "amount: 0"), years=5, rate=0.10)
    assert metric(r, "economic_npv") == pytest.approx(11529.60863329007, rel=1e-12)

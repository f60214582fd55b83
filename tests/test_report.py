"""The verdict sentence and the money in it."""

from __future__ import annotations

from helpers import run
from labfinance.outputs.terminal import fixed, money, verdict


def test_verdict_names_the_last_funded_year_the_shortfall_and_the_societal_case(tmp_path):
    r = run(tmp_path, """
        costs:
          - {id: ops, category: opex, amount: 100000}
        funding:
          - {id: city, type: contribution, stakeholder: city, amount: 250000, year: 2026}
          - {id: maybe, type: contribution, stakeholder: insurer, amount: 20000, year: 2026,
             status: expected, probability: 0.5}
        benefits:
          - {id: b, beneficiary: police, amount: 98000}
        """, rate=0.0)
    # cash 270k - 100k a year: 170k, 70k, -30k (2028) ... -230k; committed only 20k more short.
    # societal NPV at 0 %: 5 × (98k - 100k) = -10,000, shown in thousands from 10,000 up;
    # BCR 490/500 = 0.98 (two decimals, not "1.0")
    assert verdict(r) == ("Funded until 2027; shortfall of EUR 230k from 2028; committed sources "
                          "alone leave EUR 250k uncovered; societal NPV EUR -10k, BCR 0.98.")


def test_verdict_when_cash_never_runs_short(tmp_path):
    r = run(tmp_path, """
        costs:
          - {id: ops, category: opex, amount: 100}
        funding:
          - {id: city, type: contribution, stakeholder: city, amount: 100}
        """, years=2)
    # no benefits: societal NPV is minus the cost, 100 + 100/1.04 = 196.15 -> EUR -196; no BCR
    assert verdict(r) == "Funded throughout 2026-2027; societal NPV EUR -196, BCR 0.00."


def test_money_rounds_half_away_from_zero_like_a_spreadsheet():
    # TEXT(1.25, "0.0") is "1.3" in Excel and LibreOffice; Python's format gives "1.2"
    assert money(1_250_000, "EUR") == "EUR 1.3m"
    assert money(-12_500, "EUR") == "EUR -13k"
    assert money(999.5, "EUR") == "EUR 1,000"
    assert fixed(0.985, 2) == "0.99"

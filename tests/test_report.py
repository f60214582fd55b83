"""The money in the verdict and the terminal (the verdict itself: tests/test_decision.py)."""

from __future__ import annotations

from labfinance.outputs.terminal import fixed, money


def test_money_rounds_half_away_from_zero_like_a_spreadsheet():
    # FIXED(1.25, 1) is "1.3" in Excel and LibreOffice; Python's format gives "1.2"
    assert money(1_250_000, "EUR") == "EUR 1.3m"
    assert money(-12_500, "EUR") == "EUR -13k"
    assert money(999.5, "EUR") == "EUR 1,000"
    assert fixed(0.985, 2) == "0.99"

"""The verdict as spreadsheet formulas, step by step as :mod:`labfinance.outputs.verdict` words it.

Each function returns one formula over cell references, so that the Summary can build the verdict
from small helper cells a reader can audit (the money in words, each of the five parts) instead of
one long formula. Money is rounded with FIXED (half away from zero, as the terminal's ``fixed``),
never with TEXT and a format string, whose meaning depends on the reader's locale: a Dutch Excel
shows "EUR 1,2m", an English one "EUR 1.2m", from the same file. Powers of ten are written with
their sign (1E+9), which every recalculation engine reads.
"""

from __future__ import annotations

import string

from labfinance.texts import Texts


def quoted(text: str) -> str:
    """A string literal of a formula."""
    return '"' + text.replace('"', '""') + '"'


def joined(text: str, **refs: str) -> str:
    """A text with ``{placeholders}`` (a catalogue entry) as a formula expression: its words as
    string literals, each placeholder the expression given for it, joined with ``&``. The
    terminal fills the same text with values, so both say the same thing."""
    pieces = []
    for literal, field, _, _ in string.Formatter().parse(text):
        if literal:
            pieces.append(quoted(literal))
        if field is not None:
            pieces.append(refs[field])
    return "&".join(pieces) or '""'


class Formulas:
    """The verdict's formulas in the words of one language (the ``verdict.*`` texts)."""

    def __init__(self, t: Texts):
        self.t = t
        # what a helper cell holds where its part does not apply (an empty text would read as
        # a blank cell to scripts that do not recalculate)
        self.none = t("value.none")

    def w(self, key: str, **refs: str) -> str:
        return joined(self.t(f"verdict.{key}"), **refs)

    def money(self, x: str, currency: str) -> str:
        """Money for a sentence (``money()`` of the terminal): EUR 1.2m, EUR 350k, EUR 950."""
        t = self.t
        return (f'{quoted(currency + " ")}&IF(ABS({x})>=1E+9,FIXED({x}/1E+9,1,TRUE)&'
                f'{quoted(t("money.bn"))},IF(ABS({x})>=1E+6,FIXED({x}/1E+6,1,TRUE)&'
                f'{quoted(t("money.m"))},IF(ABS({x})>=1E+4,FIXED({x}/1E+3,0,TRUE)&'
                f'{quoted(t("money.k"))},FIXED({x},0))))')

    def secured(self, year: str, short: str, short_words: str, peak_words: str) -> str:
        """Part 1: what committed sources do. ``year`` holds a year or "n/a"; ``*_words`` hold
        the money in words."""
        w = self.w
        return (f"=IF(ISNUMBER({year}),IF({short}>0,"
                f"{w('secured_run_out', year=year, short=short_words)},"
                f"{w('secured_bridge', year=year, peak=peak_words)}),"
                f"IF({short}>0,{w('secured_left', short=short_words)},{w('secured_covers')}))")

    def planned(self, year: str, short: str, at_risk_words: str, short_words: str,
                per_year_words: str, peak_words: str) -> str:
        """Part 2: what happens if every expected source pays."""
        w = self.w
        head = w("planned_head", at_risk=at_risk_words)
        return (f"=IF(ISNUMBER({year}),IF({short}>0,"
                f"{w('planned_short', head=head, year=year, short=short_words, per_year=per_year_words)},"  # noqa: E501
                f"{w('planned_bridge', head=head, year=year, peak=peak_words)}),"
                f"IF({short}>0,{w('planned_left', head=head, short=short_words)},"
                f"{w('planned_covers', head=head)}))")

    def risk(self, likely_words: str, prudent_words: str, chance: str | None) -> str:
        """Part 3: the Monte Carlo's likely and prudent shortfall and the chance of one."""
        text = "=" + self.w("risk", likely=likely_words, prudent=prudent_words)
        if chance is not None:
            text += "&" + self.w("risk_chance", chance=percent(chance))
        return text

    def societal(self, npv_words: str, bcr: str, chance_below_1: str | None) -> str:
        """Part 4: the net societal value and the benefit-cost ratio (two decimals: 0.98 must
        not read as 1.0)."""
        chance = ("&" + self.w("societal_below", chance=percent(chance_below_1))
                  if chance_below_1 is not None else "")
        return (f"={self.w('societal', npv=npv_words)}&IF(ISNUMBER({bcr}),"
                f"{self.w('societal_bcr', bcr=f'FIXED({bcr},2,TRUE)')}{chance},\"\")")

    def who_pays(self, secured_short: str, short: str, payers: list[tuple[str, str]],
                 basis: str) -> str:
        """Part 5: the largest fair shares (up to three). ``payers`` pairs, for the 1st, 2nd and
        3rd largest share, a cell with the payer's name (:attr:`none` where there is none) and
        a cell with its share in words."""
        none = quoted(self.none)
        gap = (f"IF({secured_short}>{short},{quoted(self.t('verdict.gap_secured'))},"
               f"{quoted(self.t('verdict.gap'))})")
        first_name, first_words = payers[0]
        listed = f'{first_name}&" "&{first_words}'
        for name, words in payers[1:]:
            listed += f'&IF({name}={none},"",", "&{name}&" "&{words})'
        basis_words = quoted(self.t(f"verdict.basis_{basis}"))
        return (f"=IF({first_name}={none},{none},"
                f"{self.w('who_pays', gap=gap, basis=basis_words, named=listed)})")

    def verdict(self, parts: list[str]) -> str:
        """The sentence: the parts that apply (not :attr:`none`), joined by "; ", with a full
        stop."""
        none = quoted(self.none)
        first, *rest = parts
        joined_parts = first + "".join(f'&IF({p}={none},"","; "&{p})' for p in rest)
        return f'={joined_parts}&"."'


def percent(p: str) -> str:
    """A whole percentage, rounded half up: '90 %'."""
    return f'FIXED(100*{p},0,TRUE)&" %"'

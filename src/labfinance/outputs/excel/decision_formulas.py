"""The verdict as spreadsheet formulas, step by step as :mod:`labfinance.outputs.verdict` words it.

Each function returns one formula over cell references, so that the Summary can build the verdict
from small helper cells a reader can audit (the money in words, each of the five parts) instead of
one long formula. Money is rounded with FIXED (half away from zero, as the terminal's ``fixed``),
never with TEXT and a format string, whose meaning depends on the reader's locale: a Dutch Excel
shows "EUR 1,2m", an English one "EUR 1.2m", from the same file. Powers of ten are written with
their sign (1E+9), which every recalculation engine reads.
"""

from __future__ import annotations

from labfinance.outputs.verdict import BASIS_SHORT

# what a helper cell holds where its part does not apply (an empty text would read as a blank
# cell to scripts that do not recalculate)
NONE = "none"


def quoted(text: str) -> str:
    """A string literal of a formula."""
    return '"' + text.replace('"', '""') + '"'


def money(x: str, currency: str) -> str:
    """Money for a sentence (``money()`` of the report): EUR 1.2m, EUR 350k, EUR 950."""
    return (f'{quoted(currency + " ")}&IF(ABS({x})>=1E+9,FIXED({x}/1E+9,1,TRUE)&"bn",'
            f'IF(ABS({x})>=1E+6,FIXED({x}/1E+6,1,TRUE)&"m",IF(ABS({x})>=1E+4,'
            f'FIXED({x}/1E+3,0,TRUE)&"k",FIXED({x},0))))')


def percent(p: str) -> str:
    """A whole percentage, rounded half up: '90 %'."""
    return f'FIXED(100*{p},0,TRUE)&" %"'


def secured(year: str, short: str, short_words: str, peak_words: str) -> str:
    """Part 1: what committed sources do. ``year`` holds a year or "n/a"; ``*_words`` hold the
    money in words."""
    return (f'=IF(ISNUMBER({year}),IF({short}>0,"Committed sources run out in "&{year}&'
            f'" and leave "&{short_words}&" uncovered","Committed sources run short in "&{year}&'
            f'" until money due later arrives (bridge finance "&{peak_words}&")"),'
            f'IF({short}>0,"Committed sources leave "&{short_words}&" uncovered at the end",'
            f'"Committed sources cover every year"))')


def planned(year: str, short: str, at_risk_words: str, short_words: str, per_year_words: str,
            peak_words: str) -> str:
    """Part 2: what happens if every expected source pays."""
    head = f'"if every expected source pays ("&{at_risk_words}&" not yet committed)"'
    return (f'=IF(ISNUMBER({year}),IF({short}>0,{head}&", short from "&{year}&" by "&'
            f'{short_words}&" (about "&{per_year_words}&" a year)",{head}&", short from "&{year}'
            f'&" until money due later arrives (bridge finance "&{peak_words}&")"),'
            f'IF({short}>0,{head}&", "&{short_words}&" is left uncovered at the end",'
            f'{head}&", cash covers every year"))')


def risk(likely_words: str, prudent_words: str, chance: str | None) -> str:
    """Part 3: the Monte Carlo's likely and prudent shortfall and the chance of one."""
    text = f'="likely shortfall "&{likely_words}&", prudent "&{prudent_words}'
    if chance is not None:
        text += f'&"; "&{percent(chance)}&" chance of a shortfall"'
    return text


def societal(npv_words: str, bcr: str, chance_below_1: str | None) -> str:
    """Part 4: the net societal value and the benefit-cost ratio (two decimals: 0.98 must not
    read as 1.0)."""
    chance = (f'&" ("&{percent(chance_below_1)}&" chance they fall short of the costs)"'
              if chance_below_1 is not None else "")
    return (f'="net societal value "&{npv_words}&IF(ISNUMBER({bcr}),", benefits "&'
            f'FIXED({bcr},2,TRUE)&" times the costs"{chance},"")')


def who_pays(secured_short: str, short: str, payers: list[tuple[str, str]], basis: str) -> str:
    """Part 5: the largest fair shares (up to three). ``payers`` pairs, for the 1st, 2nd and 3rd
    largest share, a cell with the payer's name (:data:`NONE` where there is none) and a cell
    with its share in words."""
    gap = (f'IF({secured_short}>{short},"the committed-only gap","the gap")')
    first_name, first_words = payers[0]
    listed = f'{first_name}&" "&{first_words}'
    for name, words in payers[1:]:
        listed += f'&IF({name}="{NONE}","",", "&{name}&" "&{words})'
    return (f'=IF({first_name}="{NONE}","{NONE}","fair shares of "&{gap}&'
            f'{quoted(" (" + BASIS_SHORT[basis] + "): ")}&{listed})')


def verdict(parts: list[str]) -> str:
    """The sentence: the parts that apply (not :data:`NONE`), joined by "; ", with a full
    stop."""
    first, *rest = parts
    joined = first + "".join(f'&IF({p}="{NONE}","","; "&{p})' for p in rest)
    return f'={joined}&"."'

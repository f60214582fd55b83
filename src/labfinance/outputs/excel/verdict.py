"""The verdict on the Summary as a live spreadsheet formula over the metric cells."""

from __future__ import annotations

from typing import Any

from labfinance.engine.core import Results

# The verdict's money in a spreadsheet formula: the same steps as money() below.
MONEY_FORMULA = ('"{cur} "&IF(ABS({x})>=1E+9,TEXT({x}/1E+9,"0.0")&"bn",IF(ABS({x})>=1E+6,'
                 'TEXT({x}/1E+6,"0.0")&"m",IF(ABS({x})>=1E+4,TEXT({x}/1E+3,"0")&"k",'
                 'TEXT({x},"#,##0"))))')


def verdict_formula(results: Results, cell: Any) -> str:
    """The verdict as a spreadsheet formula over the metric cells: ``cell(name)`` gives the
    reference of a metric. It follows :func:`verdict` step by step, so a reader who changes an
    input sees the sentence change too."""
    s = results.scenario

    def money_of(x: str) -> str:
        return MONEY_FORMULA.format(cur=s.currency, x=x)

    year, short = cell("first_shortfall_year"), cell("funding_shortfall")
    secured, bcr = cell("secured_funding_shortfall"), cell("bcr")
    head = (f'IF({year}>{s.start_year},"Funded until "&({year}-1),"Not funded from the start")'
            f'&IF({short}>0,"; shortfall of "&{money_of(short)}&" from "&{year},'
            f'"; bridge finance of "&{money_of(cell("peak_cash_need"))}&" needed from "&{year}'
            f'&" until money due later arrives")')
    return (f'=IF(ISNUMBER({year}),{head},"Funded throughout {s.start_year}-{s.last_year}")'
            f'&IF({secured}>{short}+0.005,"; committed sources alone leave "&{money_of(secured)}'
            f'&" uncovered","")&"; societal NPV "&{money_of(cell("economic_npv"))}'
            f'&IF(ISNUMBER({bcr}),", BCR "&TEXT({bcr},"0.00"),"")&"."')



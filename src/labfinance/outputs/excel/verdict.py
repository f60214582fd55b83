"""The verdict on the Summary as a live spreadsheet formula over the metric cells."""

from __future__ import annotations

from typing import Any

from labfinance.engine.core import Results

# The verdict's money in a spreadsheet formula: the same steps as money() in the terminal.
# FIXED, not TEXT: TEXT's format string ("0.0", "#,##0") is read in the reader's locale, so Dutch
# Excel turned "3.4m" into "03m"; FIXED rounds the same way (half away from zero) and writes the
# reader's own decimal and thousands separators.
MONEY_FORMULA = ('"{cur} "&IF(ABS({x})>=1E9,FIXED({x}/1E9,1,TRUE)&"bn",IF(ABS({x})>=1E6,'
                 'FIXED({x}/1E6,1,TRUE)&"m",IF(ABS({x})>=1E4,FIXED({x}/1E3,0,TRUE)&"k",'
                 'FIXED({x},0,FALSE))))')


def verdict_formula(results: Results, cell: Any, setting: Any) -> str:
    """The verdict as a spreadsheet formula over the metric cells: ``cell(name)`` gives the
    reference of a metric, ``setting(name)`` of a model setting (``start_year``,
    ``last_year``,
    ``tolerance``): no number is typed into the formula. It follows :func:`verdict` step by
    step, so a reader who changes an
    input sees the sentence change too."""
    s = results.scenario

    def money_of(x: str) -> str:
        return MONEY_FORMULA.format(cur=s.currency, x=x)

    year, short = cell("first_shortfall_year"), cell("funding_shortfall")
    secured, bcr = cell("secured_funding_shortfall"), cell("bcr")
    start, end, tol = setting("start_year"), setting("last_year"), setting("tolerance")
    head = (f'IF({year}>{start},"Funded until "&({year}-1),"Not funded from the start")'
            f'&IF({short}>0,"; shortfall of "&{money_of(short)}&" from "&{year},'
            f'"; bridge finance of "&{money_of(cell("peak_cash_need"))}&" needed from "&{year}'
            f'&" until money due later arrives")')
    return (f'=IF(ISNUMBER({year}),{head},"Funded throughout "&{start}&"-"&{end})'
            f'&IF({secured}>{short}+{tol},"; committed sources alone leave "&{money_of(secured)}'
            f'&" uncovered","")&"; societal NPV "&{money_of(cell("economic_npv"))}'
            f'&IF(ISNUMBER({bcr}),", BCR "&FIXED({bcr},2,TRUE),"")&"."')



"""Benefits: one block per benefit, from gross quantity to net value.

Net quantity in year t = quantity × ramp-up × (1 - deadweight) × (1 - displacement) ×
(1 - attribution) × (1 - drop-off)^k, with k the years since the benefit's first year. The
deductions chain multiplicatively, they are not added. Net benefit = net quantity × unit value ×
price factor (an amount form: amount × the same shares × price factor).
"""

from __future__ import annotations

import numpy as np

from labfinance.model.rules import benefit_first_year
from labfinance.model.scenario import Benefit
from labfinance.outputs.excel import recipes
from labfinance.outputs.excel.book import Book, series
from labfinance.outputs.excel.cells import At, Row, TimelineSheet, times, total

NAME = "Benefits"


def _benefit(sh: TimelineSheet, b: Benefit) -> Row:
    book = sh.book
    s, r = book.scenario, book.results
    cur = s.currency
    prefix = f"benefits.{b.id}"
    inputs = book.inputs
    years = book.years
    sh.item(b.label, f"to {s.stakeholders[b.beneficiary].name or b.beneficiary}"
            + ("; cash releasing" if b.cash_releasing else ""))
    timing = recipes.flag(sh, prefix, b)
    first_year = benefit_first_year(b, s)
    if b.schedule is not None:
        first = sh.fixed("first year of the effect", "year", first_year, kind="year",
                         note="the first schedule year (structural)")
    else:
        key = "year" if b.year is not None else "from"
        first = sh.constant("first year of the effect", "year",
                            f"={inputs[f'{prefix}.{key}'].ref(NAME)}", first_year, kind="year")
    k_values = years - first_year
    k = sh.series("years since the first year of the effect (k)", "years",
                  lambda x: f"={x.year}-{x.c(first)}", k_values, kind="int")
    ramp_values = np.ones(book.timeline.horizon)
    ramp: Row | None = None
    if b.ramp_up:
        cells = [inputs[f"{prefix}.ramp_up.{i}"] for i in range(len(b.ramp_up))]
        for i, share in enumerate(b.ramp_up):
            ramp_values = ramp_values + (share - 1.0) * (k_values == i)

        def ramp_formula(x: At) -> str:
            return "=1" + "".join(f"+({x.c(cell)}-1)*({x(k)}={i})" for i, cell in enumerate(cells))

        ramp = sh.series("ramp-up (share of the full effect)", "share", ramp_formula, ramp_values,
                         kind="factor")
    dw, disp, attr, drop = (inputs[f"{prefix}.{key}"] for key in
                            ("deadweight", "displacement", "attribution", "drop_off"))
    keep_value = 1.0 * (1 - b.deadweight) * (1 - b.displacement) * (1 - b.attribution)
    keep = sh.constant("share kept after deadweight, displacement and attribution", "share",
                       f"=(1-{dw.ref(NAME)})*(1-{disp.ref(NAME)})*(1-{attr.ref(NAME)})",
                       keep_value, kind="factor")
    drop_values = (1 - b.drop_off) ** np.maximum(k_values, 0)
    dropping = sh.series("drop-off factor (1 - drop-off)^k", "share",
                         lambda x: f"=(1-{x.c(drop)})^MAX({x(k)},0)", drop_values, kind="factor")
    effect_values = series(r.detail[f"benefit.{b.id}.effect"])
    if ramp is not None:
        effect = sh.series("effect (ramp-up × kept share × drop-off)", "share",
                           times(ramp, keep, dropping), effect_values, kind="factor")
    else:
        effect = sh.series("effect (kept share × drop-off)", "share", times(keep, dropping),
                           effect_values, kind="factor")
    if b.quantity is not None:
        assert timing is not None
        q, uv = inputs[f"{prefix}.quantity"], inputs[f"{prefix}.unit_value"]
        gross = sh.series("gross quantity", "units", times(q, timing),
                          b.quantity * book.values_of(timing), kind="quantity")
        net_q = sh.series("net quantity", "units", times(gross, effect),
                          series(r.detail[f"benefit.{b.id}.net_quantity"]), kind="quantity")
        book.add_row(f"benefit.{b.id}.net_quantity", net_q, book.values_of(net_q))
        pf = recipes.price(sh, prefix, b.escalation)
        value = sh.series(b.label, cur, times(net_q, uv, pf),
                          series(r.lines["benefits"][b.id]), role="line", total=True)
    else:
        amount = recipes.base(sh, prefix, b, timing)
        pf = recipes.price(sh, prefix, b.escalation)
        value = sh.series(b.label, cur, times(amount, effect, pf),
                          series(r.lines["benefits"][b.id]), role="line", total=True)
    sh.skip()
    return value


def build(book: Book) -> dict[str, Row]:
    s, r = book.scenario, book.results
    cur = s.currency
    sh = TimelineSheet(book, NAME, f"{cur} in prices of each year; net of deadweight, "
                       "displacement, attribution and drop-off (chained multiplicatively).")
    rows: dict[str, Row] = {}
    if s.benefits:
        sh.band("Benefits")
    for b in s.benefits:
        rows[b.id] = _benefit(sh, b)
        book.add_row(f"benefit.{b.id}", rows[b.id], book.values_of(rows[b.id]))

    sh.band("Totals")
    releasing = [rows[b.id] for b in s.benefits if b.cash_releasing]
    book.add_row("benefits.total", sh.series(
        "Benefits (net, all beneficiaries)", cur, total(list(rows.values())),
        series(r.ledger["benefits"]), role="total", total=True), series(r.ledger["benefits"]))
    book.add_row("benefits.cash_releasing", sh.series(
        "Cash-releasing benefits", cur, total(releasing),
        series(r.ledger["cash_releasing_benefits"]), role="total", total=True),
        series(r.ledger["cash_releasing_benefits"]))
    return rows

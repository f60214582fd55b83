"""Benefits: one block per benefit, from gross quantity to net value.

Net quantity in year t = quantity × ramp-up × (1 - deadweight) × (1 - displacement) ×
(1 - attribution) × (1 - drop-off)^k, with k the years since the benefit's first year. The
deductions chain multiplicatively, they are not added. Net benefit = net quantity × unit value ×
price factor (an amount form: amount × the same shares × price factor).
"""

from __future__ import annotations

from labfinance.engine import finance
from labfinance.model.scenario import Benefit
from labfinance.outputs.excel import recipes
from labfinance.outputs.excel.book import Book, scalar, series
from labfinance.outputs.excel.cells import At, Row, TimelineSheet, times, total

NAME = "Benefits"


def _benefit(sh: TimelineSheet, b: Benefit) -> Row:
    book = sh.book
    s = book.scenario
    w = book.workings.benefit(b.id)
    cur = s.currency
    prefix = f"benefits.{b.id}"
    inputs = book.inputs
    t = book.t
    sh.item(b.label, t("benefits.to", name=s.stakeholders[b.beneficiary].name or b.beneficiary)
            + (t("benefits.releasing") if b.cash_releasing else ""))
    timing = recipes.flag(sh, prefix, b, w.timing)
    if b.schedule is not None:
        first = sh.fixed(t("benefits.first_year"), t("unit.year"), w.first_year, kind="year",
                         note=t("benefits.first_schedule_year"))
    else:
        key = "year" if b.year is not None else "from"
        first = sh.constant(t("benefits.first_year"), t("unit.year"),
                            f"={inputs[f'{prefix}.{key}'].ref(NAME)}", w.first_year, kind="year")
    assert w.k is not None and w.drop is not None
    k = sh.series(t("benefits.k"), t("unit.years"),
                  lambda x: f"={x.year}-{x.c(first)}", w.k, kind="int")
    ramp: Row | None = None
    if w.ramp is not None:
        cells = [inputs[f"{prefix}.ramp_up.{i}"] for i in range(len(b.ramp_up))]

        def ramp_formula(x: At) -> str:
            return "=1" + "".join(f"+({x.c(cell)}-1)*({x(k)}={i})" for i, cell in enumerate(cells))

        ramp = sh.series(t("benefits.ramp"), t("unit.share"), ramp_formula,
                         series(w.ramp), kind="factor")
    dw, disp, attr, drop = (inputs[f"{prefix}.{key}"] for key in
                            ("deadweight", "displacement", "attribution", "drop_off"))
    keep = sh.constant(t("benefits.kept"), t("unit.share"),
                       "=" + finance.kept_share_formula(dw.ref(NAME), disp.ref(NAME),
                                                        attr.ref(NAME)),
                       scalar(w.kept), kind="factor")
    dropping = sh.series(t("benefits.drop"), t("unit.share"),
                         lambda x: "=" + finance.drop_off_factor_formula(x.c(drop), x(k)),
                         series(w.drop), kind="factor")
    parts = (ramp, keep, dropping) if ramp is not None else (keep, dropping)
    label = t("benefits.effect_ramp" if ramp is not None else "benefits.effect")
    effect = sh.series(label, t("unit.share"), times(*parts), series(w.effect), kind="factor")
    if b.quantity is not None:
        assert timing is not None and w.net_quantity is not None
        q, uv = inputs[f"{prefix}.quantity"], inputs[f"{prefix}.unit_value"]
        gross = sh.series(t("benefits.gross"), t("benefits.units"), times(q, timing),
                          series(w.gross_quantity),
                          kind="quantity")
        net_q = sh.series(t("benefits.net"), t("benefits.units"), times(gross, effect),
                          series(w.net_quantity),
                          kind="quantity")
        book.add_row(f"benefit.{b.id}.net_quantity", net_q, series(w.net_quantity))
        pf = recipes.price(sh, prefix, w.price_factor)
        value = sh.series(b.label, cur, times(net_q, uv, pf), series(w.value), role="line",
                          total=True)
    else:
        amount = recipes.base(sh, prefix, b, timing, w.base)
        pf = recipes.price(sh, prefix, w.price_factor)
        value = sh.series(b.label, cur, times(amount, effect, pf), series(w.value), role="line",
                          total=True)
    sh.skip()
    return value


def build(book: Book) -> dict[str, Row]:
    s, r = book.scenario, book.results
    cur, t = s.currency, book.t
    sh = TimelineSheet(book, NAME, t("benefits.subtitle", currency=cur))
    rows: dict[str, Row] = {}
    if s.benefits:
        sh.band(t("sheet.benefits"))
    for b in s.benefits:
        rows[b.id] = _benefit(sh, b)
        book.add_row(f"benefit.{b.id}", rows[b.id], book.values_of(rows[b.id]))

    sh.band(t("costs.band_totals"))
    releasing = [rows[b.id] for b in s.benefits if b.cash_releasing]
    book.add_row("benefits.total", sh.series(
        t("benefits.total"), cur, total(list(rows.values())),
        series(r.ledger["benefits"]), role="total", total=True), series(r.ledger["benefits"]))
    book.add_row("benefits.cash_releasing", sh.series(
        t("benefits.releasing_total"), cur, total(releasing),
        series(r.ledger["cash_releasing_benefits"]), role="total", total=True),
        series(r.ledger["cash_releasing_benefits"]))
    return rows

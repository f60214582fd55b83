"""Cash flow: the ledger rows, discount factors, and every metric of the spec as a formula.

PV discounts year t by (1 + rate)^t: the first year is not discounted, so a PV is written
``first + NPV(rate, rest)`` (Excel's NPV discounts its first value). In nominal prices the rates
are made nominal, (1 + r)(1 + i) - 1, and IRR/MIRR converted back to real terms.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labfinance.engine import decision, finance
from labfinance.model.scenario import Loan
from labfinance.outputs.excel import layout as L
from labfinance.outputs.excel import sheet_assumptions as assumptions
from labfinance.outputs.excel import sheet_risks
from labfinance.outputs.excel.book import IRR_MATCH, Book, scalar, series, value_or_na
from labfinance.outputs.excel.cells import (
    Cell,
    Formula,
    Row,
    TimelineSheet,
    col_name,
    na,
    present_value,
    times,
)
from labfinance.outputs.excel.layout import T_ROW

NAME = "Cash flow"


def _factor(rate: Cell) -> Formula:
    return lambda x: "=" + finance.discount_factor_formula(x.c(rate), x.tt)


def _year_if_below(source: Row, tol: str) -> Formula:
    return lambda x: "=" + finance.year_if_below_formula(x.year, x(source), tol)


class CashFlowSheet:
    def __init__(self, book: Book):
        self.book = book
        s = book.scenario
        self.cur = s.currency
        self.nominal = s.prices == "nominal"
        self.t = t = book.t
        self.sh = TimelineSheet(book, NAME, t("cf.subtitle", currency=self.cur))
        self.Y = book.timeline.horizon
        self.tol = book.setting("tolerance", NAME)
        self.rate_values: dict[Cell, float] = {}

    def link(self, label: str, key: str, *, role: str = "link") -> Row:
        source = self.book.rows[key]
        values = self.book.values[key]
        row = self.sh.series(label, self.cur, lambda x: f"={x(source)}", values, role=role,
                             total=True)
        self.book.add_row(f"cf.{key}", row, values)
        return row

    def pv(self, row: Row, rate: Cell) -> str:
        return present_value(row, rate.ref(NAME), NAME)

    def metric(self, name: str, label: str, unit: str, formula: str | None, value: Any,
               kind: str, note: str = "") -> Cell:
        """A metric cell: a formula (cached with the engine's value), or where the spec asks for
        it a labelled value; given a defined name for scripts."""
        sh = self.sh
        # why it is n/a where it is, else what it means: no metric without its meaning beside it
        note = note or self.t.known(self.book.results.notes.get(name, "")) or \
            self.t(f"metric.{name}.meaning")
        if formula is None:
            cell = sh.fixed(label, unit, value, kind=kind, note=note)
        else:
            cell = sh.constant(label, unit, formula, value, kind=kind, role="key", note=note)
        self.book.add_cell(f"metric.{name}", cell, value)
        self.book.names[name] = cell
        return cell

    # ------------------------------------------------------------------ rows
    def rates(self) -> tuple[Cell, Cell]:
        sh, book = self.sh, self.book
        inputs = book.inputs
        t = self.t
        sh.band(t("cf.band_rates"))
        a = book.workings.appraisal
        cells = {}
        rates = {"financial": a.financial_rate, "social": a.social_rate}
        factors = {"financial": a.financial_factors, "social": a.social_factors}
        for label, path in (("financial", "discount_rate"), ("social", "social_discount_rate")):
            rate = inputs[path].ref(NAME)
            formula = (f"=(1+{rate})*(1+{inputs['inflation'].ref(NAME)})-1" if self.nominal
                       else f"={rate}")
            cells[label] = cell = sh.constant(
                t(f"cf.rate_{label}_{'nominal' if self.nominal else 'real'}"), t("unit.per_year"),
                                       formula, scalar(rates[label]), kind="percent")
            self.rate_values[cell] = scalar(rates[label])
        self.factors = {
            label: sh.series(t(f"cf.factor_{label}"), t("recipe.factor"),
                             _factor(cell), series(factors[label]), kind="factor")
            for label, cell in cells.items()}
        return cells["financial"], cells["social"]

    # ------------------------------------------------------------------ declining social rates
    def declining_rates(self) -> tuple[Cell, Cell]:
        """Rates and factors where the social rate declines in steps (format 1.2): the
        financial rate as ever; each year's social rate looked up among the steps of the
        Assumptions sheet; D_t = D_(t-1) / (1 + r_t). The first step's rate is the cell EIRR
        starts its search from."""
        sh, book = self.sh, self.book
        inputs = book.inputs
        a = book.workings.appraisal
        assert a.social_rate_by_year is not None
        t = self.t
        sh.band(t("cf.band_rates"))
        inflation = inputs["inflation"].ref(NAME)
        mode = "nominal" if self.nominal else "real"
        per_year = t("unit.per_year")

        def case(rate: str) -> str:
            return f"(1+{rate})*(1+{inflation})-1" if self.nominal else rate

        rate = inputs["discount_rate"].ref(NAME)
        fin = sh.constant(t(f"cf.rate_financial_{mode}"), per_year,
                          "=" + case(rate), scalar(a.financial_rate), kind="percent")
        first_step = inputs["social_discount_rate.0.rate"].ref(NAME)
        soc = sh.constant(t(f"cf.first_step_{mode}"), per_year, "=" + case(first_step),
                          scalar(a.social_rate), kind="percent")
        self.rate_values[fin] = scalar(a.financial_rate)  # the IRR searches start from these
        self.rate_values[soc] = scalar(a.social_rate)
        starts = assumptions.column_range(assumptions.VALUE_COL,
                                          *book.schedules["social_discount_rate.from"])
        rates = assumptions.column_range(assumptions.VALUE_COL,
                                         *book.schedules["social_discount_rate.rate"])
        by_year = sh.series(t(f"cf.step_rate_{mode}"), per_year,
                            lambda x: "=" + case(finance.step_rate_formula(x.tt, starts, rates)),
                            series(a.social_rate_by_year), kind="percent")
        self.factors = {
            "financial": sh.series(t("cf.factor_financial"), t("recipe.factor"),
                                   _factor(fin), series(a.financial_factors), kind="factor"),
            "social": sh.corkscrew(
                t("cf.declining_factor"), t("recipe.factor"),
                lambda x, previous: "=" + finance.declining_discount_factor_formula(
                    x.tt, previous, x(by_year)),
                series(a.social_factors), kind="factor")}
        return fin, soc

    def social_pv(self, row: Row) -> str:
        """A present value at the social rate: with declining rates the sum of the row times
        the factor row, else ``first + NPV(rate, rest)``."""
        return social_present_value(self.book, row, NAME)

    def ledger(self) -> dict[str, Row]:
        sh, book = self.sh, self.book
        r = book.results
        rows: dict[str, Row] = {}
        t = self.t
        sh.band(t("cf.band_all"))
        rows["costs"] = self.link(t("cf.costs"), "costs.total")
        for key in ("funding", "revenue", "loan_in", "debt_service"):
            rows[key] = self.link(t(f"cf.{key}"), f"all.{key}")
        rows["net_cash"] = sh.series(
            t("cf.net_cash"), self.cur,
            lambda x: (f"={x(rows['funding'])}+{x(rows['revenue'])}+{x(rows['loan_in'])}"
                       f"-{x(rows['debt_service'])}-{x(rows['costs'])}"),
            series(r.ledger["net_cash"]), role="line", total=True)
        rows["cumulative_cash"] = sh.cumulative(
            t("cf.cumulative_cash"), self.cur, rows["net_cash"],
            series(r.ledger["cumulative_cash"]), role="line")
        rows["money_out"] = sh.series(
            t("cf.money_out"), self.cur,
            lambda x: f"={x(rows['costs'])}+{x(rows['debt_service'])}",
            series(r.ledger["costs"]) + book.values["all.debt_service"], total=True)
        book.add_row("cf.money_out", rows["money_out"], book.values_of(rows["money_out"]))
        rows["benefits"] = self.link(t("cf.benefits"), "benefits.total")
        rows["cash_releasing_benefits"] = self.link(t("cf.cash_releasing"),
                                                    "benefits.cash_releasing")
        rows["residual_value"] = self.link(t("cf.residual"), "costs.residual")
        for key in ("net_cash", "cumulative_cash"):
            book.add_row(f"cf.{key}", rows[key], series(r.ledger[key]))

        sh.band(t("cf.band_committed"))
        for key in ("funding", "revenue", "loan_in", "debt_service"):
            rows[f"c.{key}"] = self.link(t(f"cf.c_{key}"), f"committed.{key}")
        secured = book.workings.secured
        net = series(secured.net_cash)
        rows["c.net_cash"] = sh.series(
            t("cf.c_net_cash"), self.cur,
            lambda x: (f"={x(rows['c.funding'])}+{x(rows['c.revenue'])}+{x(rows['c.loan_in'])}"
                       f"-{x(rows['c.debt_service'])}-{x(rows['costs'])}"), net, total=True)
        rows["c.cumulative_cash"] = sh.cumulative(
            t("cf.c_cumulative_cash"), self.cur, rows["c.net_cash"],
            series(secured.cumulative_cash))
        book.add_row("cf.c.net_cash", rows["c.net_cash"], net)
        book.add_row("cf.c.cumulative_cash", rows["c.cumulative_cash"],
                     series(secured.cumulative_cash))
        return rows

    def appraisal(self, rows: dict[str, Row]) -> dict[str, Row]:
        sh, book = self.sh, self.book
        a = book.workings.appraisal
        out: dict[str, Row] = {}
        t = self.t
        sh.band(t("cf.band_appraisal"))

        def zeroed(p: str, q: str, c: str) -> Formula:
            return lambda x: "=" + finance.zero_small_formula(
                f"{x(rows[p])}+{x(rows[q])}-{x(rows[c])}", self.tol)

        out["financial"] = sh.series(
            t("cf.financial_flows"),
            self.cur, zeroed("revenue", "residual_value", "costs"), series(a.financial_flows),
            total=True)
        out["economic"] = sh.series(
            t("cf.economic_flows"),
            self.cur, zeroed("benefits", "residual_value", "costs"), series(a.economic_flows),
            total=True)
        out["net"] = sh.series(t("cf.net_benefit"), self.cur,
                               lambda x: f"={x(rows['benefits'])}-{x(rows['costs'])}",
                               series(a.net_benefit), total=True)
        out["cum_net"] = sh.cumulative(t("cf.cum_net"), self.cur, out["net"],
                                       series(a.cumulative_net_benefit))
        out["disc_net"] = sh.series(t("cf.disc_net"), self.cur,
                                    times(out["net"], self.factors["social"]),
                                    series(a.discounted_net_benefit), total=True)
        out["cum_disc"] = sh.cumulative(t("cf.cum_disc"), self.cur,
                                        out["disc_net"],
                                        series(a.cumulative_discounted_net_benefit))
        sh.band(t("cf.band_flags"))
        for key, source, values in (
                ("short_year", rows["cumulative_cash"], a.shortfall_years),
                ("below_year", out["cum_net"], a.below_years),
                ("below_disc_year", out["cum_disc"], a.below_discounted_years)):
            out[key] = sh.series(t(f"cf.{key}"), t("unit.year"), _year_if_below(source, self.tol),
                                 series(values), kind="year")
        return out

    # ------------------------------------------------------------------ metrics
    def metrics(self, rows: dict[str, Row], flows: dict[str, Row], fin: Cell, soc: Cell) -> None:
        sh, book = self.sh, self.book
        cur, m = self.cur, book.metric
        here = NAME

        def rng(row: Row) -> str:
            return row.range(here)

        def last(row: Row) -> str:
            return row.cell(self.Y - 1).ref(here)

        t = self.t
        sh.band(t("cf.band_gap"))
        a = book.workings.appraisal
        pvs = {}
        for key, source, value in (
                ("dic", book.rows["costs.investment"], a.dic),
                ("rev", rows["revenue"], a.pv_revenue),
                ("other", book.rows["costs.other"], a.pv_other_costs),
                ("res", rows["residual_value"], a.pv_residual)):
            pvs[key] = sh.constant(t(f"cf.pv_{key}"), cur, "=" + self.pv(source, fin),
                                   scalar(value))
        ref = {k: c.ref(here) for k, c in pvs.items()}
        dnr = sh.constant(t("cf.dnr"), cur,
                          "=" + finance.discounted_net_revenue_formula(ref["rev"], ref["other"],
                                                                       ref["res"]),
                          scalar(a.dnr))

        sh.band(t("cf.band_pv"))
        pv_costs = sh.constant(t("cf.pv_costs"), cur, "=" + self.social_pv(rows["costs"]),
                               scalar(a.pv_costs))
        pv_gains = sh.constant(t("cf.pv_gains"), cur,
                               f"={self.social_pv(rows['benefits'])}+"
                               f"{self.social_pv(rows['residual_value'])}", scalar(a.pv_gains))

        self.starts = {name: self.search(t(f"checks.{name}"), flows[key], rate)
                       for name, key, rate in (
                           ("financial_irr", "financial", fin),
                           ("economic_irr", "economic", soc))}

        sh.band(t("cf.band_metrics"))
        after = book.rows.get("all.after")
        c_after = book.rows.get("committed.after")
        raw = {}
        w = book.workings
        for case, row, cash in (("all", after, w.planned), ("committed", c_after, w.secured)):
            raw[case] = sh.constant(t(f"cf.raw_{case}"), cur,
                                    f"=SUM({row.range(here, 'after')})" if row is not None
                                    else "=0", scalar(cash.flows.receivable))
        year = t("unit.year")

        def label(name: str) -> str:
            return t(f"cf.metric.{name}")

        self.metric("total_cost", label("total_cost"), cur, f"=SUM({rng(rows['costs'])})",
                    m("total_cost"), "money")
        self.metric("expected_risk_cost", t("metric.expected_risk_cost.label"), cur,
                    sheet_risks.metric_formula(book, here), m("expected_risk_cost"), "money")
        self.metric("total_funding", label("total_funding"),
                    cur, f"=SUM({rng(rows['funding'])})+SUM({rng(rows['revenue'])})",
                    m("total_funding"), "money")
        recv = raw["all"].ref(here)
        self.metric("receivable_after_horizon", label("receivable_after_horizon"), cur,
                    "=" + finance.zero_small_formula(recv, self.tol), m("receivable_after_horizon"),
                    "money")
        debt = book.cells["all.debt"].ref(here)
        self.metric("debt_outstanding", label("debt_outstanding"), cur,
                    "=" + finance.zero_small_formula(debt, self.tol), m("debt_outstanding"),
                    "money")
        for name, cum, case in (
                ("funding_shortfall", rows["cumulative_cash"], "all"),
                ("secured_funding_shortfall", rows["c.cumulative_cash"], "committed")):
            formula = finance.shortfall_formula(last(cum), raw[case].ref(here),
                                                book.cells[f"{case}.debt"].ref(here), self.tol)
            self.metric(name, label(name), cur, "=" + formula, m(name), "money")
        low = f"-MIN({rng(rows['cumulative_cash'])})"
        self.metric("peak_cash_need", label("peak_cash_need"), cur,
                    f"=IF({low}<{self.tol},0,{low})", m("peak_cash_need"), "money")
        short = rng(flows["short_year"])
        self.metric("first_shortfall_year", label("first_shortfall_year"), year,
                    f'=IF(MAX({short})=0,"{na()}",SMALL({short},COUNTIF({short},0)+1))',
                    value_or_na(m("first_shortfall_year")), "year")
        self.metric("financial_npv", label("financial_npv"), cur,
                    "=" + self.pv(flows["financial"], fin), m("financial_npv"), "money")
        self.irr("financial_irr", label("financial_irr"), flows["financial"], fin)
        self.mirr(flows["financial"], fin)
        if book.values["has_capex"]:
            d, n = pvs["dic"].ref(here), dnr.ref(here)
            gap_formula: str | None = "=" + finance.funding_gap_rate_formula(d, n, self.tol, na())
        else:
            gap_formula = None
        self.metric("funding_gap_rate", label("funding_gap_rate"), t("unit.share"), gap_formula,
                    value_or_na(m("funding_gap_rate")), "percent")
        self.eu_decision(pvs["dic"], dnr, book.cells["metric.funding_gap_rate"])
        self.metric("economic_npv", label("economic_npv"), cur,
                    "=" + self.social_pv(flows["economic"]),
                    m("economic_npv"), "money")
        self.irr("economic_irr", label("economic_irr"), flows["economic"], soc)
        c, g = pv_costs.ref(here), pv_gains.ref(here)
        self.metric("bcr", label("bcr"), t("unit.ratio"),
                    "=" + finance.benefit_cost_ratio_formula(g, c, self.tol, na()),
                    value_or_na(m("bcr")), "ratio")
        for name, cum, flag in (
                ("payback_year", flows["cum_net"], flows["below_year"]),
                ("discounted_payback_year", flows["cum_disc"], flows["below_disc_year"])):
            f_, start = rng(flag), book.setting("start_year", here)
            self.metric(name, label(name), year,
                        f'=IF({last(cum)}<-{self.tol},"{na()}",IF(MAX({f_})=0,{start},'
                        f"MAX({f_})+1))", value_or_na(m(name)), "year")

    # ---- format 1.2 (issue 15): DIC, DNR and the EU decision amount -----------------------
    def eu_decision(self, dic: Cell, dnr: Cell, gap: Cell) -> None:
        """DIC and DNR as metrics; where the file gives ``eu_cofinancing_rate``, the eligible
        cost, decision amount and maximum EU grant beside the funding-gap rate."""
        book, cur, here = self.book, self.cur, NAME
        m = book.metric
        for name, cell in (("dic", dic), ("dnr", dnr)):
            self.metric(name, self.t(f"metric.{name}.label"), cur, f"={cell.ref(here)}", m(name),
                        "money")
        if book.scenario.eu_cofinancing_rate is None:
            return
        eligible = self.metric("eligible_cost", self.t("metric.eligible_cost.label"), cur,
                               "=" + finance.eligible_cost_formula(
                                   book.rows["costs.investment"].range(here)),
                               m("eligible_cost"), "money")
        decided = self.metric("decision_amount", self.t("metric.decision_amount.label"), cur,
                              "=" + finance.decision_amount_formula(
                                  eligible.ref(here), gap.ref(here), na()),
                              value_or_na(m("decision_amount")), "money")
        self.metric("max_eu_grant", self.t("metric.max_eu_grant.label"), cur,
                    "=" + finance.max_eu_grant_formula(
                        decided.ref(here), book.inputs["eu_cofinancing_rate"].ref(here), na()),
                    value_or_na(m("max_eu_grant")), "money")

    def decision(self, rows: dict[str, Row]) -> None:
        """The decision view: the new money each year that keeps cash at or above zero (the
        top-up, planned and committed only), and the metrics of the yearly gap."""
        sh, book = self.sh, self.book
        s, r = book.scenario, book.results
        cur, m, here = self.cur, book.metric, NAME
        pre = col_name(L.PRE_COL)
        t = self.t
        sh.band(t("cf.band_top_up"))
        tops: dict[str, Row] = {}
        for key, cum in (("top_up", rows["cumulative_cash"]),
                         ("secured_top_up", rows["c.cumulative_cash"])):
            me = sh.r + 1  # the spreadsheet row being written: the earlier top-ups are on it

            def top_formula(x: Any, previous: str, cum: Row = cum, me: int = me,
                            tol: str = self.tol) -> str:
                return "=" + decision.top_up_formula(x(cum), f"SUM(${pre}${me}:{previous})", tol)

            tops[key] = sh.corkscrew(t(f"cf.{key}"), cur, top_formula, series(r.ledger[key]),
                                     total=True,
                                     role="line" if key == "top_up" else "calc")
            book.add_row(f"cf.{key}", tops[key], series(r.ledger[key]))
        if "top_up_nominal" in r.ledger:
            inflation = book.inputs["inflation"]
            for key in ("top_up", "secured_top_up"):
                def of_the_day(x: Any, key: str = key) -> str:
                    return f"={x(tops[key])}*(1+{x.c(inflation)})^{x.tt}"

                row = sh.series(t(f"cf.{key}_nominal"), cur,
                                of_the_day, series(r.ledger[f"{key}_nominal"]), total=True)
                book.add_row(f"cf.{key}_nominal", row, series(r.ledger[f"{key}_nominal"]))
        secured = book.workings.secured
        flags = sh.series(t("cf.c_short_year"), t("unit.year"),
                          _year_if_below(rows["c.cumulative_cash"], self.tol),
                          finance.year_if_below(book.years, series(secured.cumulative_cash)),
                          kind="year")
        secured_peak = finance.horizon_total(series(r.ledger["secured_top_up"]))
        peak = sh.constant(t("cf.secured_peak"), cur,
                           f"=SUM({tops['secured_top_up'].range(here)})", secured_peak)
        book.add_cell("secured_peak_cash_need", peak, secured_peak)

        flag_range = flags.range(here)
        year = self.metric("secured_first_shortfall_year",
                           t("cf.metric.secured_first_shortfall_year"),
                           t("unit.year"), f'=IF(MAX({flag_range})=0,"{na()}",SMALL({flag_range},'
                           f'COUNTIF({flag_range},0)+1))',
                           value_or_na(m("secured_first_shortfall_year")), "year")
        last_year = f"${col_name(book.timeline.col(self.Y - 1))}${L.YEAR_ROW + 1}"
        for name, short, first in (
                ("shortfall_per_year", "funding_shortfall",
                 book.cells["metric.first_shortfall_year"]),
                ("secured_shortfall_per_year", "secured_funding_shortfall", year)):
            self.metric(name, t(f"cf.metric.{name}"), cur, "=" + decision.per_year_formula(
                book.cells[f"metric.{short}"].ref(here), first.ref(here), last_year, na()),
                value_or_na(m(name)), "money")
        self.metric("bridge_finance", t("cf.metric.bridge_finance"), cur,
                    "=" + decision.bridge_finance_formula(
                        book.cells["metric.peak_cash_need"].ref(here),
                        book.cells["metric.funding_shortfall"].ref(here), self.tol),
                    m("bridge_finance"), "money")
        at_risk = [book.rows[f"all.source.{f.id}"].range(here) for f in s.funding
                   if not f.committed and not isinstance(f, Loan)]
        self.metric("funding_at_risk", t("cf.metric.funding_at_risk"), cur,
                    "=" + ("+".join(f"SUM({x})" for x in at_risk) if at_risk else "0"),
                    m("funding_at_risk"), "money")

    def real(self, formula: str) -> str:
        """A nominal rate formula made real (Fisher) in nominal prices."""
        if not self.nominal:
            return formula
        return f"(1+{formula})/(1+{self.book.inputs['inflation'].ref(NAME)})-1"

    def search(self, label: str, flows: Row, rate: Cell) -> tuple[Cell, float]:
        """A live bisection for a root of the flows' NPV between the two IRR search settings: the
        second start of the IRR where the search from the discount rate fails (a root far below
        it, near -100 %). One row per halving; returns the start cell and its value."""
        sh, book = self.sh, self.book
        ws, st = sh.ws, sh.st
        tl = book.timeline
        t = Row(NAME, T_ROW, tl).range(NAME)
        rng = flows.range(NAME)
        values = book.values_of(flows)
        lo_ref, hi_ref = book.setting("irr_low", NAME), book.setting("irr_high", NAME)
        steps = np.arange(values.size, dtype=float)

        def npv(x: float) -> float:
            return float(np.sum(values * (1 + x) ** -steps))

        tx = self.t
        sh.band(tx("cf.band_search", irr=label))
        ends = {}
        for key, ref, x in (("low", lo_ref, finance.IRR_LOW), ("high", hi_ref, finance.IRR_HIGH)):
            # signs, not NPVs: near a root the NPV is rounding noise, its sign is what counts
            ends[key] = sh.constant(tx(f"cf.search_{key}"), tx("checks.unit_sign"),
                                    f"=SIGN({finance.npv_at_formula(rng, t, ref)})",
                                    float(np.sign(npv(x))), kind="flag")
        header = sh.r
        cols = [tl.col(i) for i in range(4)]
        for col, key in zip(cols, ("low", "high", "middle", "sign"), strict=True):
            ws.write_string(header, col, tx(f"cf.search_col_{key}"), st.header)
        sh.r += 1
        sign_low = np.sign(npv(finance.IRR_LOW))
        low_ref = ends["low"].ref(NAME)
        low, high = finance.IRR_LOW, finance.IRR_HIGH
        fmt, flag = st.cell("percent", "calc"), st.cell("flag", "calc")
        letters = [col_name(c) for c in cols]
        for k in range(finance.IRR_HALVINGS + 1):
            r = sh.r
            mid = (low + high) / 2
            value = npv(mid)
            ws.write_string(r, 0, tx("cf.halving", k=k), st.label_indent)
            if k == 0:
                f_low, f_high = f"={lo_ref}", f"={hi_ref}"
            else:
                a, b, m, n = (f"{x}{r}" for x in letters)  # the row above (1-based r)
                same = f"SIGN({n})=SIGN({low_ref})"
                f_low, f_high = f"=IF({same},{m},{a})", f"=IF({same},{b},{m})"
            ws.write_formula(r, cols[0], f_low, fmt, low)
            ws.write_formula(r, cols[1], f_high, fmt, high)
            ws.write_formula(r, cols[2], f"=({letters[0]}{r + 1}+{letters[1]}{r + 1})/2", fmt,
                             mid)
            npv_mid = finance.npv_at_formula(rng, t, f"{letters[2]}{r + 1}")
            ws.write_formula(r, cols[3], f"=SIGN({npv_mid})", flag, float(np.sign(value)))
            if np.sign(value) == sign_low:
                low = mid
            else:
                high = mid
            sh.r += 1
        last = f"{letters[2]}{sh.r}"
        found = finance.bisection_start(values)
        rate_value = self.rate_values[rate]
        hi_npv = ends["high"].ref(NAME)
        start = sh.constant(tx("cf.second_start", irr=label), tx("unit.per_year"),
                            f"=IF(SIGN({low_ref})*SIGN({hi_npv})<0,{last},{rate.ref(NAME)})",
                            found if np.isfinite(found) else rate_value, kind="percent")
        return start, found

    def irr(self, name: str, label: str, flows: Row, rate: Cell) -> None:
        """The live IRR, ``IRR(flows, discount rate)``, beside the root labfinance chose.

        The engine finds every root and picks the one nearest the discount rate; the
        spreadsheet's search from the discount rate usually lands on the same one. Where it does
        not (a root near -100 %, a search that ends below -100 %, several roots) the cell shows
        what the spreadsheet finds, cached as such, and a check on the Checks sheet says so."""
        book = self.book
        value = book.metric(name)
        roots = book.results.irr_roots.get(name)
        t = self.t
        note = (t("cf.several_roots", roots=", ".join(f"{x:.4%}" for x in roots))
                if roots else "")
        chosen = self.sh.fixed(t("cf.chosen_root", irr=label), t("unit.per_year"),
                               value_or_na(value),
                               kind="percent", note=note)
        inflation = book.scenario.inflation if self.nominal else 0.0
        start, second = self.starts[name]
        found = finance.live_irr(book.values_of(flows), self.rate_values[rate], second)
        if not np.isfinite(found):
            shown: float | str = na()
        else:
            shown = (1 + found) / (1 + inflation) - 1
            nominal_value = (1 + value) * (1 + inflation) - 1
            if np.isfinite(value) and abs(found - nominal_value) <= IRR_MATCH:
                shown = value  # the same root: the engine's value, to the last digit
        formula = finance.live_irr_formula(flows.range(NAME), rate.ref(NAME),
                                           start.ref(NAME), na())
        if self.nominal:
            formula = (f'IFERROR({self.real(formula)},"{na()}")')
        cell = self.metric(name, label, t("unit.per_year"), "=" + formula, shown, "percent")
        book.cells[f"irr_formula.{name}"] = cell
        book.cells[f"irr_chosen.{name}"] = chosen
        book.values[f"irr_chosen.{name}"] = value_or_na(value)
        book.values[f"irr_shown.{name}"] = shown
        book.rows[f"irr_flows.{name}"] = flows
        book.cells[f"irr_rate.{name}"] = rate

    def mirr(self, flows: Row, rate: Cell) -> None:
        value = value_or_na(self.book.metric("financial_mirr"))
        rr = rate.ref(NAME)
        formula = "=IFERROR(" + self.real(f"MIRR({flows.range(NAME)},{rr},{rr})") + f',"{na()}")'
        self.metric("financial_mirr", self.t("cf.metric.financial_mirr"), self.t("unit.per_year"),
                    formula, value, "percent")

    def build(self) -> None:
        declining = self.book.scenario.social_discount_steps is not None
        fin, soc = self.declining_rates() if declining else self.rates()
        self.book.rows["factor.social"] = self.factors["social"]
        self.book.cells["rate.social"] = soc
        rows = self.ledger()
        flows = self.appraisal(rows)
        self.metrics(rows, flows, fin, soc)
        self.decision(rows)
        self.book.cells["rate.financial"] = fin
        self.book.cells["rate.social"] = soc
        self.book.rows["factor.financial"] = self.factors["financial"]
        self.book.rows["factor.social"] = self.factors["social"]


def social_present_value(book: Book, row: Row, here: str) -> str:
    """A present value at the social rate on sheet ``here``: ``first + NPV(rate, rest)``, or
    with declining rates (format 1.2) the row times the Cash flow sheet's factor row."""
    if book.scenario.social_discount_steps is None:
        return present_value(row, book.cells["rate.social"].ref(here), here)
    return finance.sum_of_products_formula(row.range(here),
                                           book.rows["factor.social"].range(here))


def build(book: Book) -> None:
    CashFlowSheet(book).build()

"""Checks: each check a formula counting its failures (0 = OK), and one master check.

Per-year checks put a 1 in each failing year; the total column counts them and the value column
says OK or ERROR. The master check is OK when every count is 0; the Summary shows it.
"""

from __future__ import annotations

import numpy as np

from labfinance.engine import finance
from labfinance.model.scenario import Grant, Loan
from labfinance.outputs.excel import sheet_assumptions as assumptions
from labfinance.outputs.excel.book import IRR_MATCH, SETTINGS, Book
from labfinance.outputs.excel.cells import (
    At,
    Cell,
    Row,
    TimelineSheet,
    col_name,
    present_value,
    sheet_prefix,
)
from labfinance.outputs.excel.layout import FIRST_ROW, T_ROW, TOTAL_COL, VALUE_COL

NAME = "Checks"


class ChecksSheet:
    def __init__(self, book: Book):
        self.book = book
        self.t = t = book.t
        self.ok, self.error = t("checks.ok"), t("checks.error")
        self.sh = TimelineSheet(book, NAME, t("checks.subtitle", ok=self.ok, error=self.error))
        self.counts: list[Cell] = []
        self.failures = 0.0

    def status(self, count: Cell, failures: float = 0.0) -> None:
        """OK/ERROR in the value column of the count's row; ``failures`` is the count as
        written (the cached values must be what a recalculation gives)."""
        ws = self.sh.ws
        c = count.ref(NAME)
        ws.write_formula(count.row, VALUE_COL, f'=IF({c}=0,"{self.ok}","{self.error}")',
                         self.sh.st.cell("general", "calc"),
                         self.ok if failures == 0 else self.error)
        self.counts.append(count)
        self.failures += failures

    def yearly(self, label: str, formula, failing: np.ndarray | None = None) -> None:
        Y = self.book.timeline.horizon
        flags = np.zeros(Y) if failing is None else np.asarray(failing, dtype=float)
        row = self.sh.series(label, self.t("checks.unit_fails"), formula, flags, kind="flag",
                             total=True)
        self.status(Cell(NAME, row.row, TOTAL_COL), float(flags.sum()))

    def single(self, label: str, formula: str, failures: float = 0.0) -> None:
        sh = self.sh
        sh.ws.write_string(sh.r, 0, label, sh.st.label_indent)
        sh.ws.write_string(sh.r, 1, self.t("checks.unit_failures"), sh.st.unit)
        sh.ws.write_formula(sh.r, TOTAL_COL, formula, sh.st.cell("flag", "total"),
                            float(failures))
        self.status(Cell(NAME, sh.r, TOTAL_COL), failures)
        sh.r += 1

    def values_row(self, label: str, unit: str, values: np.ndarray) -> Row:
        """A row of values (not formulas), styled as not live: what a live row held when
        labfinance wrote the workbook."""
        sh = self.sh
        sh.ws.write_string(sh.r, 0, label, sh.st.label_indent)
        sh.ws.write_string(sh.r, 1, unit, sh.st.unit)
        fmt = sh.st.cell("money", "structural")
        for t, value in enumerate(values):
            sh.ws.write_number(sh.r, self.book.timeline.col(t), float(value), fmt)
        row = Row(NAME, sh.r, self.book.timeline)
        sh.r += 1
        return row

    def two_routes(self, tol: str, tolerance: float) -> None:
        """Checks that can fail: the same total reached by two routes."""
        book, sh, rows = self.book, self.sh, self.book.rows
        s = book.scenario
        t = self.t
        sh.band(t("checks.band_two_routes"))
        loans = [f.id for f in s.funding if isinstance(f, Loan)]
        others = [f.id for f in s.funding if not isinstance(f, Loan)]
        for case, tag in (("all", t("checks.tag_all")), ("committed", t("checks.tag_committed"))):
            ledger = [rows[f"cf.{case}.{k}"] for k in ("funding", "revenue")]
            lines = [rows[f"{case}.source.{i}"] for i in others]

            def money_in(x: At, ledger: list[Row] = ledger, lines: list[Row] = lines) -> str:
                parts = "+".join(x(r) for r in lines) or "0"
                return f"=IF(ABS({x(ledger[0])}+{x(ledger[1])}-({parts}))>{tol},1,0)"

            gap = sum(book.values_of(r) for r in ledger) - sum(
                (book.values_of(r)[: book.timeline.horizon] for r in lines),
                np.zeros(book.timeline.horizon))
            self.yearly(t("checks.ledger_sources", tag=tag),
                        money_in, np.abs(gap) > tolerance)
            if loans:
                ledger_in = rows[f"cf.{case}.loan_in"]
                loan_rows = [rows[f"{case}.loan.{i}.in"] for i in loans]
                gap = book.values_of(ledger_in) - sum(book.values_of(r) for r in loan_rows)
                self.yearly(t("checks.ledger_loans", tag=tag),
                            lambda x, a=ledger_in, ls=loan_rows:
                            f"=IF(ABS({x(a)}-({'+'.join(x(r) for r in ls)}))>{tol},1,0)",
                            np.abs(gap) > tolerance)
        paid = [book.cells.get(f"stakeholder.{sid}.contributed") for sid in s.stakeholders]
        if paid and all(c is not None for c in paid):
            total = book.cells["metric.total_funding"]
            # money from a source that names no payer is nobody's contribution
            unnamed = [rows[f"all.source.{f.id}"] for f in s.funding
                       if not isinstance(f, Loan) and getattr(f, "stakeholder", None) is None]
            value = sum(float(book.values[f"stakeholder.{sid}.contributed"])
                        for sid in s.stakeholders)
            value += sum(float(book.values_of(r)[: book.timeline.horizon].sum()) for r in unnamed)
            fails = abs(value - float(book.values["metric.total_funding"])) > tolerance
            parts = [c.ref(NAME) for c in paid if c] + [f"SUM({r.range(NAME)})" for r in unnamed]
            self.single(t("checks.contributions"),
                        f"=IF(ABS({'+'.join(parts)}-{total.ref(NAME)})>{tol},1,0)", float(fails))

    def irr_checks(self, name: str, label: str) -> None:
        """The IRR's assumptions, live: the spreadsheet finds the root labfinance chose while
        the flows are as written; an edit leaves the flows changing sign as often as written
        (or at most once: one root); where they change sign once a root exists, so the
        spreadsheet must find it."""
        book, rows = self.book, self.book.rows
        cell = book.cells[f"irr_formula.{name}"].ref(NAME)
        chosen = book.cells[f"irr_chosen.{name}"].ref(NAME)
        flows = rows[f"irr_flows.{name}"]
        written = book.values_of(flows)
        t = self.t
        as_written = self.values_row(t("checks.irr_flows", irr=label), book.scenario.currency,
                                     written)
        signs = np.sign(written)
        so_far = np.zeros_like(signs)
        previous = 0.0
        for k, sign in enumerate(signs):
            previous = sign if sign != 0 else previous
            so_far[k] = previous
        sign_row = self.sh.corkscrew(t("checks.irr_sign", irr=label), t("checks.unit_sign"),
                                     lambda x, prev: "=" + finance.sign_so_far_formula(
                                         x(flows), prev), so_far, kind="flag")
        changes = finance.sign_changes(written)
        tl = book.timeline
        a, b = col_name(tl.col(0)), col_name(tl.col(tl.horizon - 2))
        c, d = col_name(tl.col(1)), col_name(tl.col(tl.horizon - 1))
        r = sign_row.row + 1
        count = (f"SUMPRODUCT(({a}{r}:{b}{r}*{c}{r}:{d}{r}<0)*1)" if tl.horizon > 1 else "0")
        changes_cell = self.sh.constant(t("checks.irr_changes", irr=label), t("kind.count"),
                                        "=" + count, float(changes), kind="flag")
        written_changes = self.sh.fixed(t("checks.irr_changes_written", irr=label), t("kind.count"),
                                        float(changes), kind="flag")
        shown, engine = book.values[f"irr_shown.{name}"], book.values[f"irr_chosen.{name}"]
        differs = (isinstance(shown, str) != isinstance(engine, str)) or (
            not isinstance(shown, str) and not isinstance(engine, str)
            and abs(float(shown) - float(engine)) > IRR_MATCH)
        irr_tol = book.setting("irr_tolerance", NAME)
        tol = book.setting("tolerance", NAME)
        unchanged = (f"SUMPRODUCT(ABS({flows.range(NAME)}-{as_written.range(NAME)}))"
                     f"<={tol}")
        self.single(t("checks.irr_root", irr=label),
                    f"=IF({unchanged},IF(ISNUMBER({cell})<>ISNUMBER({chosen}),1,"
                    f"IF(ISNUMBER({cell}),IF(ABS({cell}-{chosen})>{irr_tol},1,0),0)),0)",
                    float(differs))
        cc, wc = changes_cell.ref(NAME), written_changes.ref(NAME)
        self.single(t("checks.irr_once", irr=label), f"=IF(AND({cc}>1,{cc}<>{wc}),1,0)",
                    0.0)
        self.single(t("checks.irr_exists", irr=label),
                    f"=IF(AND({cc}=1,NOT(ISNUMBER({cell}))),1,0)",
                    float(changes == 1 and isinstance(shown, str)))

    def build(self) -> Cell:
        book, sh, t = self.book, self.sh, self.t
        rows = book.rows
        TOL = book.setting("tolerance", NAME)
        ZERO = book.setting("relative_tolerance", NAME)
        sh.band(t("checks.band_sources_uses"))
        for case, prefix in (("all", "cf."), ("committed", "cf.c.")):
            net = rows[f"{prefix}net_cash"]
            cum = rows[f"{prefix}cumulative_cash"]
            parts = {k: rows[f"{case}.{k}"] for k in ("funding", "revenue", "loan_in",
                                                      "debt_service")}
            costs = rows["costs.total"]
            tag = t("checks.tag_all" if case == "all" else "checks.tag_committed")

            def sources_uses(x: At, net: Row = net, parts: dict[str, Row] = parts,
                             costs: Row = costs, TOL: str = TOL, ZERO: str = ZERO) -> str:
                total = (f"{x(parts['funding'])}+{x(parts['revenue'])}+{x(parts['loan_in'])}"
                         f"-{x(parts['debt_service'])}-{x(costs)}")
                # beside the half cent, the rounding of sums of large money (1e-12 relative):
                # without it the check flips to ERROR at amounts of about 1e14
                scale = (f"ABS({x(parts['funding'])})+ABS({x(parts['revenue'])})"
                         f"+ABS({x(parts['loan_in'])})+ABS({x(parts['debt_service'])})"
                         f"+ABS({x(costs)})")
                return f"=IF(ABS({x(net)}-({total}))>{TOL}+{ZERO}*({scale}),1,0)"

            self.yearly(t("checks.sources_uses", tag=tag),
                        sources_uses)
            self.yearly(t("checks.corkscrew", tag=tag),
                        lambda x, net=net, cum=cum, TOL=TOL, ZERO=ZERO:
                        f"=IF(ABS({x(cum)}-{x.prev(cum)}-{x(net)})>{TOL}"
                        f"+{ZERO}*(ABS({x.prev(cum)})+ABS({x(net)})),1,0)")

        sh.band(t("checks.band_who_pays"))
        for key, top in (("plan", "cf.top_up"), ("secured_plan", "cf.secured_top_up")):
            everyone = rows.get(f"{key}.all")
            if everyone is None:
                continue
            tag = t("checks.tag_all" if key == "plan" else "checks.tag_committed")
            self.yearly(t("checks.plans", tag=tag),
                        lambda x, everyone=everyone, top=rows[top]:
                        f"=IF(ABS({x(everyone)}-{x(top)})>{TOL},1,0)")
        first, last, col = book.values["stakeholder_table"]
        for key, metric in (("fair_share", "funding_shortfall"),
                            ("secured_fair_share", "secured_funding_shortfall")):
            if any(np.isnan(v["weight"][0]) for sid, v in book.results.stakeholders.items()
                   if book.results.represented_by.get(sid) is None):
                break  # no weights, no shares (the Stakeholders sheet says why)
            letter = col_name(col[key])
            there = sheet_prefix("Stakeholders", NAME)
            shares = f"{there}${letter}${first + 1}:${letter}${last + 1}"
            short = book.cells[f"metric.{metric}"].ref(NAME)
            self.single(t(f"checks.{key}"),
                        f"=IF(ABS(SUM({shares})-{short})>{TOL},1,0)")

        self.two_routes(TOL, SETTINGS["tolerance"])

        grants = [f for f in book.scenario.funding if isinstance(f, Grant) and f.rate is not None]
        if grants:
            sh.band(t("checks.band_grants"))
        for g in grants:
            prefix = f"funding.{g.id}"
            total = book.cells.get(f"grant.{g.id}.total")
            if g.cap is not None and total is not None:
                self.single(t("checks.grant_cap", id=g.id),
                            f"=IF({total.ref(NAME)}>{book.inputs[prefix + '.cap'].ref(NAME)}"
                            f"*(1+{ZERO})+{TOL},1,0)")
            adv = book.inputs[f"{prefix}.payment.advance"].ref(NAME)
            ret = book.inputs[f"{prefix}.payment.retention"].ref(NAME)
            self.single(t("checks.grant_advance", id=g.id), f"=IF({adv}+{ret}>1,1,0)")

        self.loans()

        sh.band(t("checks.band_inputs"))
        # the Assumptions rows, with room for rows a reader adds
        first, last = assumptions.FIRST_ROW, assumptions.FIRST_ROW + 2000
        kinds = assumptions.column_range(assumptions.KIND_COL, first, last)
        values = assumptions.column_range(assumptions.VALUE_COL, first, last)
        self.single(t("checks.shares"),
                    f'=COUNTIFS({kinds},"{t("kind.share")}",{values},"<0")'
                    f'+COUNTIFS({kinds},"{t("kind.share")}",{values},">1")')
        self.single(t("checks.rates"),
                    f'=COUNTIFS({kinds},"{t("kind.rate")}",{values},"<=-1")')

        sh.band(t("checks.band_discounting"))
        for label in ("financial", "social"):
            factor = rows[f"factor.{label}"].cell(0).ref(NAME)
            zero = book.setting("rate_tolerance", NAME)
            self.single(t(f"checks.first_factor_{label}"), f"=IF(ABS({factor}-1)>{zero},1,0)")
        sh.band(t("checks.band_irr"))
        for name in ("financial_irr", "economic_irr"):
            label = t(f"checks.{name}")
            cell = book.cells.get(f"irr_formula.{name}")
            if cell is None:
                continue
            flows = rows[f"irr_flows.{name}"]
            rate = cell.ref(NAME)
            if book.scenario.prices == "nominal":
                rate = f"((1+{rate})*(1+{book.inputs['inflation'].ref(NAME)})-1)"
            npv = present_value(flows, rate, NAME)
            # the scale is the flows discounted at the IRR: near -100 % the discount factors
            # reach 1e19 and rounding alone leaves an NPV far above the undiscounted flows
            index = Row(flows.sheet, T_ROW, flows.timeline).range(NAME)
            scale = f"SUMPRODUCT(ABS({flows.range(NAME)})*(1+{rate})^(-{index}))"
            irr_tol = book.setting("irr_tolerance", NAME)
            self.single(t("checks.npv_at_irr", irr=label),
                        f"=IF(ISNUMBER({cell.ref(NAME)}),IF(ABS({npv})>{irr_tol}*{scale},1,0),0)")
            self.irr_checks(name, label)

        sh.band(t("checks.band_master"))
        counts = "+".join(c.ref(NAME) for c in self.counts)
        ok, error = self.ok, self.error
        sh.ws.write_string(sh.r, 0, t("checks.all"), sh.st.label_bold)
        sh.ws.write_formula(sh.r, VALUE_COL, f'=IF({counts}=0,"{ok}","{error}")',
                            sh.st.cell("general", "key"), ok if self.failures == 0 else error)
        master = Cell(NAME, sh.r, VALUE_COL)
        sh.r += 1
        status = col_name(VALUE_COL)
        status_range = f"${status}${FIRST_ROW + 1}:${status}${sh.r}"
        sh.ws.conditional_format(status_range, {"type": "cell", "criteria": "==",
                                                "value": f'"{ok}"', "format": sh.st.ok})
        sh.ws.conditional_format(status_range, {"type": "cell", "criteria": "==",
                                                "value": f'"{error}"', "format": sh.st.error})
        book.names["master_check"] = master
        book.values["master_check"] = ok if self.failures == 0 else error
        return master


    # ---- format 1.2 (issue 15): each loan's schedule adds up -----------------------------
    def loans(self) -> None:
        book = self.book
        loans = [f for f in book.scenario.funding if isinstance(f, Loan)]
        if loans:
            self.sh.band(book.t("checks.band_loans"))
        for f in loans:
            drawn = f"SUM({book.rows[f'loan.{f.id}.drawn'].range(NAME)})"
            repaid = f"SUM({book.rows[f'loan.{f.id}.principal'].range(NAME)})"
            owed = book.cells[f"loan.{f.id}.balance_end"].ref(NAME)
            # a balance within half a cent of 0 is 0 (engine and workbook): a cent of slack
            tol, rel = book.setting("tolerance", NAME), book.setting("relative_tolerance", NAME)
            self.single(book.t("checks.loan", id=f.id),
                        f"=IF(ABS({drawn}-{repaid}-{owed})>2*{tol}+{rel}*{drawn},1,0)")



def build(book: Book) -> Cell:
    master = ChecksSheet(book).build()
    book.cells["master_check"] = master
    return master

"""Checks: each check a formula counting its failures (0 = OK), and one master check.

Per-year checks put a 1 in each failing year; the total column counts them and the value column
says OK or ERROR. The master check is OK when every count is 0; the Summary shows it.
"""

from __future__ import annotations

import numpy as np

from labfinance.model.scenario import Grant, Loan
from labfinance.outputs.excel import sheet_assumptions as assumptions
from labfinance.outputs.excel.book import TOL, Book
from labfinance.outputs.excel.cells import At, Cell, Row, TimelineSheet, col_name, present_value
from labfinance.outputs.excel.layout import FIRST_ROW, T_ROW, TOTAL_COL, VALUE_COL

NAME = "Checks"


class ChecksSheet:
    def __init__(self, book: Book):
        self.book = book
        self.sh = TimelineSheet(book, NAME, "1 marks a failure, 0 a pass. The value column says "
                                "OK or ERROR; the master check is on the Summary.")
        self.counts: list[Cell] = []

    def status(self, count: Cell) -> None:
        """OK/ERROR in the value column of the count's row."""
        ws = self.sh.ws
        c = count.ref(NAME)
        ws.write_formula(count.row, VALUE_COL, f'=IF({c}=0,"OK","ERROR")',
                         self.sh.st.cell("general", "calc"), "OK")
        self.counts.append(count)

    def yearly(self, label: str, formula) -> None:
        Y = self.book.timeline.horizon
        row = self.sh.series(label, "1 = fails", formula, np.zeros(Y), kind="flag", total=True)
        self.status(Cell(NAME, row.row, TOTAL_COL))

    def single(self, label: str, formula: str) -> None:
        sh = self.sh
        sh.ws.write_string(sh.r, 0, label, sh.st.label_indent)
        sh.ws.write_string(sh.r, 1, "failures", sh.st.unit)
        sh.ws.write_formula(sh.r, TOTAL_COL, formula, sh.st.cell("flag", "total"), 0.0)
        self.status(Cell(NAME, sh.r, TOTAL_COL))
        sh.r += 1

    def build(self) -> Cell:
        book, sh = self.book, self.sh
        rows = book.rows
        sh.band("Sources = uses, every year")
        for case, prefix in (("all", "cf."), ("committed", "cf.c.")):
            net = rows[f"{prefix}net_cash"]
            cum = rows[f"{prefix}cumulative_cash"]
            parts = {k: rows[f"{case}.{k}"] for k in ("funding", "revenue", "loan_in",
                                                      "debt_service")}
            costs = rows["costs.total"]
            tag = "all sources" if case == "all" else "committed only"

            def sources_uses(x: At, net: Row = net, parts: dict[str, Row] = parts,
                             costs: Row = costs) -> str:
                total = (f"{x(parts['funding'])}+{x(parts['revenue'])}+{x(parts['loan_in'])}"
                         f"-{x(parts['debt_service'])}-{x(costs)}")
                # beside the half cent, the rounding of sums of large money (1e-12 relative):
                # without it the check flips to ERROR at amounts of about 1e14
                scale = (f"ABS({x(parts['funding'])})+ABS({x(parts['revenue'])})"
                         f"+ABS({x(parts['loan_in'])})+ABS({x(parts['debt_service'])})"
                         f"+ABS({x(costs)})")
                return f"=IF(ABS({x(net)}-({total}))>{TOL}+1E-12*({scale}),1,0)"

            self.yearly(f"sources = uses: net cash from its parts ({tag})",
                        sources_uses)
            self.yearly(f"cumulative cash corkscrew ({tag})",
                        lambda x, net=net, cum=cum:
                        f"=IF(ABS({x(cum)}-{x.prev(cum)}-{x(net)})>{TOL}"
                        f"+1E-12*(ABS({x.prev(cum)})+ABS({x(net)})),1,0)")

        sh.band("Who pays")
        for key, top in (("plan", "cf.top_up"), ("secured_plan", "cf.secured_top_up")):
            everyone = rows.get(f"{key}.all")
            if everyone is None:
                continue
            tag = "all sources" if key == "plan" else "committed only"
            self.yearly(f"the payers' plans add up to the top-up ({tag})",
                        lambda x, everyone=everyone, top=rows[top]:
                        f"=IF(ABS({x(everyone)}-{x(top)})>{TOL},1,0)")
        first, last, col = book.values["stakeholder_table"]
        for key, metric in (("fair_share", "funding_shortfall"),
                            ("secured_fair_share", "secured_funding_shortfall")):
            if any(np.isnan(v["weight"][0]) for sid, v in book.results.stakeholders.items()
                   if book.results.represented_by.get(sid) is None):
                break  # no weights, no shares (the Stakeholders sheet says why)
            letter = col_name(col[key])
            shares = f"'Stakeholders'!${letter}${first + 1}:${letter}${last + 1}"
            short = book.cells[f"metric.{metric}"].ref(NAME)
            self.single(f"{key.replace('_', ' ')}s add up to the {metric.replace('_', ' ')}",
                        f"=IF(ABS(SUM({shares})-{short})>{TOL},1,0)")

        grants = [f for f in book.scenario.funding if isinstance(f, Grant) and f.rate is not None]
        if grants:
            sh.band("Grants")
        for g in grants:
            prefix = f"funding.{g.id}"
            total = book.cells.get(f"grant.{g.id}.total")
            if g.cap is not None and total is not None:
                self.single(f"grant {g.id}: total entitlement within the cap",
                            f"=IF({total.ref(NAME)}>{book.inputs[prefix + '.cap'].ref(NAME)}"
                            f"*(1+1E-12)+{TOL},1,0)")
            adv = book.inputs[f"{prefix}.payment.advance"].ref(NAME)
            ret = book.inputs[f"{prefix}.payment.retention"].ref(NAME)
            self.single(f"grant {g.id}: advance + retention at most 1", f"=IF({adv}+{ret}>1,1,0)")

        self.loans()

        sh.band("Inputs")
        # the Assumptions rows, with room for rows a reader adds
        first, last = assumptions.FIRST_ROW, assumptions.FIRST_ROW + 2000
        kinds = assumptions.column_range(assumptions.KIND_COL, first, last)
        values = assumptions.column_range(assumptions.VALUE_COL, first, last)
        self.single("every share input within 0..1",
                    f'=COUNTIFS({kinds},"share",{values},"<0")'
                    f'+COUNTIFS({kinds},"share",{values},">1")')
        self.single("every rate input above -100 %", f'=COUNTIFS({kinds},"rate",{values},"<=-1")')

        sh.band("Discounting")
        for label in ("financial", "social"):
            factor = rows[f"factor.{label}"].cell(0).ref(NAME)
            self.single(f"first {label} discount factor = 1", f"=IF(ABS({factor}-1)>1E-12,1,0)")
        for name in ("financial_irr", "economic_irr"):
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
            t = Row(flows.sheet, T_ROW, flows.timeline).range(NAME)
            scale = f"SUMPRODUCT(ABS({flows.range(NAME)})*(1+{rate})^(-{t}))"
            self.single(f"NPV at the {name.replace('_', ' ')} is 0",
                        f"=IF(ABS({npv})>1E-6*{scale},1,0)")

        sh.band("Master check")
        counts = "+".join(c.ref(NAME) for c in self.counts)
        sh.ws.write_string(sh.r, 0, "All checks", sh.st.label_bold)
        sh.ws.write_formula(sh.r, VALUE_COL, f'=IF({counts}=0,"OK","ERROR")',
                            sh.st.cell("general", "key"), "OK")
        master = Cell(NAME, sh.r, VALUE_COL)
        sh.r += 1
        status = col_name(VALUE_COL)
        status_range = f"${status}${FIRST_ROW + 1}:${status}${sh.r}"
        sh.ws.conditional_format(status_range, {"type": "cell", "criteria": "==",
                                                "value": '"OK"', "format": sh.st.ok})
        sh.ws.conditional_format(status_range, {"type": "cell", "criteria": "==",
                                                "value": '"ERROR"', "format": sh.st.error})
        book.names["master_check"] = master
        return master


    # ---- format 1.2 (issue 15): each loan's schedule adds up -----------------------------
    def loans(self) -> None:
        book = self.book
        loans = [f for f in book.scenario.funding if isinstance(f, Loan)]
        if loans:
            self.sh.band(LOANS_BAND)
        for f in loans:
            drawn = f"SUM({book.rows[f'loan.{f.id}.drawn'].range(NAME)})"
            repaid = f"SUM({book.rows[f'loan.{f.id}.principal'].range(NAME)})"
            owed = book.cells[f"loan.{f.id}.balance_end"].ref(NAME)
            # a balance within half a cent of 0 is 0 (engine and workbook): a cent of slack
            self.single(LOAN_CHECK.format(id=f.id),
                        f"=IF(ABS({drawn}-{repaid}-{owed})>2*{TOL}+1E-12*{drawn},1,0)")


# format 1.2 (issue 15): visible labels, gathered for the catalogue
LOANS_BAND = "Loans"
LOAN_CHECK = "loan {id}: money drawn = principal repaid + principal owed at the end"


def build(book: Book) -> Cell:
    master = ChecksSheet(book).build()
    book.cells["master_check"] = master
    return master

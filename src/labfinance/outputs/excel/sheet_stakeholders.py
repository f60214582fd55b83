"""Stakeholders: who pays and who benefits, year by year, and the table of totals, PVs (social
rate), net position and fair share of the shortfall (split by the PV of benefits received)."""

from __future__ import annotations

from labfinance.engine.core import stakeholder_totals
from labfinance.model.scenario import Loan
from labfinance.outputs.excel.book import NA, TOL, Book, scalar, series, value_or_na
from labfinance.outputs.excel.cells import Cell, Row, TimelineSheet, col_name, present_value, total
from labfinance.outputs.excel.layout import FIRST_YEAR_COL, LABEL_COL, UNIT_COL

NAME = "Stakeholders"
TABLE = (("contributed", "Contributed (total)"), ("contributed_pv", "Contributed (PV)"),
         ("lent", "Lent (loans)"), ("benefits_received", "Benefits received (total)"),
         ("benefits_received_pv", "Benefits received (PV)"),
         ("cash_releasing_received", "Cash-releasing (total)"),
         ("cash_releasing_received_pv", "Cash-releasing (PV)"), ("net", "Net (PV received - PV "
                                                                 "contributed)"),
         ("weight", "Share of benefits (weight)"), ("fair_share", "Fair share of the shortfall"),
         ("secured_fair_share", "Fair share, committed sources only"))


def build(book: Book) -> None:
    s, r = book.scenario, book.results
    cur = s.currency
    sh = TimelineSheet(book, NAME, f"{cur}; contributions include in-kind and grants naming the "
                       "stakeholder, inside the horizon. PVs at the social rate.")
    soc = book.cells["rate.social"]
    yearly: dict[str, dict[str, Row]] = {}
    sh.band("By year")
    for sid, holder in s.stakeholders.items():
        sh.item(holder.name or sid, holder.kind)
        sources = [f.id for f in s.funding if f.stakeholder == sid and not isinstance(f, Loan)]
        benefits = [b for b in s.benefits if b.beneficiary == sid]
        parts = {
            "contributed": ("contributed (cash and in kind)",
                            [book.rows[f"all.source.{i}"] for i in sources]),
            "benefits_received": ("benefits received",
                                  [book.rows[f"benefit.{b.id}"] for b in benefits]),
            "cash_releasing_received": ("cash-releasing benefits received",
                                        [book.rows[f"benefit.{b.id}"] for b in benefits
                                         if b.cash_releasing]),
        }
        yearly[sid] = {}
        for key, (label, rows) in parts.items():
            yearly[sid][key] = sh.series(label, cur, total(rows),
                                         series(r.stakeholders[sid][f"{key}_yearly"]),
                                         total=True)
        sh.skip()

    sh.band("Who pays, who benefits")
    ws, st = sh.ws, sh.st
    header = sh.r
    ws.write_string(header, LABEL_COL, "Stakeholder", st.header)
    ws.write_string(header, UNIT_COL, "Kind", st.header)
    for j, (_, text) in enumerate(TABLE):
        ws.write_string(header, FIRST_YEAR_COL + j, text, st.header)
    ws.set_row(header, 42)
    first = header + 1
    last = first + len(s.stakeholders) - 1
    col = {key: FIRST_YEAR_COL + j for j, (key, _) in enumerate(TABLE)}

    def ref(key: str, row: int) -> str:
        return f"{col_name(col[key])}{row + 1}"

    def column(key: str) -> str:
        return f"${col_name(col[key])}${first + 1}:${col_name(col[key])}${last + 1}"

    total_row = last + 1
    weights_total = f"${col_name(col['benefits_received_pv'])}${total_row + 2}"
    shortfall = {"fair_share": book.cells["metric.funding_shortfall"].ref(NAME),
                 "secured_fair_share": book.cells["metric.secured_funding_shortfall"].ref(NAME)}
    totals = {k: scalar(v) for k, v in stakeholder_totals(r.stakeholders).items()}
    for i, (sid, holder) in enumerate(s.stakeholders.items()):
        row = first + i
        fig = {k: scalar(v) for k, v in r.stakeholders[sid].items()}
        ws.write_string(row, LABEL_COL, holder.name or sid, st.label)
        ws.write_string(row, UNIT_COL, holder.kind, st.unit)
        loans = [f for f in s.funding if isinstance(f, Loan) and f.stakeholder == sid]
        lent = []
        for f in loans:
            net = (f"({book.rows[f'all.loan.{f.id}.in'].range(NAME)}-"
                   f"{book.rows[f'all.loan.{f.id}.service'].range(NAME)})")
            lent.append(f"SUMPRODUCT(({net}>0)*{net})")
        weight = value_or_na(fig["weight"])
        formulas = {
            "contributed": (f"=SUM({yearly[sid]['contributed'].range(NAME)})", fig["contributed"]),
            "lent": ("=" + "+".join(lent) if lent else "=0", fig["lent"]),
            "benefits_received": (f"=SUM({yearly[sid]['benefits_received'].range(NAME)})",
                                  fig["benefits_received"]),
            "cash_releasing_received": (
                f"=SUM({yearly[sid]['cash_releasing_received'].range(NAME)})",
                fig["cash_releasing_received"]),
            "net": (f"={ref('benefits_received_pv', row)}-{ref('contributed_pv', row)}",
                    fig["net"]),
            "weight": (f'=IF({weights_total}>{TOL},MAX({ref("benefits_received_pv", row)},0)/'
                       f'{weights_total},"{NA}")', weight),
        }
        for key in ("contributed", "benefits_received", "cash_releasing_received"):
            pv = present_value(yearly[sid][key], soc.ref(NAME), NAME)
            formulas[f"{key}_pv"] = (f"={pv}", fig[f"{key}_pv"])
        for key in ("fair_share", "secured_fair_share"):
            w = ref("weight", row)
            formulas[key] = (f'=IF(ISNUMBER({w}),{w}*{shortfall[key]},"{NA}")',
                             value_or_na(fig[key]))
        for key, (formula, value) in formulas.items():
            fmt = st.cell("percent" if key == "weight" else "money", "calc")
            ws.write_formula(row, col[key], formula, fmt, value if isinstance(value, str)
                             else float(value))
            book.add_cell(f"stakeholder.{sid}.{key}", Cell(NAME, row, col[key]), value)
    ws.write_string(total_row, LABEL_COL, "All stakeholders", st.label_bold)
    for key, _ in TABLE:
        fmt = st.cell("percent" if key == "weight" else "money", "total")
        ws.write_formula(total_row, col[key], f"=SUM({column(key)})", fmt, totals[key])
    ws.write_string(total_row + 1, LABEL_COL, "Sum of the positive PVs of benefits received "
                    "(divides the weights)", st.label_indent)
    ws.write_formula(total_row + 1, col["benefits_received_pv"],
                     f'=SUMIF({column("benefits_received_pv")},">0")', st.cell("money", "calc"),
                     totals["positive_benefits_pv"])
    book.values["stakeholder_table"] = (first, last, col)
    sh.r = total_row + 3

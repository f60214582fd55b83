"""Stakeholders: who pays and who benefits, year by year, and the table of totals, PVs (social
rate), net position, and the payers' gains, weights and fair shares of the shortfall (residents
counted with the body that represents them)."""

from __future__ import annotations

import numpy as np

from labfinance.engine import finance
from labfinance.engine.core import stakeholder_totals
from labfinance.engine.stakeholders import BASIS
from labfinance.model.scenario import Loan
from labfinance.outputs.excel import verdict_workings
from labfinance.outputs.excel.book import NA, TOL, Book, scalar, series, value_or_na
from labfinance.outputs.excel.cells import (
    At,
    Cell,
    Row,
    TimelineSheet,
    col_name,
    total,
)
from labfinance.outputs.excel.layout import FIRST_YEAR_COL, LABEL_COL, UNIT_COL
from labfinance.outputs.excel.sheet_cashflow import social_present_value

NAME = "Stakeholders"
TABLE = (("contributed", "Contributed (total)"), ("contributed_pv", "Contributed (PV)"),
         ("lent", "Lent (loans)"), ("benefits_received", "Benefits received (total)"),
         ("benefits_received_pv", "Benefits received (PV)"),
         ("cash_releasing_received", "Cash-releasing (total)"),
         ("cash_releasing_received_pv", "Cash-releasing (PV)"), ("net", "Net (PV received - PV "
                                                                 "contributed)"),
         ("gain", "Gain of the payer (fair-share basis)"), ("weight", "Weight of the payer"),
         ("fair_share", "Fair share of the shortfall"),
         ("secured_fair_share", "Fair share, committed sources only"))


def build(book: Book) -> None:
    s, r = book.scenario, book.results
    cur = s.currency
    sh = TimelineSheet(book, NAME, f"{cur}; contributions include in-kind and grants naming the "
                       "stakeholder, inside the horizon. PVs at the social rate.")
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
    weights_total = f"${col_name(col['gain'])}${total_row + 2}"
    basis = BASIS[s.fair_share_basis]
    payer_of = r.represented_by
    row_of = {sid: first + i for i, sid in enumerate(s.stakeholders)}
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
            "net": ("=" + finance.net_position_formula(ref("benefits_received_pv", row),
                                                        ref("contributed_pv", row)),
                    fig["net"]),
            "weight": (f'=IF({weights_total}>{TOL},MAX({ref("gain", row)},0)/'
                       f'{weights_total},"{NA}")', weight),
        }
        # a payer's gain counts itself and everyone it represents (residents: the municipality)
        members = [m for m in s.stakeholders if (payer_of.get(m) or m) == sid]
        formulas["gain"] = ("=" + "+".join(ref(basis, row_of[m]) for m in members),
                            value_or_na(fig["gain"]))
        represented = payer_of.get(sid) is not None
        for key in ("contributed", "benefits_received", "cash_releasing_received"):
            pv = social_present_value(book, yearly[sid][key], NAME)
            formulas[f"{key}_pv"] = (f"={pv}", fig[f"{key}_pv"])
        for key in ("fair_share", "secured_fair_share"):
            w = ref("weight", row)
            formulas[key] = (f'=IF(ISNUMBER({w}),{w}*{shortfall[key]},"{NA}")',
                             value_or_na(fig[key]))
        for key, (formula, value) in formulas.items():
            fmt = st.cell("percent" if key == "weight" else "money", "calc")
            if represented and key in ("gain", "weight", "fair_share", "secured_fair_share"):
                who = s.stakeholders[payer_of[sid] or sid]
                ws.write_string(row, col[key], f"via {who.name or payer_of[sid]}", st.label)
                continue
            ws.write_formula(row, col[key], formula, fmt, value if isinstance(value, str)
                             else float(value))
            book.add_cell(f"stakeholder.{sid}.{key}", Cell(NAME, row, col[key]), value)
    ws.write_string(total_row, LABEL_COL, "All stakeholders", st.label_bold)
    for key, _ in TABLE:
        fmt = st.cell("percent" if key == "weight" else "money", "total")
        ws.write_formula(total_row, col[key], f"=SUM({column(key)})", fmt, totals[key])
    ws.write_string(total_row + 1, LABEL_COL, "Sum of the payers' positive gains (divides the "
                    "weights)", st.label_indent)
    ws.write_formula(total_row + 1, col["gain"],
                     f'=SUMIF({column("gain")},">0")', st.cell("money", "calc"),
                     totals["positive_gain"])
    # who pays first in the verdict: the share asked (of the larger gap) and its rank
    extra = {"asked": FIRST_YEAR_COL + len(TABLE), "rank": FIRST_YEAR_COL + len(TABLE) + 1}
    ws.write_string(header, extra["asked"], "Share asked (of the larger gap)", st.header)
    ws.write_string(header, extra["rank"], "Rank in who pays", st.header)
    asked_col = col_name(extra["asked"])
    asked_range = f"${asked_col}${first + 1}:${asked_col}${last + 1}"
    place = verdict_workings.ranks(r)
    for i, sid in enumerate(s.stakeholders):
        row = first + i
        figures = r.stakeholders[sid]
        asked = max(scalar(figures["fair_share"]), scalar(figures["secured_fair_share"]))
        here = f"{asked_col}{row + 1}"
        ws.write_formula(row, extra["asked"], verdict_workings.asked_formula(
            ref("fair_share", row), ref("secured_fair_share", row)), st.cell("money", "calc"),
            0.0 if np.isnan(asked) else asked)
        above = f"${asked_col}${first + 1}:{asked_col}{row}" if i else None
        ws.write_formula(row, extra["rank"], verdict_workings.rank_formula(
            here, asked_range, above, TOL), st.cell("general", "calc"), place[sid])
    name_col = col_name(LABEL_COL)
    rank_col = col_name(extra["rank"])
    book.values["who_pays"] = (f"${name_col}${first + 1}:${name_col}${last + 1}",
                               f"${rank_col}${first + 1}:${rank_col}${last + 1}", asked_range)
    book.values["stakeholder_table"] = (first, last, col)
    sh.r = total_row + 3
    _plans(book, sh, {sid: Cell(NAME, first + i, col["weight"])
                      for i, sid in enumerate(s.stakeholders)})


def _plans(book: Book, sh: TimelineSheet, weights: dict[str, Cell]) -> None:
    """The funding plan: each payer's weight × the top-up of each year, planned and committed
    only, and the sum over the payers (the Checks compare it with the top-up)."""
    s, r = book.scenario, book.results
    payers = [sid for sid in s.stakeholders if r.represented_by.get(sid) is None]
    cur = s.currency
    for key, label in (("plan", "Funding plan: new money per payer per year (weight × top-up, "
                                "all sources)"),
                       ("secured_plan", "Funding plan, committed sources only (weight × "
                                        "top-up, committed only)")):
        top = book.rows["cf.top_up" if key == "plan" else "cf.secured_top_up"]
        sh.band(label)
        if any(np.isnan(scalar(r.stakeholders[p]["weight"])) for p in payers) or not payers:
            sh.item(r.notes.get(key, "no payer gains, so there is nothing to share by"))
            continue
        rows = []
        for sid in payers:
            def share(x: At, w: Cell = weights[sid], top: Row = top) -> str:
                return f"={x.c(w)}*{x(top)}"

            values = series(r.stakeholders[sid][key])
            row = sh.series(s.stakeholders[sid].name or sid, cur, share, values, total=True)
            book.add_row(f"{key}.{sid}", row, values)
            rows.append(row)
        everyone = series(sum(r.stakeholders[sid][key] for sid in payers))
        book.add_row(f"{key}.all", sh.series("all payers", cur, total(rows), everyone,
                                             role="line", total=True), everyone)
        sh.skip()

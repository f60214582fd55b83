"""Criteria (success criteria and KPIs beside the money) and About (method, conventions,
provenance). Scenario text is always written as text."""

from __future__ import annotations

from labfinance import __version__
from labfinance.outputs.excel.book import Book
from labfinance.outputs.excel.layout import print_landscape, wrapped_height

CONVENTIONS = (
    ("Sign", "Costs are positive; money coming in (funding, revenue, loans in, benefits) is "
             "positive; net cash = funding + revenue + loans in - debt service - costs."),
    ("Timing", "One column per calendar year; year index t = year - start year. The first year "
               "is not discounted: PV = first + NPV(rate, rest), as the Green Book and the EU "
               "guide do (Excel's NPV discounts its first value)."),
    ("Prices", "real: amounts in prices of the start year times each item's escalation; rates "
               "are real. nominal: amounts also grow with inflation, the discount rates become "
               "(1 + r)(1 + i) - 1, and IRR/MIRR are converted back to real terms, so every "
               "metric is the same in both modes."),
    ("Deductions", "Net quantity = quantity × ramp-up × (1 - deadweight) × (1 - displacement) × "
                   "(1 - attribution) × (1 - drop-off)^k: the deductions chain multiplicatively, "
                   "they are not added."),
    ("Zero", "Money within 0.005 of zero counts as zero (shortfalls, cash balances, payback, the "
             "flows whose IRR is solved)."),
    ("Financing", "Loans, grants, contributions, in-kind and outcome payments are financing or "
                  "transfers: they stay out of every NPV, IRR and BCR. Residual value is not "
                  "cash: it is in NPVs, IRRs and the BCR only."),
    ("Secured", "Committed-only figures leave out every source that is not committed; rate-based "
                "grants are then recomputed without non-committed in-kind."),
    ("References", "Formulas use direct cell references (FAST: no OFFSET or INDIRECT; a lag is a "
                   "SUMPRODUCT over the year row). Defined names only label the headline outputs "
                   "on Cash flow (e.g. economic_npv) and the master check, for scripts."),
    ("Live model", "Blue cells on Assumptions are live inputs. Grey ones are structural: the "
                   "layout is built from them, so change them in the scenario file instead."),
    ("Values", "Sensitivity, Risk and Variants hold values computed by labfinance; the Summary "
               "flags them when the Assumptions change. Where an IRR has several roots the "
               "workbook holds the engine's chosen root as a labelled value."),
    ("Colours", "Blue on yellow: input. Black: calculation. Green: link to another sheet. Grey: "
                "structural. Pale blue: value written by labfinance."),
)


def criteria(book: Book) -> None:
    ws, st = book.sheets["Criteria"], book.styles
    ws.write_string(0, 0, "Criteria", st.title)
    ws.write_string(1, 0, "Success criteria and KPIs beside the money: decision makers judge the "
                    "initiative on them too.", st.subtitle)
    columns = (("Id", 22), ("Name", 44), ("Unit", 18), ("Baseline", 12), ("Target", 12),
               ("Direction", 11), ("Stakeholder", 16), ("Note", 80))
    for col, (text, width) in enumerate(columns):
        ws.set_column(col, col, width)
        ws.write_string(3, col, text, st.header)
    for i, c in enumerate(book.scenario.criteria):
        row = 4 + i
        ws.write_string(row, 0, c.id, st.label)
        ws.write_string(row, 1, c.label, st.wrap)
        ws.set_row(row, wrapped_height([(c.label, columns[1][1])]))
        ws.write_string(row, 2, c.unit, st.label)
        for col, value in ((3, c.baseline), (4, c.target)):
            if value is None:
                ws.write_string(row, col, "", st.label)
            else:
                ws.write_number(row, col, value, st.cell("general", "value"))
        ws.write_string(row, 5, c.direction, st.label)
        ws.write_string(row, 6, c.stakeholder or "", st.label)
        ws.write_string(row, 7, c.note, st.note)
    if not book.scenario.criteria:
        ws.write_string(4, 0, "The scenario names no criteria.", st.subtitle)
    ws.freeze_panes(4, 1)
    print_landscape(ws)


def about(book: Book) -> None:
    ws, st = book.sheets["About"], book.styles
    a, s = book.analysis, book.scenario
    doc = a.loaded.document
    ws.set_column(0, 0, 24)
    ws.set_column(1, 1, 110)
    ws.write_string(0, 0, "About", st.title)
    rows = [
        ("Scenario", s.name),
        ("Description", s.description),
        ("File", doc.path),
        ("SHA-256", doc.sha256),
        ("Case", a.variant or "base"),
        ("Overrides (--set)", ", ".join(f"{k}={v}" for k, v in a.overrides.items()) or "none"),
        ("Tool", f"labfinance {__version__}"),
        ("Method", "A cost-benefit analysis and financing plan: the financial case (FNPV(C), "
                   "FIRR, MIRR, EU funding-gap rate at the discount rate), the societal case "
                   "(ENPV, EIRR, BCR, payback at the social rate), the cash position year by year "
                   "(with all sources and with committed sources only), and who pays and who "
                   "benefits. Sources: EU CBA guide and Reg. 480/2014, HM Treasury Green Book, "
                   "Dutch MKBA guidance, SROI practice, FAST and ICAEW modelling standards."),
    ]
    rows += list(CONVENTIONS)
    rows += [("Warning", w) for w in book.results.warnings]
    rows += [(f"n/a: {k}", v) for k, v in book.results.notes.items()]
    for i, (key, text) in enumerate(rows):
        ws.write_string(2 + i, 0, key, st.label_bold)
        ws.write_string(2 + i, 1, text, st.wrap)
        ws.set_row(2 + i, wrapped_height([(text, 110)]))
    print_landscape(ws)

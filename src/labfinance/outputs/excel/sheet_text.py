"""Criteria (success criteria and KPIs beside the money) and About (method, conventions,
provenance). Scenario text is always written as text."""

from __future__ import annotations

from labfinance import __version__
from labfinance.outputs.excel.book import Book
from labfinance.outputs.excel.layout import print_landscape, wrapped_height
from labfinance.outputs.parameter_words import sentence_words

# the About sheet's conventions and the Glossary: keys of about.convention.* and glossary.*
CONVENTIONS = ("sign", "timing", "prices", "deductions", "zero", "financing", "secured",
               "references", "live_model", "values", "colours")
GLOSSARY = ("fnpv", "firr", "mirr", "enpv", "eirr", "bcr", "npv", "discount_rate",
            "social_discount_rate", "declining_rates", "funding_gap_rate", "dic_dnr",
            "decision_amount", "shortfall", "secured_shortfall", "peak_cash_need",
            "bridge_finance", "top_up", "fair_share", "secured_planned", "p50_p80", "monte_carlo",
            "risk_register", "correlation", "tornado", "switching_value", "deadweight",
            "displacement", "attribution", "drop_off", "in_kind", "cofinancing", "loan_terms",
            "contingency", "residual_value", "payback", "real_nominal", "cba")


def criteria(book: Book) -> None:
    ws, st, t = book.sheets["Criteria"], book.styles, book.t
    ws.write_string(0, 0, t("sheet.criteria"), st.title)
    ws.write_string(1, 0, t("criteria.subtitle"), st.subtitle)
    columns = (("id", 22), ("name", 44), ("unit", 18), ("baseline", 12), ("target", 12),
               ("direction", 14), ("stakeholder", 16), ("note", 80))
    for col, (key, width) in enumerate(columns):
        ws.set_column(col, col, width)
        ws.write_string(3, col, t(f"criteria.col.{key}"), st.header)
    for i, c in enumerate(book.scenario.criteria):
        row = 4 + i
        ws.write_string(row, 0, c.id, st.label)
        ws.write_string(row, 1, c.label, st.wrap)
        ws.set_row(row, wrapped_height([(c.label, columns[1][1]), (c.note, columns[7][1])]))
        ws.write_string(row, 2, c.unit, st.label)
        for col, value in ((3, c.baseline), (4, c.target)):
            if value is None:
                ws.write_string(row, col, "", st.label)
            else:
                ws.write_number(row, col, value, st.cell("general", "value"))
        ws.write_string(row, 5, t.word(c.direction), st.label)
        ws.write_string(row, 6, c.stakeholder or "", st.label)
        ws.write_string(row, 7, c.note, st.note)
    if not book.scenario.criteria:
        ws.write_string(4, 0, t("criteria.none"), st.subtitle)
    ws.freeze_panes(4, 1)
    print_landscape(ws)


def about(book: Book) -> None:
    ws, st, t = book.sheets["About"], book.styles, book.t
    a, s = book.analysis, book.scenario
    doc = a.loaded.document
    ws.set_column(0, 0, 30)
    ws.set_column(1, 1, 110)
    ws.write_string(0, 0, t("sheet.about"), st.title)
    rows = [
        (t("about.scenario"), s.name),
        (t("about.description"), s.description),
        (t("about.file"), doc.path),
        ("SHA-256", doc.sha256),
        (t("about.case"), a.variant or t("about.base")),
        (t("about.overrides"), ", ".join(f"{k}={v}" for k, v in a.overrides.items())
         or t("value.none")),
        (t("about.tool"), f"labfinance {__version__}"),
        (t("about.method"), t("about.method_text")),
    ]
    rows += [(t(f"about.convention.{key}"), t(f"about.convention.{key}_text"))
             for key in CONVENTIONS]
    rows += [(t("about.warning"), sentence_words(s, w, t)) for w in book.results.warnings]
    rows += [(t("about.na", name=t(f"metric.{k}.label") if t.has(f"metric.{k}.label") else k),
              t.known(v)) for k, v in book.results.notes.items()]
    row = 2
    for key, text in rows:
        ws.write_string(row, 0, key, st.label_bold_wrap)  # at the top, beside its text
        ws.write_string(row, 1, text, st.wrap)
        ws.set_row(row, wrapped_height([(text, 110), (key, 30)]))
        row += 1
    # the Glossary: every term the workbook uses, in words
    row += 1
    ws.write_string(row, 0, t("glossary.title"), st.band)
    ws.write_string(row, 1, t("glossary.subtitle"), st.band)
    ws.set_h_pagebreaks([row])
    row += 1
    for key in GLOSSARY:
        term, text = t(f"glossary.{key}"), t(f"glossary.{key}_text")
        ws.write_string(row, 0, term, st.label_bold_wrap)
        ws.write_string(row, 1, text, st.wrap)
        ws.set_row(row, wrapped_height([(text, 110), (term, 30)]))
        row += 1
    ws.repeat_rows(0)
    print_landscape(ws)

"""Assumptions: every input of the scenario, one per row, with its unit, parameter path and note.

Live inputs are blue on pale yellow; every formula of the workbook reads them by direct cell
reference. Structural inputs (start year, horizon, prices mode, ids, types, eligibility lists,
schedule years) are shown grey and marked "not live": the sheets are laid out from them.
"""

from __future__ import annotations

from typing import Any

from labfinance.model.scenario import (
    CATEGORIES,
    Contribution,
    Cost,
    Grant,
    InKind,
    Loan,
    OutcomePayment,
    Revenue,
    Timed,
)
from labfinance.outputs.excel import sheet_risks
from labfinance.outputs.excel.book import Book
from labfinance.outputs.excel.cells import Cell, col_name, write_value
from labfinance.outputs.excel.layout import print_landscape

NAME = "Assumptions"
COLUMNS = (("Input", 46), ("Unit", 20), ("Value", 16), ("Year", 8), ("Parameter path", 40),
           ("Kind", 9), ("Live", 9), ("Source / note", 90))
VALUE_COL, YEAR_COL, PATH_COL, KIND_COL, LIVE_COL, NOTE_COL, ANALYSED_COL = 2, 3, 4, 5, 6, 7, 8
NUMBER_KINDS = {"money": "money", "quantity": "quantity", "share": "percent", "rate": "percent",
                "fraction": "percent", "year": "year", "count": "int", "text": "text"}
FIRST_ROW = 4
# format 1.2 (issue 15): visible labels of a loan's grace and balloon and the EU co-financing rate
FORMAT_12_TEXT = {
    "grace": "grace (interest-only years)",
    "balloon": "balloon (share repaid with the last instalment)",
    "none": "default: none",
    "eu": "EU co-financing rate (priority axis)",
    "eu_note": "Decision amount × this rate = maximum EU grant (Reg. 480/2014 arts. 15-19).",
}

# labels of the format 1.2 inputs of this helper's part (unit prices, declining rates), together
# so that the catalogue of visible texts can take them over
UNIT_QUANTITY = "quantity"
UNIT_COST = "unit cost"
DECLINING_LABEL = "Social discount rate (real, societal case)"
DECLINING_SHOWN = "declining: steps below"
DECLINING_NOTE = ("Declining rates: the rate of year t is that of the last step starting at or "
                  "before t; discount factor D_t = D_(t-1) / (1 + r_t).")
DECLINING_PRESET_NOTE = ("HM Treasury Green Book (2022), table 8. Not live: write the steps as a "
                         "list in the scenario file to change them.")
DECLINING_FROM = "step {} starts in year t"
DECLINING_RATE = "step {} rate"


def column_range(col: int, first: int, last: int) -> str:
    """Rows ``first``..``last`` (0-based) of an Assumptions column, absolute, for other sheets."""
    letter = col_name(col)
    return f"{NAME}!${letter}${first + 1}:${letter}${last + 1}"


class AssumptionsSheet:
    def __init__(self, book: Book):
        self.book = book
        self.ws = book.sheets[NAME]
        self.st = book.styles
        self.r = FIRST_ROW
        self.copy = bool(book.analysis.sensitivity or book.analysis.monte_carlo
                         or book.analysis.variants)
        self.rows: list[tuple[int, Any]] = []

    # ------------------------------------------------------------------ writers
    def band(self, text: str) -> None:
        self.ws.write_string(self.r, 0, text, self.st.band)
        for col in range(1, NOTE_COL + 1 + self.copy):
            self.ws.write_blank(self.r, col, None, self.st.band)
        self.r += 1

    def header(self, label: str, unit: str, ident: str, path: str, note: str) -> None:
        ws, st = self.ws, self.st
        ws.write_string(self.r, 0, label, st.label_bold)
        ws.write_string(self.r, 1, unit, st.unit)
        ws.write_string(self.r, VALUE_COL, ident, st.cell("text", "structural"))
        ws.write_string(self.r, PATH_COL, path, st.unit)
        ws.write_string(self.r, KIND_COL, "id", st.unit)
        ws.write_string(self.r, LIVE_COL, "not live", st.unit)
        if note:
            ws.write_string(self.r, NOTE_COL, note, st.note)
        self.rows.append((self.r, ident))
        self.r += 1

    def put(self, label: str, unit: str, value: Any, path: str, kind: str, *, live: bool = True,
            note: str = "", year: int | None = None, formula: str | None = None) -> Cell:
        """One input row; returns its value cell and registers it under ``path``."""
        ws, st = self.ws, self.st
        ws.write_string(self.r, 0, label, st.label_indent)
        ws.write_string(self.r, 1, unit, st.unit)
        fmt = st.cell(NUMBER_KINDS[kind], "input" if live else "structural")
        if formula is not None:
            ws.write_formula(self.r, VALUE_COL, formula, st.cell(NUMBER_KINDS[kind], "calc"),
                             float(value))
        else:
            write_value(ws, self.r, VALUE_COL, value, fmt)
        if year is not None:
            ws.write_number(self.r, YEAR_COL, year, st.cell("year", "structural"))
        ws.write_string(self.r, PATH_COL, path, st.unit)
        ws.write_string(self.r, KIND_COL, kind, st.unit)
        ws.write_string(self.r, LIVE_COL, "live" if live else "not live", st.unit)
        if note:
            ws.write_string(self.r, NOTE_COL, note, st.note)
        cell = Cell(NAME, self.r, VALUE_COL)
        if path:
            self.book.inputs[path] = cell
        self.rows.append((self.r, value))
        self.r += 1
        return cell

    # ------------------------------------------------------------------ content
    def build(self) -> None:
        ws, st, s = self.ws, self.st, self.book.scenario
        ws.write_string(0, 0, NAME, st.title)
        ws.write_string(1, 0, "Every input of the scenario, one per row. Blue on yellow: live "
                        "inputs, change them and the workbook recalculates. Grey: structural, "
                        "shown but not live (the sheets are laid out from them).", st.subtitle)
        for col, (text, width) in enumerate(COLUMNS):
            ws.set_column(col, col, width)
            ws.write_string(FIRST_ROW - 1, col, text, st.header)
        if self.copy:
            ws.set_column(ANALYSED_COL, ANALYSED_COL, 16)
            ws.write_string(FIRST_ROW - 1, ANALYSED_COL, "As analysed (value)", st.header)
        ws.freeze_panes(FIRST_ROW, 1)
        print_landscape(ws)
        ws.repeat_rows(FIRST_ROW - 1)
        self.general()
        self.eu_decision()
        self.stakeholders()
        self.band("Costs (in prices of the start year; positive)")
        for cost in s.costs:
            self.cost(cost)
        if s.funding:
            self.band("Funding sources")
            for source in s.funding:
                self.source(source)
        if s.benefits:
            self.band("Benefits")
            for benefit in s.benefits:
                self.benefit(benefit)
        sheet_risks.assumptions(self)  # format 1.2: the risk register
        if s.uncertainty:
            self.uncertainty()
        sheet_risks.assumptions_correlations(self)
        self.analysed_copy()

    def general(self) -> None:
        s = self.book.scenario
        self.band("General")
        self.put("Scenario name", "text", s.name, "name", "text", live=False)
        self.put("Currency", "ISO 4217", s.currency, "currency", "text", live=False)
        self.book.cells["start_year"] = self.put("Start year", "year", s.start_year, "start_year",
                                                 "year", live=False, note="Fixes the timeline.")
        self.put("Horizon", "years", s.years, "years", "count", live=False,
                 note="Fixes the timeline.")
        self.book.cells["last_year"] = self.put("Last year", "year", s.last_year, "", "year",
                                                live=False)
        self.put("Prices", "text", s.prices, "prices", "text", live=False,
                 note="real: amounts in prices of the start year; nominal: amounts also grow "
                      "with inflation and rates are made nominal.")
        self.put("Inflation", "%/yr", s.inflation, "inflation", "rate",
                 note="" if s.prices == "nominal" else "Used only in nominal prices.")
        rate = self.put("Discount rate (real, financial case)", "%/yr", s.discount_rate,
                        "discount_rate", "rate")
        if s.social_discount_steps is not None:
            self.declining_rates()
        elif s.social_discount_rate is None:
            self.put("Social discount rate (real, societal case)", "%/yr", s.discount_rate,
                     "social_discount_rate", "rate", formula=f"={rate.ref(NAME)}",
                     note="Not in the file: follows the discount rate. Type a rate to set it.")
        else:
            self.put("Social discount rate (real, societal case)", "%/yr",
                     s.social_discount_rate, "social_discount_rate", "rate")
        if isinstance(s.contingency, dict):
            for cat in CATEGORIES:
                self.put(f"Contingency: {cat}", "share", s.category_contingency(cat),
                         f"contingency.{cat}", "fraction",
                         note="" if cat in s.contingency else "Not in the file: 0.")
        else:
            self.put("Contingency (all categories)", "share", s.contingency, "contingency",
                     "fraction", note="Expected cost overrun (optimism bias).")

    def declining_rates(self) -> None:
        """Declining social rates (format 1.2): the starts of the steps, then their rates, each
        a contiguous column range that the Cash flow sheet looks the year's rate up in. A
        preset's steps are shown but not live: its rates are the preset's."""
        s = self.book.scenario
        steps = s.social_discount_steps
        assert steps is not None
        preset = isinstance(s.social_discount_rate, str)
        shown = s.social_discount_rate if preset else DECLINING_SHOWN
        self.put(DECLINING_LABEL, "text", shown, "social_discount_rate", "text", live=False,
                 note=DECLINING_PRESET_NOTE if preset else DECLINING_NOTE)
        ranges = {}
        for key, label, unit, kind in (("from", DECLINING_FROM, "t (years)", "count"),
                                       ("rate", DECLINING_RATE, "%/yr", "rate")):
            first = self.r
            for k, step in enumerate(steps):
                value = step[0] if key == "from" else step[1]
                self.put(label.format(k + 1), unit, value, f"social_discount_rate.{k}.{key}",
                         kind, live=not preset,
                         note=(f"year {s.start_year + step[0]}" if key == "from" else ""))
            ranges[key] = (first, self.r - 1)
        self.book.schedules["social_discount_rate.from"] = ranges["from"]
        self.book.schedules["social_discount_rate.rate"] = ranges["rate"]

    def stakeholders(self) -> None:
        self.band("Stakeholders")
        for sid, holder in self.book.scenario.stakeholders.items():
            self.header(holder.name or sid, holder.kind, sid, f"stakeholders.{sid}", holder.note)

    def timing(self, prefix: str, item: Timed, per: str, *, amount_label: str = "amount") -> None:
        """The amount form of an item: one-off, recurring or schedule."""
        s = self.book.scenario
        cur = s.currency
        if item.schedule is not None:
            first = self.r
            for year, amount in sorted(item.schedule.items()):
                self.put(f"{amount_label} in {year}", cur, amount, f"{prefix}.schedule.{year}",
                         "money", year=year)
            self.book.schedules[f"{prefix}.schedule"] = (first, self.r - 1)
            return
        if item.amount is not None:
            unit = cur if item.year is not None else f"{cur}{per}"
            self.put(amount_label, unit, item.amount, f"{prefix}.amount", "money")
        if item.year is not None:
            self.put("year", "year", item.year, f"{prefix}.year", "year")
            return
        self.recurrence(prefix, item)

    def recurrence(self, prefix: str, item: Timed) -> None:
        s = self.book.scenario
        self.put("from", "year", item.from_ if item.from_ is not None else s.start_year,
                 f"{prefix}.from", "year",
                 note="" if item.from_ is not None else "default: start year")
        self.put("to", "year", item.to if item.to is not None else s.last_year, f"{prefix}.to",
                 "year", note="" if item.to is not None else "default: last year")
        self.put("every", "years", item.every or 1, f"{prefix}.every", "count",
                 note="" if item.every is not None else "default: every year")

    def cost(self, c: Cost) -> None:
        prefix = f"costs.{c.id}"
        self.header(c.label, c.category, c.id, prefix, c.note)
        if c.quantity is not None:  # unit prices (format 1.2)
            cur = self.book.scenario.currency
            self.put(UNIT_QUANTITY, "units", c.quantity, f"{prefix}.quantity", "quantity")
            self.put(UNIT_COST, f"{cur}/unit", c.unit_cost, f"{prefix}.unit_cost", "money")
            self.timing(prefix, c, "/yr")
        elif c.fte is not None:
            self.put("FTE", "FTE", c.fte, f"{prefix}.fte", "quantity")
            self.put("cost per FTE", f"{self.book.scenario.currency}/FTE/yr", c.cost_per_fte,
                     f"{prefix}.cost_per_fte", "money")
            self.recurrence(prefix, c)
        else:
            self.timing(prefix, c, "/yr")
        if c.life is not None:
            self.put("life", "years", c.life, f"{prefix}.life", "count")
            self.put("residual value", "yes/no", "yes" if c.has_residual_value else "no",
                     f"{prefix}.residual_value", "text", live=False)
        self.put("escalation", "%/yr", c.escalation, f"{prefix}.escalation", "rate")
        if c.contingency is not None:
            self.put("contingency (this item)", "share", c.contingency, f"{prefix}.contingency",
                     "fraction")

    def source(self, f: Any) -> None:
        cur = self.book.scenario.currency
        prefix = f"funding.{f.id}"
        self.header(f.label, f.type, f.id, prefix, f.note)
        if f.stakeholder is not None:
            self.put("stakeholder", "id", f.stakeholder, f"{prefix}.stakeholder", "text",
                     live=False)
        self.put("status", "text", f.status, f"{prefix}.status", "text", live=False,
                 note="Only committed sources count in the secured figures.")
        self.put("probability", "share", f.award_probability, f"{prefix}.probability", "share",
                 note="Takes part in the base case when above 0." if f.committed else
                 "Takes part in the base case when above 0; never in the secured figures.")
        if isinstance(f, Contribution | Revenue):
            self.timing(prefix, f, "/yr")
            self.put("escalation", "%/yr", f.escalation, f"{prefix}.escalation", "rate")
        elif isinstance(f, Grant) and f.rate is not None:
            s = self.book.scenario
            first, last = s.grant_window(f)
            self.put("rate", "share", f.rate, f"{prefix}.rate", "share")
            self.put("eligible costs", "ids", ", ".join(f.eligible) if f.eligible else "all costs",
                     f"{prefix}.eligible", "text", live=False)
            if f.cap is not None:
                self.put("cap (total)", cur, f.cap, f"{prefix}.cap", "money")
            self.put("from (eligible years)", "year", first, f"{prefix}.from", "year",
                     note="" if f.from_ is not None else "default: start year")
            self.put("to (eligible years)", "year", last, f"{prefix}.to", "year",
                     note="" if f.to is not None else "default: last year")
            self.put("advance", "share", f.payment.advance, f"{prefix}.payment.advance", "share")
            self.put("retention", "share", f.payment.retention, f"{prefix}.payment.retention",
                     "share")
            self.put("payment lag", "years", f.payment.lag, f"{prefix}.payment.lag", "count")
        elif isinstance(f, Grant):
            self.timing(prefix, f, "/yr")
            self.put("escalation", "%/yr", f.escalation, f"{prefix}.escalation", "rate")
            self.put("payment lag", "years", f.payment.lag, f"{prefix}.payment.lag", "count")
        elif isinstance(f, InKind) and f.covers is not None:
            self.put("covers (cost id)", "id", f.covers, f"{prefix}.covers", "text", live=False)
            self.put("share", "share", f.cover_share, f"{prefix}.share", "share")
        elif isinstance(f, InKind):
            self.put("category of the implied cost", "text", f.category or "other",
                     f"{prefix}.category", "text", live=False)
            self.timing(prefix, f, "/yr")
            self.put("escalation", "%/yr", f.escalation, f"{prefix}.escalation", "rate")
        elif isinstance(f, Loan):
            self.put("amount", cur, f.amount, f"{prefix}.amount", "money")
            self.put("year", "year", f.year, f"{prefix}.year", "year")
            self.put("rate", "%/yr", f.rate, f"{prefix}.rate", "rate")
            self.put("term", "years", f.term, f"{prefix}.term", "count")
            self.loan_terms(prefix, f)
        elif isinstance(f, OutcomePayment):
            self.put("benefit (id)", "id", f.benefit, f"{prefix}.benefit", "text", live=False)
            self.put("price", f"{cur}/unit", f.price, f"{prefix}.price", "money")
            if f.cap is not None:
                self.put("cap (total)", cur, f.cap, f"{prefix}.cap", "money")
            self.put("lag", "years", f.lag, f"{prefix}.lag", "count")
            self.put("escalation", "%/yr", f.escalation, f"{prefix}.escalation", "rate")

    # ---- format 1.2 (issue 15): a loan's grace years and balloon; the EU co-financing rate --
    def loan_terms(self, prefix: str, f: Loan) -> None:
        t = FORMAT_12_TEXT
        self.put(t["grace"], "years", f.grace, f"{prefix}.grace", "count",
                 note="" if f.grace else t["none"])
        self.put(t["balloon"], "share", f.balloon, f"{prefix}.balloon", "share",
                 note="" if f.balloon else t["none"])

    def eu_decision(self) -> None:
        rate = self.book.scenario.eu_cofinancing_rate
        if rate is not None:
            self.put(FORMAT_12_TEXT["eu"], "share", rate, "eu_cofinancing_rate", "share",
                     note=FORMAT_12_TEXT["eu_note"])

    def benefit(self, b: Any) -> None:
        cur = self.book.scenario.currency
        prefix = f"benefits.{b.id}"
        self.header(b.label, "benefit", b.id, prefix, b.note)
        self.put("beneficiary", "id", b.beneficiary, f"{prefix}.beneficiary", "text", live=False)
        self.put("cash releasing", "yes/no", "yes" if b.cash_releasing else "no",
                 f"{prefix}.cash_releasing", "text", live=False)
        if b.quantity is not None:
            self.put("quantity", "units/yr", b.quantity, f"{prefix}.quantity", "quantity")
            self.put("unit value", f"{cur}/unit", b.unit_value, f"{prefix}.unit_value", "money")
            self.recurrence(prefix, b)
        else:
            self.timing(prefix, b, "/yr")
        for i, share in enumerate(b.ramp_up):
            self.put(f"ramp-up, year {i + 1} of the effect", "share", share,
                     f"{prefix}.ramp_up.{i}", "share")
        for key in ("deadweight", "displacement", "attribution", "drop_off"):
            self.put(key.replace("_", "-"), "share", getattr(b, key), f"{prefix}.{key}", "share")
        self.put("escalation", "%/yr", b.escalation, f"{prefix}.escalation", "rate")

    def uncertainty(self) -> None:
        self.band("Uncertainty ranges (used by Sensitivity and Risk; not live)")
        for path, dist in self.book.scenario.uncertainty.items():
            fields = ", ".join(f"{k} {v:g}" for k, v in dist.model_dump().items()
                               if k != "dist" and v is not None)
            self.put(path, dist.dist, f"{dist.dist}: {fields}", f"uncertainty.{path}", "text",
                     live=False)

    def analysed_copy(self) -> None:
        """The values the Sensitivity, Risk and Variants sheets were computed from, as values:
        the Summary compares them with the live inputs."""
        if not self.copy or not self.rows:
            return
        fmt = self.st.cell("general", "value")
        for row, value in self.rows:
            write_value(self.ws, row, ANALYSED_COL, value, fmt)
        self.book.analysed_inputs = (FIRST_ROW, self.r - 1)


def build(book: Book) -> None:
    AssumptionsSheet(book).build()

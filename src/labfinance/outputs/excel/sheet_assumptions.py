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
from labfinance.outputs.excel.book import SETTINGS, Book
from labfinance.outputs.excel.cells import Cell, col_name, sheet_prefix, write_value
from labfinance.outputs.excel.layout import print_landscape, wrapped_height

NAME = "Assumptions"
COLUMNS = (("input", 46), ("unit", 20), ("value", 16), ("year", 8), ("path", 40),
           ("kind", 11), ("live", 11), ("note", 90))  # text keys assumptions.col.*, widths
VALUE_COL, YEAR_COL, PATH_COL, KIND_COL, LIVE_COL, NOTE_COL, ANALYSED_COL = 2, 3, 4, 5, 6, 7, 8
NUMBER_KINDS = {"money": "money", "quantity": "quantity", "share": "percent", "rate": "percent",
                "fraction": "percent", "year": "year", "count": "int", "text": "text",
                "tolerance": "general"}
FIRST_ROW = 4

# The deductions, each in words (param.*), so that the opposite reading is hard to make:
# attribution is the share due to OTHERS (SROI); "40 % due to the lab" is attribution 0.6.
DEDUCTIONS = ("deadweight", "displacement", "attribution", "drop_off")


def column_range(col: int, first: int, last: int) -> str:
    """Rows ``first``..``last`` (0-based) of an Assumptions column, absolute, for other sheets."""
    letter = col_name(col)
    return f"{sheet_prefix(NAME, '')}${letter}${first + 1}:${letter}${last + 1}"


class AssumptionsSheet:
    def __init__(self, book: Book):
        self.book = book
        self.ws = book.sheets[NAME]
        self.st = book.styles
        self.t = book.t
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
        ws.write_string(self.r, KIND_COL, self.t("kind.id"), st.unit)
        ws.write_string(self.r, LIVE_COL, self.t("assumptions.not_live"), st.unit)
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
        # a long text (a range's distribution) wraps in its cell rather than being cut off by
        # the next column, and the row is as tall as its longest wrapped text (no overprint)
        long = isinstance(value, str) and len(value) > COLUMNS[VALUE_COL][1]
        fmt = st.cell(NUMBER_KINDS[kind], "input" if live else "structural", wrap=long)
        height = wrapped_height([(label, COLUMNS[0][1]), (note, COLUMNS[NOTE_COL][1]),
                                 (value if long else "", COLUMNS[VALUE_COL][1])])
        if height > 15.0:
            ws.set_row(self.r, height)
        if formula is not None:
            ws.write_formula(self.r, VALUE_COL, formula, st.cell(NUMBER_KINDS[kind], "calc"),
                             float(value))
        else:
            write_value(ws, self.r, VALUE_COL, value, fmt)
        if year is not None:
            ws.write_number(self.r, YEAR_COL, year, st.cell("year", "structural"))
        ws.write_string(self.r, PATH_COL, path, st.unit)
        ws.write_string(self.r, KIND_COL, self.t(f"kind.{kind}"), st.unit)
        ws.write_string(self.r, LIVE_COL, self.t("assumptions.live" if live else
                                                 "assumptions.not_live"), st.unit)
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
        t = self.t
        ws.write_string(0, 0, t("sheet.assumptions"), st.title)
        ws.write_string(1, 0, t("assumptions.subtitle"), st.subtitle)
        for col, (key, width) in enumerate(COLUMNS):
            ws.set_column(col, col, width)
            ws.write_string(FIRST_ROW - 1, col, t(f"assumptions.col.{key}"), st.header)
        if self.copy:
            ws.set_column(ANALYSED_COL, ANALYSED_COL, 16)
            ws.write_string(FIRST_ROW - 1, ANALYSED_COL, t("assumptions.col.analysed"),
                            st.header)
        heads = [(t(f"assumptions.col.{key}"), width) for key, width in COLUMNS]
        if self.copy:
            heads.append((t("assumptions.col.analysed"), 16))
        ws.set_row(FIRST_ROW - 1, wrapped_height(heads))  # headings wrapped in full
        ws.freeze_panes(FIRST_ROW, 1)
        print_landscape(ws)
        ws.repeat_rows(FIRST_ROW - 1)
        self.general()
        self.settings()
        self.eu_decision()
        self.stakeholders()
        self.band(t("assumptions.band_costs"))
        for cost in s.costs:
            self.cost(cost)
        if s.funding:
            self.band(t("assumptions.band_funding"))
            for source in s.funding:
                self.source(source)
        if s.benefits:
            self.band(t("assumptions.band_benefits"))
            for benefit in s.benefits:
                self.benefit(benefit)
        sheet_risks.assumptions(self)  # format 1.2: the risk register
        if s.uncertainty:
            self.uncertainty()
        sheet_risks.assumptions_correlations(self)
        self.analysed_copy()

    def general(self) -> None:
        s, t = self.book.scenario, self.t
        self.band(t("assumptions.band_general"))
        self.put(t("param.name"), t("unit.text"), s.name, "name", "text", live=False)
        self.put(t("param.currency"), "ISO 4217", s.currency, "currency", "text", live=False)
        cells = self.book.cells
        cells["setting.start_year"] = cells["start_year"] = self.put(
            t("param.start_year"), t("unit.year"), s.start_year, "start_year", "year",
            live=False, note=t("assumptions.fixes_timeline"))
        self.put(t("param.years"), t("unit.years"), s.years, "years", "count", live=False,
                 note=t("assumptions.fixes_timeline"))
        cells["setting.last_year"] = cells["last_year"] = self.put(
            t("assumptions.last_year"), t("unit.year"), s.last_year, "", "year", live=False)
        self.put(t("param.prices"), t("unit.text"), s.prices, "prices", "text", live=False,
                 note=t("assumptions.prices_note"))
        nominal = s.prices == "nominal"
        per_year = t("unit.per_year")
        self.put(t("param.inflation"), per_year, s.inflation, "inflation", "rate", live=nominal,
                 note="" if nominal else t("assumptions.inflation_not_live"))
        rate = self.put(t("param.discount_rate"), per_year, s.discount_rate, "discount_rate",
                        "rate")
        if s.social_discount_steps is not None:
            self.declining_rates()
        elif s.social_discount_rate is None:
            self.put(t("param.social_discount_rate"), per_year, s.discount_rate,
                     "social_discount_rate", "rate", formula=f"={rate.ref(NAME)}",
                     note=t("assumptions.social_follows"))
        else:
            self.put(t("param.social_discount_rate"), per_year, s.social_discount_rate,
                     "social_discount_rate", "rate")
        if isinstance(s.contingency, dict):
            for cat in CATEGORIES:
                self.put(t("param.contingency_category", category=t.word(cat)), t("unit.share"),
                         s.category_contingency(cat), f"contingency.{cat}", "fraction",
                         note="" if cat in s.contingency else t("assumptions.contingency_absent"))
        else:
            self.put(t("param.contingency"), t("unit.share"), s.contingency, "contingency",
                     "fraction", note=t("assumptions.contingency_note"))

    def declining_rates(self) -> None:
        """Declining social rates (format 1.2): the starts of the steps, then their rates, each
        a contiguous column range that the Cash flow sheet looks the year's rate up in. A
        preset's steps are shown but not live: its rates are the preset's."""
        s = self.book.scenario
        steps = s.social_discount_steps
        assert steps is not None
        preset = isinstance(s.social_discount_rate, str)
        t = self.t
        shown = s.social_discount_rate if preset else t("assumptions.declining_shown")
        self.put(t("param.social_discount_rate"), t("unit.text"), shown, "social_discount_rate",
                 "text", live=False,
                 note=t("assumptions.declining_preset_note" if preset
                        else "assumptions.declining_note"))
        ranges = {}
        for key, label, unit, kind in (("from", "param.step_from", "unit.years_t", "count"),
                                       ("rate", "param.step_rate", "unit.per_year", "rate")):
            first = self.r
            for k, step in enumerate(steps):
                value = step[0] if key == "from" else step[1]
                self.put(t(label, step=k + 1), t(unit), value,
                         f"social_discount_rate.{k}.{key}", kind, live=not preset,
                         note=(t("assumptions.step_year", year=s.start_year + step[0])
                               if key == "from" else ""))
            ranges[key] = (first, self.r - 1)
        self.book.schedules["social_discount_rate.from"] = ranges["from"]
        self.book.schedules["social_discount_rate.rate"] = ranges["rate"]

    def stakeholders(self) -> None:
        self.band(self.t("assumptions.band_stakeholders"))
        for sid, holder in self.book.scenario.stakeholders.items():
            self.header(holder.name or sid, self.t.word(holder.kind), sid,
                        f"stakeholders.{sid}", holder.note)

    def p(self, field: str, unit: str, value: Any, path: str, kind: str, **options: Any) -> Cell:
        """One input row of an item, labelled with the words of ``field`` (param.*)."""
        return self.put(self.t(f"param.{field}"), unit, value, path, kind, **options)

    def timing(self, prefix: str, item: Timed, per: str) -> None:
        """The amount form of an item: one-off, recurring or schedule (``per``: unit.* of a
        recurring amount)."""
        s, t = self.book.scenario, self.t
        cur = s.currency
        if item.schedule is not None:
            first = self.r
            for year, amount in sorted(item.schedule.items()):
                self.put(t("param.amount_in", year=year), cur, amount,
                         f"{prefix}.schedule.{year}", "money", year=year)
            self.book.schedules[f"{prefix}.schedule"] = (first, self.r - 1)
            return
        if item.amount is not None:
            unit = cur if item.year is not None else t(per, currency=cur)
            self.p("amount", unit, item.amount, f"{prefix}.amount", "money")
        if item.year is not None:
            self.p("year", t("unit.year"), item.year, f"{prefix}.year", "year")
            return
        self.recurrence(prefix, item)

    def recurrence(self, prefix: str, item: Timed) -> None:
        s, t = self.book.scenario, self.t
        self.p("from", t("unit.year"), item.from_ if item.from_ is not None else s.start_year,
               f"{prefix}.from", "year",
               note="" if item.from_ is not None else t("assumptions.default_start"))
        self.p("to", t("unit.year"), item.to if item.to is not None else s.last_year,
               f"{prefix}.to", "year",
               note="" if item.to is not None else t("assumptions.default_last"))
        self.p("every", t("unit.years"), item.every or 1, f"{prefix}.every", "count",
               note="" if item.every is not None else t("assumptions.default_every"))

    def cost(self, c: Cost) -> None:
        t = self.t
        prefix = f"costs.{c.id}"
        self.header(c.label, t.word(c.category), c.id, prefix, c.note)
        if c.quantity is not None:  # unit prices (format 1.2)
            cur = self.book.scenario.currency
            self.p("unit_quantity", t("unit.units"), c.quantity, f"{prefix}.quantity",
                   "quantity")
            self.p("unit_cost", t("unit.per_unit", currency=cur), c.unit_cost,
                   f"{prefix}.unit_cost", "money")
            self.timing(prefix, c, "unit.currency_per_year")
        elif c.fte is not None:
            self.p("fte", t("unit.fte"), c.fte, f"{prefix}.fte", "quantity")
            self.p("cost_per_fte", t("unit.per_fte_year", currency=self.book.scenario.currency),
                   c.cost_per_fte, f"{prefix}.cost_per_fte", "money")
            self.recurrence(prefix, c)
        else:
            self.timing(prefix, c, "unit.currency_per_year")
        if c.life is not None:
            self.p("life", t("unit.years"), c.life, f"{prefix}.life", "count")
            self.p("residual_value", t("unit.yes_no"),
                   t("value.yes") if c.has_residual_value else t("value.no"),
                   f"{prefix}.residual_value", "text", live=False)
        self.p("escalation", t("unit.per_year"), c.escalation, f"{prefix}.escalation", "rate")
        if c.contingency is not None:
            self.p("item_contingency", t("unit.share"), c.contingency, f"{prefix}.contingency",
                   "fraction")

    def source(self, f: Any) -> None:
        cur, t = self.book.scenario.currency, self.t
        share, year, years, per_year = (t("unit.share"), t("unit.year"), t("unit.years"),
                                        t("unit.per_year"))
        prefix = f"funding.{f.id}"
        self.header(f.label, t.word(f.type), f.id, prefix, f.note)
        if f.stakeholder is not None:
            self.p("stakeholder", t("unit.id"), f.stakeholder, f"{prefix}.stakeholder", "text",
                   live=False)
        self.p("status", t("unit.text"), f.status, f"{prefix}.status", "text", live=False,
               note=t("assumptions.status_note"))
        self.p("probability", share, f.award_probability, f"{prefix}.probability", "share",
               note=t("assumptions.probability_committed" if f.committed else
                      "assumptions.probability_open"))
        if isinstance(f, Contribution | Revenue):
            self.timing(prefix, f, "unit.currency_per_year")
            self.p("escalation", per_year, f.escalation, f"{prefix}.escalation", "rate")
        elif isinstance(f, Grant) and f.rate is not None:
            s = self.book.scenario
            first, last = s.grant_window(f)
            self.p("grant_rate", share, f.rate, f"{prefix}.rate", "share")
            self.p("eligible", t("unit.ids"),
                   ", ".join(f.eligible) if f.eligible else t("value.all_costs"),
                   f"{prefix}.eligible", "text", live=False)
            if f.cap is not None:
                self.p("cap", cur, f.cap, f"{prefix}.cap", "money")
            self.p("grant_from", year, first, f"{prefix}.from", "year",
                   note="" if f.from_ is not None else t("assumptions.default_start"))
            self.p("grant_to", year, last, f"{prefix}.to", "year",
                   note="" if f.to is not None else t("assumptions.default_last"))
            self.p("advance", share, f.payment.advance, f"{prefix}.payment.advance", "share")
            self.p("retention", share, f.payment.retention, f"{prefix}.payment.retention",
                   "share")
            self.p("payment_lag", years, f.payment.lag, f"{prefix}.payment.lag", "count")
        elif isinstance(f, Grant):
            self.timing(prefix, f, "unit.currency_per_year")
            self.p("escalation", per_year, f.escalation, f"{prefix}.escalation", "rate")
            self.p("payment_lag", years, f.payment.lag, f"{prefix}.payment.lag", "count")
        elif isinstance(f, InKind) and f.covers is not None:
            self.p("covers", t("unit.id"), f.covers, f"{prefix}.covers", "text", live=False)
            self.p("share", share, f.cover_share, f"{prefix}.share", "share")
        elif isinstance(f, InKind):
            self.p("category", t("unit.text"), f.category or "other", f"{prefix}.category",
                   "text", live=False)
            self.timing(prefix, f, "unit.currency_per_year")
            self.p("escalation", per_year, f.escalation, f"{prefix}.escalation", "rate")
        elif isinstance(f, Loan):
            self.p("amount", cur, f.amount, f"{prefix}.amount", "money")
            self.p("year", year, f.year, f"{prefix}.year", "year")
            self.p("loan_rate", per_year, f.rate, f"{prefix}.rate", "rate")
            self.p("term", years, f.term, f"{prefix}.term", "count")
            self.loan_terms(prefix, f)
        elif isinstance(f, OutcomePayment):
            self.p("benefit", t("unit.id"), f.benefit, f"{prefix}.benefit", "text", live=False)
            self.p("price", t("unit.per_unit", currency=cur), f.price, f"{prefix}.price",
                   "money")
            if f.cap is not None:
                self.p("cap", cur, f.cap, f"{prefix}.cap", "money")
            self.p("lag", years, f.lag, f"{prefix}.lag", "count")
            self.p("escalation", per_year, f.escalation, f"{prefix}.escalation", "rate")

    # ---- format 1.2 (issue 15): a loan's grace years and balloon; the EU co-financing rate --
    def loan_terms(self, prefix: str, f: Loan) -> None:
        t = self.t
        self.p("grace", t("unit.years"), f.grace, f"{prefix}.grace", "count",
               note="" if f.grace else t("assumptions.default_none"))
        self.p("balloon", t("unit.share"), f.balloon, f"{prefix}.balloon", "share",
               note="" if f.balloon else t("assumptions.default_none"))

    def eu_decision(self) -> None:
        rate = self.book.scenario.eu_cofinancing_rate
        if rate is not None:
            self.p("eu_cofinancing_rate", self.t("unit.share"), rate, "eu_cofinancing_rate",
                   "share", note=self.t("assumptions.eu_note"))

    def benefit(self, b: Any) -> None:
        cur, t = self.book.scenario.currency, self.t
        prefix = f"benefits.{b.id}"
        self.header(b.label, t("unit.benefit"), b.id, prefix, b.note)
        self.p("beneficiary", t("unit.id"), b.beneficiary, f"{prefix}.beneficiary", "text",
               live=False)
        self.p("cash_releasing", t("unit.yes_no"),
               t("value.yes") if b.cash_releasing else t("value.no"),
               f"{prefix}.cash_releasing", "text", live=False)
        if b.quantity is not None:
            self.p("quantity", t("unit.units_per_year"), b.quantity, f"{prefix}.quantity",
                   "quantity")
            self.p("unit_value", t("unit.per_unit", currency=cur), b.unit_value,
                   f"{prefix}.unit_value", "money")
            self.recurrence(prefix, b)
        else:
            self.timing(prefix, b, "unit.currency_per_year")
        for i, share in enumerate(b.ramp_up):
            self.put(t("param.ramp_up", year=i + 1), t("unit.share"), share,
                     f"{prefix}.ramp_up.{i}", "share")
        for key in DEDUCTIONS:
            self.p(key, t("unit.share"), getattr(b, key), f"{prefix}.{key}", "share")
        self.p("escalation", t("unit.per_year"), b.escalation, f"{prefix}.escalation", "rate")

    def settings(self) -> None:
        """The model's tolerances as named inputs, so that no formula types them (FAST)."""
        t = self.t
        self.band(t("assumptions.band_settings"))
        units = {"tolerance": self.book.scenario.currency, "relative_tolerance": t("unit.share")}
        for key in ("tolerance", "rate_tolerance", "irr_tolerance", "relative_tolerance",
                    "irr_low", "irr_high"):
            cell = self.put(t(f"assumptions.setting.{key}"), units.get(key, t("unit.per_year")),
                            SETTINGS[key], "", "tolerance",
                            note=t(f"assumptions.setting.{key}_note"))
            self.book.cells[f"setting.{key}"] = cell

    def uncertainty(self) -> None:
        self.band(self.t("assumptions.band_uncertainty"))
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

"""The validated model of a scenario file (format version 1).

Every key, type and default of ``docs/scenario-format.md`` lives here as a frozen pydantic
model with ``extra="forbid"``: a key that is not known is an error, never silently ignored. The
models check what a single item can check on its own (types, ranges, exactly one amount form);
rules that need the whole file (years inside the horizon, references between items, uncertainty
ranges) are in :mod:`labfinance.model.rules`.
"""

from __future__ import annotations

import math
import typing
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

CATEGORIES = ("capex", "opex", "staff", "compliance", "other")
STAKEHOLDER_KINDS = (
    "municipality", "police", "national_government", "province", "eu", "insurer", "business",
    "housing_corporation", "residents", "knowledge_institution", "vendor", "other",
)

# Bounds on what drives arrays and formatting (docs/decisions.md, "Bounds"): beyond them a number
# is a typing slip, and the engine and the workbook would run out of memory, columns or precision.
MAX_AMOUNT = 1e15  # money, quantities and FTEs: a thousand times the Dutch national budget
MAX_CONTINGENCY = 10.0  # optimism bias of 1,000 %; the Green Book's highest is 200 %
MAX_LAG = 100  # years a payment may come late: the longest horizon
MAX_SPAN = 1000  # years of an asset's life, a loan's term or a recurrence's `every`
MAX_TEXT = 10_000  # characters of a note or description (a workbook cell holds 32,767)
MAX_NAME = 200  # characters of a name or title
MAX_ITEM_YEARS = 30_000  # line items × years: each is a row of numbers per Monte Carlo draw


class KeyProblem(ValueError):
    """A problem of one item that one of its keys shows best: the loader reports it at that key's
    path and line (``costs.cameras.life``) rather than at the item."""

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError(f"must be a finite number (got {value})")
    return value


def _share(value: float) -> float:
    _finite(value)
    if not 0 <= value <= 1:
        raise ValueError(f"must be between 0 and 1 (got {value:g})")
    return value


def _rate(value: float) -> float:
    _finite(value)
    if value <= -1:
        raise ValueError(f"must be greater than -1 (got {value:g})")
    return value


def _at_most(value: float, maximum: float, what: str) -> float:
    if value > maximum:
        shown = "1e15" if maximum == MAX_AMOUNT else f"{maximum:g}"
        raise ValueError(f"must be at most {shown}{what} (got {value:g})")
    return value


def _non_negative(value: float) -> float:
    _finite(value)
    if value < 0:
        raise ValueError(f"must not be negative (got {value:g}); money that flows the other way "
                         "belongs in another section (a saving is a benefit, a fee is revenue)")
    return _at_most(value, MAX_AMOUNT, "; a larger amount is a typing slip")


def _not_negative(value: float) -> float:
    _finite(value)
    if value < 0:
        raise ValueError(f"must not be negative (got {value:g})")
    return _at_most(value, MAX_AMOUNT, "")


def _contingency(value: float) -> float:
    _finite(value)
    if value < 0:
        raise ValueError(f"must not be negative (got {value:g})")
    return _at_most(value, MAX_CONTINGENCY, " (an overrun of 1,000 %)")


def _positive_int(value: int) -> int:
    if value < 1:
        raise ValueError(f"must be a whole number of at least 1 (got {value})")
    if value > MAX_SPAN:
        raise ValueError(f"must be at most {MAX_SPAN:,} years (got {value:,})")
    return value


def _non_negative_int(value: int) -> int:
    if value < 0:
        raise ValueError(f"must be a whole number of at least 0 (got {value})")
    if value > MAX_LAG:
        raise ValueError(f"must be at most {MAX_LAG} years, the longest horizon (got {value:,})")
    return value


def _text(maximum: int) -> Any:
    def check(value: str) -> str:
        if len(value) > maximum:
            raise ValueError(f"is {len(value):,} characters long; at most {maximum:,} fit (a "
                             "workbook cell holds 32,767)")
        return value

    return AfterValidator(check)


Number = Annotated[float, AfterValidator(_finite)]
Share = Annotated[float, AfterValidator(_share),
                  Field(json_schema_extra={"minimum": 0, "maximum": 1})]
Rate = Annotated[float, AfterValidator(_rate), Field(json_schema_extra={"exclusiveMinimum": -1})]
Money = Annotated[float, AfterValidator(_non_negative),
                  Field(json_schema_extra={"minimum": 0, "maximum": MAX_AMOUNT})]
NonNegative = Annotated[float, AfterValidator(_not_negative),
                        Field(json_schema_extra={"minimum": 0, "maximum": MAX_AMOUNT})]
Count = Annotated[int, AfterValidator(_positive_int),
                  Field(json_schema_extra={"minimum": 1, "maximum": MAX_SPAN})]
Lag = Annotated[int, AfterValidator(_non_negative_int),
                Field(json_schema_extra={"minimum": 0, "maximum": MAX_LAG})]


def _grace_years(value: int) -> int:
    if value < 0:
        raise ValueError(f"must be a whole number of at least 0 (got {value})")
    if value >= MAX_SPAN:
        raise ValueError(f"must be less than {MAX_SPAN:,} years, the longest term (got {value:,})")
    return value


# a loan's interest-only years (format 1.2): 0..term - 1, checked against the term on the loan
Grace = Annotated[int, AfterValidator(_grace_years),
                  Field(json_schema_extra={"minimum": 0, "maximum": MAX_SPAN - 1})]
Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]+$"), _text(MAX_NAME),
               Field(json_schema_extra={"maxLength": MAX_NAME})]
Name = Annotated[str, _text(MAX_NAME), Field(json_schema_extra={"maxLength": MAX_NAME})]
Text = Annotated[str, _text(MAX_TEXT), Field(json_schema_extra={"maxLength": MAX_TEXT})]
Contingency = Annotated[float, AfterValidator(_contingency),
                        Field(json_schema_extra={"minimum": 0, "maximum": MAX_CONTINGENCY})]
Category = Literal["capex", "opex", "staff", "compliance", "other"]


class Model(BaseModel):
    """Base of every scenario model: frozen, strict types, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)


class Item(Model):
    """A list item: an id unique in its list and an optional note (source or reasoning)."""

    id: Id
    name: Name | None = None
    note: Text = ""

    @property
    def label(self) -> str:
        return self.name if self.name is not None else self.id


class Timed(Model):
    """When money flows: exactly one of one-off (`amount`, `year`), recurring (`amount` with
    `from`/`to`/`every`) or `schedule` (year -> amount)."""

    amount: Money | None = None
    year: int | None = None
    from_: int | None = Field(default=None, alias="from")
    to: int | None = None
    every: Count | None = None
    schedule: dict[int, Money] | None = None
    escalation: Rate = 0.0

    def _given(self, *keys: str) -> list[str]:
        """Which of ``keys`` (as written in the file) the item gives."""
        return [k for k in keys if getattr(self, "from_" if k == "from" else k) is not None]

    def _check_product(self, first: str, second: str, product: str) -> None:
        """Both factors of a product (fte × cost_per_fte, quantity × unit_value), or neither."""
        if getattr(self, first) is None:
            raise KeyProblem(second, f"needs `{first}` beside it ({product})")
        if getattr(self, second) is None:
            raise KeyProblem(first, f"needs `{second}` beside it ({product})")

    def _check_amount_form(self) -> None:
        recurring_keys = self._given("from", "to", "every")
        if self.schedule is None and self.amount is None and self.year is None:
            raise ValueError("has no amount: give `amount` and `year` (one-off), `amount` per "
                             "year (recurring, with optional `from`/`to`/`every`) or a `schedule`")
        others = self._given("amount", "year") + recurring_keys
        if self.schedule is not None and others:
            raise KeyProblem("schedule", f"comes with {_keys(others)}; keep exactly one amount "
                                         "form")
        if self.year is not None and self.amount is None:
            raise KeyProblem("year", "has no `amount` beside it; a one-off needs both")
        if self.year is not None and recurring_keys:
            raise KeyProblem(recurring_keys[0], "cannot go with a one-off `year`; keep exactly one "
                                                "amount form")
        _check_window(self.from_, self.to)


def _keys(keys: list[str]) -> str:
    quoted = [f"`{k}`" for k in keys]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} and {quoted[-1]}"


def _check_window(first: int | None, last: int | None) -> None:
    if first is not None and last is not None and last < first:
        raise KeyProblem("to", f"{last} is before `from` ({first})")


class Cost(Item, Timed):
    category: Category = "other"
    fte: NonNegative | None = None
    cost_per_fte: Money | None = None
    life: Count | None = None
    residual_value: bool | None = None
    contingency: Contingency | None = None
    # unit prices (format 1.2): quantity × unit_cost, one-off or recurring
    quantity: NonNegative | None = None
    unit_cost: Money | None = None

    @model_validator(mode="after")
    def _check(self) -> Cost:
        if self.quantity is not None or self.unit_cost is not None:
            self._check_unit_price()
        elif self.fte is not None or self.cost_per_fte is not None:
            self._check_product("fte", "cost_per_fte", "staff cost = fte × cost_per_fte")
            others = self._given("amount", "year", "schedule")
            if others:
                raise KeyProblem("fte", f"comes with {_keys(others)}; keep exactly one amount "
                                        "form")
            _check_window(self.from_, self.to)
        else:
            self._check_amount_form()
        if self.life is not None and self.category != "capex":
            raise KeyProblem("life", f"applies to capex only (this cost is {self.category})")
        if self.residual_value is not None and self.life is None:
            raise KeyProblem("residual_value", "needs a `life`: only assets with a life have a "
                                               "residual value")
        return self

    @property
    def has_residual_value(self) -> bool:
        return self.life is not None and self.residual_value is not False

    # ------------------------------------------------------------ unit prices (format 1.2)

    def _check_unit_price(self) -> None:
        """quantity × unit_cost, one-off (`year`) or recurring; never with another amount form."""
        others = self._given("amount", "fte", "cost_per_fte")
        if others:
            key = "quantity" if self.quantity is not None else "unit_cost"
            raise KeyProblem(key, f"comes with {_keys(others)}; keep exactly one of `amount`, "
                                  "`fte`/`cost_per_fte`, `quantity`/`unit_cost` and `schedule`")
        self._check_product("quantity", "unit_cost", "cost = quantity × unit_cost")
        if self.schedule is not None:
            raise KeyProblem("schedule", "cannot go with `quantity`/`unit_cost`, which are "
                                         "one-off (with `year`) or recurring; keep exactly one "
                                         "of `amount`, `fte`/`cost_per_fte`, "
                                         "`quantity`/`unit_cost` and `schedule`")
        recurring_keys = self._given("from", "to", "every")
        if self.year is not None and recurring_keys:
            raise KeyProblem(recurring_keys[0], "cannot go with a one-off `year`; keep exactly one "
                                                "amount form")
        _check_window(self.from_, self.to)

    @property
    def has_unit_price(self) -> bool:
        return self.quantity is not None


class Stakeholder(Model):
    name: Name | None = None
    kind: Literal[
        "municipality", "police", "national_government", "province", "eu", "insurer", "business",
        "housing_corporation", "residents", "knowledge_institution", "vendor", "other",
    ]
    note: Text = ""
    # the body that pays on this stakeholder's behalf (residents: their municipality); its own id
    # means it pays for itself
    represented_by: Id | None = None


class Payment(Model):
    advance: Share = 0.0
    retention: Share = 0.0
    lag: Lag = 0

    @model_validator(mode="after")
    def _check(self) -> Payment:
        if self.advance + self.retention > 1 + 1e-12:
            raise ValueError(f"advance + retention is {self.advance + self.retention:g}; it may "
                             "not exceed 1")
        return self


class Source(Item):
    """What every funding source has."""

    stakeholder: Id | None = None
    status: Literal["committed", "expected", "prospective"] = "committed"
    probability: Share | None = None

    @model_validator(mode="after")
    def _check_status(self) -> Source:
        if self.status == "committed":
            if self.probability is not None and self.probability != 1:
                raise KeyProblem("probability", f"must be 1 for a committed source (got "
                                                f"{self.probability:g}); set `status: expected` "
                                                "or `status: prospective`")
        elif self.probability is None:
            raise KeyProblem("status", f"is {self.status}, so the source needs a `probability` "
                                       "(0..1)")
        return self

    @property
    def award_probability(self) -> float:
        return 1.0 if self.probability is None else self.probability

    @property
    def committed(self) -> bool:
        return self.status == "committed"


class _Paid(Source, Timed):
    # what a contribution and revenue check alike: a stakeholder pays an amount

    @model_validator(mode="after")
    def _check(self) -> _Paid:
        if self.stakeholder is None:
            raise KeyProblem("stakeholder", "is required: who pays")
        self._check_amount_form()
        return self


class Contribution(_Paid):
    type: Literal["contribution"]


class Revenue(_Paid):
    type: Literal["revenue"]


class Grant(Source, Timed):
    type: Literal["grant"]
    rate: Share | None = None
    eligible: list[Id] | None = None
    cap: Money | None = None
    payment: Payment = Payment()

    @model_validator(mode="after")
    def _check(self) -> Grant:
        if self.rate is None:
            for key in ("eligible", "cap"):
                if getattr(self, key) is not None:
                    raise KeyProblem(key, "applies to a rate-based grant only; give a `rate`, or "
                                          f"drop `{key}` for a grant of a fixed amount")
            if self.payment.advance or self.payment.retention:
                raise KeyProblem("payment", "`advance` and `retention` apply to rate-based "
                                            "grants only; a fixed amount is paid as its amount "
                                            "form says")
            self._check_amount_form()
        else:
            others = self._given("amount", "year", "schedule")
            if others:
                raise KeyProblem("rate", f"comes with {_keys(others)}; a grant is rate-based or "
                                         "has an amount, not both")
            if self.every is not None:
                raise KeyProblem("every", "does not apply to a rate-based grant, whose "
                                          "`from`/`to` are the years of eligible costs")
            if self.escalation:
                raise KeyProblem("escalation", "applies to a grant of a fixed amount only")
            _check_window(self.from_, self.to)
        return self

    def pays_on(self, cost_id: str, category: str) -> bool:
        """Whether this rate-based grant's eligibility names a cost (by id or by category)."""
        return self.eligible is None or cost_id in self.eligible or category in self.eligible

    def window(self, start_year: int, last_year: int) -> tuple[int, int]:
        """First and last year whose costs are eligible (default: the horizon)."""
        return (self.from_ if self.from_ is not None else start_year,
                self.to if self.to is not None else last_year)


class InKind(Source, Timed):
    type: Literal["in_kind"]
    covers: Id | None = None
    share: Share | None = None
    category: Category | None = None

    @model_validator(mode="after")
    def _check(self) -> InKind:
        if self.stakeholder is None:
            raise KeyProblem("stakeholder", "is required: who gives it")
        if self.covers is not None:
            others = self._given("amount", "year", "schedule", "from", "to", "every")
            if others:
                raise KeyProblem("covers", f"comes with {_keys(others)}; an in-kind source "
                                           "covers a cost or has an amount, not both")
            if self.category is not None:
                raise KeyProblem("category", "does not apply: the source takes the category of "
                                             "the cost it covers")
            if self.escalation:
                raise KeyProblem("escalation", "does not apply: the source takes the price of "
                                               "the cost it covers")
        else:
            if self.share is not None:
                raise KeyProblem("share", "needs `covers`: the share is of a covered cost")
            self._check_amount_form()
        return self

    @property
    def cover_share(self) -> float:
        return 1.0 if self.share is None else self.share


class Loan(Source):
    type: Literal["loan"]
    amount: Money
    year: int
    rate: Rate
    term: Count
    # --- format 1.2, loans (issue 15): grace years and a balloon -----------------------------
    # interest-only years after the draw-down; the annuity runs over the remaining term - grace
    grace: Grace = 0
    # share of the principal repaid in one sum with the last instalment
    balloon: Share = 0.0

    @model_validator(mode="after")
    def _check_grace(self) -> Loan:
        if self.grace >= self.term:
            raise KeyProblem("grace", f"is {self.grace} years, but the term is {self.term}: "
                                      "grace must be less than the term (0..term - 1), so that "
                                      "at least one year repays principal")
        return self


class OutcomePayment(Source):
    type: Literal["outcome_payment"]
    benefit: Id
    price: Money
    cap: Money | None = None
    lag: Lag = 0
    escalation: Rate = 0.0

    @model_validator(mode="after")
    def _check(self) -> OutcomePayment:
        if self.stakeholder is None:
            raise KeyProblem("stakeholder", "is required: who pays for the outcomes")
        return self


FUNDING_MODELS = (Contribution, Revenue, Grant, InKind, Loan, OutcomePayment)
Funding = Annotated[
    Contribution | Revenue | Grant | InKind | Loan | OutcomePayment, Field(discriminator="type")
]
# each funding type by its `type` word, from the models (a new type is added in one place)
FUNDING_TYPES = tuple(typing.get_args(m.model_fields["type"].annotation)[0]
                      for m in FUNDING_MODELS)


class Benefit(Item, Timed):
    beneficiary: Id
    quantity: NonNegative | None = None
    unit_value: Money | None = None
    ramp_up: list[Share] = []
    deadweight: Share = 0.0
    displacement: Share = 0.0
    attribution: Share = 0.0
    drop_off: Share = 0.0
    cash_releasing: bool = False

    @model_validator(mode="after")
    def _check(self) -> Benefit:
        if self.quantity is not None or self.unit_value is not None:
            self._check_product("quantity", "unit_value", "value = quantity × unit_value")
            others = self._given("amount", "year", "schedule")
            if others:
                raise KeyProblem("quantity", f"comes with {_keys(others)}; a benefit is quantity "
                                             "× unit_value or an amount, not both")
            _check_window(self.from_, self.to)
        else:
            self._check_amount_form()
        return self

    def first_year(self, start_year: int) -> int:
        """The year from which ramp-up and drop-off count (k = 0): its `from`, its one-off
        `year`, or its first schedule year."""
        if self.schedule:
            return min(self.schedule)
        if self.year is not None:
            return self.year
        return self.from_ if self.from_ is not None else start_year


class _ThreePoint(Model):
    low: Number
    mode: Number
    high: Number

    @model_validator(mode="after")
    def _check(self) -> _ThreePoint:
        if not (self.low <= self.mode <= self.high) or self.low == self.high:
            raise ValueError(f"needs low <= mode <= high with low < high (got {self.low:g}, "
                             f"{self.mode:g}, {self.high:g})")
        return self


class Triangular(_ThreePoint):
    dist: Literal["triangular"]


class Pert(_ThreePoint):
    """PERT with lambda = 4: a beta distribution on [low, high], mean (low + 4 mode + high)/6."""

    dist: Literal["pert"]


class Uniform(Model):
    dist: Literal["uniform"]
    low: Number
    high: Number

    @model_validator(mode="after")
    def _check(self) -> Uniform:
        if not self.low < self.high:
            raise ValueError(f"needs low < high (got {self.low:g}, {self.high:g})")
        return self


class Normal(Model):
    dist: Literal["normal"]
    mean: Number
    sd: NonNegative
    low: Number | None = None
    high: Number | None = None

    @model_validator(mode="after")
    def _check(self) -> Normal:
        if self.sd <= 0:
            raise KeyProblem("sd", f"must be above 0 (got {self.sd:g})")
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError(f"needs low < high (got {self.low:g}, {self.high:g})")
        return self


Distribution = Annotated[Triangular | Pert | Uniform | Normal, Field(discriminator="dist")]


class Variant(Model):
    description: Text = ""
    set: dict[str, Any] = {}


class Criterion(Item):
    unit: Name = ""
    baseline: Number | None = None
    target: Number | None = None
    direction: Literal["increase", "decrease"] = "increase"
    stakeholder: Id | None = None


# --------------------------------------------------------------------------- declining discount
# rates (format 1.2): `social_discount_rate` as a preset name or a schedule of steps

# HM Treasury Green Book (2022), table 8: 3.5 % for years 0..30, 3.0 % for 31..75, 2.5 % for 76..125
DISCOUNT_PRESETS: dict[str, tuple[tuple[int, float], ...]] = {
    "green_book": ((0, 0.035), (31, 0.03), (76, 0.025)),
}
MAX_STEP_FROM = 1899  # a step's `from` counts years from the start; 1900 and on is a calendar year


def _step_from(value: int) -> int:
    if value < 0:
        raise ValueError(f"must be a whole number of at least 0 (got {value})")
    if value > MAX_STEP_FROM:
        raise ValueError(f"counts years from the start year (t = 0 is the start year); {value} "
                         "looks like a calendar year: write year - start_year")
    return value


class DiscountStep(Model):
    """One step of a declining discount rate: ``rate`` from year ``from`` (t, counted from the
    start year) until the next step."""

    from_: Annotated[int, AfterValidator(_step_from),
                     Field(alias="from", json_schema_extra={"minimum": 0,
                                                            "maximum": MAX_STEP_FROM})]
    rate: Rate


SocialDiscountRate = Rate | Literal["green_book"] | list[DiscountStep]


# ----------------------------------------------------------------------------- risk register and
# correlated uncertainty (format 1.2, "Extensions"): kept apart so that merges stay easy


class Risk(Item):
    """An event that may happen (privacy breach, vendor failure, a fine): in each year at risk
    it happens with ``probability`` and then costs ``impact`` (prices of the start year) × price
    factor, booked in ``category``. The planned and secured cases carry the expected cost."""

    category: Category = "other"
    probability: Share
    impact: Money
    from_: int | None = Field(default=None, alias="from")
    to: int | None = None
    escalation: Rate = 0.0

    @model_validator(mode="after")
    def _check(self) -> Risk:
        _check_window(self.from_, self.to)
        return self

    def window(self, start_year: int, last_year: int) -> tuple[int, int]:
        """First and last year at risk (default: the horizon)."""
        return (self.from_ if self.from_ is not None else start_year,
                self.to if self.to is not None else last_year)


def _pair_as_tuple(value: Any) -> Any:
    # YAML and JSON give a list; the model keeps an immutable triple
    return tuple(value) if isinstance(value, list) else value


def _correlation(value: float) -> float:
    _finite(value)
    if not -1 <= value <= 1:
        raise ValueError(f"must be between -1 and 1 (got {value:g})")
    return value


Rho = Annotated[float, AfterValidator(_correlation),
                Field(json_schema_extra={"minimum": -1, "maximum": 1})]
# [path_a, path_b, rho]: the rank correlation of two uncertain parameters
Correlation = Annotated[tuple[str, str, Rho], BeforeValidator(_pair_as_tuple)]


class Scenario(Model):
    """One smart safety & security initiative over a horizon of years."""

    labfinance: Literal[1]
    name: Name
    description: Text = ""
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "EUR"
    start_year: Annotated[int, Field(ge=1900, le=2500)]
    years: Annotated[int, Field(ge=1, le=100)]
    prices: Literal["real", "nominal"] = "real"
    inflation: Rate = 0.0
    discount_rate: Rate
    social_discount_rate: SocialDiscountRate | None = None
    contingency: Contingency | dict[Category, Contingency] = 0.0
    stakeholders: dict[Id, Stakeholder]
    costs: list[Cost]
    funding: list[Funding] = []
    benefits: list[Benefit] = []
    uncertainty: dict[str, Distribution] = {}
    variants: dict[Id, Variant] = {}
    criteria: list[Criterion] = []
    fair_share_basis: Literal["net_gain", "benefits", "cash_releasing"] = "net_gain"
    # format 1.2: risk register and correlated uncertainty
    risks: list[Risk] = []
    correlations: list[Correlation] = []
    # --- format 1.2, EU decision amount (issue 15): the priority axis's co-financing rate ----
    eu_cofinancing_rate: Share | None = None

    @property
    def calendar_years(self) -> list[int]:
        return list(range(self.start_year, self.start_year + self.years))

    @property
    def last_year(self) -> int:
        return self.start_year + self.years - 1

    @property
    def effective_social_discount_rate(self) -> float:
        """The social rate where it is one number (the discount rate where the file gives none);
        for declining rates, the rate of the first step."""
        steps = self.social_discount_steps
        if steps is not None:
            return steps[0][1]
        social = self.social_discount_rate
        return self.discount_rate if social is None else float(social)  # type: ignore[arg-type]

    @property
    def social_discount_steps(self) -> tuple[tuple[int, float], ...] | None:
        """The steps ``(from t, rate)`` of a declining social rate (a preset or a schedule);
        None where the social rate is one number."""
        social = self.social_discount_rate
        if isinstance(social, str):
            return DISCOUNT_PRESETS[social]
        if isinstance(social, list):
            return tuple((step.from_, step.rate) for step in social)
        return None

    def grant_window(self, grant: Grant) -> tuple[int, int]:
        return grant.window(self.start_year, self.last_year)

    def benefit_first_year(self, benefit: Benefit) -> int:
        return benefit.first_year(self.start_year)

    def category_contingency(self, category: str) -> float:
        if isinstance(self.contingency, dict):
            return self.contingency.get(category, 0.0)  # type: ignore[call-overload]
        return self.contingency

    def risk_window(self, risk: Risk) -> tuple[int, int]:
        return risk.window(self.start_year, self.last_year)

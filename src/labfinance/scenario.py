"""The validated model of a scenario file (format version 1).

Every key, type and default of ``shared/spec/scenario-format.md`` lives here as a frozen pydantic
model with ``extra="forbid"``: a key that is not known is an error, never silently ignored. The
models check what a single item can check on its own (types, ranges, exactly one amount form);
rules that need the whole file (years inside the horizon, references between items, uncertainty
ranges) are in :mod:`labfinance.rules`.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
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
FUNDING_TYPES = ("contribution", "revenue", "grant", "in_kind", "loan", "outcome_payment")


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


def _non_negative(value: float) -> float:
    _finite(value)
    if value < 0:
        raise ValueError(f"must not be negative (got {value:g}); money that flows the other way "
                         "belongs in another section (a saving is a benefit, a fee is revenue)")
    return value


def _positive_int(value: int) -> int:
    if value < 1:
        raise ValueError(f"must be a whole number of at least 1 (got {value})")
    return value


def _non_negative_int(value: int) -> int:
    if value < 0:
        raise ValueError(f"must be a whole number of at least 0 (got {value})")
    return value


Number = Annotated[float, AfterValidator(_finite)]
Share = Annotated[float, AfterValidator(_share), Field(json_schema_extra={"minimum": 0, "maximum": 1})]
Rate = Annotated[float, AfterValidator(_rate), Field(json_schema_extra={"exclusiveMinimum": -1})]
Money = Annotated[float, AfterValidator(_non_negative), Field(json_schema_extra={"minimum": 0})]
Count = Annotated[int, AfterValidator(_positive_int), Field(json_schema_extra={"minimum": 1})]
Lag = Annotated[int, AfterValidator(_non_negative_int), Field(json_schema_extra={"minimum": 0})]
Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]+$")]
Category = Literal["capex", "opex", "staff", "compliance", "other"]


class Model(BaseModel):
    """Base of every scenario model: frozen, strict types, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)


class Item(Model):
    """A list item: an id unique in its list and an optional note (source or reasoning)."""

    id: Id
    name: str | None = None
    note: str = ""

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

    def amount_form(self) -> str:
        """'one-off', 'recurring' or 'schedule' (the form was checked on validation)."""
        if self.schedule is not None:
            return "schedule"
        if self.year is not None:
            return "one-off"
        return "recurring"

    def _check_amount_form(self, *, extra_amount_keys: tuple[str, ...] = ()) -> None:
        has_amount = self.amount is not None or any(
            getattr(self, k) is not None for k in extra_amount_keys
        )
        has_recurring_keys = self.from_ is not None or self.to is not None or self.every is not None
        forms = []
        if self.schedule is not None:
            forms.append("schedule")
        if self.year is not None:
            forms.append("one-off (amount and year)")
        if has_amount and self.year is None:
            forms.append("recurring (amount per year)")
        if len(forms) == 0:
            raise ValueError("says no amount: give `amount` and `year` (one-off), `amount` per year "
                             "(recurring, with optional `from`/`to`/`every`) or a `schedule`")
        if self.schedule is not None and (has_amount or self.year is not None or has_recurring_keys):
            raise ValueError("gives a `schedule` and another amount form; keep exactly one")
        if self.year is not None and not has_amount:
            raise ValueError("gives a `year` without an `amount`")
        if self.year is not None and has_recurring_keys:
            raise ValueError("gives a one-off `year` together with `from`/`to`/`every`; keep exactly "
                             "one amount form")
        if self.from_ is not None and self.to is not None and self.to < self.from_:
            raise ValueError(f"has `to` ({self.to}) before `from` ({self.from_})")


class Cost(Item, Timed):
    category: Category = "other"
    fte: Money | None = None
    cost_per_fte: Money | None = None
    life: Count | None = None
    residual_value: bool | None = None
    contingency: Annotated[Money, Field(json_schema_extra={"minimum": 0})] | None = None

    @model_validator(mode="after")
    def _check(self) -> Cost:
        staff_keys = (self.fte is not None, self.cost_per_fte is not None)
        if any(staff_keys):
            if not all(staff_keys):
                raise ValueError("gives only one of `fte` and `cost_per_fte`; staff costs need both")
            if self.amount is not None or self.year is not None or self.schedule is not None:
                raise ValueError("gives `fte`/`cost_per_fte` together with another amount form; "
                                 "keep exactly one")
        else:
            self._check_amount_form()
        if self.life is not None and self.category != "capex":
            raise ValueError("gives a `life`, which only capex items have")
        if self.residual_value is not None and self.life is None:
            raise ValueError("gives `residual_value` without a `life`")
        return self

    @property
    def has_residual_value(self) -> bool:
        return self.life is not None and self.residual_value is not False

    def amount_form(self) -> str:
        return "staff" if self.fte is not None else super().amount_form()


class Stakeholder(Model):
    name: str | None = None
    kind: Literal[
        "municipality", "police", "national_government", "province", "eu", "insurer", "business",
        "housing_corporation", "residents", "knowledge_institution", "vendor", "other",
    ]
    note: str = ""


class Payment(Model):
    advance: Share = 0.0
    retention: Share = 0.0
    lag: Lag = 0

    @model_validator(mode="after")
    def _check(self) -> Payment:
        if self.advance + self.retention > 1 + 1e-12:
            raise ValueError(f"has advance + retention = {self.advance + self.retention:g}, "
                             "which may not exceed 1")
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
                raise ValueError(f"is committed, so its `probability` must be 1 (got "
                                 f"{self.probability:g}); use status expected or prospective")
        elif self.probability is None:
            raise ValueError(f"is {self.status}, so it needs a `probability` (0..1)")
        return self

    @property
    def award_probability(self) -> float:
        return 1.0 if self.probability is None else self.probability

    @property
    def committed(self) -> bool:
        return self.status == "committed"


class Contribution(Source, Timed):
    type: Literal["contribution"]

    @model_validator(mode="after")
    def _check(self) -> Contribution:
        self._check_amount_form()
        if self.stakeholder is None:
            raise ValueError("needs a `stakeholder` (who pays)")
        return self


class Revenue(Source, Timed):
    type: Literal["revenue"]

    @model_validator(mode="after")
    def _check(self) -> Revenue:
        self._check_amount_form()
        if self.stakeholder is None:
            raise ValueError("needs a `stakeholder` (who pays)")
        return self


class Grant(Source, Timed):
    type: Literal["grant"]
    rate: Share | None = None
    eligible: list[Id] | None = None
    cap: Money | None = None
    payment: Payment = Payment()

    @property
    def rate_based(self) -> bool:
        return self.rate is not None

    @model_validator(mode="after")
    def _check(self) -> Grant:
        if self.rate is None:
            if self.eligible is not None or self.cap is not None:
                raise ValueError("gives `eligible` or `cap` without a `rate`; a rate-based grant "
                                 "needs `rate`, an amount-form grant takes neither")
            if self.payment.advance or self.payment.retention:
                raise ValueError("is an amount-form grant; `payment.advance` and "
                                 "`payment.retention` apply only to rate-based grants")
            self._check_amount_form()
        else:
            if self.amount is not None or self.year is not None or self.schedule is not None:
                raise ValueError("gives both a `rate` and an amount; keep one of the two forms")
            if self.every is not None:
                raise ValueError("is rate-based; its `from`/`to` are the eligibility window and "
                                 "take no `every`")
            if self.escalation:
                raise ValueError("is rate-based; `escalation` applies only to amount-form grants")
            if self.from_ is not None and self.to is not None and self.to < self.from_:
                raise ValueError(f"has `to` ({self.to}) before `from` ({self.from_})")
        return self


class InKind(Source, Timed):
    type: Literal["in_kind"]
    covers: Id | None = None
    share: Share | None = None
    category: Category | None = None

    @model_validator(mode="after")
    def _check(self) -> InKind:
        if self.stakeholder is None:
            raise ValueError("needs a `stakeholder` (who gives it)")
        if self.covers is not None:
            if (self.amount is not None or self.year is not None or self.schedule is not None
                    or self.from_ is not None or self.to is not None or self.every is not None):
                raise ValueError("gives both `covers` and an amount form; keep one of the two")
            if self.category is not None:
                raise ValueError("covers a cost, so it takes that cost's category; drop `category`")
            if self.escalation:
                raise ValueError("covers a cost, so it takes that cost's price; drop `escalation`")
        else:
            if self.share is not None:
                raise ValueError("gives a `share` without `covers`")
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
            raise ValueError("needs a `stakeholder` (who pays for the outcomes)")
        return self


Funding = Annotated[
    Contribution | Revenue | Grant | InKind | Loan | OutcomePayment, Field(discriminator="type")
]


class Benefit(Item, Timed):
    beneficiary: Id
    quantity: Money | None = None
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
            if self.quantity is None or self.unit_value is None:
                raise ValueError("gives only one of `quantity` and `unit_value`; a value in units "
                                 "needs both")
            if self.amount is not None or self.year is not None or self.schedule is not None:
                raise ValueError("gives `quantity` × `unit_value` and an amount; keep one form")
        else:
            self._check_amount_form()
        return self

    def amount_form(self) -> str:
        return "quantity" if self.quantity is not None else super().amount_form()


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
    """PERT with lambda = 4: a beta distribution on [low, high] with mean (low + 4 mode + high)/6."""

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
    sd: Annotated[float, AfterValidator(_non_negative)]
    low: Number | None = None
    high: Number | None = None

    @model_validator(mode="after")
    def _check(self) -> Normal:
        if self.sd <= 0:
            raise ValueError("needs a standard deviation `sd` above 0")
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError(f"needs low < high (got {self.low:g}, {self.high:g})")
        return self


Distribution = Annotated[Triangular | Pert | Uniform | Normal, Field(discriminator="dist")]


class Variant(Model):
    description: str = ""
    set: dict[str, Any] = {}


class Criterion(Item):
    unit: str = ""
    baseline: Number | None = None
    target: Number | None = None
    direction: Literal["increase", "decrease"] = "increase"
    stakeholder: Id | None = None


class Scenario(Model):
    """One smart safety & security initiative over a horizon of years."""

    labfinance: Literal[1]
    name: str
    description: str = ""
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "EUR"
    start_year: Annotated[int, Field(ge=1900, le=2500)]
    years: Annotated[int, Field(ge=1, le=100)]
    prices: Literal["real", "nominal"] = "real"
    inflation: Rate = 0.0
    discount_rate: Rate
    social_discount_rate: Rate | None = None
    contingency: Money | dict[Category, Money] = 0.0
    stakeholders: dict[Id, Stakeholder]
    costs: list[Cost]
    funding: list[Funding] = []
    benefits: list[Benefit] = []
    uncertainty: dict[str, Distribution] = {}
    variants: dict[Id, Variant] = {}
    criteria: list[Criterion] = []

    @property
    def calendar_years(self) -> list[int]:
        return list(range(self.start_year, self.start_year + self.years))

    @property
    def last_year(self) -> int:
        return self.start_year + self.years - 1

    @property
    def effective_social_discount_rate(self) -> float:
        return self.discount_rate if self.social_discount_rate is None else self.social_discount_rate

    def category_contingency(self, category: str) -> float:
        if isinstance(self.contingency, dict):
            return self.contingency.get(category, 0.0)  # type: ignore[call-overload]
        return self.contingency

    def cost(self, cost_id: str) -> Cost:
        return next(c for c in self.costs if c.id == cost_id)

    def benefit(self, benefit_id: str) -> Benefit:
        return next(b for b in self.benefits if b.id == benefit_id)

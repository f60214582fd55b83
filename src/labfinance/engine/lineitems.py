"""The line items of a scenario as yearly series: costs and benefits.

Every series is a 2-D array, ``(1, years)`` where it is the same in every draw and ``(draws,
years)`` where a parameter varies by draw; the engine widens them to all draws only when it adds
up the ledger, so that lines nobody varies cost one row each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labfinance.engine import finance
from labfinance.engine.parameters import Parameters
from labfinance.engine.timeline import price_factor, recurring_mask, year_mask
from labfinance.model.scenario import Cost, InKind, Scenario, Timed


class Case:
    """The scenario, its parameters and the horizon, with helpers shared by every section."""

    def __init__(self, s: Scenario, params: Parameters):
        self.s = s
        self.P = params
        self.D = params.draws
        self.Y = s.years
        self.nominal = s.prices == "nominal"
        self.inflation = params.get("inflation", s.inflation)
        self._inflation_growth: dict[int, Any] = {}

    def full(self, value: Any) -> np.ndarray:
        """``value`` as a 2-D ``(1 or draws, n)`` array.

        A series that is the same in every draw stays one row, so that sums of many lines cost
        one row each; only rows that vary by draw are ``draws`` rows long.
        """
        arr = np.asarray(value, dtype=float)
        return arr.reshape(1, -1) if arr.ndim == 1 else arr

    def price(self, path: str, escalation: float, n: int | None = None) -> Any:
        """The item's price factor: its own escalation, times inflation in nominal prices."""
        n = self.Y if n is None else n
        esc = self.P.get(f"{path}.escalation", escalation)
        own = price_factor(esc, 0.0, False, n)
        if not self.nominal:
            return own
        if n not in self._inflation_growth:  # the same for every item: computed once per length
            self._inflation_growth[n] = price_factor(0.0, self.inflation, True, n)
        return own * self._inflation_growth[n]

    def timing(self, item: Timed) -> np.ndarray | None:
        """1 in the years an amount falls; None for a schedule (read year by year)."""
        if item.schedule is not None:
            return None
        if item.year is not None:
            return year_mask(self.s, item.year)
        return recurring_mask(self.s, item)

    def base_amounts(self, path: str, item: Timed) -> Any:
        """Amounts per year in prices of the start year, before price factors."""
        s = self.s
        if item.schedule is not None:
            total: Any = np.zeros(self.Y)
            for year, amount in sorted(item.schedule.items()):
                total = total + self.P.get(f"{path}.schedule.{year}", amount) * year_mask(s, year)
            return total
        amount = self.P.get(f"{path}.amount", item.amount)
        if item.year is not None:
            return amount * year_mask(s, item.year)
        return amount * recurring_mask(s, item)


def shift(values: np.ndarray, lag: int, n: int) -> np.ndarray:
    """Move a ``(draws, years)`` series ``lag`` years later on a timeline of ``n`` years."""
    out = np.zeros(values.shape[:-1] + (n,))
    out[..., lag:lag + values.shape[-1]] = values
    return out


# ----------------------------------------------------------------------------- costs


@dataclass
class CostLine:
    """One cost line and its workings, as the workbook's Costs sheet shows them.

    Series are ``(1 or draws, years)``; ``timing`` is None for a schedule (read by year).
    """

    id: str
    category: str
    cost: np.ndarray          # ledger cost, contingency included
    before_contingency: np.ndarray
    repurchases: np.ndarray   # the part of before_contingency that `life` buys again
    residual: np.ndarray      # (draws,) value at the end of the horizon
    implied_by: str | None = None  # id of the in-kind source that adds this line
    timing: np.ndarray | None = None  # 1 in the years the amount falls (purchases with a life)
    base: np.ndarray | None = None    # amount per year in start-year prices
    price_factor: np.ndarray | None = None
    contingency: Any = 0.0            # the rate applied (a number or a (draws, 1) column)
    life_left: np.ndarray | None = None  # share of each year's purchase left after the horizon
    residual_row: np.ndarray | None = None  # the residual value, in the last year
    _investment: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def investment(self) -> np.ndarray:
        """``before_contingency - repurchases``: a capex line's investment cost (for the
        funding-gap rate), computed once a line so that a line reused across calls is the same
        array each time (:mod:`labfinance.engine.linesums`)."""
        if self._investment is None:
            self._investment = self.before_contingency - self.repurchases
        return self._investment


def cost_lines(c: Case) -> list[CostLine]:
    """Each cost as in the ledger: base amount × price factor × (1 + contingency); capex with a
    `life` bought again and valued at the end of the horizon; plus the cost lines that in-kind
    amounts imply (without contingency)."""
    s, P = c.s, c.P
    lines = []
    t = np.arange(c.Y)
    for item in s.costs:
        path = f"costs.{item.id}"
        pf = c.price(path, item.escalation)
        repurchase_mask = np.zeros(c.Y)
        timing: np.ndarray | None = None
        if item.fte is not None:
            fte = P.get(f"{path}.fte", item.fte)
            timing = recurring_mask(s, item)
            base = fte * P.get(f"{path}.cost_per_fte", item.cost_per_fte) * timing
        elif item.year is not None and item.life is not None:
            timing = np.zeros(c.Y)
            timing[item.year - s.start_year::item.life] = 1.0
            repurchase_mask = timing.copy()
            repurchase_mask[item.year - s.start_year] = 0.0
            base = unit_amount(P, path, item) * timing
        elif item.quantity is not None:
            timing = c.timing(item)
            assert timing is not None  # never a schedule
            base = finance.unit_price_amount(P.get(f"{path}.quantity", item.quantity),
                                             P.get(f"{path}.unit_cost", item.unit_cost), timing)
        else:
            timing = c.timing(item)
            base = c.base_amounts(path, item)
        top = (f"contingency.{item.category}" if isinstance(s.contingency, dict) else "contingency")
        contingency = P.get(top, s.category_contingency(item.category))
        contingency = P.get(f"{path}.contingency",
                            item.contingency if item.contingency is not None else contingency)
        before = c.full(base * pf)
        residual: Any = np.zeros(1)
        left = residual_row = None
        if item.has_residual_value:
            assert item.life is not None
            left = finance.life_left(s.start_year + t, item.life, s.last_year)
            residual = (c.full(base) * left).sum(axis=-1) * c.full(pf)[:, -1]
            residual_row = np.zeros((np.size(residual), c.Y))
            residual_row[:, -1] = residual
        # a line bought once (no `life` inside the horizon) repurchases nothing: one row of 0,
        # not a row per draw (amounts are finite and not negative, so before × 0 is that 0)
        repurchases = (before * repurchase_mask if repurchase_mask.any()
                       else np.zeros((1, c.Y)))
        lines.append(CostLine(item.id, item.category, c.full(before * (1 + contingency)), before,
                               repurchases, residual, None, timing, c.full(base),
                               c.full(pf), contingency, left, residual_row))
    for source in s.funding:
        if isinstance(source, InKind) and source.covers is None and source.award_probability > 0:
            lines.append(_implied(c, source))
    return lines


def unit_amount(P: Parameters, path: str, item: Cost) -> Any:
    """A cost's amount each time it falls, in start-year prices: its `amount`, or `quantity` ×
    `unit_cost` (unit prices, format 1.2)."""
    if item.quantity is not None:
        return finance.unit_price_amount(P.get(f"{path}.quantity", item.quantity),
                                         P.get(f"{path}.unit_cost", item.unit_cost), 1.0)
    return P.get(f"{path}.amount", item.amount)


def left_out_lines(c: Case) -> list[CostLine]:
    """The cost lines in-kind amounts with probability 0 would imply: not in the ledger, but the
    workbook shows them (at 0) so that a reader who raises the probability sees them."""
    return [_implied(c, f) for f in c.s.funding
            if isinstance(f, InKind) and f.covers is None and f.award_probability <= 0]


def _implied(c: Case, source: InKind) -> CostLine:
    path = f"funding.{source.id}"
    base = c.full(c.base_amounts(path, source))
    pf = c.full(c.price(path, source.escalation))
    implied = c.full(base * pf)
    return CostLine(source.id, source.category or "other", implied, implied,
                    np.zeros((1, c.Y)), np.zeros(1), source.id, c.timing(source), base, pf)


# ----------------------------------------------------------------------------- benefits


@dataclass
class BenefitLine:
    """One benefit and its workings, as the workbook's Benefits sheet shows them."""

    id: str
    beneficiary: str
    cash_releasing: bool
    value: np.ndarray          # net benefit per year
    net_quantity: np.ndarray | None
    effect: np.ndarray         # ramp × kept share × drop-off, per year
    first_year: int = 0
    k: np.ndarray | None = None            # years since the first year of the effect
    ramp: np.ndarray | None = None         # ramp-up share per year (None: no ramp-up)
    kept: Any = 1.0                        # share kept after the deductions
    drop: np.ndarray | None = None         # drop-off factor per year
    timing: np.ndarray | None = None       # 1 in the years it recurs (None: a schedule)
    gross_quantity: np.ndarray | None = None
    base: np.ndarray | None = None         # amount form: amount per year in start-year prices
    price_factor: np.ndarray | None = None


def benefit_lines(c: Case) -> list[BenefitLine]:
    """Each benefit, net: gross × ramp-up × (1 - deadweight) × (1 - displacement) ×
    (1 - attribution) × (1 - drop_off)^k × price factor, k counted from its first year."""
    s, P = c.s, c.P
    lines = []
    for b in s.benefits:
        path = f"benefits.{b.id}"
        t = np.arange(c.Y)
        first_year = s.benefit_first_year(b)
        k = t - (first_year - s.start_year)
        ramp: Any = np.ones(c.Y)
        for i, share in enumerate(b.ramp_up):
            ramp = ramp + (P.get(f"{path}.ramp_up.{i}", share) - 1.0) * (k == i)
        keep = finance.kept_share(*(P.get(f"{path}.{deduction}", getattr(b, deduction))
                                    for deduction in ("deadweight", "displacement",
                                                      "attribution")))
        drop = finance.drop_off_factor(P.get(f"{path}.drop_off", b.drop_off), k)
        effect = c.full(ramp * keep * drop)
        pf = c.price(path, b.escalation)
        timing = c.timing(b)
        gross = base = None
        if b.quantity is not None:
            gross = c.full(P.get(f"{path}.quantity", b.quantity) * recurring_mask(s, b))
            net_quantity = c.full(gross * effect)
            value = c.full(net_quantity * P.get(f"{path}.unit_value", b.unit_value) * pf)
        else:
            net_quantity = None
            base = c.full(c.base_amounts(path, b))
            value = c.full(base * effect * pf)
        lines.append(BenefitLine(b.id, b.beneficiary, b.cash_releasing, value, net_quantity,
                                  effect, first_year, k, c.full(ramp) if b.ramp_up else None,
                                  keep, c.full(drop), timing, gross, base, c.full(pf)))
    return lines

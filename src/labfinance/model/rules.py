"""Rules that need the whole scenario: the horizon, references between items, uncertainty.

Each problem is a ``(loc, message)`` pair, ``loc`` being the location in the raw document (list
items by index) so that the loader can name its line.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from labfinance.model import paths
from labfinance.model.parameters import numeric_parameters
from labfinance.model.scenario import (
    CATEGORIES,
    MAX_AMOUNT,
    MAX_CONTINGENCY,
    MAX_ITEM_YEARS,
    Grant,
    InKind,
    Loan,
    Normal,
    OutcomePayment,
    Scenario,
    Timed,
)

Problem = tuple[tuple[Any, ...], str]
LineOf = Callable[[Sequence[Any]], int]

# keys that name something other than a real-valued parameter, for uncertainty messages
_NOT_PARAMETERS = {
    "year": "a year", "from": "a year", "to": "a year", "start_year": "a year",
    "years": "a count", "life": "a count", "term": "a count", "every": "a count", "lag": "a count",
}


def check(scenario: Scenario, raw: dict[str, Any], *, file_rules: bool = True,
          line_of: LineOf | None = None) -> list[Problem]:
    """Every whole-file problem of ``scenario``; ``file_rules`` adds the checks made on the file
    only (uncertainty ranges hold the file's own values, not those of an override). ``line_of``
    (location -> line) lets a message point at another line, such as the first of two ids."""
    problems: list[Problem] = []
    problems += _unique_ids(scenario, line_of)
    problems += _horizon(scenario)
    problems += _references(scenario)
    problems += _grant_rates(scenario)
    problems += _in_kind_shares(scenario)
    problems += _growth(scenario)
    problems += _products(scenario)
    problems += _discount_steps(scenario)
    problems += _size(scenario)
    problems += risk_rules(scenario, line_of)
    if "base" in scenario.variants:
        problems.append((("variants", "base"), "'base' is the name of the file's own case; "
                         "give the variant another name"))
    if not problems:  # the engine reads the parameters: only once everything else holds
        problems += _uncertainty(scenario, raw, base_inside=file_rules)
        problems += correlation_rules(scenario)
    return problems


# --------------------------------------------------------------------------- bounds and domains

# Every price and discount factor stays within 1/MAX_FACTOR..MAX_FACTOR over the years it applies
# to: a rate that multiplies money by a million over the horizon is a typing slip (0.5 for 0.05),
# and beyond it amounts leave the range where a workbook's sums and checks stay exact.
MAX_FACTOR = 1e6
SHARES = {"deadweight", "displacement", "attribution", "drop_off", "probability", "share",
          "advance", "retention",
          "balloon", "eu_cofinancing_rate"}  # format 1.2 (issue 15)
MONEY = {"amount", "cap", "price", "unit_value", "cost_per_fte", "quantity", "fte",
         "unit_cost"}


def rate_bounds(years: int) -> tuple[float, float]:
    """The rates that keep ``(1 + rate)^years`` within 1/MAX_FACTOR..MAX_FACTOR.

    Over 99 years (a 100-year horizon): 1e6^(±1/99) = exp(±13.8155/99) = exp(±0.13955), that is
    1.14976 and 0.86975, so the rate lies in -13.0 %..15.0 %:

    >>> [round(x, 4) for x in rate_bounds(99)]
    [-0.1303, 0.1498]
    """
    n = max(years, 1)
    return MAX_FACTOR ** (-1 / n) - 1, MAX_FACTOR ** (1 / n) - 1


def _lag_of(item: Any) -> int:
    if isinstance(item, Grant):
        return item.payment.lag
    return item.lag if isinstance(item, OutcomePayment) else 0


def rate_span(s: Scenario, path: str, items: dict[str, Any] | None = None) -> int | None:
    """The years over which the rate at ``path`` compounds, or None where ``path`` is no rate.

    ``items`` (from :func:`items_by_path`) finds the item without a search of its section."""
    if path in ("discount_rate", "social_discount_rate"):
        return s.years - 1
    step = _step_span(s, path)
    if step is not None:
        return step
    if path == "inflation":
        return s.years - 1 + max((_lag_of(f) for f in s.funding), default=0)
    parts = path.split(".")
    if len(parts) == 3 and parts[2] in ("escalation", "rate"):
        section: list[Any] = {"costs": s.costs, "funding": s.funding, "benefits": s.benefits,
                              "risks": s.risks}.get(parts[0], [])  # type: ignore[assignment]
        item = (items.get(f"{parts[0]}.{parts[1]}") if items is not None
                else next((i for i in section if i.id == parts[1]), None))
        return _item_rate_span(s, item, parts[2])
    return None


def _item_rate_span(s: Scenario, item: Any, key: str) -> int | None:
    """The years over which an item's ``escalation`` or loan ``rate`` compounds, or None.

    Looked up from the item itself, not from its path, so that checking every item of a long
    file stays linear in its items (a lookup by id per item made 2,000 lines take seconds)."""
    if isinstance(item, Loan) and key == "rate":
        return item.term
    if item is not None and key == "escalation":
        return s.years - 1 + _lag_of(item)
    return None


def items_by_path(s: Scenario) -> dict[str, Any]:
    """Each cost, source, benefit and risk by ``section.id`` (the first where an id repeats)."""
    items: dict[str, Any] = {}
    for section in ("costs", "funding", "benefits", "risks"):
        for item in getattr(s, section):
            items.setdefault(f"{section}.{item.id}", item)
    return items


def parameter_domain(s: Scenario, path: str, items: dict[str, Any] | None = None
                     ) -> tuple[float, float, str]:
    """The values a real-valued parameter may take, and what it is, in a reader's words.

    ``items`` (from :func:`items_by_path`) saves a search per path when there are many."""
    last = path.rsplit(".", 1)[-1]
    span = rate_span(s, path, items)
    if span is not None:
        low, high = rate_bounds(span)
        return low, high, f"a rate over {span} years"
    if last == "contingency" or path.startswith("contingency."):
        return 0.0, MAX_CONTINGENCY, "a contingency"
    if last in SHARES or ".ramp_up." in path or (last == "rate" and path.startswith("funding.")):
        return 0.0, 1.0, "a share"
    return 0.0, MAX_AMOUNT, "an amount"


_FIELDS: dict[type[Any], frozenset[str]] = {}


def _fields(model: type[Any]) -> frozenset[str]:
    """The field names of a model class (pydantic's own lookup is a slow descriptor)."""
    if model not in _FIELDS:
        _FIELDS[model] = frozenset(model.model_fields)
    return _FIELDS[model]


def _growth(s: Scenario) -> list[Problem]:
    """Rates whose factor over the years they compound leaves 1e-6..1e6."""
    found: list[tuple[tuple[Any, ...], float, int]] = [
        (("discount_rate",), s.discount_rate, s.years - 1),
        (("inflation",), s.inflation if s.prices == "nominal" else 0.0,
         s.years - 1 + max((_lag_of(f) for f in s.funding), default=0))]
    if isinstance(s.social_discount_rate, float | int):
        found.append((("social_discount_rate",), s.social_discount_rate, s.years - 1))
    elif isinstance(s.social_discount_rate, list):
        spans = _step_spans(s)  # once: rate_span per step would be quadratic in the steps
        for k, step in enumerate(s.social_discount_rate):
            low, high = rate_bounds(spans[k])
            if not low <= step.rate <= high:
                found.append((("social_discount_rate", k, "rate"), step.rate, spans[k]))
                break  # the first is enough (a list may hold thousands of steps)
    for section in ("costs", "funding", "benefits", "risks"):
        for i, item in enumerate(getattr(s, section)):
            for key in ("escalation", "rate"):
                # asked of the model's fields first: a missing attribute costs pydantic an
                # exception, a tenth of the time of this check at 2,000 lines
                value = getattr(item, key) if key in _fields(type(item)) else None
                span = _item_rate_span(s, item, key)
                if isinstance(value, float) and span is not None:
                    found.append(((section, i, key), value, span))
    problems: list[Problem] = []
    for loc, rate, span in found:
        low, high = rate_bounds(span)
        if not low <= rate <= high:
            problems.append((loc, f"{rate:g} a year over {span} years changes money by a factor "
                             f"of {_factor(rate, span)}; every price and discount factor stays "
                             f"within 1e-6..1e6, so here the rate lies between {low:.4g} and "
                             f"{high:.4g}"))
    return problems


# --------------------------------------------------------------------------- declining discount
# rates (format 1.2)


def _step_span(s: Scenario, path: str) -> int | None:
    """The years of the horizon whose discount factor step ``k``'s rate divides
    (``social_discount_rate.<k>.rate``): t = 1 .. Y-1 inside the step; None for another path."""
    parts = path.split(".")
    if len(parts) != 3 or parts[0] != "social_discount_rate" or parts[2] != "rate" \
            or not parts[1].isdigit():
        return None
    spans = _step_spans(s)
    k = int(parts[1])
    return spans[k] if k < len(spans) else None


def _step_spans(s: Scenario) -> list[int]:
    """:func:`_step_span` of every step, in one pass (a file may list thousands of steps)."""
    steps = s.social_discount_steps or ()
    spans = []
    for k, (start, _) in enumerate(steps):
        first = max(start, 1)
        last = min(steps[k + 1][0] - 1 if k + 1 < len(steps) else s.years - 1, s.years - 1)
        spans.append(max(0, last - first + 1))
    return spans


def _discount_steps(s: Scenario) -> list[Problem]:
    """A schedule of social discount rates starts at year 0 and its steps follow each other; its
    discount factors stay within 1e-6..1e6 over the horizon, as one rate's do."""
    social = s.social_discount_rate
    if not isinstance(social, list):
        return []
    if not social:
        return [(("social_discount_rate",), "has no steps; give at least {from: 0, rate: ...}")]
    problems: list[Problem] = []
    if social[0].from_ != 0:
        problems.append((("social_discount_rate", 0, "from"), f"the first step starts at year 0 "
                         f"(t = 0, the start year), not {social[0].from_}"))
    for k in range(1, len(social)):
        if social[k].from_ <= social[k - 1].from_:
            problems.append((("social_discount_rate", k, "from"), f"{social[k].from_} is not after "
                             f"the previous step's `from` ({social[k - 1].from_}); steps run in "
                             "increasing `from`"))
            break  # the first is enough: a list of a million steps gives one line
    if problems:
        return problems
    for step, span in zip(social, _step_spans(s), strict=True):
        low, high = rate_bounds(span)  # a step's own rate out of bounds: said once, by _growth
        if not low <= step.rate <= high:
            return []
    growth = 1.0
    for t in range(1, s.years):
        rate = next(step.rate for step in reversed(social) if step.from_ <= t)
        growth *= 1 + rate
    if not 1 / MAX_FACTOR <= growth <= MAX_FACTOR:
        problems.append((("social_discount_rate",), f"the steps change money by a factor of "
                         f"{growth:.3g} over the horizon; every discount factor stays within "
                         "1e-6..1e6"))
    return problems


def _factor(rate: float, years: int) -> str:
    try:
        return f"{(1 + rate) ** max(years, 1):.3g}"
    except OverflowError:
        return "more than 1e308"


def _size(s: Scenario) -> list[Problem]:
    """Line items × years: what every Monte Carlo draw and the workbook's timelines hold."""
    items = len(s.costs) + len(s.funding) + len(s.benefits) + len(s.risks)
    if items * s.years <= MAX_ITEM_YEARS:
        return []
    return [(("years",), f"{items} costs, funding sources, benefits and risks over "
             f"{s.years} years make "
             f"{items * s.years:,} item-years; labfinance handles at most {MAX_ITEM_YEARS:,} (e.g. "
             f"{MAX_ITEM_YEARS // s.years} items over {s.years} years): group small items")]


def _products(s: Scenario) -> list[Problem]:
    """fte × cost_per_fte, quantity × unit_value and quantity × unit_cost are money too."""
    problems: list[Problem] = []
    pairs: list[tuple[str, int, Any, str, str]] = [
        ("costs", i, item, "fte", "cost_per_fte") for i, item in enumerate(s.costs)]
    pairs += [("benefits", i, item, "quantity", "unit_value") for i, item in enumerate(s.benefits)]
    pairs += [("costs", i, item, "quantity", "unit_cost") for i, item in enumerate(s.costs)]
    for section, i, item, first, second in pairs:
        a, b = getattr(item, first), getattr(item, second)
        if a is not None and b is not None and a * b > MAX_AMOUNT:
            problems.append(((section, i, first), f"{first} × {second} is {a * b:g} a year; money "
                             f"stays at most {MAX_AMOUNT:g}"))
    return problems


def _unique_ids(s: Scenario, line_of: LineOf | None) -> list[Problem]:
    problems: list[Problem] = []
    for section in ("costs", "funding", "benefits", "criteria"):
        seen: dict[str, int] = {}
        for i, item in enumerate(getattr(s, section)):
            if item.id in seen:
                first = seen[item.id]
                where = (f"line {line_of((section, first, 'id'))}" if line_of is not None
                         else f"item {first + 1}")
                problems.append(((section, i, "id"), f"id '{item.id}' is used twice in {section} "
                                 f"(the first is {where}); ids must be unique in their list"))
            seen.setdefault(item.id, i)
    cost_ids = {c.id for c in s.costs}
    for i, c in enumerate(s.costs):
        if c.id in CATEGORIES:
            problems.append((("costs", i, "id"), f"id '{c.id}' is a category name; a cost id must "
                             "differ from capex, opex, staff, compliance and other"))
    for i, f in enumerate(s.funding):
        if isinstance(f, InKind) and f.covers is None and f.id in cost_ids | set(CATEGORIES):
            problems.append((("funding", i, "id"), f"id '{f.id}' is also a cost id or category; an "
                             "in-kind amount adds a cost line under its own id, so it must differ"))
    return problems


def _year_problems(loc: tuple[Any, ...], years: Sequence[tuple[Any, int | None]], first: int,
                   last: int) -> list[Problem]:
    """``years`` pairs a key under ``loc`` with the year it gives (None where it gives none)."""
    return [(loc + (key,), f"year {year} is outside the horizon {first}-{last}")
            for key, year in years if year is not None and not first <= year <= last]


def _timed_year_problems(loc: tuple[Any, ...], item: Timed, first: int,
                         last: int) -> list[Problem]:
    problems = _year_problems(loc, [("year", item.year), ("to", item.to), ("from", item.from_)],
                              first, last)
    problems += _year_problems(loc + ("schedule",), [(year, year) for year in item.schedule or {}],
                               first, last)
    return problems


def _horizon(s: Scenario) -> list[Problem]:
    first, last = s.start_year, s.last_year
    problems: list[Problem] = []
    for i, c in enumerate(s.costs):
        problems += _timed_year_problems(("costs", i), c, first, last)
    for i, f in enumerate(s.funding):
        if isinstance(f, Loan):
            problems += _year_problems(("funding", i), [("year", f.year)], first, last)
        elif isinstance(f, Timed):
            problems += _timed_year_problems(("funding", i), f, first, last)
    for i, b in enumerate(s.benefits):
        problems += _timed_year_problems(("benefits", i), b, first, last)
    return problems


def raw_rules(raw: Any) -> list[Problem]:
    """Years outside the horizon and unknown stakeholders, read from the raw document: reported
    beside the problems that stop the file from validating, so that a user sees them all at once.
    """
    problems: list[Problem] = []
    stakeholders = raw.get("stakeholders")
    if isinstance(stakeholders, dict):
        known = ", ".join(sorted(map(str, stakeholders)))
        for section, key in (("funding", "stakeholder"), ("benefits", "beneficiary"),
                             ("criteria", "stakeholder")):
            items = raw.get(section)
            for i, item in enumerate(items if isinstance(items, list) else []):
                sid = item.get(key) if isinstance(item, dict) else None
                if isinstance(sid, str) and sid not in stakeholders:
                    problems.append(((section, i, key), f"no stakeholder '{sid}' (known: {known})"))
    return problems + _raw_horizon(raw)


def _raw_horizon(raw: Any) -> list[Problem]:
    start, years = raw.get("start_year"), raw.get("years")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, years)) \
            or not (1900 <= start <= 2500 and 1 <= years <= 100):
        return []
    first, last = start, start + years - 1
    problems: list[Problem] = []
    for section in ("costs", "funding", "benefits"):
        items = raw.get(section)
        for i, item in enumerate(items if isinstance(items, list) else []):
            if not isinstance(item, dict):
                continue
            given = [(key, item.get(key)) for key in ("year", "from", "to")]
            schedule = item.get("schedule")
            problems += _year_problems((section, i), [(k, v) for k, v in given if _is_int(v)],
                                       first, last)
            if isinstance(schedule, dict):
                problems += _year_problems((section, i, "schedule"),
                                           [(k, k) for k in schedule if _is_int(k)], first, last)
    return problems


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _references(s: Scenario) -> list[Problem]:
    problems: list[Problem] = []
    stakeholders = set(s.stakeholders)
    cost_ids = {c.id for c in s.costs}
    benefits = {b.id: b for b in s.benefits}

    def stakeholder(loc: tuple[Any, ...], sid: str | None) -> None:
        if sid is not None and sid not in stakeholders:
            known = ", ".join(sorted(stakeholders))
            problems.append((loc, f"no stakeholder '{sid}' (known: {known})"))

    for i, f in enumerate(s.funding):
        stakeholder(("funding", i, "stakeholder"), f.stakeholder)
        if isinstance(f, Grant) and f.eligible is not None:
            for j, name in enumerate(f.eligible):
                if name not in cost_ids and name not in CATEGORIES:
                    problems.append((("funding", i, "eligible", j), f"'{name}' is neither a cost "
                                     "id nor a category (capex, opex, staff, compliance, other)"))
        if isinstance(f, InKind) and f.covers is not None and f.covers not in cost_ids:
            problems.append((("funding", i, "covers"), f"no cost with id '{f.covers}'"))
        if isinstance(f, OutcomePayment):
            target = benefits.get(f.benefit)
            if target is None:
                problems.append((("funding", i, "benefit"), f"no benefit with id '{f.benefit}'"))
            elif target.quantity is None:
                problems.append((("funding", i, "benefit"), f"benefit '{f.benefit}' has no "
                                 "`quantity`; an outcome payment pays per unit"))
    for i, b in enumerate(s.benefits):
        stakeholder(("benefits", i, "beneficiary"), b.beneficiary)
    for i, c in enumerate(s.criteria):
        stakeholder(("criteria", i, "stakeholder"), c.stakeholder)
    for sid, holder in s.stakeholders.items():
        rep = holder.represented_by
        loc = ("stakeholders", sid, "represented_by")
        if rep is None or rep == sid:
            continue
        if rep not in stakeholders:
            stakeholder(loc, rep)
            continue
        above = s.stakeholders[rep].represented_by
        if above is not None and above != rep:
            problems.append((loc, f"'{rep}' is itself represented by '{above}'; a representative "
                             f"may not itself be represented (name '{above}' here)"))
    return problems


def _grant_rates(s: Scenario) -> list[Problem]:
    problems: list[Problem] = []
    grants = [(i, f) for i, f in enumerate(s.funding)
              if isinstance(f, Grant) and f.rate is not None and f.award_probability > 0]
    windows = {i: s.grant_window(g) for i, g in grants}
    for c in s.costs:
        mine = [(i, g) for i, g in grants if g.pays_on(c.id, c.category)]
        if sum(g.rate or 0.0 for _, g in mine) <= 1 + 1e-9:
            continue  # no year can exceed 1: skip the year by year check (2,000 lines x years)
        for year in s.calendar_years:
            covering = [(i, g) for i, g in mine if windows[i][0] <= year <= windows[i][1]]
            total = sum(g.rate or 0.0 for _, g in covering)
            if total > 1 + 1e-9:
                names = " + ".join(f"{g.id} {g.rate:g}" for _, g in covering)
                problems.append((("funding", covering[-1][0], "rate"), f"grant rates covering cost "
                                 f"'{c.id}' in {year} sum to {total:g} ({names}); they may not "
                                 "exceed 1"))
                break
    return problems


def _in_kind_shares(s: Scenario) -> list[Problem]:
    shares: dict[str, list[tuple[int, InKind]]] = defaultdict(list)
    for i, f in enumerate(s.funding):
        if isinstance(f, InKind) and f.covers is not None and f.award_probability > 0:
            shares[f.covers].append((i, f))
    problems: list[Problem] = []
    for cost_id, items in shares.items():
        total = sum(f.cover_share for _, f in items)
        if total > 1 + 1e-9:
            problems.append((("funding", items[-1][0], "share"), f"in-kind shares covering cost "
                             f"'{cost_id}' sum to {total:g}; they may not exceed 1"))
    return problems


def _uncertainty(s: Scenario, raw: dict[str, Any], *, base_inside: bool = True
                 ) -> list[Problem]:
    """Each range names a real-valued parameter and stays inside what that parameter may be; with
    ``base_inside`` (the file, not an override) the file's own value lies inside the range."""
    known = numeric_parameters(s)
    items = items_by_path(s)
    problems: list[Problem] = []
    for path, dist in s.uncertainty.items():
        loc = ("uncertainty", path)
        if path not in known or _is_risk_probability(path):
            problems.append((loc, _unknown_step(s, path)
                             or _unknown_parameter(path, known, raw)))
            continue
        base = known[path]
        lowest, highest, what = parameter_domain(s, path, items)
        if isinstance(dist, Normal):
            low = dist.low if dist.low is not None else float("-inf")
            high = dist.high if dist.high is not None else float("inf")
            ends = [("mean", dist.mean)] + [(k, v) for k, v in (("low", dist.low),
                                                                ("high", dist.high))
                                            if v is not None]
        else:  # triangular, PERT and uniform all have a low and a high
            low, high = dist.low, dist.high
            ends = [("low", dist.low), ("high", dist.high)]
        outside = [(key, value) for key, value in ends if not lowest <= value <= highest]
        if outside:
            key, value = outside[0]
            problems.append((loc + (key,), f"{value:g} lies outside what {what} may be "
                             f"({lowest:.4g}..{highest:.4g}); draws would leave it too"))
        elif base_inside and not low <= base <= high:
            problems.append((loc, f"the scenario's own value {base:g} lies outside the range "
                             f"{low:g}..{high:g}; the file's value is the base case and must lie "
                             "inside it"))
    return problems


def _unknown_step(s: Scenario, path: str) -> str | None:
    """Why a path into declining social rates (format 1.2) names no parameter, or None."""
    steps = s.social_discount_steps
    if steps is None or path.split(".")[0] != "social_discount_rate":
        return None
    what = f"'{s.social_discount_rate}'" if isinstance(s.social_discount_rate, str) else "a list"
    name = f"social_discount_rate.<k>.rate with k from 0 to {len(steps) - 1}"
    if path.endswith(".from"):
        return f"names the year a step starts, not a real-valued parameter; a step's rate is {name}"
    return (f"the social discount rate declines in {len(steps)} steps here ({what}); name a "
            f"step's rate, {name}")


def _unknown_parameter(path: str, known: dict[str, float], raw: dict[str, Any]) -> str:
    """Why ``path`` is no real-valued parameter: an unknown id or key, or a year, count, ..."""
    try:
        value = paths.get(raw, path)
    except paths.PathError as exc:
        close = difflib.get_close_matches(path, list(known), n=1, cutoff=0.7)
        return f"{exc}" + (f" (did you mean '{close[0]}'?)" if close else "")
    last = path.rsplit(".", 1)[-1]
    if last == "probability" and path.startswith("risks."):
        return ("names a risk's probability, not a real-valued parameter; Monte Carlo already "
                "draws the event in each year at risk with it (give `impact` a range instead)")
    if last == "probability":
        return ("names a probability, not a real-valued parameter; Monte Carlo already awards "
                "each non-committed source with its probability")
    if last in _NOT_PARAMETERS:
        what = _NOT_PARAMETERS[last]
    elif isinstance(value, bool) or not isinstance(value, int | float):
        what = "text or a switch"
    else:
        what = "a number the scenario does not use"
    return f"names {what}, not a real-valued parameter (a money amount, quantity, share or rate)"


# --------------------------------------------------------------------------- risk register and
# correlated uncertainty (format 1.2)

PSD_TOLERANCE = 1e-10  # an eigenvalue this far below 0 is rounding, not an impossible matrix


def _is_risk_probability(path: str) -> bool:
    parts = path.split(".")
    return len(parts) == 3 and parts[0] == "risks" and parts[2] == "probability"


def risk_rules(s: Scenario, line_of: LineOf | None) -> list[Problem]:
    """Risk ids unique, years at risk inside the horizon."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for i, r in enumerate(s.risks):
        if r.id in seen:
            first = seen[r.id]
            where = (f"line {line_of(('risks', first, 'id'))}" if line_of is not None
                     else f"item {first + 1}")
            problems.append((("risks", i, "id"), f"id '{r.id}' is used twice in risks (the first "
                             f"is {where}); ids must be unique in their list"))
        seen.setdefault(r.id, i)
        problems += _year_problems(("risks", i), [("from", r.from_), ("to", r.to)],
                                   s.start_year, s.last_year)
    return problems


def correlation_rules(s: Scenario) -> list[Problem]:
    """Each entry names two different uncertain parameters, once; together they make a matrix
    that is positive semidefinite (else no joint distribution has these rank correlations)."""
    problems: list[Problem] = []
    pairs: dict[frozenset[str], int] = {}
    for k, (a, b, _rho) in enumerate(s.correlations):
        bad = False
        for j, path in enumerate((a, b)):
            if path not in s.uncertainty:
                problems.append((("correlations", k, j), f"'{path}' has no range in "
                                 f"`uncertainty`{_ranges_hint(path, list(s.uncertainty))}; only "
                                 "uncertain parameters can be correlated"))
                bad = True
        if a == b:
            problems.append((("correlations", k, 1), f"'{a}' is correlated with itself; name two "
                             "different parameters"))
            bad = True
        key = frozenset((a, b))
        if not bad and key in pairs:
            problems.append((("correlations", k), f"the pair {a} / {b} is already correlated in "
                             f"entry {pairs[key] + 1}; give each pair once"))
        pairs.setdefault(key, k)
    if problems:
        return problems
    return _positive_semidefinite(s)


def _ranges_hint(path: str, ranges: list[str]) -> str:
    close = difflib.get_close_matches(path, ranges, n=1, cutoff=0.7)
    if close:
        return f" (did you mean '{close[0]}'?)"
    shown = ", ".join(ranges[:5]) + (f" and {len(ranges) - 5} more" if len(ranges) > 5 else "")
    return f" (ranges: {shown or 'none'})"


def correlation_matrix(entries: Sequence[tuple[str, str, float]]
                       ) -> tuple[list[str], Any]:
    """The parameters the entries name (in order of first mention) and their matrix: the given
    correlations, 1 on the diagonal, 0 elsewhere."""
    names: list[str] = []
    for a, b, _ in entries:
        for path in (a, b):
            if path not in names:
                names.append(path)
    index = {path: i for i, path in enumerate(names)}
    matrix = np.eye(len(names))
    for a, b, rho in entries:
        matrix[index[a], index[b]] = matrix[index[b], index[a]] = rho
    return names, matrix


def _positive_semidefinite(s: Scenario) -> list[Problem]:
    if not s.correlations:
        return []
    names, matrix = correlation_matrix(s.correlations)
    values, vectors = np.linalg.eigh(matrix)
    if values[0] >= -PSD_TOLERANCE:
        return []
    # the entries that make it impossible: those between the parameters the offending
    # direction (the eigenvector of the most negative eigenvalue) moves
    weight = np.abs(vectors[:, 0])
    involved = {names[i] for i in range(len(names)) if weight[i] > 1e-6}
    culprits = [k for k, (a, b, _) in enumerate(s.correlations) if a in involved and b in involved]
    listed = "; ".join(f"entry {k + 1} [{s.correlations[k][0]}, {s.correlations[k][1]}, "
                       f"{s.correlations[k][2]:g}]" for k in culprits)
    return [(("correlations", culprits[0]), f"the correlations {listed} cannot hold together: "
             f"their matrix is not positive semidefinite (smallest eigenvalue {values[0]:.3g}); "
             "weaken one of them")]

"""Cost lines that a call's parameters do not move, computed once per scenario and reused.

Sensitivity and Monte Carlo run the engine a few dozen times on one scenario, each call moving a
few parameters. A cost line reads only its own parameters (``costs.<id>.*``, or
``funding.<id>.*`` for the line an in-kind amount implies), the contingency of the file and of
its category, and inflation; where a call moves none of these, the line is exactly the one of
the case, one row. Building 2,000 such lines cost about 0.1-0.3 s a call, most of a large
scenario's run; the case's lines are now built once and only the moved ones again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from labfinance.engine.lineitems import Case, CostLine, cost_lines
from labfinance.engine.parameters import Parameters
from labfinance.model.scenario import InKind, Scenario

_KEEP = 8  # scenarios remembered (the case, its variants, a comparison)
# scenario id -> (the scenario, its case's lines, the paths they read with their values)
_cache: OrderedDict[int, tuple[Scenario, list[CostLine], dict[str, float]]] = OrderedDict()
_lock = threading.Lock()


def _implied_sources(s: Scenario) -> list[InKind]:
    """In-kind sources that add a cost line, in the order :func:`cost_lines` adds them."""
    return [f for f in s.funding
            if isinstance(f, InKind) and f.covers is None and f.award_probability > 0]


def _frame(s: Scenario) -> tuple[object, ...]:
    """What a cost line reads of its scenario besides its own item (and the in-kind sources)."""
    return (s.start_year, s.years, s.prices, s.inflation, s.contingency)


def _same_lines(s: Scenario) -> tuple[list[CostLine], dict[str, float]] | None:
    """The lines of a remembered scenario whose costs, implied in-kind sources and frame equal
    those of ``s``: a variant that moves a funding source, a benefit or a discount rate has the
    case's cost lines (building 2,000 lines again cost about 0.1 s a variant)."""
    for other, lines, read in reversed(_cache.values()):
        if (_frame(other) == _frame(s) and other.costs == s.costs
                and _implied_sources(other) == _implied_sources(s)):
            return lines, read
    return None


def _case_lines(s: Scenario) -> tuple[list[CostLine], dict[str, float]]:
    with _lock:  # Monte Carlo threads share the cache; the first builds the lines, once
        return _remembered_lines(s)


def _remembered_lines(s: Scenario) -> tuple[list[CostLine], dict[str, float]]:
    entry = _cache.get(id(s))
    if entry is not None and entry[0] is s:
        _cache.move_to_end(id(s))
        return entry[1], entry[2]
    same = _same_lines(s)
    if same is not None:
        _cache[id(s)] = (s, *same)
        while len(_cache) > _KEEP:
            _cache.popitem(last=False)
        return same
    recording = Parameters(record=True)
    lines = cost_lines(Case(s, recording))
    assert recording.recorded is not None
    _cache[id(s)] = (s, lines, recording.recorded)  # held: the id is not reused meanwhile
    while len(_cache) > _KEEP:
        _cache.popitem(last=False)
    return lines, recording.recorded


def case_cost_lines(s: Scenario) -> list[CostLine]:
    """The case's own cost lines of ``s`` (built once, then remembered)."""
    return _case_lines(s)[0]


def reused_cost_lines(c: Case) -> list[CostLine]:
    """:func:`cost_lines` of ``c``, reusing the case's lines that ``c``'s parameters leave alone."""
    s, P = c.s, c.P
    moved = set(P.values)
    if P.recorded is not None and not moved:  # recording which paths the engine reads
        case, read = _case_lines(s)  # the case's own lines read the same paths, in this order
        for path, value in read.items():
            P.recorded.setdefault(path, value)
        return list(case)
    if "inflation" in moved and s.prices == "nominal":
        return cost_lines(c)
    case, read = _case_lines(s)
    if not moved:
        return list(case)
    if P.recorded is not None:
        # a recording call that moves paths (sensitivity asking which paths follow which):
        # the rebuilt lines record what they read first, then every other line its case value
        # (the values a full build records; the order differs, which that question ignores)
        lines = _rebuilt(s, P, case, moved)
        for path, value in read.items():
            P.recorded.setdefault(path, value)
        return lines
    return _rebuilt(s, P, case, moved)


def _rebuilt(s: Scenario, P: Parameters, case: list[CostLine], moved: set[str]
             ) -> list[CostLine]:
    """The case's lines with those that read a moved path built again."""
    owners = {".".join(path.split(".")[:2]) for path in moved}  # "costs.cameras", ...
    top = "contingency" in moved
    items = [item for item in s.costs
             if f"costs.{item.id}" in owners or top or f"contingency.{item.category}" in moved]
    implied = _implied_sources(s)
    sources = [f for f in implied if f"funding.{f.id}" in owners]
    if not items and not sources:
        return list(case)
    fresh = cost_lines(Case(s.model_copy(update={"costs": items, "funding": sources}), P))
    fresh_costs = dict(zip((item.id for item in items), fresh[:len(items)], strict=True))
    fresh_implied = dict(zip((f.id for f in sources), fresh[len(items):], strict=True))
    n = len(s.costs)
    return ([fresh_costs.get(item.id, case[i]) for i, item in enumerate(s.costs)]
            + [fresh_implied.get(f.id, case[n + j]) for j, f in enumerate(implied)])

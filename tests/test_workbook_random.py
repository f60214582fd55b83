"""Random but valid scenarios through the workbook: every formula recalculates to the engine.

The examples in ``scenarios/`` reach only some corners of the workbook's formulas. This module
generates ``COUNT`` scenarios from a fixed seed (the same files on every run; no hypothesis, as
each case needs LibreOffice), each with a different mix of the format's features: nominal prices,
contingency as a number, a map and per item, every cost form, capex bought again and valued at the
end, rate grants whose caps bind and whose money falls after the horizon, in-kind sources, loans
running past the horizon, outcome payments, probability-0 sources, benefits with every deduction,
horizons from 1 to 15 years, a negative discount rate, a case funded by a loan alone. Three
hand-made cases follow, for IRR corners random draws reach too rarely to rely on: several roots, a
root near -100 %, and flows where LibreOffice's IRR search lands on a root below -100 %.

Every generated file must pass the loader (a file that fails is a bug of the generator, not of
labfinance); all workbooks go through ONE soffice call, as in ``test_workbook.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest
import yaml

from labfinance.analysis.run import Analysis, analyse
from labfinance.engine.financing import RateGrantWorkings
from labfinance.model.loader import Loaded, load
from labfinance.model.scenario import CATEGORIES
from labfinance.outputs.excel import write_workbook
from recalc import compare_formula_cells, named_cells, recalculate, require_soffice

SEED = 20250611
COUNT = 24          # random cases; three hand-made ones follow
NEGATIVE_RATE = 3   # the random case with a negative discount rate
STAKEHOLDERS = {
    "city": {"name": "City", "kind": "municipality"},
    "police": {"name": "Police", "kind": "police"},
    "insurer": {"name": "Insurer", "kind": "insurer"},
    "eu": {"name": "EU", "kind": "eu"},
    "bank": {"name": "Bank", "kind": "other"},
    "residents": {"name": "Residents", "kind": "residents"},
}
PAYERS = ("city", "police", "insurer", "residents")


class Draw:
    """Random pieces of one scenario: years inside its horizon, money, shares, amount forms."""

    def __init__(self, rng: np.random.Generator, start: int, years: int):
        self.rng, self.start, self.years = rng, start, years
        self.last = start + years - 1

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def pick(self, options: Any) -> Any:
        return options[int(self.rng.integers(len(options)))]

    def year(self, low: int | None = None, high: int | None = None) -> int:
        """A calendar year in ``low..high`` (default the horizon)."""
        low = self.start if low is None else low
        high = self.last if high is None else high
        return int(self.rng.integers(low, high + 1))

    def money(self, low: float, high: float) -> float:
        """Money, mostly whole, sometimes with cents."""
        value = float(self.rng.uniform(low, high))
        return round(value, 2) if self.chance(0.3) else float(round(value, -2))

    def share(self, low: float = 0.0, high: float = 1.0) -> float:
        return round(float(self.rng.uniform(low, high)), 3)

    def rate(self, low: float, high: float) -> float:
        return round(float(self.rng.uniform(low, high)), 4)

    def window(self) -> dict[str, int]:
        """Optional `from`/`to` inside the horizon, `to` not before `from`."""
        out: dict[str, int] = {}
        if self.chance(0.5):
            out["from"] = self.year()
        if self.chance(0.5):
            out["to"] = self.year(out.get("from"))
        return out

    def timed(self, low: float, high: float, forms: tuple[str, ...] = (
            "one-off", "recurring", "schedule")) -> dict[str, Any]:
        """An amount form: one-off, recurring (with from/to/every) or schedule."""
        form = self.pick(forms)
        if form == "one-off":
            return {"amount": self.money(low, high), "year": self.year()}
        if form == "schedule":
            n = int(self.rng.integers(1, min(self.years, 4) + 1))
            years = sorted(self.rng.choice(self.years, size=n, replace=False).tolist())
            return {"schedule": {self.start + int(t): self.money(low, high) for t in years}}
        out: dict[str, Any] = {"amount": self.money(low, high), **self.window()}
        if self.chance(0.4):
            out["every"] = int(self.rng.integers(1, 4))
        return out

    def escalation(self, item: dict[str, Any], p: float = 0.4) -> None:
        if self.chance(p):
            item["escalation"] = self.rate(-0.02, 0.06)

    def status(self, item: dict[str, Any], p: float = 0.3) -> None:
        """Make a source non-committed now and then, with probability 0 among the choices."""
        if self.chance(p):
            item["status"] = self.pick(("expected", "prospective"))
            item["probability"] = self.pick((0.0, 0.25, 0.5, 0.8, 1.0))


def _costs(d: Draw) -> list[dict[str, Any]]:
    costs = []
    n = int(d.rng.integers(2, 6))
    for i in range(n):
        category = "capex" if i == 0 else d.pick(CATEGORIES)
        cost: dict[str, Any] = {"id": f"{category}-{i}", "category": category}
        if category == "staff" and d.chance(0.7) or category == "opex" and d.chance(0.2):
            cost.update({"fte": d.pick((0.5, 1.0, 1.5, 2.25)),
                         "cost_per_fte": d.money(50_000, 110_000), **d.window()})
            if d.chance(0.3):
                cost["every"] = int(d.rng.integers(1, 3))
        elif category == "capex":
            cost.update(d.timed(20_000, 400_000, ("one-off", "one-off", "schedule", "recurring")))
            if d.chance(0.8):
                cost["life"] = int(d.rng.integers(1, max(2, d.years) + 2))
                if d.chance(0.5):
                    cost["residual_value"] = d.chance(0.5)
        else:
            cost.update(d.timed(2_000, 120_000))
        d.escalation(cost, 0.3)
        if d.chance(0.25):
            cost["contingency"] = d.pick((0.0, 0.15, 0.4, 1.2))
        if d.chance(0.2):
            cost["name"] = f"Cost {i}"
            cost["note"] = "generated"
        costs.append(cost)
    return costs


def _rough_total(costs: list[dict[str, Any]], years: int) -> float:
    """An estimate of the costs over the horizon, to size caps that bind."""
    total = 0.0
    for cost in costs:
        if "schedule" in cost:
            total += sum(cost["schedule"].values())
        elif "fte" in cost:
            total += cost["fte"] * cost["cost_per_fte"] * years
        elif "year" in cost:
            total += cost["amount"]
        else:
            total += cost["amount"] * years
    return total


def _benefits(d: Draw, need_quantity: bool) -> list[dict[str, Any]]:
    benefits = []
    n = int(d.rng.integers(0, 4))
    for i in range(max(n, 1 if need_quantity else 0)):
        benefit: dict[str, Any] = {"id": f"benefit-{i}", "beneficiary": d.pick(list(STAKEHOLDERS))}
        if (i == 0 and need_quantity) or d.chance(0.5):
            benefit.update({"quantity": d.pick((3, 12.5, 40, 150)),
                            "unit_value": d.money(500, 20_000), **d.window()})
            if d.chance(0.3):
                benefit["every"] = int(d.rng.integers(1, 3))
        else:
            benefit.update(d.timed(5_000, 250_000))
        if d.chance(0.5):
            benefit["ramp_up"] = [d.share(0.1, 1.0) for _ in range(int(d.rng.integers(1, 4)))]
        for key in ("deadweight", "displacement", "attribution"):
            if d.chance(0.5):
                benefit[key] = d.share(0.0, 0.5)
        if d.chance(0.4):
            benefit["drop_off"] = d.share(0.0, 0.3)
        if d.chance(0.5):
            benefit["cash_releasing"] = d.chance(0.7)
        d.escalation(benefit, 0.3)
        benefits.append(benefit)
    return benefits


def _funding(d: Draw, costs: list[dict[str, Any]], benefits: list[dict[str, Any]],
             outcome: bool) -> list[dict[str, Any]]:
    funding: list[dict[str, Any]] = []
    total = _rough_total(costs, d.years)
    for i in range(int(d.rng.integers(0, 3))):
        item = {"id": f"contribution-{i}", "type": "contribution", "stakeholder": d.pick(PAYERS),
                **d.timed(10_000, 200_000)}
        d.escalation(item)
        d.status(item)
        funding.append(item)
    if d.chance(0.5):
        item = {"id": "fees", "type": "revenue", "stakeholder": d.pick(PAYERS),
                **d.timed(5_000, 80_000)}
        d.escalation(item)
        d.status(item, 0.2)
        funding.append(item)

    in_kind_category = None
    if d.chance(0.5):  # an amount-form in-kind, whose implied cost line a grant may pay for
        in_kind_category = d.pick(CATEGORIES)
        item = {"id": "in-kind-amount", "type": "in_kind", "stakeholder": d.pick(PAYERS),
                "category": in_kind_category, **d.timed(5_000, 60_000)}
        d.escalation(item, 0.3)
        d.status(item)
        funding.append(item)
    if d.chance(0.6):  # in-kind covering a cost; sometimes two sharing one cost
        covered = d.pick(costs)["id"]
        first = d.share(0.1, 0.9)
        shares = [first] + ([d.share(0.0, 1.0 - first)] if d.chance(0.4) else [])
        for j, share in enumerate(shares):
            item = {"id": f"in-kind-cover-{j}", "type": "in_kind", "stakeholder": d.pick(PAYERS),
                    "covers": covered}
            if d.chance(0.8) or len(shares) > 1:  # no share means 1: two must say theirs
                item["share"] = share
            d.status(item)
            funding.append(item)

    rates_left = 1.0  # grant rates covering one cost in one year may not sum above 1
    for i in range(int(d.rng.integers(0, 3))):
        rate = d.share(0.05, min(0.7, rates_left))
        rates_left -= rate
        grant: dict[str, Any] = {"id": f"grant-{i}", "type": "grant", "rate": rate}
        if d.chance(0.7):
            grant["stakeholder"] = "eu"
        if d.chance(0.6):
            names = [c["id"] for c in costs] + list(CATEGORIES)
            chosen = d.rng.choice(len(names), size=int(d.rng.integers(1, 4)), replace=False)
            grant["eligible"] = [names[int(k)] for k in chosen]
            if in_kind_category is not None and d.chance(0.6):
                grant["eligible"].append(in_kind_category)
            grant["eligible"] = list(dict.fromkeys(grant["eligible"]))
        if d.chance(0.5):
            grant["cap"] = float(round(rate * total * d.share(0.05, 0.9), -2))
        if d.chance(0.5):
            grant["from"] = d.year(d.start, d.start + d.years // 2)
        if d.chance(0.5):
            grant["to"] = d.year(grant.get("from"), d.last)
        payment: dict[str, Any] = {}
        if d.chance(0.5):
            payment["advance"] = d.share(0.0, 0.4)
        if d.chance(0.5):
            payment["retention"] = d.share(0.0, 0.3)
        if d.chance(0.6):
            payment["lag"] = int(d.rng.integers(0, 4))
        if payment:
            grant["payment"] = payment
        d.status(grant, 0.25)
        funding.append(grant)
    if d.chance(0.4):
        grant = {"id": "fixed-grant", "type": "grant", "stakeholder": "eu",
                 **d.timed(10_000, 150_000)}
        d.escalation(grant, 0.3)
        if d.chance(0.7):
            grant["payment"] = {"lag": int(d.rng.integers(0, 4))}
        d.status(grant)
        funding.append(grant)

    for i in range(int(d.rng.integers(0, 3))):
        loan = {"id": f"loan-{i}", "type": "loan", "amount": d.money(20_000, 300_000),
                "year": d.year(), "rate": d.pick((0.0, 0.0, 0.03, 0.065, -0.01)),
                "term": int(d.rng.integers(1, 12))}
        if d.chance(0.7):
            loan["stakeholder"] = "bank"
        d.status(loan, 0.2)
        funding.append(loan)

    if outcome:
        counted = [b for b in benefits if "quantity" in b]
        payment = {"id": "outcome", "type": "outcome_payment", "stakeholder": d.pick(PAYERS),
                   "benefit": d.pick(counted)["id"], "price": d.money(100, 3_000)}
        if d.chance(0.6):
            yearly = payment["price"] * counted[0]["quantity"]
            payment["cap"] = float(round(yearly * d.share(0.3, 2.5), -1))
        if d.chance(0.7):
            payment["lag"] = int(d.rng.integers(0, 3))
        d.escalation(payment, 0.3)
        d.status(payment, 0.3)
        funding.append(payment)
    return funding


def generate(index: int, seed: int = SEED) -> dict[str, Any]:
    """Random scenario ``index``: the same dict on every run. (Another ``seed`` gives another
    set, for hunting bugs beyond the fixed one.)"""
    rng = np.random.default_rng([seed, index])
    years = index + 1 if index < 15 else int(rng.integers(2, 16))
    start = int(rng.integers(2020, 2031))
    d = Draw(rng, start, years)
    scenario: dict[str, Any] = {"labfinance": 1, "name": f"Random case {index}",
                                "currency": d.pick(("EUR", "GBP")), "start_year": start,
                                "years": years}
    if d.chance(0.5):
        scenario["prices"] = "nominal"
        scenario["inflation"] = d.rate(-0.01, 0.05)
    scenario["discount_rate"] = -0.015 if index == NEGATIVE_RATE else d.rate(0.0, 0.08)
    if index == NEGATIVE_RATE or d.chance(0.5):
        scenario["social_discount_rate"] = d.rate(-0.01, 0.06)
    contingency = d.pick(("none", "number", "map"))
    if contingency == "number":
        scenario["contingency"] = d.pick((0.1, 0.25, 1.5))
    elif contingency == "map":
        chosen = d.rng.choice(len(CATEGORIES), size=int(d.rng.integers(1, 4)), replace=False)
        scenario["contingency"] = {CATEGORIES[int(k)]: d.pick((0.0, 0.05, 0.2, 0.6))
                                   for k in chosen}
    scenario["stakeholders"] = STAKEHOLDERS
    scenario["costs"] = _costs(d)
    outcome = d.chance(0.4)
    scenario["benefits"] = _benefits(d, need_quantity=outcome)
    scenario["funding"] = _funding(d, scenario["costs"], scenario["benefits"], outcome)
    return scenario


def several_roots() -> dict[str, Any]:
    """-100, +230, -132 (thousands) in both cases: NPV is zero at 10 % and at 20 %."""
    return {
        "labfinance": 1, "name": "Two IRR roots", "start_year": 2026, "years": 3,
        "discount_rate": 0.15, "social_discount_rate": 0.13,
        "stakeholders": STAKEHOLDERS,
        "costs": [{"id": "build", "category": "capex", "amount": 100_000, "year": 2026},
                  {"id": "dismantle", "category": "other", "amount": 132_000, "year": 2028}],
        "funding": [{"id": "fees", "type": "revenue", "stakeholder": "insurer",
                     "amount": 230_000, "year": 2027}],
        "benefits": [{"id": "savings", "beneficiary": "police", "amount": 230_000,
                      "year": 2027}],
    }


def irr_near_minus_100() -> dict[str, Any]:
    """Economic flows whose one root is -98.49 %: the NPV there is so steep that an IRR search
    from the discount rate, or from the root rounded to -98 %, fails, and the discount factors
    (about 66^11) leave an NPV far from 0 next to the undiscounted flows."""
    costs = {2026: 600_000, 2027: 230_000, 2028: 95_000, 2030: 105_000, 2032: 290_000,
             2033: 16_000, 2034: 235_000, 2035: 45_000, 2036: 237_000}
    return {
        "labfinance": 1, "name": "IRR near -100 %", "start_year": 2026, "years": 12,
        "discount_rate": 0.0246, "stakeholders": STAKEHOLDERS,
        "costs": [{"id": "running", "category": "opex", "schedule": costs}],
        "benefits": [{"id": "savings", "beneficiary": "police",
                      "schedule": {2029: 150_000, 2031: 150_000, 2037: 3_600}}],
    }


def irr_search_below_minus_100() -> dict[str, Any]:
    """Economic flows +1.6m, 0, 0, -0.3m, -0.1m: the IRR is -34.4 %, but an IRR search from 3 %
    lands on the other root of the polynomial, -129.4 %, which is no rate of return."""
    return {
        "labfinance": 1, "name": "IRR search below -100 %", "start_year": 2026, "years": 5,
        "discount_rate": 0.03, "stakeholders": STAKEHOLDERS,
        "costs": [{"id": "repairs", "category": "opex", "schedule": {2029: 300_000,
                                                                     2030: 100_000}}],
        "benefits": [{"id": "settlement", "beneficiary": "city", "amount": 1_600_000,
                      "year": 2026}],
    }


HAND_MADE = {"two-irr-roots": several_roots, "irr-near-minus-100": irr_near_minus_100,
             "irr-search-below-minus-100": irr_search_below_minus_100}
CASES = [f"random-{i:02d}" for i in range(COUNT)] + list(HAND_MADE)


def case_scenario(case: str) -> dict[str, Any]:
    """The scenario dict of a case id: ``random-NN`` or a hand-made one."""
    if case in HAND_MADE:
        return HAND_MADE[case]()
    return generate(int(case.removeprefix("random-")))


def write_case(case: str, folder: Path) -> Path:
    path = folder / f"{case}.yaml"
    path.write_text(yaml.safe_dump(case_scenario(case), sort_keys=False), encoding="utf-8")
    return path


def analysis_of(loaded: Loaded) -> Analysis:
    return analyse(loaded, loaded.scenario, draws=0)


# ----------------------------------------------------------------------------- the generator

def test_the_generator_is_deterministic():
    assert [case_scenario(c) for c in CASES] == [case_scenario(c) for c in CASES]


def test_every_generated_scenario_is_valid(tmp_path):
    """A generated file the loader rejects is a bug of the generator."""
    for case in CASES:
        load(write_case(case, tmp_path))  # raises ScenarioError with every problem


def test_the_cases_reach_the_corners(tmp_path):
    """The set covers what it is meant to cover, so that a change of seed cannot lose a corner."""
    scenarios = [generate(i) for i in range(COUNT)]
    costs = [c for s in scenarios for c in s["costs"]]
    funding = [f for s in scenarios for f in s["funding"]]
    benefits = [b for s in scenarios for b in s["benefits"]]
    grants = [f for f in funding if f["type"] == "grant" and "rate" in f]
    loans = [f for f in funding if f["type"] == "loan"]
    covers = [f for f in funding if f["type"] == "in_kind" and "covers" in f]
    outcomes = [f for f in funding if f["type"] == "outcome_payment"]
    assert {s["years"] for s in scenarios} >= set(range(1, 16))
    assert any(s.get("prices") == "nominal" and s["inflation"] for s in scenarios)
    assert {type(s.get("contingency")).__name__ for s in scenarios} == {"NoneType", "float", "dict"}
    assert any("contingency" in c for c in costs)
    assert any("escalation" in c for c in costs)
    assert any("fte" in c and "every" in c for c in costs)
    assert any("every" in c and "amount" in c for c in costs)
    assert any("schedule" in c for c in costs) and any("year" in c for c in costs)
    assert any(c.get("residual_value") is False for c in costs)
    assert any("life" in c and "year" in c and c["year"] + c["life"] <= s["start_year"]
               + s["years"] - 1 for s in scenarios for c in s["costs"])  # a repurchase
    assert any("eligible" in g and "cap" in g for g in grants)
    assert any(set(g.get("payment", {})) == {"advance", "retention", "lag"} for g in grants)
    assert any(g["to"] < s["start_year"] + s["years"] - 1 for s in scenarios
               for g in s["funding"] if g["type"] == "grant" and "to" in g)  # a window ends early
    assert any(f["type"] == "grant" and "rate" not in f and f.get("payment", {}).get("lag")
               for f in funding)
    assert any(f["type"] == "in_kind" and "category" in f for f in funding)
    assert any("share" in f for f in covers) and any("share" not in f for f in covers)
    assert {f["rate"] == 0 for f in loans} == {True, False}
    assert any("cap" in f and f.get("lag") for f in outcomes)
    assert any(f["type"] == "revenue" for f in funding)
    assert any(f.get("probability") == 0 for f in funding)
    assert any(0 < f.get("probability", 0) < 1 for f in funding)
    assert any(all(f["type"] == "loan" for f in s["funding"]) for s in scenarios)  # no chart bar
    assert any("quantity" in b and "ramp_up" in b and "drop_off" in b for b in benefits)
    assert any("quantity" not in b for b in benefits)
    assert all(any(key in b for b in benefits) for key in (
        "deadweight", "displacement", "attribution", "cash_releasing", "escalation", "every"))
    assert any("social_discount_rate" in s for s in scenarios)
    assert scenarios[NEGATIVE_RATE]["discount_rate"] < 0

    # what only the engine can tell: caps bind, money falls after the horizon, IRR roots
    binding = receivable = debt = 0
    for case in CASES:
        results = analysis_of(load(write_case(case, tmp_path))).results
        metrics = {k: float(v[0]) for k, v in results.metrics.items()}
        receivable += metrics["receivable_after_horizon"] > 0
        debt += metrics["debt_outstanding"] > 0
        for source in results.scenario.funding:
            cap = getattr(source, "cap", None)
            detail = results.workings.source(source.id).detail
            if cap is not None and isinstance(detail, RateGrantWorkings):
                binding += bool(np.isclose(detail.entitlement.sum(), cap))
        roots = {name: len(results.irr_roots.get(name, [])) for name in ("financial_irr",
                                                                         "economic_irr")}
        if case == "two-irr-roots":
            assert roots == {"financial_irr": 2, "economic_irr": 2}
        elif case in HAND_MADE:
            assert metrics["economic_irr"] < (-0.98 if case == "irr-near-minus-100" else -0.3)
    assert binding and receivable and debt


# ----------------------------------------------------------------------------- LibreOffice

@pytest.fixture(scope="module")
def random_suite(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Write every case's workbook and recalculate them all in one soffice call."""
    require_soffice()
    folder = tmp_path_factory.mktemp("random")
    written = {}
    for case in CASES:
        written[case] = folder / f"{case}.xlsx"
        write_workbook(analysis_of(load(write_case(case, folder))), written[case])
    fresh = recalculate(written.values(), folder / "recalculated")
    return {"written": written, "recalculated": dict(zip(CASES, fresh, strict=True)),
            "parity": {}}


@pytest.mark.libreoffice
@pytest.mark.parametrize("case", CASES)
def test_every_formula_cell_recalculates_to_the_engine_value(random_suite, case):
    written, fresh = random_suite["written"][case], random_suite["recalculated"][case]
    count, failures, worst = compare_formula_cells(written, fresh)
    random_suite["parity"][case] = (count, worst)
    assert count > 100
    assert not failures, f"{len(failures)} of {count} formula cells differ:\n" + "\n".join(
        failures[:20])
    sheet, coord = named_cells(written)["master_check"]
    assert openpyxl.load_workbook(fresh, data_only=True)[sheet][coord].value == "OK"

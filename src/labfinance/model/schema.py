"""The JSON Schema of the scenario format, for editors (yaml-language-server).

The schema comes from the pydantic models, with what an editor needs added: a description of
every key (shown on hover), year keys for schedules, and no keys beyond the id pattern in maps of
stakeholders and variants. It checks keys and types; the rules between items (years inside the
horizon, references, grant rates) are for ``labfinance validate``.
"""

from __future__ import annotations

from typing import Any

from labfinance.model.scenario import Scenario

# Descriptions of keys, from docs/scenario-format.md; a key means the same wherever it is.
DESCRIPTIONS = {
    "labfinance": "Format version: 1.",
    "name": "Title shown on the business case (for a list item: defaults to its id).",
    "description": "A paragraph for the cover page.",
    "currency": "ISO 4217 code of every amount, e.g. EUR.",
    "start_year": "First year of the horizon; money is in prices of this year.",
    "years": "Length of the horizon in years, 1..100.",
    "prices": "real (default) or nominal: in nominal prices amounts also grow with inflation.",
    "inflation": "General inflation per year, used only with prices: nominal.",
    "discount_rate": "Real discount rate of the financial case (FNPV, FIRR, funding-gap rate).",
    "social_discount_rate": "Real discount rate of the societal case (ENPV, BCR); default "
                            "discount_rate. Or declining: 'green_book' (3.5 % to year 30, 3.0 % "
                            "to 75, 2.5 % after) or a list of steps {from, rate}.",
    "contingency": "Expected cost overrun (optimism bias), >= 0: one number, or a map from cost "
                   "category to number.",
    "stakeholders": "Everyone who pays or benefits, by id.",
    "costs": "Cost items, each with an id and one amount form.",
    "funding": "Funding sources: contribution, revenue, grant, in_kind, loan or outcome_payment.",
    "benefits": "Benefits, each received by a stakeholder (beneficiary).",
    "uncertainty": "Ranges for sensitivity and Monte Carlo: parameter path -> distribution.",
    "variants": "Alternative cases: name -> {description, set: {parameter path: value}}.",
    "criteria": "Non-financial success criteria (KPIs) shown beside the money.",
    "id": "Identifier, unique in its list: lowercase letters, digits, '_' and '-'.",
    "note": "Source or reasoning, shown beside the input in the workbook.",
    "kind": "What kind of stakeholder this is.",
    "represented_by": "Stakeholder id of the body that pays on this one's behalf (residents: "
                      "their municipality, the default where there is exactly one); its own id "
                      "means it pays for itself.",
    "fair_share_basis": "How the shortfall is shared among payers: net_gain (default: PV "
                        "benefits received - PV contributed), benefits or cash_releasing.",
    "category": "Cost category: capex, opex, staff, compliance or other.",
    "amount": "Money: with `year` paid once, without it paid every year (from/to/every).",
    "year": "Year of a one-off amount (or of a loan).",
    "from": "First year of a recurring amount (default start_year); for a rate-based grant the "
            "first year whose costs are eligible; for a step of declining discount rates the "
            "year t it starts (0 = start_year).",
    "to": "Last year of a recurring amount, inclusive (default the last year); for a rate-based "
          "grant the last year whose costs are eligible.",
    "every": "A recurring amount falls every this many years, counted from `from` (default 1).",
    "schedule": "Year -> amount, e.g. {2026: 120000, 2028: 40000}.",
    "escalation": "The item's own real growth per year (default 0).",
    "fte": "Staff: full-time equivalents per year (with cost_per_fte).",
    "cost_per_fte": "Staff: cost of one FTE per year.",
    "life": "Capex only: years an asset serves; a one-off is bought again every `life` years.",
    "residual_value": "Count the value of assets still in service after the horizon (default "
                      "true where life is set).",
    "type": "Kind of funding source.",
    "stakeholder": "Stakeholder id: who pays (funding) or whose criterion this is.",
    "status": "committed (default), expected or prospective.",
    "probability": "Chance the source comes through, 0..1: 1 for committed, required otherwise.",
    "rate": "Grant: share of eligible cost paid, 0..1. Loan: interest rate per year. Step of "
            "declining discount rates: the real rate from its `from`.",
    "eligible": "Cost ids or categories a rate-based grant pays for (default all).",
    "cap": "Most the source pays in total (a contract sum, not price-adjusted).",
    "payment": "Grant payment terms: advance, retention (shares of the total) and lag (years).",
    "advance": "Share of the total grant paid in the window's first year.",
    "retention": "Share of the total grant held back until the window's last year + lag.",
    "lag": "Years between the cost (or outcome) and the payment.",
    "covers": "In kind: id of the cost this source provides.",
    "share": "In kind: share of the covered cost provided, 0..1 (default 1).",
    "term": "Loan: repayment years after the year it is paid out.",
    "benefit": "Outcome payment: id of a benefit with a quantity.",
    "price": "Outcome payment: money per unit of the benefit's net quantity.",
    "beneficiary": "Stakeholder id that receives the value.",
    "quantity": "Units: of a benefit per year (e.g. burglaries avoided), valued at unit_value; "
                "of a cost (e.g. 12 cameras), priced at unit_cost.",
    "unit_value": "Money per unit of quantity.",
    "unit_cost": "Cost: money per unit of quantity, in prices of start_year (with quantity, "
                 "instead of amount).",
    "ramp_up": "Shares of full effect for the first years, e.g. [0.3, 0.7]; 1 afterwards.",
    "deadweight": "Share of the outcome that would happen anyway, 0..1.",
    "displacement": "Share of the outcome that moves elsewhere, 0..1.",
    "attribution": "Share of the outcome due to others, 0..1.",
    "drop_off": "Share of the effect lost each year after the first, 0..1.",
    "cash_releasing": "The value frees budget of the beneficiary (default false).",
    "dist": "Distribution: triangular, pert, uniform or normal.",
    "low": "Lowest value (for normal: optional truncation).",
    "mode": "Most likely value.",
    "high": "Highest value (for normal: optional truncation).",
    "mean": "Mean of the normal distribution.",
    "sd": "Standard deviation of the normal distribution, above 0.",
    "set": "Parameter path -> value, e.g. funding.erdf.rate: 0.",
    "unit": "Unit of the criterion.",
    "baseline": "Value before the initiative.",
    "target": "Value aimed for.",
    "direction": "increase or decrease: which way is better.",
    # format 1.2 (issue 15): loans with grace years and a balloon; the EU decision amount
    "grace": "Loan: years after the draw-down with interest only (0..term - 1, default 0); the "
             "annuity runs over the remaining term - grace years.",
    "balloon": "Loan: share of the principal repaid in one sum with the last instalment, 0..1 "
               "(default 0); the annuity amortises the rest.",
    "eu_cofinancing_rate": "Maximum EU co-financing rate of the programme's priority axis, "
                           "0..1: adds eligible_cost, decision_amount and max_eu_grant.",
}

# format 1.2: the risk register and correlated uncertainty (kept apart for easy merges)
DESCRIPTIONS.update({
    "risks": "Risk register: events that may happen each year at risk (privacy breach, vendor "
             "failure, a fine), with probability per year and impact.",
    "impact": "Risk: cost when the event happens, in prices of the start year.",
    "correlations": "Rank correlations of uncertain parameters for Monte Carlo: a list of "
                    "[path_a, path_b, rho], rho in -1..1 (Gaussian copula).",
})
# keys whose meaning differs by item: (the model's title, key) -> description
RISK_DESCRIPTIONS = {
    "probability": "Risk: chance per year at risk that the event happens, 0..1.",
    "from": "Risk: first year at risk (default start_year).",
    "to": "Risk: last year at risk, inclusive (default the last year).",
    "category": "Risk: cost category the impact is booked in (default other).",
}


def _refine(node: Any) -> None:
    """Add descriptions, year keys and closed key patterns throughout ``node``, in place."""
    if isinstance(node, dict):
        properties = node.get("properties")
        if isinstance(properties, dict):
            for key, prop in properties.items():
                if isinstance(prop, dict):
                    prop.pop("title", None)
                    if key in DESCRIPTIONS:
                        prop.setdefault("description", DESCRIPTIONS[key])
                    if key == "schedule":
                        for member in prop.get("anyOf", [prop]):
                            if member.get("type") == "object":
                                member["propertyNames"] = {"pattern": "^-?[0-9]+$"}
        if "patternProperties" in node:
            node.setdefault("additionalProperties", False)
        for value in node.values():
            _refine(value)
    elif isinstance(node, list):
        for value in node:
            _refine(value)


def _describe_risk(schema: dict[str, Any]) -> None:
    """A risk's probability, years and category mean something of their own."""
    properties = schema.get("$defs", {}).get("Risk", {}).get("properties", {})
    for key, text in RISK_DESCRIPTIONS.items():
        if key in properties:
            properties[key]["description"] = text


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a scenario file."""
    schema = Scenario.model_json_schema(by_alias=True)
    _describe_risk(schema)
    _refine(schema)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "labfinance.schema.json",
        **schema,
        "title": "labfinance scenario (format version 1)",
    }

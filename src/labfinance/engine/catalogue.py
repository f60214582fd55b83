"""The metric catalogue: every metric the engine reports, once, with what a reader needs to
read it. The JSON, the terminal, the workbook and ``compare`` all take names, labels, units and
formats from here.

``kind`` says how a value is shown: ``money`` (in the scenario's currency), ``rate`` (a share or
a rate per year, shown as a percentage), ``ratio`` or ``year`` (a calendar year, an integer in
the JSON). ``solved`` marks the metrics found by a root search (IRR, MIRR), which sensitivity
searches skip unless asked.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    name: str
    label: str          # in a reader's words
    kind: str           # money | rate | ratio | year
    meaning: str        # what it means, one sentence
    null_when: str = ""  # why it can be null (empty: never)
    solved: bool = False
    needs: str = ""     # a top-level key the metric needs: reported only where the file gives it

    @property
    def unit(self) -> str:
        """The unit column of a table; ``currency`` stands for the scenario's currency."""
        return {"money": "currency", "rate": "%", "ratio": "ratio", "year": "year"}[self.kind]


# format 1.2 (issue 15), Reg. 480/2014 arts. 15-19: DIC and DNR always; the decision amount and
# the maximum EU grant where the file gives `eu_cofinancing_rate`
EU_DECISION: tuple[Metric, ...] = (
    Metric("dic", "DIC: present value of the investment cost", "money",
           "Discounted investment cost behind the funding-gap rate: capex less contingency and "
           "less the repurchases an asset's life makes, at the discount rate."),
    Metric("dnr", "DNR: discounted net revenue", "money",
           "Present value of revenue less the other costs (and the residual value, where revenue "
           "exceeds those costs) behind the funding-gap rate."),
    Metric("eligible_cost", "Eligible cost (EU)", "money",
           "The investment cost behind DIC, undiscounted: what the decision amount applies the "
           "funding-gap rate to.", "", needs="eu_cofinancing_rate"),
    Metric("decision_amount", "Decision amount (EU)", "money",
           "Eligible cost × funding-gap rate: the part of the eligible cost the EU co-finances "
           "at the priority axis's rate.",
           "the funding-gap rate is null (no capex)", needs="eu_cofinancing_rate"),
    Metric("max_eu_grant", "Maximum EU grant", "money",
           "Decision amount × the priority axis's co-financing rate (eu_cofinancing_rate).",
           "the funding-gap rate is null (no capex)", needs="eu_cofinancing_rate"),
)
EU_METRICS: tuple[str, ...] = tuple(m.name for m in EU_DECISION if m.needs)

CATALOGUE: tuple[Metric, ...] = (
    Metric("total_cost", "Total cost", "money",
           "All costs over the horizon, contingency included, undiscounted."),
    # the risk register (format 1.2)
    Metric("expected_risk_cost", "Expected cost of the risk register", "money",
           "The risks' expected costs over the horizon (probability × impact × price factor in "
           "each year at risk), undiscounted; part of the total cost."),
    Metric("total_funding", "Total funding (incl. revenue and in-kind)", "money",
           "All funding and revenue over the horizon, in-kind included, loans not."),
    Metric("receivable_after_horizon", "Money due after the horizon", "money",
           "Grant instalments and outcome payments that fall due after the last year."),
    Metric("debt_outstanding", "Loan principal owed at the end", "money",
           "Loan principal still to repay after the last year."),
    Metric("funding_shortfall", "Funding shortfall", "money",
           "The money no source covers by the end, counting money due later and loans owed."),
    Metric("secured_funding_shortfall", "Shortfall with committed sources only", "money",
           "The funding shortfall if only committed sources pay."),
    Metric("peak_cash_need", "Peak cash need (bridge finance)", "money",
           "The deepest point of cumulative cash below zero: the most that must be found at once."),
    Metric("first_shortfall_year", "First year short of cash", "year",
           "The first year in which cumulative cash is below zero.",
           "cash never runs short inside the horizon"),
    # the decision view (format 1.1)
    Metric("secured_first_shortfall_year", "First year short of cash, committed sources only",
           "year", "The first year in which cumulative cash is below zero if only committed "
           "sources pay.",
           "on committed sources alone cash never runs short inside the horizon"),
    Metric("shortfall_per_year", "Shortfall per year", "money",
           "The funding shortfall spread over the years from the first year short of cash to "
           "the last: how much a year is missing.",
           "cash never runs short inside the horizon"),
    Metric("secured_shortfall_per_year", "Shortfall per year, committed sources only", "money",
           "The committed-only shortfall spread over the years from its first year short of cash "
           "to the last.",
           "on committed sources alone cash never runs short inside the horizon"),
    Metric("bridge_finance", "Bridge finance", "money",
           "The part of the peak cash need that money due later repays: cash needed only until "
           "later receipts arrive."),
    Metric("funding_at_risk", "Funding not yet committed", "money",
           "The funding of the sources that are not committed, as planned: what the planned case "
           "counts on without a signature."),
    Metric("financial_npv", "Financial NPV, FNPV(C)", "money",
           "Present value of revenue and residual value less costs at the discount rate: the "
           "return on the investment, before any grant."),
    Metric("financial_irr", "Financial IRR, FRR(C) (real)", "rate",
           "The discount rate at which the financial NPV is zero.",
           "the financial flows never change sign, or no rate makes their NPV zero", True),
    Metric("financial_mirr", "Financial MIRR (real)", "rate",
           "Modified IRR of the financial flows, with the discount rate as finance and "
           "reinvestment rate.",
           "the financial flows need both a negative and a positive year", True),
    Metric("funding_gap_rate", "Funding-gap rate (EU method)", "rate",
           "The share of the investment cost that net revenue does not pay back (EU Reg. "
           "480/2014); 100 % means revenue pays back none of it.",
           "the scenario has no capex, so there is no investment cost"),
    # ---- format 1.2: the PVs behind the funding-gap rate and the EU decision amount --------
    *EU_DECISION,
    Metric("economic_npv", "Economic NPV (societal), ENPV", "money",
           "Present value of benefits and residual value less costs at the social discount "
           "rate: the value to society."),
    Metric("economic_irr", "Economic IRR, EIRR (real)", "rate",
           "The discount rate at which the economic NPV is zero.",
           "the economic flows never change sign, or no rate makes their NPV zero", True),
    Metric("bcr", "Benefit-cost ratio", "ratio",
           "Present value of benefits and residual value divided by the present value of "
           "costs; above 1, society gains more than it spends.",
           "the scenario has no costs"),
    Metric("payback_year", "Payback year", "year",
           "The first year from which cumulative benefits less costs stay at or above zero.",
           "cumulative benefits less costs end the horizon below zero"),
    Metric("discounted_payback_year", "Discounted payback year", "year",
           "The payback year with benefits and costs discounted at the social rate.",
           "discounted cumulative benefits less costs end the horizon below zero"),
)

BY_NAME: dict[str, Metric] = {m.name: m for m in CATALOGUE}
METRICS: tuple[str, ...] = tuple(m.name for m in CATALOGUE)
YEAR_METRICS: tuple[str, ...] = tuple(m.name for m in CATALOGUE if m.kind == "year")
SOLVED_METRICS: tuple[str, ...] = tuple(m.name for m in CATALOGUE if m.solved)


def reported(scenario: object) -> tuple[str, ...]:
    """The metrics reported for ``scenario``: every metric, less those whose ``needs`` key the
    file leaves out (the EU decision amount without ``eu_cofinancing_rate``)."""
    return tuple(m.name for m in CATALOGUE
                 if not m.needs or getattr(scenario, m.needs, None) is not None)

"""Who pays and who benefits, and who should pay the shortfall (``scenario-format.md``, "Who
should pay").

Each stakeholder's figures: what it contributed (cash and in kind, grants and outcome payments
naming it), lent, received in benefits, and its net position. Then the **payers** (stakeholders
no one else represents: residents fall to their municipality) share the shortfall by weight:
``weight = max(0, gain) / sum over payers of max(0, gain)``, the gain of a payer counted over
itself and everyone it represents on the scenario's ``fair_share_basis``:

- ``net_gain`` (default): PV benefits received - PV contributed, so a party that already pays
  more than it gains is not asked for more;
- ``benefits``: PV benefits received;
- ``cash_releasing``: PV of cash-releasing benefits received.

``fair_share = weight × funding_shortfall`` and ``plan = weight × top_up`` per year: together
the payers' plans put in exactly the money that keeps cash at or above zero, when it is needed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from labfinance.engine import finance
from labfinance.engine.lineitems import BenefitLine
from labfinance.engine.timeline import ZERO
from labfinance.model.scenario import Loan, Scenario

BASIS = {
    "net_gain": "net",
    "benefits": "benefits_received_pv",
    "cash_releasing": "cash_releasing_received_pv",
}
BASIS_WORDS = {
    "net_gain": "net gain (PV benefits received less PV contributed)",
    "benefits": "PV of benefits received",
    "cash_releasing": "PV of cash-releasing benefits received",
}


def representatives(s: Scenario) -> tuple[dict[str, str], list[str]]:
    """Who pays on each stakeholder's behalf (its own id where it pays for itself), and the
    warnings the defaults raise.

    A stakeholder names its representative with `represented_by`. Residents that name none fall
    to the scenario's one municipality (where there is exactly one, itself unrepresented, and the
    residents represent no one); otherwise they pay for themselves, with a warning.
    """
    named = {sid: h.represented_by for sid, h in s.stakeholders.items()
             if h.represented_by is not None}
    representing = {rep for sid, rep in named.items() if rep != sid}
    municipalities = [sid for sid, h in s.stakeholders.items() if h.kind == "municipality"
                      and named.get(sid, sid) == sid]
    out: dict[str, str] = {}
    warnings: list[str] = []
    for sid, holder in s.stakeholders.items():
        if sid in named:
            out[sid] = named[sid] or sid
        elif holder.kind == "residents" and sid not in representing:
            if len(municipalities) == 1:
                out[sid] = municipalities[0]
            else:
                out[sid] = sid
                why = ("there is no municipality" if not municipalities
                       else "there are several municipalities")
                warnings.append(f"residents ('{sid}') are asked to pay a share themselves: "
                                f"{why} to represent them; name one with "
                                f"stakeholders.{sid}.represented_by")
        else:
            out[sid] = sid
    return out, warnings


@dataclass
class Stakeholders:
    figures: dict[str, dict[str, np.ndarray]]   # per stakeholder: (draws,) or (draws, years)
    represented_by: dict[str, str | None]       # None for a payer
    notes: dict[str, str]
    warnings: list[str]


def stakeholders(s: Scenario, lines: dict[str, np.ndarray], benefits: list[BenefitLine],
                 present_value: Callable[[np.ndarray], np.ndarray],
                 m: dict[str, np.ndarray], ledger: dict[str, np.ndarray]) -> Stakeholders:
    """Stakeholder figures of one evaluation.

    ``lines`` are the planned funding lines by source id ``(draws, years)``; ``present_value``
    discounts a ``(draws, years)`` series at the social rate; ``m`` holds the shortfalls and
    ``ledger`` the ``top_up`` rows.
    """
    D, Y = m["total_cost"].shape[0], s.years
    zero = np.zeros((D, Y))
    paid = {sid: zero for sid in s.stakeholders}
    lent = {sid: np.zeros(D) for sid in s.stakeholders}
    for source in s.funding:
        if source.stakeholder is None:
            continue
        if isinstance(source, Loan):
            lent[source.stakeholder] = lent[source.stakeholder] + np.clip(
                lines[source.id], 0, None).sum(axis=-1)
        else:
            paid[source.stakeholder] = paid[source.stakeholder] + lines[source.id]
    received = {sid: zero for sid in s.stakeholders}
    releasing = {sid: zero for sid in s.stakeholders}
    for b in benefits:
        received[b.beneficiary] = received[b.beneficiary] + b.value
        if b.cash_releasing:
            releasing[b.beneficiary] = releasing[b.beneficiary] + b.value

    out: dict[str, dict[str, np.ndarray]] = {}
    for sid in s.stakeholders:
        pv_paid = present_value(paid[sid])
        pv_received = present_value(received[sid])
        out[sid] = {
            "contributed": paid[sid].sum(axis=-1),
            "contributed_pv": pv_paid,
            "lent": lent[sid],
            "benefits_received": received[sid].sum(axis=-1),
            "benefits_received_pv": pv_received,
            "cash_releasing_received": releasing[sid].sum(axis=-1),
            "cash_releasing_received_pv": present_value(releasing[sid]),
            "net": finance.net_position(pv_received, pv_paid),
            "contributed_yearly": paid[sid],
            "benefits_received_yearly": received[sid],
            "cash_releasing_received_yearly": releasing[sid],
        }

    payer_of, warnings = representatives(s)
    payers = [sid for sid in s.stakeholders if payer_of[sid] == sid]
    basis = BASIS[s.fair_share_basis]
    gain = {p: np.zeros(D) for p in payers}
    for sid in s.stakeholders:
        gain[payer_of[sid]] = gain[payer_of[sid]] + out[sid][basis]
    total = sum((np.maximum(g, 0.0) for g in gain.values()), np.zeros(D))
    defined = total > ZERO
    safe_total = np.where(defined, total, 1.0)
    nan, nan_rows = np.full(D, np.nan), np.full((D, Y), np.nan)
    for sid in s.stakeholders:
        f = out[sid]
        if sid in gain:
            weight = np.where(defined, np.maximum(gain[sid], 0.0) / safe_total, np.nan)
            f["gain"] = gain[sid]
        else:
            weight = nan
            f["gain"] = nan
        f["weight"] = weight
        f["fair_share"] = weight * m["funding_shortfall"]
        f["secured_fair_share"] = weight * m["secured_funding_shortfall"]
        f["plan"] = weight[:, None] * ledger["top_up"] if sid in gain else nan_rows
        f["secured_plan"] = (weight[:, None] * ledger["secured_top_up"] if sid in gain
                             else nan_rows)

    notes: dict[str, str] = {}
    if s.stakeholders and not defined[0]:
        why = (f"no payer has a positive {BASIS_WORDS[s.fair_share_basis]}, so there is nothing "
               "to split the shortfall by")
        notes.update(dict.fromkeys(("weight", "fair_share", "secured_fair_share", "plan",
                                    "secured_plan"), why))
    represented = {sid: (None if payer_of[sid] == sid else payer_of[sid])
                   for sid in s.stakeholders}
    return Stakeholders(out, represented, notes, warnings)


def stakeholder_totals(figures: dict[str, dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Each figure of one number per draw summed over the stakeholders (null ones left out),
    and the sum of the payers' positive gains that divides the weights."""
    keys = [k for k, v in next(iter(figures.values())).items() if v.ndim == 1] if figures else []
    totals = {key: sum((np.nan_to_num(v[key]) for v in figures.values()), np.zeros(1))
              for key in keys}
    totals["positive_gain"] = sum((np.maximum(np.nan_to_num(v["gain"]), 0)
                                   for v in figures.values()), np.zeros(1))
    return totals

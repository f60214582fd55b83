"""A parameter path in words, for every place a reader sees one (tornado, switching values,
sources at risk, the terminal): ``benefits.incidents_avoided.unit_value`` reads "Incidents
avoided: value per unit" (Dutch: "Voorkomen incidenten: waarde per eenheid"), the item's own name
then the field's words from the text catalogue (``param.*``, the same words as the Assumptions
rows). A path the catalogue has no words for is shown as it is.
"""

from __future__ import annotations

import re
from typing import Any

from labfinance.model.scenario import Cost, Grant, Loan, Risk
from labfinance.texts import Texts

ITEMS = ("costs", "funding", "benefits", "risks")
# fields whose words are under another key (param.<key>)
FIELDS = {"payment.advance": "advance", "payment.retention": "retention",
          "payment.lag": "payment_lag", "contingency": "item_contingency"}
# a risk's fields (format 1.2) in the words of its Assumptions rows
RISK_FIELDS = {"probability": "risk_probability", "from": "risk_from", "to": "risk_to"}


def _field(item: Any, rest: list[str], t: Texts) -> str:
    key = ".".join(rest)
    if rest[0] == "schedule" and len(rest) == 2:
        return t("param.amount_in", year=rest[1])
    if rest[0] == "ramp_up" and len(rest) == 2 and rest[1].isdigit():
        return t("param.ramp_up", year=int(rest[1]) + 1)
    if key == "rate":
        return t("param.loan_rate" if isinstance(item, Loan) else "param.grant_rate")
    if key in ("from", "to") and isinstance(item, Grant) and item.rate is not None:
        return t(f"param.grant_{key}")
    if isinstance(item, Risk):
        key = RISK_FIELDS.get(key, key)
    if key == "quantity" and isinstance(item, Cost):  # unit prices (format 1.2)
        key = "unit_quantity"
    key = FIELDS.get(key, key)
    return t(f"param.{key}") if t.has(f"param.{key}") else ".".join(rest)


def parameter_words(scenario: Any, path: str, t: Texts) -> str:
    """``path`` in the words of language ``t``."""
    tokens = path.split(".")
    if tokens[0] in ITEMS and len(tokens) >= 3:
        item = next((i for i in getattr(scenario, tokens[0]) if i.id == tokens[1]), None)
        name = item.label if item is not None else tokens[1]
        return f"{name}: {_field(item, tokens[2:], t)}"
    if tokens[0] == "funding" and len(tokens) == 2:  # a source awarded or not (Monte Carlo)
        item = next((i for i in scenario.funding if i.id == tokens[1]), None)
        return t("param.award", name=item.label if item is not None else tokens[1])
    if tokens[0] == "contingency" and len(tokens) == 2:
        return t("param.contingency_category", category=t.word(tokens[1]))
    if tokens[0] == "social_discount_rate" and len(tokens) == 3 and tokens[1].isdigit() \
            and tokens[2] in ("from", "rate"):  # a step of declining rates (format 1.2)
        return t(f"param.step_{tokens[2]}", step=int(tokens[1]) + 1)
    if len(tokens) == 1 and t.has(f"param.{path}") and path not in ("from", "to", "every"):
        return t(f"param.{path}")
    return path


def sentence_words(scenario: Any, text: str, t: Texts) -> str:
    """An English sentence of the engine or the analysis (a warning, why a switching value or a
    metric is n/a) in language ``t``: its paths and metrics in words, its numbers with the
    language's separators. English is returned as written."""
    if t.lang == "en":
        return text

    def convert(field: str, value: str) -> str:
        if field == "path":
            return parameter_words(scenario, value, t)
        if field == "metric":
            key = f"metric.{value}.label"
            return t(key) if t.has(key) else value
        if field in ("low", "high", "value", "target", "amount", "roots"):
            return local(value, t)
        return value

    return t.known(text, convert)


def local(text: str, t: Texts) -> str:
    """The numbers of ``text`` (1,234.5) with the language's separators (1.234,5)."""
    decimal, thousands = t("number.decimal"), t("number.thousands")
    return re.sub(r"(?<=\d)[.,](?=\d)",
                  lambda m: decimal if m.group(0) == "." else thousands, text)

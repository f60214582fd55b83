"""Pydantic's validation errors -> problems in a scenario author's words, each at its line.

Pydantic names a location as the model sees it (``funding.0.grant.rate``, with the union member it
tried) and words the error for a programmer (``Input should be a valid number``). Each error becomes
a location in the raw document and a message a finance reader can act on: what was expected, what
was written (as it was written), and a hint where one helps (``did you mean 'amount'?``, write 15%
as 0.15). Every error is kept, so that a file shows all of its problems at once.
"""

from __future__ import annotations

import datetime
import difflib
import re
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from labfinance.model.reading import Document, Problem, describe
from labfinance.model.scenario import FUNDING_MODELS, FUNDING_TYPES, KeyProblem, Scenario

DISTRIBUTIONS = ("triangular", "pert", "uniform", "normal")


def _number_hint(value: Any) -> str:
    """Why a text is not a number, where it looks like one."""
    if not isinstance(value, str):
        return ""
    text = value.strip()
    percent = re.fullmatch(r"([-+]?[0-9]*\.?[0-9]+)\s*%", text)
    if percent:
        return f"; write shares and rates as fractions: {float(percent.group(1)) / 100:g}"
    if re.fullmatch(r"[-+]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?", text):
        return f"; write it without separators: {text.replace(',', '')}"
    return ""


def _model_at(loc: Sequence[Any], raw: Any) -> type[BaseModel] | None:
    """The model class that validates the map at ``loc`` (for 'did you mean')."""
    annotation: Any = Scenario
    node = raw
    for key in loc:
        model = _unwrap(annotation, node)
        if isinstance(model, type) and issubclass(model, BaseModel):
            fields = {f.alias or n: f for n, f in model.model_fields.items()}
            if key not in fields:
                return None
            annotation = fields[key].annotation
        else:
            args = typing.get_args(_strip_annotated(annotation))
            annotation = args[-1] if args else None
        node = node[key] if isinstance(node, (dict, list)) and _has(node, key) else None
    model = _unwrap(annotation, node)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _has(node: dict[Any, Any] | list[Any], key: Any) -> bool:
    if isinstance(node, list):
        return isinstance(key, int) and 0 <= key < len(node)
    return key in node


def _strip_annotated(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _unwrap(annotation: Any, node: Any) -> Any:
    """The model an annotation means for ``node``: optional and tagged unions resolved."""
    annotation = _strip_annotated(annotation)
    if typing.get_origin(annotation) in (typing.Union, type(int | None)):
        members = [_strip_annotated(a) for a in typing.get_args(annotation)]
        models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
        if len(models) == 1:
            return models[0]
        tag = node.get("type", node.get("dist")) if isinstance(node, dict) else None
        for m in models:
            for fname in ("type", "dist"):
                f = m.model_fields.get(fname)
                if f is not None and tag in typing.get_args(f.annotation):
                    return m
        return None
    return annotation


def _field_names(model: Any) -> list[str]:
    return [f.alias or n for n, f in model.model_fields.items()]


def _funding_types_with(key: str) -> list[str]:
    return [t for t, m in zip(FUNDING_TYPES, FUNDING_MODELS, strict=True)
            if key in _field_names(m)]


def _clean_loc(loc: Sequence[Any], raw: Any) -> tuple[Any, ...]:
    """A pydantic location in raw terms: without discriminator tags, union members and '[key]'."""
    out = list(loc)
    # a resolved discriminated union puts the tag into the location: funding.0.grant.rate
    if len(out) > 2 and out[0] in ("funding", "uncertainty"):
        tag_key = "type" if out[0] == "funding" else "dist"
        item = _at(raw, out[:2])
        if isinstance(item, dict) and out[2] == item.get(tag_key):
            del out[2]
    # `contingency` is a number or a map: pydantic names the member it tried
    if len(out) > 1 and out[0] == "contingency" and isinstance(out[1], str) and "[" in out[1]:
        del out[1]
    # `social_discount_rate` is a number, a preset or a list of steps: the member tried too
    if len(out) > 1 and out[0] == "social_discount_rate" and isinstance(out[1], str):
        del out[1]
    return tuple(s for s in out if s != "[key]")


def _at(raw: Any, loc: Sequence[Any]) -> Any:
    node = raw
    for key in loc:
        if isinstance(node, dict | list) and _has(node, key):
            node = node[key]
        else:
            return None
    return node


def _contingency_branch(err: Any, raw: Any) -> bool:
    """Of `contingency`, a number or a map of numbers, keep the errors of the form meant."""
    loc = err["loc"]
    if len(loc) < 2 or loc[0] != "contingency" or not isinstance(loc[1], str):
        return True
    is_map_branch = loc[1].startswith("dict[")
    return isinstance(_at(raw, ["contingency"]), dict) == is_map_branch


def _social_rate_branch(err: Any, raw: Any) -> bool:
    """Of `social_discount_rate` (a number, a preset name or a list of steps, format 1.2), keep
    the errors of the form meant: a number's, a list's, or else the preset's (one message)."""
    loc = err["loc"]
    if len(loc) < 2 or loc[0] != "social_discount_rate" or not isinstance(loc[1], str):
        return True
    value = _at(raw, ["social_discount_rate"])
    if isinstance(value, list):
        return loc[1].startswith("list[")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return not loc[1].startswith(("list[", "literal["))
    return loc[1].startswith("literal[")


def _translate(err: Any, raw: Any) -> tuple[tuple[Any, ...], str]:
    """A pydantic error as (location in the raw document, message in the user's words)."""
    loc = _clean_loc(err["loc"], raw)
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    is_key = "[key]" in err["loc"]
    if loc[:1] == ("correlations",) and len(loc) <= 3 and kind in ("too_long", "too_short",
                                                                     "missing"):
        # format 1.2: a correlation is a triple, each part required
        entry = loc[:2]
        got = _at(raw, entry)
        count = f" (got {len(got)} items)" if isinstance(got, list) else ""
        return entry, f"must be [path_a, path_b, rho]{count}"
    if kind == "missing":
        return loc, "is required"
    if kind == "extra_forbidden":
        return loc, f"unknown key{_unknown_key_hint(loc, raw)}"
    if kind == "invalid_key":
        return loc, "unknown key"
    if kind in ("float_type", "int_type", "int_from_float", "int_parsing", "float_parsing"):
        if is_key and kind.startswith("int"):
            return loc, f"a schedule is keyed by year, a whole number (got {describe(value)})"
        want = "a whole number" if kind.startswith("int") else "a number"
        return loc, f"must be {want} (got {describe(value)}{_number_hint(value)})"
    if kind == "string_type":
        quote = "; put it in quotes to keep it as text" if isinstance(
            value, int | float | datetime.date) else ""
        return loc, f"must be text (got {describe(value)}{quote})"
    if kind == "bool_type":
        return loc, f"must be true or false (got {describe(value)})"
    if kind in ("dict_type", "model_type", "model_attributes_type", "mapping_type"):
        return loc, f"must be a map of keys (got {describe(value)})"
    if kind in ("list_type", "tuple_type", "sequence_type"):
        return loc, f"must be a list (got {describe(value)})"
    if kind == "literal_error":
        if loc == ("labfinance",):
            return loc, ("must be 1, the format version this labfinance reads (got "
                         f"{describe(value)})")
        if loc == ("social_discount_rate",):
            close = difflib.get_close_matches(value, ["green_book"], n=1, cutoff=0.6) \
                if isinstance(value, str) else []
            hint = f"; did you mean '{close[0]}'?" if close else ""
            return loc, ("must be a rate (a number), the preset 'green_book' or a list of steps "
                         f"{{from, rate}} (got {describe(value)}{hint})")
        return loc, f"must be {ctx.get('expected', '')} (got {describe(value)})"
    if kind == "union_tag_invalid":
        disc = str(ctx.get("discriminator", "")).strip("'")
        got = value.get(disc) if isinstance(value, dict) else ctx.get("tag")
        expected = ctx.get("expected_tags", "")
        return loc + (disc,), f"must be one of {expected} (got {describe(got)})"
    if kind == "union_tag_not_found":
        disc = str(ctx.get("discriminator", "")).strip("'")
        choices = FUNDING_TYPES if disc == "type" else DISTRIBUTIONS
        return loc, f"needs a `{disc}` (one of {', '.join(choices)})"
    if kind == "string_pattern_mismatch":
        if loc and loc[-1] == "currency":
            return loc, ("must be an ISO 4217 code of three capital letters (got "
                         f"{describe(value)})")
        return loc, f"must be lowercase letters, digits, '_' or '-' (got {describe(value)})"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        words = {"greater_than_equal": "at least", "less_than_equal": "at most",
                 "greater_than": "above", "less_than": "below"}
        bound = next(iter(ctx.values()), "")
        return loc, f"must be {words[kind]} {bound} (got {describe(value)})"
    if kind in ("value_error", "assertion_error"):
        error = ctx.get("error")
        if isinstance(error, KeyProblem):
            return loc + (error.key,), str(error)
        return loc, str(error if error is not None else err["msg"])
    message = str(err["msg"])
    message = re.sub(r"^Input should be", "must be", message)
    message = re.sub(r"^Value error, ", "", message)
    return loc, message[:1].lower() + message[1:]


def _unknown_key_hint(loc: tuple[Any, ...], raw: Any) -> str:
    model = _model_at(loc[:-1], raw)
    if model is None:
        return ""
    names = _field_names(model)
    close = difflib.get_close_matches(str(loc[-1]), names, n=1, cutoff=0.6)
    if close:
        return f" (did you mean '{close[0]}'?)"
    if len(loc) == 3 and loc[0] == "funding":
        owners = _funding_types_with(str(loc[-1]))
        item = _at(raw, loc[:2])
        if owners and isinstance(item, dict):
            return (f" (a {item.get('type')} source has no `{loc[-1]}`; "
                    f"{' and '.join(owners)} sources do)")
    return f" (known keys: {', '.join(names)})"


def validation_problems(exc: ValidationError, doc: Document) -> list[Problem]:
    errors = [e for e in exc.errors(include_url=False)
              if _contingency_branch(e, doc.raw) and _social_rate_branch(e, doc.raw)]
    translated = [(_translate(err, doc.raw), err["type"]) for err in errors]
    # `knd: x` where `kind` is missing is one typo, not two problems: keep 'did you mean' only
    meant = set()
    for (loc, text), kind in translated:
        match = re.search(r"did you mean '([^']+)'", text) if kind == "extra_forbidden" else None
        if match:
            meant.add(loc[:-1] + (match.group(1),))
    problems: list[Problem] = []
    for (loc, text), kind in translated:
        if kind == "missing" and loc in meant:
            continue
        problem = doc.problem(loc, text)
        if problem not in problems:
            problems.append(problem)
    return sorted(problems, key=lambda p: p.line)

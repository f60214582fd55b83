"""Parameter paths: the dotted names of single numbers in a scenario.

A path such as ``funding.erdf.payment.advance`` walks maps by key and the lists ``costs``,
``funding``, ``benefits`` and ``criteria`` by item id; ``schedule`` maps are keyed by year and
``ramp_up`` lists by position (``benefits.cameras.ramp_up.0``). Overrides (variants, ``--set``) are
applied to the raw document, which is then validated again, so an override is checked exactly as
the file is.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from typing import Any

ID_LISTS = ("costs", "funding", "benefits", "criteria", "risks")
_ID = re.compile(r"^[a-z0-9_-]+$")


class PathError(ValueError):
    """A parameter path that does not name a place in the scenario."""


def display_path(loc: Sequence[Any], raw: Any) -> str:
    """Turn a location in the raw document into the dotted path a user writes.

    Items of ``costs``/``funding``/``benefits``/``criteria`` are named by their id where they have
    a valid one, otherwise by ``[index]``; items of other lists by position, as in parameter paths.

    >>> display_path(("funding", 0, "rate"), {"funding": [{"id": "erdf"}]})
    'funding.erdf.rate'
    >>> display_path(("costs", 2), {"costs": []})
    'costs[2]'
    >>> display_path(("benefits", 0, "ramp_up", 1), {"benefits": [{"id": "b", "ramp_up": [1, 2]}]})
    'benefits.b.ramp_up.1'
    """
    parts: list[str] = []
    node = raw
    for depth, key in enumerate(loc):
        if isinstance(key, int) and not isinstance(key, bool) and isinstance(node, list):
            item = node[key] if 0 <= key < len(node) else None
            item_id = item.get("id") if isinstance(item, dict) else None
            if depth == 1 and parts[-1] in ID_LISTS:
                if isinstance(item_id, str) and _ID.match(item_id):
                    parts.append(item_id)
                else:
                    parts[-1] = f"{parts[-1]}[{key}]"
            else:
                parts.append(str(key))
            node = item
            continue
        parts.append(str(key))
        node = node.get(key) if isinstance(node, dict) else None
    return ".".join(parts)


def _list_item(items: list[Any], item_id: str, where: str) -> int:
    for i, item in enumerate(items):
        if isinstance(item, dict) and item.get("id") == item_id:
            return i
    known = ", ".join(str(it.get("id")) for it in items if isinstance(it, dict))
    raise PathError(f"{where} has no item with id '{item_id}' (ids: {known or 'none'})")


def locate(raw: Any, path: str, *, create: bool = False) -> tuple[Any, Any, tuple[Any, ...]]:
    """Find the container and key that ``path`` names in ``raw``.

    Returns ``(container, key, loc)`` where ``loc`` is the location in raw terms (list indices as
    ints). With ``create``, missing maps on the way are made (an override may set a key the file
    leaves out). Raises :class:`PathError` where the path runs through a number or names an unknown
    item.
    """
    tokens = path.split(".")
    if not path or any(t == "" for t in tokens):
        raise PathError("is not a parameter path (write it like costs.cameras.amount)")
    node = raw
    loc: list[Any] = []
    for depth, token in enumerate(tokens):
        last = depth == len(tokens) - 1
        where = ".".join(tokens[:depth]) or "the scenario"
        key: Any
        if isinstance(node, list):
            if depth == 1 and tokens[0] in ID_LISTS:
                key = _list_item(node, token, where)
            else:
                try:
                    key = int(token)
                except ValueError:
                    raise PathError(f"{where} is a list; name an item by its position") from None
                if not 0 <= key < len(node):
                    if create and last and key == len(node):
                        node.append(None)
                    else:
                        raise PathError(f"{where} has no position {key} (it has {len(node)})")
        elif isinstance(node, dict):
            key = token
            if tokens[depth - 1:depth] == ["schedule"] or (
                token.lstrip("-").isdigit() and token not in node and int(token) in node
            ):
                try:
                    key = int(token)
                except ValueError:
                    raise PathError(f"{where} is keyed by year (got '{token}')") from None
            if not last and key not in node:
                if not create:
                    raise PathError(f"{where} has no key '{token}'")
                node[key] = {}
            elif not last and node[key] is None and create:
                node[key] = {}
        else:
            raise PathError(f"{where} is a single value ({node!r}), so there is no '{path}'; "
                            f"set {where} itself")
        loc.append(key)
        if last:
            return node, key, tuple(loc)
        node = node[key]
    raise AssertionError("unreachable")


def get(raw: Any, path: str) -> Any:
    container, key, _ = locate(raw, path)
    if isinstance(container, dict) and key not in container:
        raise PathError(f"'{path}' is not set in the scenario")
    return container[key]


def _spell_out_preset(raw: Any, path: str) -> None:
    """Declining rates (format 1.2): a path into the steps of a preset (``social_discount_rate.1.
    rate`` of ``green_book``) first writes the preset out as its list of steps, in place."""
    from labfinance.model.scenario import DISCOUNT_PRESETS

    if not path.startswith("social_discount_rate.") or not isinstance(raw, dict):
        return
    preset = raw.get("social_discount_rate")
    if isinstance(preset, str) and preset in DISCOUNT_PRESETS:
        raw["social_discount_rate"] = [{"from": start, "rate": rate}
                                       for start, rate in DISCOUNT_PRESETS[preset]]


def with_override(raw: Any, path: str, value: Any) -> tuple[Any, tuple[Any, ...]]:
    """A copy of ``raw`` with ``path`` set to ``value``; also returns the raw location.

    ``raw`` is never changed. Where the path exists, only the maps and lists along it are copied
    and the rest is shared (read-only, as validation reads it): a deep copy of a 2,000-line file
    cost ~30 ms an override. Where the override adds keys or goes into declining rates (whose
    preset it may write out), the whole is copied first."""
    try:
        _, _, loc = locate(raw, path)  # create=False: only looks
    except PathError:
        loc = None
    if loc is None or path.startswith("social_discount_rate."):
        new = copy.deepcopy(raw)
        _spell_out_preset(new, path)
        container, key, loc = locate(new, path, create=True)
        container[key] = value
        return new, loc
    new = copy.copy(raw)
    node = new
    for key in loc[:-1]:
        node[key] = copy.copy(node[key])
        node = node[key]
    node[loc[-1]] = value
    return new, loc

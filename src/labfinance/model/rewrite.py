"""Change values in a scenario's text and keep everything else: comments, key order, layout.

``labfinance import`` brings a reader's workbook edits back into the scenario file. The file is
the finance staff's: its comments say where numbers come from, so it is changed in place, value by
value, not written anew. YAML goes through ruamel.yaml's round-trip mode, TOML through tomlkit;
both keep comments and order. ruamel.yaml writes indentation by its settings rather than as it
found it, so the settings are chosen among the common layouts as the first under which the
unchanged text comes back byte for byte (:func:`yaml_layout`); a file in none of them is still
changed correctly, its indentation then normalised (the caller is told).

The result is checked by the caller: read back with labfinance's own reader, it must give the
original data with exactly the edits applied.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Iterable, MutableMapping, MutableSequence
from typing import Any

from labfinance.model.paths import ID_LISTS

# (mapping indent, sequence indent, dash offset): lists indented under their key (the templates'
# style), flush with it, and the same at four spaces
LAYOUTS = ((2, 4, 2), (2, 2, 0), (4, 4, 2), (4, 4, 0), (4, 6, 4), (2, 4, 0), (3, 5, 2), (4, 2, 0))
WIDTH = 1_000_000  # never fold a long line anew


def _yaml(layout: tuple[int, int, int]) -> Any:
    from ruamel.yaml import YAML

    yaml = YAML()  # round-trip mode
    yaml.preserve_quotes = True
    yaml.width = WIDTH
    mapping, sequence, offset = layout
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def _dump(yaml: Any, data: Any) -> str:
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def yaml_layout(text: str) -> tuple[int, int, int] | None:
    """The first of :data:`LAYOUTS` under which ruamel.yaml gives ``text`` back unchanged."""
    for layout in LAYOUTS:
        yaml = _yaml(layout)
        try:
            if _dump(yaml, yaml.load(text)) == text:
                return layout
        except Exception:  # ruamel reads some YAML PyYAML reads differently: try the next
            continue
    return None


def _key(container: MutableMapping[Any, Any], token: str, schedule: bool) -> Any:
    """The key ``token`` names in ``container``: a year in a schedule (ruamel keeps years as
    numbers, tomlkit as text), else the word."""
    if token.lstrip("-").isdigit():
        for key in container:
            if str(key) == token:
                return key
        if schedule and not all(isinstance(k, str) for k in container if k is not None):
            return int(token)
    return token


def set_value(data: Any, path: str, value: Any, new_map: Any = dict) -> None:
    """Set ``path`` (a parameter path: list items of costs, funding, ... by id) to ``value``,
    making missing maps on the way with ``new_map``."""
    tokens = path.split(".")
    node = data
    following = None  # lines that followed the map's last key, to go after the new one
    for depth, token in enumerate(tokens):
        last = depth == len(tokens) - 1
        key: Any
        if isinstance(node, MutableSequence):
            if depth == 1 and tokens[0] in ID_LISTS:
                key = next(i for i, item in enumerate(node)
                           if isinstance(item, MutableMapping) and item.get("id") == token)
            else:
                key = int(token)
        else:
            key = _key(node, token, depth > 0 and tokens[depth - 1] == "schedule")
        added = isinstance(node, MutableMapping) and key not in node
        if added and following is None:
            following = _following(node)
        if last:
            node[key] = value
            if added and following is not None:
                node.ca.items[key] = [None, None, following, None]
            return
        if isinstance(node, MutableMapping) and (added or node[key] is None):
            node[key] = new_map()
        node = node[key]


def _following(node: Any) -> Any:
    """Before a key is added at the end of a ruamel map: the blank and comment lines after the
    map's last key (which ruamel keeps with that key), taken off it to go after the new key."""
    items = getattr(getattr(node, "ca", None), "items", None)
    if items is None or not len(node):
        return None
    entry = items.get(list(node)[-1])
    token = entry[2] if entry and len(entry) > 2 else None
    if token is None or "\n" not in token.value:
        return None
    own, after = token.value.split("\n", 1)
    if not after:
        return None
    moved = copy.copy(token)
    token.value = own + "\n"
    moved.value = "\n" + after
    return moved


def _plain(value: Any) -> Any:
    """A number as it reads best in a file: a whole float as a whole number."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def rewrite(text: str, syntax: str, edits: Iterable[tuple[str, Any]]) -> tuple[str, bool]:
    """``text`` with each ``(path, value)`` of ``edits`` set; also whether the layout was kept
    (False only where ruamel.yaml could not reproduce the file's indentation)."""
    edits = list(edits)
    if syntax == "toml":
        import tomlkit

        doc = tomlkit.parse(text)
        for path, value in edits:
            set_value(doc, path, _plain(value), tomlkit.inline_table)
        return tomlkit.dumps(doc), True
    from ruamel.yaml.comments import CommentedMap

    crlf = "\r\n" in text and "\n" not in text.replace("\r\n", "")  # ruamel writes \n
    if crlf:
        text = text.replace("\r\n", "\n")
    layout = yaml_layout(text)
    yaml = _yaml(layout or LAYOUTS[0])
    data = yaml.load(text)
    for path, value in edits:
        set_value(data, path, _plain(value), CommentedMap)
    out = _dump(yaml, data)
    return out.replace("\n", "\r\n") if crlf else out, layout is not None

"""Scenario files -> validated :class:`~labfinance.scenario.Scenario`, errors located by line.

YAML is read with PyYAML's safe composer (no object construction), node by node, so that every key
and list item keeps the line it was written on; documents are bounded in size and in the nodes
that aliases may expand to. TOML with the same structure is read with :mod:`tomllib`, whose parser
keeps no lines, so lines there are found by a scan of the table headers and keys.

Every problem is reported at once, each as ``file:line: path: message``.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import tomllib
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from labfinance import paths, rules
from labfinance.scenario import Scenario

MAX_FILE_BYTES = 5_000_000
MAX_NODES = 200_000


class ScenarioError(Exception):
    """One or more problems with a scenario, each a ready-to-print line."""

    def __init__(self, messages: Sequence[str]):
        super().__init__("\n".join(messages))
        self.messages = list(messages)


@dataclass(frozen=True)
class Document:
    """A parsed scenario file: the raw data and the line of each location in it."""

    path: str
    raw: Any
    lines: dict[tuple[Any, ...], int]
    sha256: str
    text: str = field(repr=False)

    def line_of(self, loc: Sequence[Any]) -> int:
        loc = tuple(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get((), 1)

    def message(self, loc: Sequence[Any], text: str) -> str:
        where = paths.display_path(loc, self.raw)
        prefix = f"{self.path}:{self.line_of(loc)}:"
        return f"{prefix} {where}: {text}" if where else f"{prefix} {text}"


@dataclass(frozen=True)
class Loaded:
    """A validated scenario with the document it came from."""

    document: Document
    scenario: Scenario

    @property
    def path(self) -> str:
        return self.document.path


# --------------------------------------------------------------------------- reading


class _YamlReader:
    def __init__(self, path: str):
        self.path = path
        self.lines: dict[tuple[Any, ...], int] = {}
        self.errors: list[str] = []
        self.nodes = 0
        self.constructor = yaml.constructor.SafeConstructor()

    def convert(self, node: yaml.Node, loc: tuple[Any, ...]) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ScenarioError([f"{self.path}:{node.start_mark.line + 1}: the document expands to "
                                 f"more than {MAX_NODES} values (too many aliases?)"])
        self.lines.setdefault(loc, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            self.constructor.flatten_mapping(node)
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    self.errors.append(f"{self.path}:{key_node.start_mark.line + 1}: a key must be "
                                       "a plain word or number")
                    continue
                key = self.constructor.construct_object(key_node)
                if key in result:
                    where = paths.display_path(loc + (key,), self._root_hint)
                    self.errors.append(f"{self.path}:{key_node.start_mark.line + 1}: {where}: key "
                                       "given twice (the first is line "
                                       f"{self.lines.get(loc + (key,), '?')})")
                    continue
                self.lines[loc + (key,)] = key_node.start_mark.line + 1
                result[key] = self.convert(value_node, loc + (key,))
            return result
        if isinstance(node, yaml.SequenceNode):
            items = []
            for i, item in enumerate(node.value):
                self.lines[loc + (i,)] = item.start_mark.line + 1
                items.append(self.convert(item, loc + (i,)))
            return items
        value = self.constructor.construct_object(node)
        return value

    _root_hint: Any = None


def _read_yaml(path: str, text: str) -> tuple[Any, dict[tuple[Any, ...], int]]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = exc.problem or str(exc)
        context = f" ({exc.context})" if exc.context else ""
        raise ScenarioError([f"{path}:{line}: not valid YAML: {problem}{context}"]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([f"{path}:1: not valid YAML: {exc}"]) from None
    if node is None:
        raise ScenarioError([f"{path}:1: the file is empty; a scenario starts with `labfinance: 1`"])
    reader = _YamlReader(path)
    try:
        raw = reader.convert(node, ())
    except yaml.constructor.ConstructorError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise ScenarioError([f"{path}:{line}: not valid YAML: {exc.problem}"]) from None
    if reader.errors:
        raise ScenarioError(reader.errors)
    return raw, reader.lines


_TOML_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_TOML_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"'.]+)\s*=")


def _toml_lines(text: str, raw: Any) -> dict[tuple[Any, ...], int]:
    """Lines of TOML tables and keys, found by a scan (tomllib keeps no positions)."""
    lines: dict[tuple[Any, ...], int] = {}
    counts: dict[tuple[Any, ...], int] = {}
    table: tuple[Any, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        header = _TOML_HEADER.match(line)
        if header:
            keys = tuple(k.strip().strip("\"'") for k in header.group(2).split("."))
            if header.group(1) == "[[":
                index = counts.get(keys, 0)
                counts[keys] = index + 1
                table = keys + (index,)
            else:
                table = keys
            lines.setdefault(table, number)
            continue
        key = _TOML_KEY.match(line)
        if key:
            keys = tuple(k.strip().strip("\"'") for k in key.group(1).split("."))
            lines.setdefault(table + keys, number)
    return lines


def _read_toml(path: str, text: str) -> tuple[Any, dict[tuple[Any, ...], int]]:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        line = match.group(1) if match else "1"
        raise ScenarioError([f"{path}:{line}: not valid TOML: {exc}"]) from None
    raw = _int_keys(raw)
    return raw, _toml_lines(text, raw)


def _int_keys(value: Any, parent: str = "") -> Any:
    """TOML keys are strings; a schedule is keyed by year."""
    if isinstance(value, dict):
        return {
            (int(k) if parent == "schedule" and str(k).lstrip("-").isdigit() else k): _int_keys(v, k)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_int_keys(v, parent) for v in value]
    return value


def read_document(path: str | Path) -> Document:
    """Read a scenario file into a :class:`Document`; raises :class:`ScenarioError`."""
    name = str(path)
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".yaml", ".yml", ".toml"):
        raise ScenarioError([f"{name}:1: a scenario file ends in .yaml, .yml or .toml"])
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise ScenarioError([f"{name}: no such file"]) from None
    except IsADirectoryError:
        raise ScenarioError([f"{name}: is a folder, not a scenario file"]) from None
    except OSError as exc:
        raise ScenarioError([f"{name}: cannot be read ({exc.strerror})"]) from None
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioError([f"{name}:1: the file is larger than {MAX_FILE_BYTES // 1_000_000} MB"])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ScenarioError([f"{name}:{line}: the file is not UTF-8 text"]) from None
    raw, lines = _read_toml(name, text) if suffix == ".toml" else _read_yaml(name, text)
    if not isinstance(raw, dict):
        raise ScenarioError([f"{name}:1: a scenario is a map of keys, starting with `labfinance: 1`"])
    return Document(name, raw, lines, hashlib.sha256(data).hexdigest(), text)


# --------------------------------------------------------------------------- validating


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a map"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"'{value}'" if len(value) < 40 else f"'{value[:37]}...'"
    return repr(value) if not isinstance(value, float) else f"{value:g}"


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
            args = typing.get_args(_strip_optional(annotation))
            annotation = args[-1] if args else None
        node = node[key] if isinstance(node, (dict, list)) and _has(node, key) else None
    model = _unwrap(annotation, node)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _has(node: dict[Any, Any] | list[Any], key: Any) -> bool:
    if isinstance(node, list):
        return isinstance(key, int) and 0 <= key < len(node)
    return key in node


def _strip_optional(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _unwrap(annotation: Any, node: Any) -> Any:
    annotation = _strip_optional(annotation)
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        members = [_strip_optional(a) for a in typing.get_args(annotation)]
        models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
        if len(models) == 1:
            return models[0]
        tag = None
        if isinstance(node, dict):
            tag = node.get("type", node.get("dist"))
        for m in models:
            for fname in ("type", "dist"):
                f = m.model_fields.get(fname)
                if f is not None and tag in typing.get_args(f.annotation):
                    return m
        return None
    return annotation


def _is_union_member(segment: Any) -> bool:
    return isinstance(segment, str) and ("[" in segment or "(" in segment)


def _pick_union_branch(errors: list[dict[str, Any]], raw: Any) -> list[dict[str, Any]]:
    """Of a value that may be a number or a map (``contingency``), keep the branch it was meant as."""
    kept = []
    for err in errors:
        loc = err["loc"]
        member = next((i for i, s in enumerate(loc) if _is_union_member(s)), None)
        if member is None:
            kept.append(err)
            continue
        try:
            value: Any = raw
            for key in loc[:member]:
                value = value[key]
        except (KeyError, IndexError, TypeError):
            value = None
        is_map_branch = str(loc[member]).startswith("dict[")
        if isinstance(value, dict) == is_map_branch:
            kept.append({**err, "loc": loc[:member] + loc[member + 1:]})
    return kept


_TAGGED = {"funding": 2, "uncertainty": 2}


def _clean_loc(loc: Sequence[Any]) -> tuple[Any, ...]:
    out = list(loc)
    if len(out) > 2 and out[0] in _TAGGED and not _is_union_member(out[2]):
        # a discriminated union puts the tag (grant, triangular...) into the location
        from labfinance.scenario import FUNDING_TYPES

        if out[2] in FUNDING_TYPES or out[2] in ("triangular", "pert", "uniform", "normal"):
            del out[2]
    return tuple(s for s in out if s != "[key]")


def _translate(err: dict[str, Any], raw: Any) -> tuple[tuple[Any, ...], str]:
    loc = _clean_loc(err["loc"])
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return loc, "is required"
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1], raw)
        hint = ""
        if model is not None:
            names = [f.alias or n for n, f in model.model_fields.items()]
            close = difflib.get_close_matches(str(loc[-1]), names, n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (known keys: {', '.join(names)})"
        return loc, f"unknown key{hint}"
    if kind in ("float_type", "int_type", "int_from_float"):
        want = "a whole number" if kind.startswith("int") else "a number"
        return loc, f"must be {want} (got {_describe(value)})"
    if kind in ("string_type",):
        return loc, f"must be text (got {_describe(value)})"
    if kind == "bool_type":
        return loc, f"must be true or false (got {_describe(value)})"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return loc, f"must be a map of keys (got {_describe(value)})"
    if kind == "list_type":
        return loc, f"must be a list (got {_describe(value)})"
    if kind == "literal_error":
        return loc, f"must be {ctx.get('expected', '')} (got {_describe(value)})"
    if kind == "union_tag_invalid":
        return loc + (ctx.get("discriminator", "").strip("'"),), (
            f"must be one of {ctx.get('expected_tags', '')} (got {_describe(ctx.get('tag'))})")
    if kind == "union_tag_not_found":
        disc = ctx.get("discriminator", "").strip("'")
        return loc, f"needs a `{disc}`"
    if kind == "string_pattern_mismatch":
        if loc and loc[-1] == "currency":
            return loc, f"must be an ISO 4217 code of three capital letters (got {_describe(value)})"
        return loc, f"must be lowercase letters, digits, '_' or '-' (got {_describe(value)})"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        words = {"greater_than_equal": "at least", "less_than_equal": "at most",
                 "greater_than": "above", "less_than": "below"}
        bound = next(iter(ctx.values()), "")
        return loc, f"must be {words[kind]} {bound} (got {_describe(value)})"
    if kind == "value_error":
        message = str(ctx.get("error", err["msg"]))
        return loc, message
    return loc, err["msg"][0].lower() + err["msg"][1:]


def _validation_messages(exc: ValidationError, doc: Document) -> list[str]:
    errors = _pick_union_branch(list(exc.errors(include_url=False)), doc.raw)
    out: list[tuple[int, str]] = []
    seen = set()
    for err in errors:
        loc, text = _translate(err, doc.raw)
        message = doc.message(loc, text)
        if message not in seen:
            seen.add(message)
            out.append((doc.line_of(loc), message))
    return [m for _, m in sorted(out, key=lambda x: x[0])]


def validate_document(doc: Document, *, check_file_rules: bool = True) -> Scenario:
    """Validate a raw document against the format; raises :class:`ScenarioError`."""
    try:
        scenario = Scenario.model_validate(doc.raw)
    except ValidationError as exc:
        raise ScenarioError(_validation_messages(exc, doc)) from None
    problems = rules.check(scenario, doc.raw, file_rules=check_file_rules)
    if problems:
        ordered = sorted(problems, key=lambda p: doc.line_of(p[0]))
        raise ScenarioError([doc.message(loc, text) for loc, text in ordered])
    return scenario


def load(path: str | Path) -> Loaded:
    """Read and validate one scenario file, variants included; raises :class:`ScenarioError`."""
    doc = read_document(path)
    scenario = validate_document(doc)
    errors: list[str] = []
    for name, variant in scenario.variants.items():
        for set_path, value in variant.set.items():
            loc = ("variants", name, "set", set_path)
            try:
                new_raw, _ = paths.with_override(doc.raw, set_path, value)
            except paths.PathError as exc:
                errors.append(f"{doc.path}:{doc.line_of(loc)}: variants.{name}.set.{set_path}: {exc}")
                continue
            try:
                validate_document(Document(doc.path, new_raw, doc.lines, doc.sha256, doc.text),
                                  check_file_rules=False)
            except ScenarioError as exc:
                for message in exc.messages:
                    detail = message.split(": ", 1)[1] if ": " in message else message
                    errors.append(f"{doc.path}:{doc.line_of(loc)}: variants.{name}.set: {detail}")
    if errors:
        raise ScenarioError(sorted(set(errors), key=errors.index))
    return Loaded(doc, scenario)


def parse_set(option: str) -> tuple[str, Any]:
    """Split one ``--set PATH=VALUE``; the value is read as a YAML scalar."""
    if "=" not in option:
        raise ScenarioError([f"--set: {option}: write it as PATH=VALUE, e.g. discount_rate=0.03"])
    path, text = option.split("=", 1)
    path = path.strip()
    try:
        value = yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError:
        raise ScenarioError([f"--set: {path}: the value '{text}' is not a YAML scalar"]) from None
    if isinstance(value, (dict, list)):
        raise ScenarioError([f"--set: {path}: the value must be a single number or word"])
    return path, value


def with_overrides(loaded: Loaded, variant: str | None = None,
                   sets: Iterable[tuple[str, Any]] = ()) -> Scenario:
    """The scenario with a variant and ``--set`` overrides applied, in that order, and validated."""
    doc = loaded.document
    raw = doc.raw
    overrides: list[tuple[str, str, Any]] = []
    if variant is not None and variant != "base":
        if variant not in loaded.scenario.variants:
            known = ", ".join(["base", *loaded.scenario.variants]) or "base"
            raise ScenarioError([f"--variant: no variant '{variant}' in {doc.path} (known: {known})"])
        overrides += [(f"variants.{variant}.set", p, v)
                      for p, v in loaded.scenario.variants[variant].set.items()]
    overrides += [("--set", p, v) for p, v in sets]
    if not overrides:
        return loaded.scenario
    errors: list[str] = []
    for source, set_path, value in overrides:
        try:
            raw, _ = paths.with_override(raw, set_path, value)
        except paths.PathError as exc:
            errors.append(f"{source}: {set_path}: {exc}")
    if errors:
        raise ScenarioError(errors)
    try:
        return validate_document(Document(doc.path, raw, doc.lines, doc.sha256, doc.text),
                                 check_file_rules=False)
    except ScenarioError as exc:
        messages = []
        for message in exc.messages:
            detail = message.split(": ", 1)[1] if ": " in message else message
            messages.append(f"--set: {detail}" if sets else f"--variant {variant}: {detail}")
        raise ScenarioError(messages) from None

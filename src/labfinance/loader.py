"""Scenario files -> validated :class:`~labfinance.scenario.Scenario`, errors located by line.

YAML is read with PyYAML's safe composer (no object construction), node by node, so that every key
and list item keeps the line it was written on; documents are bounded in size, in nesting and in
the values that aliases may expand to. TOML with the same structure is read with :mod:`tomllib`,
whose parser keeps no lines, so lines there are found by a scan of the table headers and keys.

Every problem is reported at once, each as ``file:line: path: message``, the path written as a
user writes a parameter path (``funding.erdf.payment.advance``, list items by id). A file that
cannot be read at all gives ``file: message`` (no such file, a folder, a wrong suffix).
"""

from __future__ import annotations

import datetime
import difflib
import hashlib
import re
import tomllib
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from labfinance import paths, rules
from labfinance.scenario import FUNDING_TYPES, KeyProblem, Scenario

MAX_FILE_BYTES = 5_000_000
MAX_NODES = 200_000
MAX_DEPTH = 50

SUFFIXES = (".yaml", ".yml", ".toml")
EMPTY = "the file is empty; a scenario starts with `labfinance: 1`"
DISTRIBUTIONS = ("triangular", "pert", "uniform", "normal")


class ScenarioError(Exception):
    """One or more problems with a scenario, each a ready-to-print line."""

    def __init__(self, messages: Sequence[str]):
        messages = list(messages) or ["the scenario is not valid (no details; please report it)"]
        super().__init__("\n".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class Problem:
    """One problem: the line it is on, the parameter path as a user writes it, and what is wrong."""

    line: int
    path: str
    text: str

    def located(self, file: str) -> str:
        return f"{file}:{self.line}: {self.path}: {self.text}" if self.path else \
            f"{file}:{self.line}: {self.text}"

    def unlocated(self) -> str:
        return f"{self.path}: {self.text}" if self.path else self.text


@dataclass(frozen=True)
class Document:
    """A parsed scenario file: the raw data and the line of each location in it."""

    path: str
    raw: Any
    lines: dict[tuple[Any, ...], int]
    sha256: str
    text: str = field(repr=False)

    def line_of(self, loc: Sequence[Any]) -> int:
        """The line of ``loc``, or of the nearest enclosing key or item the file gives."""
        loc = tuple(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get((), 1)

    def problem(self, loc: Sequence[Any], text: str) -> Problem:
        return Problem(self.line_of(loc), paths.display_path(loc, self.raw), text)

    def message(self, loc: Sequence[Any], text: str) -> str:
        return self.problem(loc, text).located(self.path)

    def with_raw(self, raw: Any) -> Document:
        return Document(self.path, raw, self.lines, self.sha256, self.text)


@dataclass(frozen=True)
class Loaded:
    """A validated scenario with the document it came from."""

    document: Document
    scenario: Scenario

    @property
    def path(self) -> str:
        return self.document.path


# --------------------------------------------------------------------------- reading YAML

# YAML 1.2 reads 1e5 as a number; PyYAML (YAML 1.1) reads it as text unless written 1.0e+5
_YAML12_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)[eE][-+]?[0-9]+$")
_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"


class _Stop(Exception):
    """The document cannot be read further; ``message`` says why, at ``line``."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


class _YamlReader:
    """Turns a composed YAML node tree into plain data, keeping the line of every location."""

    def __init__(self) -> None:
        self.lines: dict[tuple[Any, ...], int] = {}
        self.duplicates: list[tuple[tuple[Any, ...], int, int]] = []
        self.nodes = 0
        self.active: set[int] = set()  # mappings and lists being read: an alias back to one loops
        self.constructor = yaml.constructor.SafeConstructor()

    def convert(self, node: yaml.Node, loc: tuple[Any, ...]) -> Any:
        line = node.start_mark.line + 1
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _Stop(line, f"the document expands to more than {MAX_NODES:,} values (aliases "
                              "that repeat aliases?); a scenario is far smaller")
        if len(loc) > MAX_DEPTH:
            raise _Stop(line, f"the document nests deeper than {MAX_DEPTH} levels")
        self.lines.setdefault(loc, line)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if id(node) in self.active:
            raise _Stop(line, "an alias (*name) refers to a value that contains it")
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, loc)
            items = []
            for i, item in enumerate(node.value):
                self.lines.setdefault(loc + (i,), item.start_mark.line + 1)
                items.append(self.convert(item, loc + (i,)))
            return items
        finally:
            self.active.discard(id(node))

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag == _STR_TAG and node.style is None and _YAML12_FLOAT.match(node.value):
            return float(node.value)
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            raise _Stop(node.start_mark.line + 1, _constructor_problem(exc)) from None

    def _key(self, node: yaml.Node, loc: tuple[Any, ...]) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise _Stop(node.start_mark.line + 1, "a key must be a plain word or number, not a "
                                                  "list or map")
        value = self._scalar(node)
        if loc and loc[-1] == "schedule":  # a schedule is keyed by year
            if isinstance(value, str) and re.fullmatch(r"\s*-?[0-9]+\s*", value):
                return int(value)
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            return node.value
        # elsewhere keys are words: `2030:`, `yes:` or `null:` mean the text as written
        return value if isinstance(value, str) else node.value

    def _mapping(self, node: yaml.MappingNode, loc: tuple[Any, ...]) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        merged: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else \
                    [value_node]
                merged += sources
                continue
            key = self._key(key_node, loc)
            line = key_node.start_mark.line + 1
            if key in result:
                self.duplicates.append((loc + (key,), line, self.lines[loc + (key,)]))
                continue
            self.lines[loc + (key,)] = line
            result[key] = self.convert(value_node, loc + (key,))
        # `<<: *defaults` or `<<: [*a, *b]`: keys written here win, then the first map listed
        for source in merged:
            if not isinstance(source, yaml.MappingNode):
                raise _Stop(source.start_mark.line + 1, "`<<` merges a map (or a list of maps) "
                                                        "into this one")
            for key, value in self.convert(source, loc).items():
                result.setdefault(key, value)
        return result


def _constructor_problem(exc: yaml.constructor.ConstructorError) -> str:
    problem = exc.problem or str(exc)
    tag = re.search(r"for the tag '([^']*)'", problem)
    if tag:
        name = tag.group(1).replace("tag:yaml.org,2002:", "!!")
        return f"not valid YAML: unknown tag '{name}'; a scenario holds plain values only"
    return f"not valid YAML: {problem}"


# PyYAML's words for common mistakes -> what to do about them
_YAML_HINTS = (
    ("'\\t'", "a tab character; YAML indents with spaces only"),
    ("expected <block end>", "the indentation does not line up with the lines above"),
    ("mapping values are not allowed here", "a ':' where a value was expected; check the "
                                            "indentation, or put text that holds ': ' in quotes"),
    ("could not find expected ':'", "a line without ':'; write `key: value`, or check the "
                                    "indentation"),
    ("expected a single document", "a scenario file holds one YAML document; remove the second "
                                   "'---'"),
    ("found undefined alias", "an alias (*name) without its anchor (&name)"),
    ("end of stream", "a quote or bracket is not closed"),
    ("expected ',' or ']'", "a '[' list is not closed, or its items are not separated by ','"),
    ("expected ',' or '}'", "a '{' map is not closed, or its items are not separated by ','"),
    ("that cannot start any token", "a character that cannot start a value; put the text in "
                                    "quotes"),
    ("did not find expected key", "the indentation does not line up with the lines above"),
    ("did not find expected '-' indicator", "the indentation of a list does not line up"),
)


def _yaml_problem(exc: yaml.MarkedYAMLError) -> tuple[int, str]:
    problem = exc.problem or str(exc)
    mark = exc.problem_mark or exc.context_mark
    if "end of stream" in problem and exc.context_mark is not None:
        mark = exc.context_mark  # the quote or bracket that is never closed
    if "could not find expected ':'" in problem and exc.context_mark is not None:
        mark = exc.context_mark  # the line that lacks its ':', not the one after it
    line = mark.line + 1 if mark else 1
    for pattern, hint in _YAML_HINTS:
        if pattern in f"{problem} {exc.context or ''}":
            return line, f"not valid YAML: {hint}"
    if problem.startswith("could not determine a constructor"):
        return line, _constructor_problem(exc)  # type: ignore[arg-type]
    context = f" ({exc.context})" if exc.context else ""
    return line, f"not valid YAML: {problem}{context}"


def _read_yaml(path: str, text: str) -> tuple[Any, dict[tuple[Any, ...], int]]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        line, message = _yaml_problem(exc)
        raise ScenarioError([f"{path}:{line}: {message}"]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([f"{path}:1: not valid YAML: {exc}"]) from None
    except RecursionError:
        raise ScenarioError([f"{path}:1: the document nests deeper than {MAX_DEPTH} levels"]) \
            from None
    if node is None:
        raise ScenarioError([f"{path}:1: {EMPTY}"])
    reader = _YamlReader()
    try:
        raw = reader.convert(node, ())
    except _Stop as stop:
        raise ScenarioError([f"{path}:{stop.line}: {stop.message}"]) from None
    if reader.duplicates:
        raise ScenarioError([
            f"{path}:{line}: {paths.display_path(loc, raw)}: key given twice (the first is line "
            f"{first})" for loc, line, first in reader.duplicates])
    return raw, reader.lines


# --------------------------------------------------------------------------- reading TOML

_TOML_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_TOML_KEY = re.compile(r"^\s*((?:[A-Za-z0-9_\-]+|\"[^\"]*\"|'[^']*')"
                       r"(?:\s*\.\s*(?:[A-Za-z0-9_\-]+|\"[^\"]*\"|'[^']*'))*)\s*=")


def _toml_keys(dotted: str) -> list[str]:
    return [k.strip().strip("\"'") for k in re.findall(r"\"[^\"]*\"|'[^']*'|[^.]+", dotted)]


def _toml_loc(keys: list[str], base: tuple[Any, ...], arrays: dict[tuple[Any, ...], int]
              ) -> tuple[Any, ...]:
    loc = base
    for key in keys:
        part: Any = int(key) if loc and loc[-1] == "schedule" and key.lstrip("-").isdigit() else key
        loc += (part,)
        if loc in arrays:  # a table under an array of tables belongs to its latest item
            loc += (arrays[loc],)
    return loc


def _toml_lines(text: str) -> dict[tuple[Any, ...], int]:
    """Lines of TOML tables and keys, found by a scan (tomllib keeps no positions)."""
    lines: dict[tuple[Any, ...], int] = {}
    arrays: dict[tuple[Any, ...], int] = {}
    table: tuple[Any, ...] = ()
    in_string: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if in_string is not None:  # inside a multi-line string nothing is a key
            if line.count(in_string) % 2 == 1:
                in_string = None
            continue
        header = _TOML_HEADER.match(line)
        if header:
            keys = _toml_keys(header.group(2))
            if header.group(1) == "[[":
                array = _toml_loc(keys[:-1], (), arrays) + (keys[-1],)
                arrays[array] = arrays.get(array, -1) + 1
                table = array + (arrays[array],)
            else:
                table = _toml_loc(keys, (), arrays)
            lines.setdefault(table, number)
            continue
        key = _TOML_KEY.match(line)
        if key:
            lines.setdefault(_toml_loc(_toml_keys(key.group(1)), table, {}), number)
            for quotes in ('"""', "'''"):
                if line.count(quotes) % 2 == 1:
                    in_string = quotes
    return lines


def _read_toml(path: str, text: str) -> tuple[Any, dict[tuple[Any, ...], int]]:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        where = re.search(r"\s*\(at line (\d+), column (\d+)\)", message)
        line = where.group(1) if where else "1"
        if where:
            message = f"{message[:where.start()]} (column {where.group(2)})"
        elif message.endswith("(at end of document)"):
            message = message.replace("(at end of document)", "(at the end of the file)")
            line = str(text.count("\n") + 1)
        message = message[:1].lower() + message[1:]
        raise ScenarioError([f"{path}:{line}: not valid TOML: {message}"]) from None
    return _schedule_years(raw), _toml_lines(text)


def _schedule_years(value: Any, parent: Any = None) -> Any:
    """TOML keys are text; a schedule is keyed by year."""
    if isinstance(value, dict):
        return {
            (int(k) if parent == "schedule" and str(k).strip().lstrip("-").isdigit() else k):
                _schedule_years(v, k)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_schedule_years(v) for v in value]
    return value


# --------------------------------------------------------------------------- reading a file


def read_document(path: str | Path) -> Document:
    """Read a scenario file into a :class:`Document`; raises :class:`ScenarioError`."""
    name = str(path)
    p = Path(path)
    suffix = p.suffix.lower()
    if p.is_dir():
        raise ScenarioError([f"{name}: is a folder, not a scenario file"])
    if suffix not in SUFFIXES:
        got = f" (got {p.suffix})" if p.suffix else ""
        raise ScenarioError([f"{name}: a scenario file ends in .yaml, .yml or .toml{got}"])
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise ScenarioError([f"{name}: no such file"]) from None
    except IsADirectoryError:
        raise ScenarioError([f"{name}: is a folder, not a scenario file"]) from None
    except OSError as exc:
        raise ScenarioError([f"{name}: cannot be read ({exc.strerror})"]) from None
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioError([f"{name}:1: the file is larger than {MAX_FILE_BYTES // 1_000_000} MB; "
                             "a scenario is far smaller"])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        byte = data[exc.start]
        raise ScenarioError([f"{name}:{line}: the file is not UTF-8 text (byte 0x{byte:02x}); save "
                             "it as UTF-8"]) from None
    raw, lines = _read_toml(name, text) if suffix == ".toml" else _read_yaml(name, text)
    if raw == {}:
        raise ScenarioError([f"{name}:1: {EMPTY}"])
    if not isinstance(raw, dict):
        raise ScenarioError([f"{name}:1: a scenario is a map of keys, starting with "
                             f"`labfinance: 1` (got {_describe(raw)})"])
    return Document(name, raw, lines, hashlib.sha256(data).hexdigest(), text)


# --------------------------------------------------------------------------- pydantic errors


def _describe(value: Any) -> str:
    """A value as a user wrote it, for 'got ...'."""
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
    if isinstance(value, datetime.date):
        return f"the date {value.isoformat()}"
    if isinstance(value, float):
        return repr(value) if value.is_integer() and abs(value) < 1e15 else f"{value:g}"
    return repr(value)


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
    from labfinance.scenario import Contribution, Grant, InKind, Loan, OutcomePayment, Revenue

    models = (Contribution, Revenue, Grant, InKind, Loan, OutcomePayment)
    return [t for t, m in zip(FUNDING_TYPES, models, strict=True) if key in _field_names(m)]


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


def _translate(err: Any, raw: Any) -> tuple[tuple[Any, ...], str]:
    """A pydantic error as (location in the raw document, message in the user's words)."""
    loc = _clean_loc(err["loc"], raw)
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    is_key = "[key]" in err["loc"]
    if kind == "missing":
        return loc, "is required"
    if kind == "extra_forbidden":
        return loc, f"unknown key{_unknown_key_hint(loc, raw)}"
    if kind == "invalid_key":
        return loc, "unknown key"
    if kind in ("float_type", "int_type", "int_from_float", "int_parsing", "float_parsing"):
        if is_key and kind.startswith("int"):
            return loc, f"a schedule is keyed by year, a whole number (got {_describe(value)})"
        want = "a whole number" if kind.startswith("int") else "a number"
        return loc, f"must be {want} (got {_describe(value)}{_number_hint(value)})"
    if kind == "string_type":
        quote = "; put it in quotes to keep it as text" if isinstance(
            value, int | float | datetime.date) else ""
        return loc, f"must be text (got {_describe(value)}{quote})"
    if kind == "bool_type":
        return loc, f"must be true or false (got {_describe(value)})"
    if kind in ("dict_type", "model_type", "model_attributes_type", "mapping_type"):
        return loc, f"must be a map of keys (got {_describe(value)})"
    if kind in ("list_type", "tuple_type", "sequence_type"):
        return loc, f"must be a list (got {_describe(value)})"
    if kind == "literal_error":
        if loc == ("labfinance",):
            return loc, ("must be 1, the format version this labfinance reads (got "
                         f"{_describe(value)})")
        return loc, f"must be {ctx.get('expected', '')} (got {_describe(value)})"
    if kind == "union_tag_invalid":
        disc = str(ctx.get("discriminator", "")).strip("'")
        got = value.get(disc) if isinstance(value, dict) else ctx.get("tag")
        expected = ctx.get("expected_tags", "")
        return loc + (disc,), f"must be one of {expected} (got {_describe(got)})"
    if kind == "union_tag_not_found":
        disc = str(ctx.get("discriminator", "")).strip("'")
        choices = FUNDING_TYPES if disc == "type" else DISTRIBUTIONS
        return loc, f"needs a `{disc}` (one of {', '.join(choices)})"
    if kind == "string_pattern_mismatch":
        if loc and loc[-1] == "currency":
            return loc, ("must be an ISO 4217 code of three capital letters (got "
                         f"{_describe(value)})")
        return loc, f"must be lowercase letters, digits, '_' or '-' (got {_describe(value)})"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        words = {"greater_than_equal": "at least", "less_than_equal": "at most",
                 "greater_than": "above", "less_than": "below"}
        bound = next(iter(ctx.values()), "")
        return loc, f"must be {words[kind]} {bound} (got {_describe(value)})"
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


def _validation_problems(exc: ValidationError, doc: Document) -> list[Problem]:
    errors = [e for e in exc.errors(include_url=False) if _contingency_branch(e, doc.raw)]
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


# --------------------------------------------------------------------------- validating


def _check(doc: Document, check_file_rules: bool) -> tuple[Scenario | None, list[Problem]]:
    try:
        scenario = Scenario.model_validate(doc.raw)
    except ValidationError as exc:
        return None, _validation_problems(exc, doc)
    found = rules.check(scenario, doc.raw, file_rules=check_file_rules, line_of=doc.line_of)
    problems = sorted((doc.problem(loc, text) for loc, text in found), key=lambda p: p.line)
    return scenario, problems


def validate_document(doc: Document, *, check_file_rules: bool = True) -> Scenario:
    """Validate a raw document against the format; raises :class:`ScenarioError`.

    ``check_file_rules`` adds the rules checked on the file only (uncertainty ranges hold the
    file's own values, not those of an override).
    """
    scenario, problems = _check(doc, check_file_rules)
    if problems or scenario is None:
        raise ScenarioError([p.located(doc.path) for p in problems])
    return scenario


def _override_problems(doc: Document, set_path: str, value: Any) -> list[str]:
    """What is wrong with the document once ``set_path`` is set to ``value`` (path first)."""
    try:
        raw, _ = paths.with_override(doc.raw, set_path, value)
    except paths.PathError as exc:
        return [str(exc)]
    _, problems = _check(doc.with_raw(raw), False)
    return [p.text if p.path == set_path else p.unlocated() for p in problems]


def load(path: str | Path) -> Loaded:
    """Read and validate one scenario file, variants included; raises :class:`ScenarioError`."""
    doc = read_document(path)
    scenario = validate_document(doc)
    problems: list[Problem] = []
    for name, variant in scenario.variants.items():
        for set_path, value in variant.set.items():
            loc = ("variants", name, "set", set_path)
            where = f"variants.{name}.set.{set_path}"
            for text in _override_problems(doc, set_path, value):
                problem = Problem(doc.line_of(loc), where, text)
                if problem not in problems:
                    problems.append(problem)
    if problems:
        raise ScenarioError([p.located(doc.path) for p in sorted(problems, key=lambda p: p.line)])
    return Loaded(doc, scenario)


def parse_set(option: str) -> tuple[str, Any]:
    """Split one ``--set PATH=VALUE``; the value is read as a YAML scalar.

    >>> parse_set("funding.erdf.rate=0.3")
    ('funding.erdf.rate', 0.3)
    """
    if "=" not in option:
        raise ScenarioError([f"--set: {option}: write it as PATH=VALUE, e.g. discount_rate=0.03"])
    path, text = option.split("=", 1)
    path = path.strip()
    if not path:
        raise ScenarioError([f"--set: '{option}': name a parameter before '=', e.g. "
                             "discount_rate=0.03"])
    try:
        if _YAML12_FLOAT.match(text.strip()):
            value: Any = float(text)
        else:
            value = yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError:
        raise ScenarioError([f"--set: {path}: the value '{text}' is not a YAML scalar"]) from None
    if isinstance(value, (dict, list)):
        raise ScenarioError([f"--set: {path}: the value must be a single number or word"])
    return path, value


def with_overrides(loaded: Loaded, variant: str | None = None,
                   sets: Iterable[tuple[str, Any]] = ()) -> Scenario:
    """The scenario with a variant and ``--set`` overrides applied, in that order, and validated.

    Errors read ``--variant NAME: PATH: message`` or ``--set: PATH: message``.
    """
    doc = loaded.document
    sets = list(sets)
    raw = doc.raw
    if variant is not None and variant != "base":
        if variant not in loaded.scenario.variants:
            known = ", ".join(["base", *loaded.scenario.variants])
            raise ScenarioError([f"--variant: no variant '{variant}' in {doc.path} "
                                 f"(known: {known})"])
        for set_path, value in loaded.scenario.variants[variant].set.items():
            try:
                raw, _ = paths.with_override(raw, set_path, value)
            except paths.PathError as exc:
                raise ScenarioError([f"--variant {variant}: {set_path}: {exc}"]) from None
        if sets:
            _, problems = _check(doc.with_raw(raw), False)
            if problems:
                raise ScenarioError([f"--variant {variant}: {p.unlocated()}" for p in problems])
    if not sets and raw is doc.raw:
        return loaded.scenario
    errors: list[str] = []
    for set_path, value in sets:
        try:
            raw, _ = paths.with_override(raw, set_path, value)
        except paths.PathError as exc:
            errors.append(f"--set: {set_path}: {exc}")
    if errors:
        raise ScenarioError(errors)
    scenario, problems = _check(doc.with_raw(raw), False)
    if problems or scenario is None:
        source = "--set" if sets else f"--variant {variant}"
        raise ScenarioError([f"{source}: {p.unlocated()}" for p in problems])
    return scenario

"""Scenario file -> :class:`Document`: the raw data, and the line each key and list item is on.

A scenario is reported on by line (``file:line: path: message``), so reading keeps lines. YAML is
read with PyYAML's safe composer, which builds no Python objects from tags, only a tree of nodes;
the nodes are then turned into plain data one by one, so that every key and list item keeps the
line it was written on and a key given twice is caught (a plain load would keep the last silently).
The document is bounded in size, in nesting and in the values that aliases may expand to, so a
hostile or broken file fails fast instead of exhausting memory. TOML with the same structure is read
with :mod:`tomllib`, whose parser keeps no lines, so lines there are found by a scan of the table
headers and keys.

A file that cannot be read at all gives ``file: message`` (no such file, a folder, a wrong suffix);
one that is not valid YAML or TOML gives ``file:line: message``. Checking the data against the
scenario format is :mod:`labfinance.model.loader`'s part.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from labfinance.model import paths

MAX_FILE_BYTES = 5_000_000
MAX_NODES = 200_000
MAX_DEPTH = 50

SUFFIXES = (".yaml", ".yml", ".toml")
EMPTY = "the file is empty; a scenario starts with `labfinance: 1`"


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
    suffix: str = ""  # .yaml, .yml or .toml where the path does not say (a workbook's scenario)

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

    def with_raw(self, raw: Any) -> Document:
        return dataclasses.replace(self, raw=raw)

    @property
    def format(self) -> str:
        """``toml`` or ``yaml``: the syntax of :attr:`text`."""
        suffix = self.suffix or Path(self.path).suffix.lower()
        return "toml" if suffix == ".toml" else "yaml"



# --------------------------------------------------------------------------- reading YAML

# YAML 1.2 reads 1e5 as a number; PyYAML (YAML 1.1) reads it as text unless written 1.0e+5
YAML12_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)[eE][-+]?[0-9]+$")
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
        # a plain scalar has style None in PyYAML's parser and "" in libyaml's
        if node.tag == _STR_TAG and not node.style and YAML12_FLOAT.match(node.value):
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


def _compose(text: str) -> Any:
    """The YAML node tree, with libyaml where PyYAML has it (about 10x faster on a 2,000-line
    scenario); a document libyaml refuses is read again by the pure-Python parser, whose messages
    the hints above know."""
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            return yaml.compose(text, Loader=fast)
        except (yaml.YAMLError, RecursionError):
            pass
    return yaml.compose(text, Loader=yaml.SafeLoader)


def _read_yaml(path: str, text: str) -> tuple[Any, dict[tuple[Any, ...], int]]:
    try:
        node = _compose(text)
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
    return parse_text(name, text, suffix, hashlib.sha256(data).hexdigest())


def parse_text(name: str, text: str, suffix: str, sha256: str) -> Document:
    """A scenario's text (YAML, or TOML where ``suffix`` is ``.toml``) into a :class:`Document`
    reported on as ``name``; raises :class:`ScenarioError`."""
    raw, lines = _read_toml(name, text) if suffix == ".toml" else _read_yaml(name, text)
    if raw == {}:
        raise ScenarioError([f"{name}:1: {EMPTY}"])
    if not isinstance(raw, dict):
        raise ScenarioError([f"{name}:1: a scenario is a map of keys, starting with "
                             f"`labfinance: 1` (got {describe(raw)})"])
    return Document(name, raw, lines, sha256, text, suffix)


def describe(value: Any) -> str:
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

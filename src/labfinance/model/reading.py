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
import errno
import hashlib
import math
import os
import re
import stat
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from labfinance.model import paths

MAX_FILE_BYTES = 1_000_000  # the largest example is 30 kB; 1 MB of YAML parses in about 3 s
MAX_NODES = 200_000
MAX_DEPTH = 50
MAX_DIGITS = 20  # a whole number beyond 10^20 is no amount, year or count (amounts stop at 1e15)

SUFFIXES = (".yaml", ".yml", ".toml")
EMPTY = "the file is empty; a scenario starts with `labfinance: 1`"


# what a terminal or a workbook must not receive raw: C0 controls but tab and newline, DEL, C1
# controls, and the lone surrogates that stand for undecodable bytes in a file name
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _escape(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape): show the byte
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _unprintable(char: str) -> str:
    what = "a lone surrogate" if 0xD800 <= ord(char) <= 0xDFFF else "a control character"
    return f"{what} ({printable(char)})"


def printable(text: str) -> str:
    """``text`` with every control character and undecodable byte written as an escape
    (``\\x1b``), so that a message shows what is there without acting on the terminal."""
    return _UNPRINTABLE.sub(lambda m: _escape(m.group()), text)


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

_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
# YAML 1.2 (core schema) numbers. PyYAML reads YAML 1.1, where 010 is octal 8, 1_000 is 1000 and
# 1:30 is 90 (base 60); YAML 1.2 reads 010 as 10 and the other two as text, and so does labfinance
_INT12 = re.compile(r"^[-+]?[0-9]+$")
_OCT12 = re.compile(r"^0o[0-7]+$")
_HEX12 = re.compile(r"^0x[0-9a-fA-F]+$")
_SPECIAL12 = {".inf": math.inf, ".Inf": math.inf, ".INF": math.inf, "+.inf": math.inf,
              "+.Inf": math.inf, "+.INF": math.inf, "-.inf": -math.inf, "-.Inf": -math.inf,
              "-.INF": -math.inf, ".nan": math.nan, ".NaN": math.nan, ".NAN": math.nan}
_FLOAT12 = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")


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
        line = node.start_mark.line + 1
        # a plain scalar: numbers are read as YAML 1.2 reads them
        if not node.style and node.tag in (_STR_TAG, _INT_TAG, _FLOAT_TAG):  # libyaml: ""
            return _plain_number(node.value, line)
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            raise _Stop(line, _constructor_problem(exc)) from None
        except ValueError:  # a timestamp PyYAML resolves but cannot build (2026-02-30)
            return node.value

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


def _plain_number(text: str, line: int) -> Any:
    """A plain scalar PyYAML took for text, a whole number or a float, read as YAML 1.2 does."""
    # the common forms first (a whole number, a decimal): one or two patterns tried, not four;
    # the forms do not overlap, so the order changes nothing
    whole = _INT12.match(text)
    if whole or (text[:2] in ("0o", "0x") and (_OCT12.match(text) or _HEX12.match(text))):
        digits = text.lstrip("+-")
        if len(digits) > MAX_DIGITS:
            raise _Stop(line, f"the number {_shorten(text)} has {len(digits):,} digits; no amount, "
                              "year or count is that large (amounts stop at 1e15)")
        if whole:
            return int(text)
        return int(text[2:], 8) if text[1] == "o" else int(text[2:], 16)
    if _FLOAT12.match(text):  # at least one digit, as the pattern requires
        return float(text)
    return _SPECIAL12.get(text, text)


def _shorten(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:10]}...{text[-10:]}"


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


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe composer, bounded while it builds the tree: a tag is refused where it is
    written, and nesting and the number of nodes are checked before they cost memory or stack."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.depth = 0
        self.count = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        line = event.start_mark.line + 1
        tag = getattr(event, "tag", None)
        if tag not in (None, "!") and not isinstance(event, yaml.AliasEvent):
            raise _Stop(line, _tag_problem(tag))
        self.count += 1
        if self.count > MAX_NODES:
            raise _Stop(line, f"the document holds more than {MAX_NODES:,} values; a scenario is "
                              "far smaller")
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH + 1:
                raise _Stop(line, f"the document nests deeper than {MAX_DEPTH} levels")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _reader_problem(exc: yaml.reader.ReaderError, text: str) -> tuple[int, str]:
    """PyYAML refuses a control character with its position in the text: say where and which."""
    before = text[: exc.position]
    line = before.count("\n") + 1
    column = exc.position - (before.rfind("\n") + 1) + 1
    char = exc.character if isinstance(exc.character, str) else chr(exc.character)
    return line, (f"a control character ({printable(char)}) at column {column}; a scenario holds "
                  "printable text only")


_C_LOADER = getattr(yaml, "CSafeLoader", None)


def _compose_fast(text: str) -> yaml.Node | None:
    """The node tree by libyaml (C, some twenty times faster than PyYAML's own parser), after a
    scan of its events for tags, nesting and size, so that a large or hostile file costs seconds
    at most. Returns None where libyaml is missing or finds the file broken: PyYAML then reads it
    again, for its messages, which the hints below know."""
    if _C_LOADER is None:
        return None
    depth = count = 0
    try:
        for event in yaml.parse(text, Loader=_C_LOADER):
            if isinstance(event, yaml.NodeEvent) and not isinstance(event, yaml.AliasEvent):
                line = event.start_mark.line + 1 if event.start_mark is not None else 1
                tag = getattr(event, "tag", None)
                if tag not in (None, "!"):
                    raise _Stop(line, _tag_problem(tag))
                count += 1
                if count > MAX_NODES:
                    raise _Stop(line, f"the document holds more than {MAX_NODES:,} values; a "
                                      "scenario is far smaller")
                if isinstance(event, yaml.CollectionStartEvent):
                    depth += 1
                    if depth > MAX_DEPTH + 1:
                        raise _Stop(line, f"the document nests deeper than {MAX_DEPTH} levels")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
        return yaml.compose(text, Loader=_C_LOADER)
    except yaml.YAMLError:
        return None


def _tag_problem(tag: str) -> str:
    name = tag.replace("tag:yaml.org,2002:", "!!")
    return (f"not valid YAML here: a tag ('{printable(name)}') is not allowed; a scenario holds "
            "plain values only")


def _read_yaml(path: str, text: str) -> tuple[Any, dict[tuple[Any, ...], int]]:
    try:
        node = _compose_fast(text)
    except _Stop as stop:
        raise ScenarioError([f"{path}:{stop.line}: {stop.message}"]) from None
    if node is None:
        node = _compose_checked(path, text)
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


def _compose_checked(path: str, text: str) -> yaml.Node | None:
    """The node tree by PyYAML's own parser, whose error messages the hints above translate."""
    try:
        loader = _BoundedLoader(text)
    except yaml.reader.ReaderError as exc:  # PyYAML checks the whole text for control characters
        line, message = _reader_problem(exc, text)
        raise ScenarioError([f"{path}:{line}: {message}"]) from None
    try:
        node = loader.get_single_node()
    except _Stop as stop:
        raise ScenarioError([f"{path}:{stop.line}: {stop.message}"]) from None
    except yaml.reader.ReaderError as exc:
        line, message = _reader_problem(exc, text)
        raise ScenarioError([f"{path}:{line}: {message}"]) from None
    except yaml.MarkedYAMLError as exc:
        line, message = _yaml_problem(exc)
        raise ScenarioError([f"{path}:{line}: {message}"]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([f"{path}:1: not valid YAML: {exc}"]) from None
    finally:
        loader.dispose()
    return node  # type: ignore[no-any-return]


class ScalarError(ValueError):
    """A ``--set`` value that is no single plain YAML value."""


def read_scalar(text: str) -> Any:
    """One value written as in a scenario file (``--set``): YAML 1.2 numbers, no tags, no lists
    or maps, no control characters; raises :class:`ScalarError` saying why not."""
    found = _UNPRINTABLE.search(text)
    if found:
        raise ScalarError(f"the value holds {_unprintable(found.group())}")
    loader = _BoundedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if not isinstance(node, yaml.ScalarNode):
            raise ScalarError("the value must be a single number or word")
        return _YamlReader()._scalar(node)
    except _Stop as stop:
        raise ScalarError(stop.message) from None
    except yaml.YAMLError:
        raise ScalarError(f"the value '{text}' is not a YAML scalar") from None
    finally:
        loader.dispose()


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
        message = printable(message[:1].lower() + message[1:])
        raise ScenarioError([f"{path}:{line}: not valid TOML: {message}"]) from None
    except ValueError:  # a whole number past Python's limit on digits
        raise ScenarioError([f"{path}:1: not valid TOML: a number with thousands of digits; no "
                             "amount, year or count is that large"]) from None
    lines = _toml_lines(text)
    twice: list[tuple[tuple[Any, ...], Any, int]] = []
    raw = _schedule_years(raw, (), twice)
    if twice:
        raise ScenarioError([
            f"{path}:{lines.get(loc + (written,), lines.get(loc, 1))}: "
            f"{paths.display_path(loc, raw)}: year {year} is given twice in the schedule; keep one"
            for loc, written, year in twice])
    return raw, lines


def _schedule_years(value: Any, loc: tuple[Any, ...],
                    twice: list[tuple[tuple[Any, ...], Any, int]]) -> Any:
    """TOML keys are text; a schedule is keyed by year (``2026`` and ``"02026"`` are one year)."""
    if isinstance(value, list):
        return [_schedule_years(v, loc + (i,), twice) for i, v in enumerate(value)]
    if not isinstance(value, dict):
        return value
    result: dict[Any, Any] = {}
    for k, v in value.items():
        key: Any = k
        if loc and loc[-1] == "schedule" and re.fullmatch(r"\s*-?[0-9]{1,9}\s*", str(k)):
            key = int(k)
            if key in result:
                twice.append((loc, k, key))
                continue
        result[key] = _schedule_years(v, loc + (key,), twice)
    return result


# --------------------------------------------------------------------------- reading a file


def _refusal(name: str, exc: OSError) -> ScenarioError:
    """Why the file cannot be opened, in a user's words."""
    words = {
        errno.ENOENT: "no such file",
        errno.EISDIR: "is a folder, not a scenario file",
        errno.EACCES: "cannot be read: permission denied (on the file or a folder above it)",
        errno.ENAMETOOLONG: "cannot be read: the name is longer than the file system allows",
        errno.ENOTDIR: "cannot be read: a part of the path is a file, not a folder",
        errno.ELOOP: "cannot be read: too many symbolic links (a link that points to itself?)",
    }
    fallback = f"cannot be read ({exc.strerror})"
    return ScenarioError([f"{name}: {words.get(exc.errno or 0, fallback)}"])


def _read_bytes(name: str, path: str | Path) -> bytes:
    """The file's bytes, only from a regular file and only up to the size limit: a FIFO, a device
    or a link to one is refused at once (reading it could wait or run for ever)."""
    try:  # O_NONBLOCK: opening a FIFO must not wait for a writer
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise _refusal(name, exc) from None
    try:
        info = os.fstat(handle)
        if stat.S_ISDIR(info.st_mode):
            raise ScenarioError([f"{name}: is a folder, not a scenario file"])
        if not stat.S_ISREG(info.st_mode):
            kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(info.st_mode) else
                    "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else
                    "a socket" if stat.S_ISSOCK(info.st_mode) else "not a regular file")
            raise ScenarioError([f"{name}: is {kind}, not a scenario file; save the scenario as "
                                 "a file"])
        if info.st_size > MAX_FILE_BYTES:
            raise ScenarioError([_too_large(name)])
        chunks, size = [], 0
        while size <= MAX_FILE_BYTES:  # the file may grow while it is read
            chunk = os.read(handle, MAX_FILE_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise _refusal(name, exc) from None
    finally:
        os.close(handle)
    data = b"".join(chunks)
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioError([_too_large(name)])
    return data


def _too_large(name: str) -> str:
    return (f"{name}:1: the file is larger than {MAX_FILE_BYTES // 1_000_000} MB; a scenario is "
            "far smaller")


def read_document(path: str | Path) -> Document:
    """Read a scenario file into a :class:`Document`; raises :class:`ScenarioError`."""
    name = os.fsdecode(path) if isinstance(path, bytes) else str(path)
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in SUFFIXES:
        try:
            if p.is_dir():
                raise ScenarioError([f"{name}: is a folder, not a scenario file"])
        except OSError:
            pass
        got = f" (got {p.suffix})" if p.suffix else ""
        raise ScenarioError([f"{name}: a scenario file ends in .yaml, .yml or .toml{got}"])
    data = _read_bytes(name, path)
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
    document = Document(name, raw, lines, sha256, text)
    problems = _value_problems(document, raw, ())
    if problems:
        raise ScenarioError([p.located(name) for p in sorted(problems, key=lambda p: p.line)])
    return document


def _value_problems(doc: Document, value: Any, loc: tuple[Any, ...]) -> list[Problem]:
    """Text with control characters or lone surrogates (from escapes such as ``"\\e"`` or
    ``"\\ud800"``), and whole numbers too large for any parameter, wherever they are."""
    problems: list[Problem] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and _UNPRINTABLE.search(key):
                problems.append(Problem(doc.line_of(loc + (key,)), printable(".".join(
                    map(str, loc + (key,)))), "a key holds a control character; keys are words"))
                continue
            problems += _value_problems(doc, item, loc + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            problems += _value_problems(doc, item, loc + (i,))
    elif isinstance(value, str) and _UNPRINTABLE.search(value):
        char = _UNPRINTABLE.search(value).group()  # type: ignore[union-attr]
        problems.append(doc.problem(loc, f"the text holds {_unprintable(char)}; a scenario holds "
                                         "printable text only"))
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10 ** MAX_DIGITS:
        problems.append(doc.problem(loc, f"{_shorten(str(value))} is larger than any amount, year "
                                         "or count (amounts stop at 1e15)"))
    return problems


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

"""Every text a reader sees, one catalogue per language (``en.toml``, ``nl.toml`` beside this
module), keyed by stable keys: sheet names, labels, notes, the verdict's words, chart titles, the
glossary and the terminal summary. No visible text is written inline in a sheet builder, a chart,
the verdict or the terminal; they ask a :class:`Texts` for it by key.

A key is a dotted path of the TOML tables (``sheet.summary``, ``summary.band.answers``). A text
may hold ``{placeholders}`` filled by name; both catalogues must have the same keys and the same
placeholders (a test checks it), so adding a label is one line in each file.

This package sits outside the layers (model -> engine -> analysis -> outputs): it imports nothing
of labfinance, so the importer (model) can read a Dutch workbook's sheet and column names too.
"""

from __future__ import annotations

import functools
import re
import string
import tomllib
from collections.abc import Callable
from importlib import resources
from typing import Any

LANGUAGES = ("en", "nl")
DEFAULT = "en"


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in table.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, path + "."))
        else:
            out[path] = str(value)
    return out


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """The texts of ``lang`` by dotted key."""
    if lang not in LANGUAGES:
        raise ValueError(f"no texts for language {lang!r} (known: {', '.join(LANGUAGES)})")
    raw = resources.files(__package__).joinpath(f"{lang}.toml").read_text(encoding="utf-8")
    return _flatten(tomllib.loads(raw))


class Texts:
    """The texts of one language: ``t("key", name=value)``."""

    def __init__(self, lang: str = DEFAULT):
        self.lang = lang
        self._texts = catalogue(lang)

    def __call__(self, key: str, /, **values: Any) -> str:
        text = self._texts[key]
        return text.format(**values) if values else text

    def word(self, value: str) -> str:
        """A scenario's enumerated word (``committed``, ``grant``, ``police``) in this language,
        where it is shown as a description; as written where there is none."""
        return self._texts.get(f"word.{value}", value)

    def known(self, english: str, convert: Callable[[str, str], str] | None = None) -> str:
        """A sentence the engine or the analysis writes in English (why a metric is n/a, why a
        switching value does not exist, a warning: the ``note``, ``reason`` and ``warn`` tables)
        in this language, its values filled in again (``convert(field, value)`` may put them in
        words: a path, a metric, a number's separators); any other text as it is."""
        for key, pattern in _patterns():
            found = pattern.match(english)
            if found is not None:
                values = found.groupdict()
                if convert is not None:
                    values = {k: convert(k, v) for k, v in values.items()}
                return self._texts[key].format(**values)
        return english

    def has(self, key: str) -> bool:
        return key in self._texts

    def under(self, prefix: str) -> dict[str, str]:
        """The texts below ``prefix`` by the rest of their key (``sheet`` -> {summary: ...})."""
        n = len(prefix) + 1
        return {k[n:]: v for k, v in self._texts.items() if k.startswith(prefix + ".")}


KNOWN = ("note.", "reason.", "warn.")  # the tables of the engine's English sentences


@functools.cache
def _patterns() -> list[tuple[str, re.Pattern[str]]]:
    """Each English sentence of the KNOWN tables as a pattern, a placeholder matching any text
    (the same one again where it is repeated)."""
    out = []
    for key, text in catalogue("en").items():
        if not key.startswith(KNOWN):
            continue
        regex, seen = "", set()
        for literal, field, _, _ in string.Formatter().parse(text):
            regex += re.escape(literal)
            if field is not None:
                regex += f"(?P={field})" if field in seen else f"(?P<{field}>.+?)"
                seen.add(field)
        out.append((key, re.compile(f"^{regex}$", re.DOTALL)))
    return out


def texts(lang: str | None = None) -> Texts:
    return Texts(lang or DEFAULT)


def every(key: str) -> tuple[str, ...]:
    """The text of ``key`` in every language (the importer accepts a workbook in any)."""
    return tuple(catalogue(lang)[key] for lang in LANGUAGES)

"""Scenario files -> validated :class:`~labfinance.model.scenario.Scenario`, errors located by line.

A file is read into a :class:`~labfinance.model.reading.Document`
(:mod:`labfinance.model.reading`), checked
against the format with pydantic and the cross-field rules (:mod:`labfinance.model.rules`), its
errors put
in the user's words (:mod:`labfinance.model.messages`); its variants and any ``--set`` overrides
are then
checked the same way.

Every problem is reported at once, each as ``file:line: path: message``, the path written as a
user writes a parameter path (``funding.erdf.payment.advance``, list items by id). A file that
cannot be read at all gives ``file: message`` (no such file, a folder, a wrong suffix).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from labfinance.model import paths, rules
from labfinance.model.messages import validation_problems
from labfinance.model.reading import (
    Document,
    Problem,
    ScalarError,
    ScenarioError,
    read_document,
    read_scalar,
)
from labfinance.model.scenario import Scenario

__all__ = ["Document", "Loaded", "ScenarioError", "load", "load_document", "override_problems",
           "overrides_problems", "parse_set", "read_document", "validate_document",
           "with_overrides"]


@dataclass(frozen=True)
class Loaded:
    """A validated scenario with the document it came from.

    ``variants`` holds the scenarios of variants that set one path, validated while loading, so
    that :func:`with_overrides` does not validate them again (a whole check of the file each:
    about 0.1 s at 2,000 lines)."""

    document: Document
    scenario: Scenario
    variants: dict[str, Scenario] = field(default_factory=dict, compare=False, repr=False)

    @property
    def path(self) -> str:
        return self.document.path


# --------------------------------------------------------------------------- validating


_SECTIONS = ("costs", "funding", "benefits", "risks")  # the long lists of a file


def _check(doc: Document, check_file_rules: bool, reuse: tuple[Document, Scenario] | None = None
           ) -> tuple[Scenario | None, list[Problem]]:
    """The scenario ``doc`` holds and its problems. ``reuse`` (the file's document and its
    validated scenario) lends an override the file's items of every list it leaves as it is
    (the very same objects): a variant of a 2,000-line file validates its one changed value, not
    2,000 lines again; the whole-file rules still run on all of it."""
    raw = doc.raw
    if reuse is not None:
        file_doc, file_scenario = reuse
        same = {key: getattr(file_scenario, key) for key in _SECTIONS
                if key in raw and raw[key] is file_doc.raw.get(key)}
        raw = {**raw, **same}
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:  # years outside the horizon too, so that all show at once
        problems = validation_problems(exc, doc)
        seen = {(p.line, p.path) for p in problems}
        extra = [doc.problem(loc, text) for loc, text in rules.raw_rules(doc.raw)]
        problems += [p for p in extra if (p.line, p.path) not in seen]
        return None, sorted(problems, key=lambda p: p.line)
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


def _override_problems(doc: Document, set_path: str, value: Any, file_scenario: Scenario
                       ) -> tuple[Scenario | None, list[str]]:
    """The scenario once ``set_path`` is set to ``value`` (None if it fails) and what is wrong
    with it (path first)."""
    try:
        raw, _ = paths.with_override(doc.raw, set_path, value)
    except paths.PathError as exc:
        return None, [str(exc)]
    scenario, problems = _check(doc.with_raw(raw), False, (doc, file_scenario))
    return scenario, [p.text if p.path == set_path else p.unlocated() for p in problems]


def load(path: str | Path) -> Loaded:
    """Read and validate one scenario file, variants included; raises :class:`ScenarioError`."""
    return load_document(read_document(path))


def load_document(doc: Document) -> Loaded:
    """Validate a read document, variants included; raises :class:`ScenarioError`."""
    scenario = validate_document(doc)
    problems: list[Problem] = []
    variants: dict[str, Scenario] = {}
    for name, variant in scenario.variants.items():
        if len(variant.set) > 1:  # a valid variant as a whole needs no check set by set
            whole = _variant_problems(doc, variant.set.items(), scenario)
            if whole is not None:
                variants[name] = whole
                continue
        for set_path, value in variant.set.items():
            loc = ("variants", name, "set", set_path)
            where = f"variants.{name}.set.{set_path}"
            changed, texts = _override_problems(doc, set_path, value, scenario)
            if changed is not None and not texts and len(variant.set) == 1:
                variants[name] = changed  # exactly what with_overrides would validate
            for text in texts:
                problem = Problem(doc.line_of(loc), where, text)
                if problem not in problems:
                    problems.append(problem)
    if problems:
        raise ScenarioError([p.located(doc.path) for p in sorted(problems, key=lambda p: p.line)])
    return Loaded(doc, scenario, variants)


def _variant_problems(doc: Document, sets: Iterable[tuple[str, Any]], file_scenario: Scenario
                      ) -> Scenario | None:
    """The scenario with every override of a variant applied where that validates (what
    :func:`with_overrides` gives for it); None where it does not, and each override is then
    checked on its own to say which one is wrong."""
    raw = doc.raw
    try:
        for set_path, value in sets:
            raw, _ = paths.with_override(raw, set_path, value)
    except paths.PathError:
        return None
    scenario, problems = _check(doc.with_raw(raw), False, (doc, file_scenario))
    return scenario if not problems else None


def override_problems(doc: Document, set_path: str, value: Any) -> list[Problem]:
    """The problems of the document once ``set_path`` is set to ``value``, each with its own path
    (a path that names no place gives one problem at ``set_path``)."""
    try:
        raw, _ = paths.with_override(doc.raw, set_path, value)
    except paths.PathError as exc:
        return [Problem(0, set_path, str(exc))]
    _, problems = _check(doc.with_raw(raw), False)
    return problems


def overrides_problems(doc: Document, sets: Iterable[tuple[str, Any]],
                       *, file_rules: bool = False) -> list[Problem]:
    """The problems of the document with every override in ``sets`` applied (paths known)."""
    raw = doc.raw
    for set_path, value in sets:
        raw, _ = paths.with_override(raw, set_path, value)
    _, problems = _check(doc.with_raw(raw), file_rules)
    return problems


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
        value = read_scalar(text) if text.strip() else None
    except ScalarError as exc:
        raise ScenarioError([f"--set: {path}: {exc}"]) from None
    return path, value


def with_overrides(loaded: Loaded, variant: str | None = None,
                   sets: Iterable[tuple[str, Any]] = ()) -> Scenario:
    """The scenario with a variant and ``--set`` overrides applied, in that order, and validated.

    Errors read ``--variant NAME: PATH: message`` or ``--set: PATH: message``.
    """
    doc = loaded.document
    sets = list(sets)
    if not sets and variant in loaded.variants:
        return loaded.variants[variant]
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

"""Several scenarios or variants side by side: ``labfinance compare FILE[#VARIANT]...``.

A case is a file and one of its variants (``base`` for the file as written); a file named alone
stands for its base case and every variant, in file order. Each case is evaluated by the same
engine as ``run`` (its base draw; no sensitivity or Monte Carlo).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from labfinance.engine.core import Results, evaluate
from labfinance.model.loader import Loaded, ScenarioError, with_overrides
from labfinance.model.workbook import load_any

__all__ = ["Case", "load_cases", "parse_case"]


@dataclass
class Case:
    """One column of the comparison."""

    path: str
    loaded: Loaded
    variant: str
    results: Results

    @property
    def label(self) -> str:
        return f"{Path(self.path).stem}#{self.variant}"

    @property
    def description(self) -> str:
        if self.variant == "base":
            return "the scenario as written"
        return self.loaded.scenario.variants[self.variant].description


def parse_case(argument: str) -> tuple[str, str | None]:
    """``FILE#VARIANT`` -> (FILE, VARIANT); ``FILE`` -> (FILE, None). A file whose own name holds
    a ``#`` is taken whole when it exists."""
    if "#" in argument and not Path(argument).exists():
        path, variant = argument.rsplit("#", 1)
        return path, variant or None
    return argument, None


def load_cases(arguments: Iterable[str]) -> list[Case]:
    """Load and evaluate every case; raises :class:`ScenarioError` with every problem at once."""
    cases: list[Case] = []
    errors: list[str] = []
    loaded_files: dict[str, Loaded] = {}
    for argument in arguments:
        path, variant = parse_case(argument)
        try:
            if path not in loaded_files:
                loaded_files[path] = load_any(path)
            loaded = loaded_files[path]
            if variant not in (None, "base") and variant not in loaded.scenario.variants:
                known = ", ".join(["base", *loaded.scenario.variants])
                errors.append(f"{path}: no variant '{variant}' (known: {known})")
                continue
            names = ["base", *loaded.scenario.variants] if variant is None else [variant]
            for name in names:
                scenario = with_overrides(loaded, name)
                cases.append(Case(path, loaded, name, evaluate(scenario)))
        except ScenarioError as exc:
            errors += [m if m.startswith(path) else f"{path}: {m}" for m in exc.messages]
    if errors:
        raise ScenarioError(list(dict.fromkeys(errors)))
    return cases

"""Starter scenarios for ``labfinance new``."""

from __future__ import annotations

import json
import re
from pathlib import Path

from labfinance.loader import ScenarioError

_NAME_LINE = re.compile(r"^name:.*$", re.MULTILINE)


def template_names(folder: Path) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.yaml"))


def starter(folder: Path, template: str, name: str) -> str:
    """The text of ``template`` with its top-level ``name:`` set to ``name``."""
    path = folder / f"{template}.yaml"
    if not path.is_file():
        known = ", ".join(template_names(folder)) or "none found"
        raise ScenarioError([f"--template: no template '{template}' (known: {known})"])
    text = path.read_text(encoding="utf-8")
    # json.dumps gives a double-quoted string that is also valid YAML, so any name stays text
    return _NAME_LINE.sub(lambda _: f"name: {json.dumps(name, ensure_ascii=False)}", text, count=1)

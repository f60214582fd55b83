"""Starter scenarios for ``labfinance new``."""

from __future__ import annotations

import json
import re
from pathlib import Path

from labfinance.model.loader import ScenarioError

# the top-level `name:` line with any indented continuation lines (`name: >-` and a folded text)
_NAME = re.compile(r"^name:[^\n]*(?:\n[ \t]+[^\n]*)*", re.MULTILINE)
_VERSION = re.compile(r"^labfinance:[^\n]*$", re.MULTILINE)


def template_names(folder: Path) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.yaml"))


def starter(folder: Path, template: str, name: str) -> str:
    """The text of ``template`` with its top-level ``name:`` set to ``name``.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> text = "labfinance: 1\\nname: >-\\n  Old\\n  title\\nyears: 5\\n"
    >>> _ = (folder / "t.yaml").write_text(text)
    >>> print(starter(folder, "t", "=my lab"))
    labfinance: 1
    name: "=my lab"
    years: 5
    <BLANKLINE>
    """
    path = folder / f"{template}.yaml"
    if not path.is_file():
        known = ", ".join(template_names(folder)) or "none found"
        raise ScenarioError([f"--template: no template '{template}' (known: {known})"])
    text = path.read_text(encoding="utf-8")
    # json.dumps gives a double-quoted string that is also valid YAML, so any name stays text
    line = f"name: {json.dumps(name, ensure_ascii=False)}"
    if _NAME.search(text):
        return _NAME.sub(lambda _: line, text, count=1)
    return _VERSION.sub(lambda m: f"{m.group(0)}\n{line}", text, count=1)

"""The repository stands on its own: nothing a user or contributor reads points outside it."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTSIDE = ("shared/spec", "shared/reference", "../shared", "/work/", "domain-figures.md",
           "methodology.md", "excel-recalculation.md")


def tracked_text_files() -> list[Path]:
    names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    suffixes = (".py", ".md", ".yaml", ".toml", ".json", ".cfg", ".txt", "")
    return [ROOT / n for n in names if Path(n).suffix in suffixes and (ROOT / n).is_file()]


def test_no_file_refers_to_a_path_outside_the_repository():
    found = []
    for path in tracked_text_files():
        if path == Path(__file__).resolve():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # the broken-file fixtures include text that is not UTF-8 on purpose
        for number, line in enumerate(text.splitlines(), start=1):
            found += [f"{path.relative_to(ROOT)}:{number}: {word}" for word in OUTSIDE
                      if word in line]
    assert not found, "\n".join(found)


def test_the_license_matches_the_package_metadata():
    assert "MIT License" in (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert 'license = { text = "MIT" }' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")

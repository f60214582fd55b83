"""Recalculate workbooks with headless LibreOffice, forcing every formula to be computed again.

By default LibreOffice keeps the results stored in an xlsx file and computes only formula cells
without one, so a check against it would prove nothing. A fresh profile whose
``registrymodifications.xcu`` sets OOXMLRecalcMode to 0 ("always") makes it recalculate everything
on load (docs/recalculation.md).

Also the comparison shared by the workbook tests: every formula cell's cached value (the
engine's) against its recalculated value.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

REL, ABS = 1e-9, 1e-6  # the parity the spec asks: relative 1e-9, absolute 1e-6 near zero

FORCE_RECALC = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" \
xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" \
oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" \
oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def require_soffice() -> str:
    """The soffice executable; skip the test with a visible reason where it is missing, and
    fail instead when running in CI (CI=true), where it must be installed."""
    exe = soffice()
    if exe is None:
        message = ("LibreOffice (soffice) is not installed: the workbook's formulas cannot be "
                   "recalculated. Install libreoffice-calc-nogui (see .ci/run).")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return exe


LOCALE = """<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooSetupSystemLocale" \
oor:op="fuse"><value>{0}</value></prop></item>
<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooLocale" \
oor:op="fuse"><value>{0}</value></prop></item>
</oor:items>"""


def recalculate(paths: Iterable[Path | str], out_dir: Path | str | None = None,
                timeout: float = 300, locale: str | None = None) -> list[Path]:
    """Recalculated copies of ``paths`` (xlsx), in one soffice call; returns them in order.

    The inputs are copied first under unique names so that files with the same name from
    different folders do not collide in the output folder.
    """
    exe = require_soffice()
    paths = [Path(p) for p in paths]
    work = Path(tempfile.mkdtemp(prefix="labfinance-recalc-"))
    out = Path(out_dir) if out_dir is not None else work / "out"
    out.mkdir(parents=True, exist_ok=True)
    profile = work / "profile"
    (profile / "user").mkdir(parents=True)
    settings = FORCE_RECALC
    if locale is not None:  # the reader's locale (e.g. nl-NL: decimal comma, thousands dots)
        settings = settings.replace("</oor:items>", LOCALE.format(locale))
    (profile / "user" / "registrymodifications.xcu").write_text(settings, encoding="utf-8")
    sources = []
    for i, path in enumerate(paths):
        source = work / "in" / f"{i:03d}-{path.stem}.xlsx"
        source.parent.mkdir(exist_ok=True)
        shutil.copyfile(path, source)
        sources.append(source)
    command = [exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
               "--convert-to", "xlsx", "--outdir", str(out), *map(str, sources)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    results = [out / source.name for source in sources]
    missing = [p.name for p in results if not p.exists()]
    if done.returncode != 0 or missing:
        raise RuntimeError(f"soffice failed (exit {done.returncode}; missing {missing}):\n"
                           f"{done.stdout}\n{done.stderr}")
    shutil.rmtree(profile, ignore_errors=True)
    return results


def close(expected: Any, actual: Any) -> bool:
    """Equal as the spec asks: relative 1e-9, absolute 1e-6 near zero; text exactly."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected == actual
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return math.isclose(expected, actual, rel_tol=REL, abs_tol=ABS)
    return expected == actual


def _cells(path: Path, data_only: bool) -> dict[tuple[str, str], Any]:
    """(sheet, coordinate) -> value of every non-empty cell, read in one pass.

    openpyxl's read-only mode streams each sheet once (about a fifth of the time of a full load
    of these workbooks); looking up cells one by one in a full load was most of a parity test's
    time. The values are the same: both modes read the cells with the same parser."""
    book = openpyxl.load_workbook(path, read_only=True, data_only=data_only)
    try:
        return {(ws.title, cell.coordinate): (cell.data_type, cell.value)
                for ws in book.worksheets for row in ws.iter_rows() for cell in row
                if cell.value is not None}
    finally:
        book.close()


def formula_cells(path: Path) -> list[tuple[str, str, str]]:
    """(sheet, coordinate, formula) of every formula cell of a written workbook."""
    return [(sheet, coord, value) for (sheet, coord), (kind, value) in _cells(path, False).items()
            if kind == "f"]


def compare_formula_cells(written: Path, recalculated: Path) -> tuple[int, list[str], float]:
    """Every formula cell: cached value (the engine's) against LibreOffice's recalculation."""
    cached, fresh = _cells(written, True), _cells(recalculated, True)
    failures, worst = [], 0.0
    cells = formula_cells(written)
    for sheet, coord, formula in cells:
        # a cell absent from a workbook is empty: None, as a full load reads it
        a = cached.get((sheet, coord), (None, None))[1]
        b = fresh.get((sheet, coord), (None, None))[1]
        if not close(a, b):
            failures.append(f"{sheet}!{coord} {formula}: written {a!r}, recalculated {b!r}")
        elif isinstance(a, float) and isinstance(b, int | float) and abs(a) > ABS:
            worst = max(worst, abs(a - b) / abs(a))
    return len(cells), failures, worst


def named_cells(path: Path) -> dict[str, tuple[str, str]]:
    book = openpyxl.load_workbook(path)
    out = {}
    for name, definition in book.defined_names.items():
        for sheet, coord in definition.destinations:
            out[name] = (sheet, coord.replace("$", ""))
    return out

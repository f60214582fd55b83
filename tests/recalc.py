"""Recalculate workbooks with headless LibreOffice, forcing every formula to be computed again.

By default LibreOffice keeps the results stored in an xlsx file and computes only formula cells
without one, so a check against it would prove nothing. A fresh profile whose
``registrymodifications.xcu`` sets OOXMLRecalcMode to 0 ("always") makes it recalculate everything
on load (shared/reference/excel-recalculation.md).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

import pytest

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


def recalculate(paths: Iterable[Path | str], out_dir: Path | str | None = None,
                timeout: float = 300) -> list[Path]:
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
    (profile / "user" / "registrymodifications.xcu").write_text(FORCE_RECALC, encoding="utf-8")
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

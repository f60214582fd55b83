"""Render workbooks to PDF with headless LibreOffice (recalculated, as a reader would print them)
and pages to PNG, for the print tests and for looking at the pages."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from recalc import FORCE_RECALC, require_soffice


def to_pdf(paths: list[Path], out: Path, timeout: float = 600) -> list[Path]:
    """One PDF per workbook (every sheet, in order), in one soffice call."""
    exe = require_soffice()
    out.mkdir(parents=True, exist_ok=True)
    profile = Path(tempfile.mkdtemp(prefix="labfinance-render-"))
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(FORCE_RECALC, encoding="utf-8")
    command = [exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
               "--convert-to", "pdf", "--outdir", str(out), *map(str, paths)]
    subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    shutil.rmtree(profile, ignore_errors=True)
    pdfs = [out / f"{Path(p).stem}.pdf" for p in paths]
    missing = [p for p in pdfs if not p.exists()]
    assert not missing, f"soffice wrote no PDF for {missing}"
    return pdfs


def page_texts(pdf: Path) -> list[str]:
    """The text of each page (pdftotext, layout kept)."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def to_png(pdf: Path, out: Path, dpi: int = 60) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(out / pdf.stem)],
                   check=True, capture_output=True)
    return sorted(out.glob(f"{pdf.stem}-*.png"))

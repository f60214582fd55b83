"""The example scenarios' workbooks, analysed and written once per test session and shared.

Several modules write the same workbook of an example: the LibreOffice parity test
(test_workbook.py) and the print test (test_workbook_print.py) each wrote every example's base
case with 200 draws (seed 7) in English and Dutch; the locale and import tests each wrote it
without draws. The same analysis gives the same bytes (the determinism rule), so one file serves
them all. Under pytest-xdist each worker keeps its own (a session is one worker's).

A shared file is read only by convention: a test that edits a workbook saves a copy (openpyxl,
``tamper``) and never writes to the path it was given.
"""

from __future__ import annotations

from pathlib import Path

from labfinance.analysis.run import Analysis, analyse
from labfinance.model.loader import load
from labfinance.outputs.excel import write_workbook


class ExampleBooks:
    """The base case of a scenario file, as ``labfinance run`` analyses it (no variant, no
    ``--set``), keyed by (file, draws, seed); its workbook keyed by the language as well."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._analyses: dict[tuple[Path, int, int], Analysis] = {}
        self._books: dict[tuple[Path, int, int, str], Path] = {}

    def analysis(self, scenario: Path, draws: int = 0, seed: int = 0) -> Analysis:
        key = (Path(scenario).resolve(), draws, seed)
        if key not in self._analyses:
            loaded = load(key[0])
            self._analyses[key] = analyse(loaded, loaded.scenario, draws=draws, seed=seed)
        return self._analyses[key]

    def workbook(self, scenario: Path, lang: str = "en", draws: int = 0, seed: int = 0) -> Path:
        key = (Path(scenario).resolve(), draws, seed, lang)
        if key not in self._books:
            target = self.folder / f"{key[0].stem}-{lang}-{draws}-{seed}.xlsx"
            write_workbook(self.analysis(key[0], draws, seed), target, lang)
            self._books[key] = target
        return self._books[key]

"""The verdict reads the same numbers in a Dutch spreadsheet: recalculated by LibreOffice set to
the Dutch locale (decimal comma, thousands dots), the Summary's sentence gives the engine's money
and BCR, written with Dutch separators. With TEXT(x, "0.0") it read "EUR 03m" for "EUR 3.4m"."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest

from labfinance.analysis.run import analyse
from labfinance.model.loader import load
from labfinance.outputs.excel import write_workbook
from labfinance.outputs.verdict import Words, verdict
from labfinance.texts import Texts
from recalc import recalculate

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "scenarios").glob("*.yaml"))


def dutch(sentence: str) -> str:
    """The English verdict as Dutch separators write it: 3.4m -> 3,4m, 1,234 -> 1.234, 1.26 ->
    1,26 (the words stay: the language is another option, this is the locale)."""
    swapped = re.sub(r"(?<=\d)[.,](?=\d)", lambda m: "," if m.group(0) == "." else ".",
                     sentence)
    return swapped


@pytest.mark.libreoffice
@pytest.mark.parametrize("lang", ["en", "nl"])
def test_the_verdict_gives_the_engine_numbers_in_a_dutch_spreadsheet(lang, tmp_path):
    # the English workbook in a Dutch Excel, and the Dutch workbook as a Dutch reader opens it
    t = Texts(lang)
    written, expected = [], []
    for path in EXAMPLES:
        loaded = load(path)
        analysis = analyse(loaded, loaded.scenario, draws=0)
        target = tmp_path / f"{path.stem}.xlsx"
        write_workbook(analysis, target, lang)
        written.append(target)
        expected.append(verdict(analysis.results, w=Words(t)))
    fresh = recalculate(written, tmp_path / "nl", locale="nl-NL")
    for path, english, recalculated in zip(EXAMPLES, expected, fresh, strict=True):
        book = openpyxl.load_workbook(recalculated, data_only=True)
        sentence = book[t("sheet.summary")]["A3"].value
        # the year ranges ("2026-2031") and years have no separator to swap
        assert sentence == dutch(english), f"{path.stem}: {sentence!r}"
        assert re.search(r"\d,\d", sentence) or "BCR" not in sentence

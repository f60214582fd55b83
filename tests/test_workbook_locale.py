"""The verdict reads the same numbers in a Dutch spreadsheet: recalculated by LibreOffice set to
the Dutch locale (decimal comma, thousands dots), the Summary's sentence gives the engine's money
and BCR, written with Dutch separators. With TEXT(x, "0.0") it read "EUR 03m" for "EUR 3.4m"."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest

from examples import ExampleBooks
from labfinance.outputs.verdict import Words, verdict
from labfinance.texts import Texts
from recalc import recalculate

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "scenarios").glob("*.yaml"))
LANGUAGES = ["en", "nl"]


def dutch(sentence: str) -> str:
    """The English verdict as Dutch separators write it: 3.4m -> 3,4m, 1,234 -> 1.234, 1.26 ->
    1,26 (the words stay: the language is another option, this is the locale)."""
    swapped = re.sub(r"(?<=\d)[.,](?=\d)", lambda m: "," if m.group(0) == "." else ".",
                     sentence)
    return swapped


@pytest.fixture(scope="module")
def in_dutch_locale(example_workbooks: ExampleBooks, tmp_path_factory: pytest.TempPathFactory,
                    ) -> dict[str, list[Path]]:
    """Every example's workbook (no draws) in English and in Dutch, recalculated by LibreOffice
    set to nl-NL, all ten in one soffice call: language -> recalculated copies, in EXAMPLES
    order."""
    written = {lang: [example_workbooks.workbook(path, lang) for path in EXAMPLES]
               for lang in LANGUAGES}
    fresh = recalculate([p for lang in LANGUAGES for p in written[lang]],
                        tmp_path_factory.mktemp("nl-locale"), locale="nl-NL")
    return {lang: fresh[i * len(EXAMPLES):(i + 1) * len(EXAMPLES)]
            for i, lang in enumerate(LANGUAGES)}


@pytest.mark.libreoffice
@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_verdict_gives_the_engine_numbers_in_a_dutch_spreadsheet(lang, example_workbooks,
                                                                     in_dutch_locale):
    # the English workbook in a Dutch Excel, and the Dutch workbook as a Dutch reader opens it
    t = Texts(lang)
    expected = [verdict(example_workbooks.analysis(path).results, w=Words(t))
                for path in EXAMPLES]
    fresh = in_dutch_locale[lang]
    for path, english, recalculated in zip(EXAMPLES, expected, fresh, strict=True):
        book = openpyxl.load_workbook(recalculated, data_only=True)
        sentence = book[t("sheet.summary")]["A3"].value
        # the year ranges ("2026-2031") and years have no separator to swap
        assert sentence == dutch(english), f"{path.stem}: {sentence!r}"
        assert re.search(r"\d,\d", sentence) or "BCR" not in sentence

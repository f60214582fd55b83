"""A Dutch workbook is Dutch: no English label remains, and the language changes no number.

Every string of a Dutch workbook of every example (each cell's text or cached text, each chart
title, axis and series name) is read back; no word may be one that only the English catalogue
uses, unless the scenario's own text holds it (names, notes and ids the user wrote) or it is on
the short list below of words a Dutch reader uses as they are. The JSON is the same in every
language (its keys and the verdict are for scripts).
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from labfinance.analysis.run import analyse
from labfinance.cli import main
from labfinance.model.loader import load
from labfinance.outputs.excel import write_workbook
from labfinance.texts import catalogue

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "scenarios").glob("*.yaml"))
WORD = re.compile(r"[A-Za-z]{3,}")
# a parameter path, an id or a file path: stays as it is in every language
CODE = re.compile(r"^[\w.\-/]+$")
# English words a Dutch public-finance text uses as they are (terms of art, units, codes)
ALLOWED = {"deadweight", "optimism", "bias", "funding", "gap", "rate", "living", "lab",
           "business", "case", "monte", "carlo", "live", "seed", "set", "real", "nominal",
           "prices", "labfinance", "import", "yaml", "toml", "npv", "irr", "sha"}


def words(text: str) -> set[str]:
    return {w.lower() for w in WORD.findall(text)}


def text_words(text: str) -> set[str]:
    """The words of a catalogue text, its {placeholders} left out."""
    return words(re.sub(r"\{[^}]*\}", " ", text))


def english_only() -> set[str]:
    """Words of the English catalogue that the Dutch one never uses."""
    en = set().union(*(text_words(v) for v in catalogue("en").values()))
    nl = set().union(*(text_words(v) for v in catalogue("nl").values()))
    return en - nl - ALLOWED


def workbook_strings(path: Path) -> list[tuple[str, str]]:
    """(where, text) of every string a reader sees: cells (cached results of formulas too) of
    every sheet but the hidden scenario source, and the charts' texts."""
    found = []
    book = openpyxl.load_workbook(path, data_only=True)
    for ws in book.worksheets:
        if ws.sheet_state == "hidden":
            continue
        found.append((ws.title, ws.title))
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    found.append((f"{ws.title}!{cell.coordinate}", cell.value))
        footer = ws.oddFooter.right.text or ""
        found.append((f"{ws.title} footer", footer))
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/charts/chart"):
                xml = z.read(name).decode("utf-8")
                for text in re.findall(r"<(?:a:t|c:v)>([^<]*)</(?:a:t|c:v)>", xml):
                    found.append((name, text))
    return found


@pytest.fixture(scope="module")
def dutch_books(tmp_path_factory):
    out = tmp_path_factory.mktemp("nl")
    books = []
    for path in EXAMPLES:
        loaded = load(path)
        analysis = analyse(loaded, loaded.scenario, draws=200)  # Risk sheet and its charts
        target = out / f"{path.stem}.xlsx"
        write_workbook(analysis, target, "nl")
        books.append((path, target))
    return books


def test_no_english_label_remains_in_a_dutch_workbook(dutch_books):
    english = english_only()
    assert {"shortfall", "committed", "costs", "benefits", "year"} <= english  # the check bites
    left = []
    for source, book in dutch_books:
        user = words(source.read_text(encoding="utf-8"))  # what the user wrote stays
        for where, text in workbook_strings(book):
            if CODE.match(text):
                continue
            wrong = sorted((words(text) & english) - user)
            if wrong:
                left.append(f"{source.stem}: {where}: {wrong}: {text[:90]!r}")
    assert not left, f"{len(left)} strings with English words:\n" + "\n".join(left[:40])


def test_no_cell_holds_an_english_catalogue_text(dutch_books):
    en, nl = catalogue("en"), catalogue("nl")
    english = {text for key, text in en.items() if text != nl[key] and "{" not in text}
    for source, book in dutch_books:
        hits = [(where, text) for where, text in workbook_strings(book)
                if text in english and not CODE.match(text)]
        assert not hits, f"{source.stem}: {hits[:10]}"


def test_the_dutch_workbook_names_its_sheets_in_dutch(dutch_books):
    _, book = dutch_books[0]
    names = openpyxl.load_workbook(book, read_only=True).sheetnames
    assert names[:4] == ["Samenvatting", "Aannames", "Kosten", "Financiering"]
    assert "Scenariobron" in names


@pytest.mark.parametrize("command", ["run", "compare"])
def test_the_json_is_the_same_in_every_language(command, tmp_path):
    example = str(EXAMPLES[0])
    runner = CliRunner()
    outputs = {}
    for lang in ("en", "nl"):
        args = [command, example, "--json", "-", "--lang", lang]
        if command == "run":
            args += ["--draws", "50"]
        done = runner.invoke(main, args)
        assert done.exit_code == 0, done.output
        outputs[lang] = json.loads(done.stdout)
    assert outputs["en"] == outputs["nl"]


def test_a_scenario_may_ask_for_dutch_and_lang_overrides_it(tmp_path):
    text = EXAMPLES[0].read_text(encoding="utf-8")
    dutch = tmp_path / "dutch.yaml"
    dutch.write_text(text + "\nlanguage: nl\n", encoding="utf-8")
    runner = CliRunner()
    for args, sheet in (([], "Samenvatting"), (["--lang", "en"], "Summary")):
        book = tmp_path / f"{sheet}.xlsx"
        done = runner.invoke(main, ["run", str(dutch), "--draws", "0", "-o", str(book), *args])
        assert done.exit_code == 0, done.output
        assert openpyxl.load_workbook(book, read_only=True).sheetnames[0] == sheet


def test_an_unknown_language_is_a_located_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLES[0].read_text(encoding="utf-8") + "\nlanguage: fr\n",
                   encoding="utf-8")
    done = CliRunner().invoke(main, ["validate", str(bad)])
    assert done.exit_code == 2
    line = len(bad.read_text(encoding="utf-8").splitlines())
    assert f"bad.yaml:{line}: language:" in done.output, done.output


@pytest.mark.parametrize("command", ["compare", "portfolio"])
def test_no_english_label_remains_in_a_dutch_compare_or_portfolio_workbook(command, tmp_path):
    book = tmp_path / f"{command}.xlsx"
    args = [command, *(str(p) for p in EXAMPLES), "-o", str(book), "--lang", "nl"]
    if command == "portfolio":
        args += ["--draws", "50", "--jobs", "1"]
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 0, done.output
    english = english_only()
    user = set().union(*(words(p.read_text(encoding="utf-8")) for p in EXAMPLES))
    left = [f"{where}: {sorted((words(text) & english) - user)}: {text[:80]!r}"
            for where, text in workbook_strings(book)
            if not CODE.match(text) and (words(text) & english) - user]
    assert not left, "\n".join(left[:40])

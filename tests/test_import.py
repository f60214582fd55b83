"""The round trip: a reader's edits in the workbook come back to the scenario file.

A workbook is written, its live inputs changed with openpyxl (and, in the LibreOffice tier, saved
again by LibreOffice, which rewrites the whole file), and imported. The imported scenario must be
the original with exactly those changes as ``--set`` overrides, and its text the original's with
only the edited values changed: every expected text below is the original with the lines named
in the test replaced by hand.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from examples import ExampleBooks
from labfinance.analysis.run import analyse
from labfinance.cli import main
from labfinance.model import paths
from labfinance.model.loader import ScenarioError, load, load_document, with_overrides
from labfinance.model.workbook import SOURCE_SHEET, import_workbook
from labfinance.outputs.excel import write_workbook
from labfinance.texts import Texts

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "scenarios").glob("*.yaml")) + sorted((ROOT / "templates").glob("*.yaml"))

SMALL = """\
# A small case for the round trip: comments must survive.
labfinance: 1
name: Round trip
start_year: 2026
years: 5
discount_rate: 0.04    # the financial rate
stakeholders:
  city: {name: City, kind: municipality}
  insurer: {name: Insurer, kind: insurer}
  eu: {name: EU, kind: eu}

costs:
  - id: build          # one-off build
    category: capex
    amount: 100000     # the vendor's quote
    year: 2026
    life: 5
  - id: operate
    category: opex
    amount: 20000
    from: 2027

funding:
  - id: city
    type: contribution
    stakeholder: city
    amount: 30000
  - id: erdf
    type: grant
    stakeholder: eu
    rate: 0.5
    status: expected
    probability: 0.8

benefits:
  - id: burglaries
    beneficiary: insurer
    quantity: 10
    unit_value: 4000   # per burglary avoided
    ramp_up: [0.5, 1]

uncertainty:
  benefits.burglaries.unit_value: {dist: triangular, low: 3000, mode: 4000, high: 6000}
"""

SMALL_TOML = """\
# The same kind of case in TOML
labfinance = 1
name = "Round trip (TOML)"
start_year = 2026
years = 4
discount_rate = 0.04  # the financial rate

[stakeholders.city]
name = "City"
kind = "municipality"

[[costs]]
id = "build"   # one-off build
category = "capex"
amount = 100000
year = 2026

[[costs]]
id = "operate"
amount = 20000
"""


def write_book(scenario: Path, book: Path, lang: str = "en") -> Path:
    loaded = load(scenario)
    write_workbook(analyse(loaded, loaded.scenario, draws=0), book, lang)
    return book


def cells(book: Path, lang: str = "en") -> dict[str, str]:
    """Parameter path -> value cell (``C21``) of the Assumptions sheet, found by its headers."""
    t = Texts(lang)
    path_title, value_title = t("assumptions.col.path"), t("assumptions.col.value")
    ws = openpyxl.load_workbook(book)[t("sheet.assumptions")]
    for row in ws.iter_rows(max_row=20):
        titles = {c.value: c.column_letter for c in row if isinstance(c.value, str)}
        if path_title in titles:
            out = {}
            for r in range(row[0].row + 1, ws.max_row + 1):
                path = ws[f"{titles[path_title]}{r}"].value
                if path:
                    out[path] = f"{titles[value_title]}{r}"
            return out
    raise AssertionError("no Assumptions header")


def edit(book: Path, target: Path, changes: dict[str, Any], lang: str = "en") -> dict[str, str]:
    """Type ``changes`` (path -> value) into a copy of the workbook; returns path -> cell."""
    where = cells(book, lang)
    wb = openpyxl.load_workbook(book)
    for path, value in changes.items():
        wb[Texts(lang)("sheet.assumptions")][where[path]] = value
    wb.save(target)
    return where


@pytest.fixture()
def small(tmp_path: Path) -> tuple[Path, Path]:
    scenario = tmp_path / "lab.yaml"
    scenario.write_text(SMALL, encoding="utf-8")
    return scenario, write_book(scenario, tmp_path / "lab.xlsx")


def invoke(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


# ----------------------------------------------------------------------------- nothing changed


@pytest.mark.parametrize("lang", ["en", "nl"])
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_an_unedited_workbook_gives_back_its_scenario_byte_for_byte(example, lang, tmp_path):
    # in Dutch too: the sheets, the Assumptions headers and the structural words are Dutch
    book = write_book(example, tmp_path / "book.xlsx", lang)
    imported = import_workbook(book)
    assert imported.edits == ()
    assert imported.text == example.read_text(encoding="utf-8")
    assert imported.loaded.scenario == load(example).scenario


def test_the_source_sheet_is_hidden_and_holds_the_text_as_text(small):
    scenario, book = small
    ws = openpyxl.load_workbook(book)[SOURCE_SHEET]
    assert ws.sheet_state == "hidden"
    lines = SMALL.split("\n")
    assert ws["C1"].value == str(len(lines))
    assert [ws.cell(r, 1).value or "" for r in range(2, len(lines) + 2)] == lines
    assert all(ws.cell(r, 1).data_type != "f" for r in range(2, len(lines) + 2))


def test_a_line_that_looks_like_a_formula_or_is_longer_than_a_cell_comes_back(tmp_path):
    # a comment line of more than two cells' worth (32,000 characters each); a note that long is
    # refused by validation (at most 10,000 characters), a comment is the file's own
    long_comment = "# " + "x" * 70_000
    text = SMALL.replace("  - id: build          # one-off build\n",
                         f"  - id: build          # one-off build\n    {long_comment}\n"
                         ).replace("name: Round trip", "name: \"=SUM(A1:A2)\"")
    scenario = tmp_path / "odd.yaml"
    scenario.write_text(text, encoding="utf-8")
    imported = import_workbook(write_book(scenario, tmp_path / "odd.xlsx"))
    assert imported.text == text and imported.edits == ()


def test_crlf_line_endings_are_kept(tmp_path):
    scenario = tmp_path / "crlf.yaml"
    scenario.write_bytes(SMALL.replace("\n", "\r\n").encode("utf-8"))
    book = write_book(scenario, tmp_path / "crlf.xlsx")
    edit(book, tmp_path / "e.xlsx", {"discount_rate": 0.05})
    imported = import_workbook(tmp_path / "e.xlsx")
    assert imported.text == SMALL.replace("0.04    #", "0.05    #").replace("\n", "\r\n")


# ----------------------------------------------------------------------------- edits come back


def test_a_dutch_workbook_brings_its_edits_back_located_on_its_dutch_sheet(tmp_path):
    scenario = tmp_path / "lab.yaml"
    scenario.write_text(SMALL, encoding="utf-8")
    book = write_book(scenario, tmp_path / "nl.xlsx", "nl")
    where = edit(book, tmp_path / "edited.xlsx", {"discount_rate": 0.035,
                                                  "costs.build.amount": 120000}, "nl")
    imported = import_workbook(tmp_path / "edited.xlsx")
    assert [e.line() for e in imported.edits] == ["discount_rate: 0.04 -> 0.035",
                                                  "costs.build.amount: 100000 -> 120000"]
    assert imported.edits[0].cell == f"Aannames!{where['discount_rate']}"
    edit(book, tmp_path / "bad.xlsx", {"discount_rate": "veel"}, "nl")
    with pytest.raises(ScenarioError) as error:
        import_workbook(tmp_path / "bad.xlsx")
    assert f"Aannames!{where['discount_rate']}: discount_rate:" in error.value.messages[0]


def test_edits_come_back_as_the_same_set_overrides_and_only_those_values_change(small, tmp_path):
    scenario, book = small
    changes = {
        "discount_rate": 0.035,                       # a top-level rate with a comment
        "costs.build.amount": 120000,                 # a value with a comment aligned after it
        "benefits.burglaries.ramp_up.0": 0.6,         # an item of a flow list
        "costs.operate.to": 2029,                     # a default the file leaves out (last year)
        "funding.erdf.payment.advance": 0.3,          # in a map the file leaves out
    }
    edit(book, tmp_path / "edited.xlsx", changes)
    imported = import_workbook(tmp_path / "edited.xlsx")
    assert [e.line() for e in imported.edits] == [
        "discount_rate: 0.04 -> 0.035",
        "costs.build.amount: 100000 -> 120000",
        "costs.operate.to: 2030 -> 2029",
        "funding.erdf.payment.advance: 0 -> 0.3",
        "benefits.burglaries.ramp_up.0: 0.5 -> 0.6",
    ]  # in the order of the Assumptions sheet; 2030 is the last year of 2026 + 5 years
    expected = (SMALL
                .replace("discount_rate: 0.04    #", "discount_rate: 0.035   #")
                .replace("amount: 100000     #", "amount: 120000     #")
                .replace("    from: 2027\n", "    from: 2027\n    to: 2029\n")
                .replace("    probability: 0.8\n",
                         "    probability: 0.8\n    payment:\n      advance: 0.3\n")
                .replace("ramp_up: [0.5, 1]", "ramp_up: [0.6, 1]"))
    assert imported.text == expected
    reference = with_overrides(load(scenario), None, list(changes.items()))
    assert imported.loaded.scenario == reference


def test_a_toml_scenario_keeps_its_layout(tmp_path):
    text = SMALL_TOML
    scenario = tmp_path / "lab.toml"
    scenario.write_text(text, encoding="utf-8")
    book = write_book(scenario, tmp_path / "lab.xlsx")
    edit(book, tmp_path / "e.xlsx", {"discount_rate": 0.03, "costs.build.amount": 90000})
    result = invoke("import", str(tmp_path / "e.xlsx"), "-o", str(tmp_path / "back.toml"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "back.toml").read_text(encoding="utf-8") == (
        text.replace("discount_rate = 0.04 ", "discount_rate = 0.03 ")
            .replace("amount = 100000", "amount = 90000"))
    assert "discount_rate: 0.04 -> 0.03\ncosts.build.amount: 100000 -> 90000\n" in result.stdout


def test_a_toml_scenario_takes_new_keys_inside_their_item(tmp_path):
    scenario = tmp_path / "lab.toml"
    scenario.write_text(SMALL_TOML, encoding="utf-8")
    book = write_book(scenario, tmp_path / "lab.xlsx")
    # operate runs to the last year, 2029 (2026 + 4 years - 1), unless `to` says otherwise
    edit(book, tmp_path / "e.xlsx", {"costs.operate.to": 2028})
    imported = import_workbook(tmp_path / "e.xlsx")
    assert [e.line() for e in imported.edits] == ["costs.operate.to: 2029 -> 2028"]
    assert imported.text == SMALL_TOML.replace('id = "operate"\namount = 20000\n',
                                               'id = "operate"\namount = 20000\nto = 2028\n')


def test_a_formula_that_follows_another_input_is_not_an_edit_unless_a_number_is_typed(small,
                                                                                       tmp_path):
    scenario, book = small  # SMALL leaves social_discount_rate out: it follows discount_rate
    where = edit(book, tmp_path / "a.xlsx", {"discount_rate": 0.05})
    formula = openpyxl.load_workbook(tmp_path / "a.xlsx")["Assumptions"][
        where["social_discount_rate"]].value
    assert formula == f"={where['discount_rate'].replace('C', '$C$')}"
    assert [e.path for e in import_workbook(tmp_path / "a.xlsx").edits] == ["discount_rate"]
    edit(book, tmp_path / "b.xlsx", {"discount_rate": 0.05, "social_discount_rate": 0.04})
    imported = import_workbook(tmp_path / "b.xlsx")
    assert [e.line() for e in imported.edits] == [
        "discount_rate: 0.04 -> 0.05",
        "social_discount_rate: (follows discount_rate) -> 0.04"]
    assert imported.loaded.scenario.social_discount_rate == 0.04


def test_rows_are_found_by_path_after_a_reader_moves_sheets_and_inserts_rows(small, tmp_path):
    scenario, book = small
    where = cells(book)
    wb = openpyxl.load_workbook(book)
    wb.move_sheet("Assumptions", offset=5)
    wb.move_sheet(SOURCE_SHEET, offset=-10)
    ws = wb["Assumptions"]
    ws.insert_rows(6, amount=3)  # rows below move down; their paths move with them
    row = int(where["costs.build.amount"][1:]) + 3
    ws[f"C{row}"] = 110000
    wb.save(tmp_path / "moved.xlsx")
    imported = import_workbook(tmp_path / "moved.xlsx")
    assert [e.line() for e in imported.edits] == ["costs.build.amount: 100000 -> 110000"]
    assert imported.edits[0].cell == f"Assumptions!C{row}"


def test_a_file_in_an_unusual_layout_is_changed_correctly_and_says_its_indentation_moved(
        tmp_path):
    # one list flush with its key, another indented: no single ruamel.yaml setting writes both
    head, rest = SMALL.split("funding:\n")
    block, tail = rest.split("\nbenefits:")
    text = head + "funding:\n" + "\n".join(line[2:] for line in block.split("\n")) + \
        "\nbenefits:" + tail
    assert text != SMALL
    scenario = tmp_path / "odd.yaml"
    scenario.write_text(text, encoding="utf-8")
    book = write_book(scenario, tmp_path / "odd.xlsx")
    edit(book, tmp_path / "e.xlsx", {"costs.build.amount": 110000})
    result = invoke("import", str(tmp_path / "e.xlsx"), "-o", str(tmp_path / "back.yaml"))
    assert result.exit_code == 0, result.output
    assert "indentation could not be kept exactly" in result.stderr
    back = load(tmp_path / "back.yaml")
    assert back.scenario == with_overrides(load(scenario), None, [("costs.build.amount", 110000)])
    assert "# the vendor's quote" in (tmp_path / "back.yaml").read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- the command


def test_import_writes_the_scenario_and_prints_each_change(small, tmp_path, monkeypatch):
    scenario, book = small
    edit(book, tmp_path / "edited.xlsx", {"costs.build.amount": 125000})
    monkeypatch.chdir(tmp_path)
    result = invoke("import", "edited.xlsx")
    assert result.exit_code == 0, result.output
    assert result.stdout == ("costs.build.amount: 100000 -> 125000\n"
                             "edited.yaml: written (1 change)\n")
    assert (tmp_path / "edited.yaml").read_text(encoding="utf-8") == SMALL.replace(
        "amount: 100000     #", "amount: 125000     #")


def test_import_keeps_an_existing_scenario_without_force(small, tmp_path):
    scenario, book = small
    edit(book, tmp_path / "edited.xlsx", {"costs.build.amount": 125000})
    result = invoke("import", str(tmp_path / "edited.xlsx"), "-o", str(scenario))
    assert result.exit_code == 2
    assert "--force" in result.stderr and "-o" in result.stderr
    assert scenario.read_text(encoding="utf-8") == SMALL
    forced = invoke("import", str(tmp_path / "edited.xlsx"), "-o", str(scenario), "--force")
    assert forced.exit_code == 0, forced.output
    assert "amount: 125000     # the vendor's quote" in scenario.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["edited.xlsx", "lab.xlsx", "lab.yaml"]


def test_import_names_the_right_suffix(small, tmp_path):
    scenario, book = small
    result = invoke("import", str(book), "-o", str(tmp_path / "back.toml"))
    assert result.exit_code == 2
    assert result.stderr == f"-o {tmp_path / 'back.toml'}: the scenario is YAML; name a .yaml or " \
                            ".yml file\n"
    assert not (tmp_path / "back.toml").exists()


def _json(*args: str) -> dict[str, Any]:
    result = invoke("run", *args, "--json", "-", "--draws", "300", "--seed", "11")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_run_on_a_workbook_is_run_on_the_imported_scenario(small, tmp_path):
    scenario, book = small
    changes = {"costs.build.amount": 130000, "funding.city.amount": 35000,
               "costs.operate.to": 2029}
    edit(book, tmp_path / "edited.xlsx", changes)
    from_book = _json(str(tmp_path / "edited.xlsx"))
    with_sets = _json(str(scenario), *[f"--set={k}={v}" for k, v in changes.items()])
    imported = tmp_path / "imported.yaml"
    assert invoke("import", str(tmp_path / "edited.xlsx"), "-o", str(imported)).exit_code == 0
    from_file = _json(str(imported))
    # run BOOK reports the workbook as its path and the SHA-256 of the imported text ...
    assert from_book["scenario"]["path"] == str(tmp_path / "edited.xlsx")
    assert from_book["scenario"]["sha256"] == from_file["scenario"]["sha256"]
    assert from_book["scenario"]["overrides"] == {}
    assert with_sets["scenario"]["overrides"] == changes
    # ... and everything else is what the imported file gives, and what --set gives
    for doc in (from_book, from_file, with_sets):
        del doc["scenario"]["path"], doc["scenario"]["sha256"], doc["scenario"]["overrides"]
    assert from_book == from_file
    assert from_book == with_sets
    assert "sensitivity" in from_book and from_book["monte_carlo"]["draws"] == 300


def test_run_a_workbook_to_a_refreshed_workbook_that_imports_without_changes(small, tmp_path):
    scenario, book = small
    edit(book, tmp_path / "edited.xlsx", {"costs.build.amount": 130000})
    result = invoke("run", str(tmp_path / "edited.xlsx"), "-o", str(tmp_path / "fresh.xlsx"),
                    "--draws", "50")
    assert result.exit_code == 0, result.output
    again = import_workbook(tmp_path / "fresh.xlsx")
    assert again.edits == ()
    assert "amount: 130000     # the vendor's quote" in again.text
    risk = openpyxl.load_workbook(tmp_path / "fresh.xlsx", data_only=True)
    assert "Risk" in risk.sheetnames


def test_validate_and_compare_accept_a_workbook(small, tmp_path):
    scenario, book = small
    edit(book, tmp_path / "edited.xlsx", {"costs.build.amount": 130000})
    result = invoke("validate", str(tmp_path / "edited.xlsx"))
    assert result.exit_code == 0 and result.stdout == f"{tmp_path / 'edited.xlsx'}: ok\n"
    compared = invoke("compare", str(scenario), str(tmp_path / "edited.xlsx"), "--json", "-")
    assert compared.exit_code == 0, compared.output
    cases = json.loads(compared.stdout)["cases"]
    assert [c["metrics"]["total_cost"] for c in cases][1] - \
        [c["metrics"]["total_cost"] for c in cases][0] == pytest.approx(30000)


# ----------------------------------------------------------------------------- errors


def _errors(book: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        import_workbook(book)
    return caught.value.messages


def test_bad_values_are_reported_at_their_cells_all_at_once(small, tmp_path):
    scenario, book = small

    def set_message(path: str, value: Any) -> str:
        """What ``--set path=value`` says of the value (an edit is checked as a --set is)."""
        with pytest.raises(ScenarioError) as caught:
            with_overrides(load(scenario), None, [(path, value)])
        [message] = caught.value.messages
        assert message.startswith(f"--set: {path}: ")
        return message[len(f"--set: {path}: "):]

    where = edit(book, tmp_path / "bad.xlsx", {
        "costs.build.amount": "abc", "funding.erdf.rate": 1.5, "costs.operate.amount": None,
        "start_year": 2027, "costs.build.year": 2035})
    name = str(tmp_path / "bad.xlsx")
    assert sorted(_errors(tmp_path / "bad.xlsx")) == sorted([
        f"{name}: Assumptions!{where['start_year']}: start_year: is structural (not live) and "
        "was changed from 2026 to 2027; change it in the scenario file and run it again; only "
        "live inputs (blue on yellow) come back from the workbook",
        f"{name}: Assumptions!{where['costs.build.amount']}: costs.build.amount: must be a "
        "number (got 'abc')",
        f"{name}: Assumptions!{where['costs.build.year']}: costs.build.year: "
        f"{set_message('costs.build.year', 2035)}",
        f"{name}: Assumptions!{where['costs.operate.amount']}: costs.operate.amount: is empty; "
        "type a number (the scenario's is 20000)",
        f"{name}: Assumptions!{where['funding.erdf.rate']}: funding.erdf.rate: must be between "
        "0 and 1 (got 1.5)",
    ])
    result = invoke("import", name, "-o", str(tmp_path / "out.yaml"))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert not (tmp_path / "out.yaml").exists()
    ran = invoke("run", name, "-o", str(tmp_path / "out.xlsx"))
    assert ran.exit_code == 2 and "costs.build.amount: must be a number (got 'abc')" in ran.stderr
    assert not (tmp_path / "out.xlsx").exists()


def test_the_error_of_the_spec_reads_as_the_spec_writes_it(small, tmp_path):
    scenario, book = small
    where = edit(book, tmp_path / "book.xlsx", {"costs.build.amount": "abc"})
    result = invoke("validate", str(tmp_path / "book.xlsx"))
    assert result.exit_code == 2
    assert result.stderr == (f"{tmp_path / 'book.xlsx'}: Assumptions!{where['costs.build.amount']}"
                             ": costs.build.amount: must be a number (got 'abc')\n")


def test_edits_that_are_wrong_only_together_are_reported_at_an_edited_cell(small, tmp_path):
    scenario, book = small  # each alone is a valid --set; together they exceed 1
    where = edit(book, tmp_path / "both.xlsx", {"funding.erdf.payment.advance": 0.7,
                                                "funding.erdf.payment.retention": 0.5})
    assert _errors(tmp_path / "both.xlsx") == [
        f"{tmp_path / 'both.xlsx'}: Assumptions!{where['funding.erdf.payment.advance']}: "
        "funding.erdf.payment: advance + retention is 1.2; it may not exceed 1"]


def test_an_edit_outside_its_uncertainty_range_is_reported_at_its_cell(small, tmp_path):
    scenario, book = small  # the range of unit_value is 3000..6000 (SMALL)
    where = edit(book, tmp_path / "far.xlsx", {"benefits.burglaries.unit_value": 8000})
    assert _errors(tmp_path / "far.xlsx") == [
        f"{tmp_path / 'far.xlsx'}: Assumptions!{where['benefits.burglaries.unit_value']}: "
        "uncertainty.benefits.burglaries.unit_value: the scenario's own value 8000 lies outside "
        "the range 3000..6000; the file's value is the base case and must lie inside it"]


def test_a_changed_id_is_a_structural_change(small, tmp_path):
    scenario, book = small
    where = edit(book, tmp_path / "id.xlsx", {"costs.build": "construction"})
    assert _errors(tmp_path / "id.xlsx") == [
        f"{tmp_path / 'id.xlsx'}: Assumptions!{where['costs.build']}: costs.build: is structural "
        "(not live) and was changed from 'build' to 'construction'; change it in the scenario "
        "file and run it again; only live inputs (blue on yellow) come back from the workbook"]


def test_a_structural_row_marked_live_by_a_reader_stays_structural(small, tmp_path):
    scenario, book = small
    where = cells(book)
    wb = openpyxl.load_workbook(book)
    ws = wb["Assumptions"]
    row = where["start_year"][1:]
    ws[f"G{row}"] = "live"  # the Live column
    ws[f"C{row}"] = 2027
    wb.save(tmp_path / "live.xlsx")
    [message] = _errors(tmp_path / "live.xlsx")
    assert f"Assumptions!C{row}: start_year: is structural (not live)" in message


def test_a_missing_source_sheet_is_named(small, tmp_path):
    scenario, book = small
    wb = openpyxl.load_workbook(book)
    del wb[SOURCE_SHEET]
    wb.save(tmp_path / "nosource.xlsx")
    assert _errors(tmp_path / "nosource.xlsx") == [
        f"{tmp_path / 'nosource.xlsx'}: the hidden sheet 'Scenario source' is missing, so the "
        "scenario cannot be rebuilt (a workbook from an older labfinance, or the sheet was "
        "deleted); run the scenario file again"]


@pytest.mark.parametrize("change", ["line", "count", "huge count", "marker", "number"])
def test_an_altered_source_sheet_is_refused(small, tmp_path, change):
    scenario, book = small
    wb = openpyxl.load_workbook(book)
    ws = wb[SOURCE_SHEET]
    if change == "line":
        ws["A7"] = "discount_rate: 0.09"
    elif change == "count":
        ws["C1"] = "3"
    elif change == "huge count":
        ws["C1"] = "1048575"
    elif change == "marker":
        ws["A1"] = "something else"
    else:
        ws["A7"] = 0.09
    wb.save(tmp_path / "altered.xlsx")
    assert _errors(tmp_path / "altered.xlsx") == [
        f"{tmp_path / 'altered.xlsx'}: Scenario source: the scenario text was altered (it no "
        "longer matches its SHA-256 in row 1); change inputs on the Assumptions sheet, and "
        "anything else in the scenario file"]


def test_a_workbook_not_written_by_labfinance_is_refused(tmp_path):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "budget"
    wb.save(tmp_path / "other.xlsx")
    (tmp_path / "text.xlsx").write_text("not a workbook", encoding="utf-8")
    assert _errors(tmp_path / "other.xlsx") == [
        f"{tmp_path / 'other.xlsx'}: was not written by labfinance (it has no 'Scenario source' "
        "sheet); import reads the workbooks `labfinance run` writes"]
    [message] = _errors(tmp_path / "text.xlsx")
    assert message.startswith(f"{tmp_path / 'text.xlsx'}: is not an Excel workbook (.xlsx) that "
                              "can be read")
    assert _errors(tmp_path / "none.xlsx") == [f"{tmp_path / 'none.xlsx'}: no such file"]
    result = invoke("import", str(tmp_path / "other.xlsx"))
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_a_compare_workbook_does_not_come_back(small, tmp_path):
    scenario, book = small
    result = invoke("compare", str(scenario), "-o", str(tmp_path / "compare.xlsx"))
    assert result.exit_code == 0, result.output
    assert _errors(tmp_path / "compare.xlsx") == [
        f"{tmp_path / 'compare.xlsx'}: is not the business case of one scenario (it has no "
        "Assumptions or 'Scenario source' sheet; a `compare` workbook does not come back); "
        "import reads the workbooks `labfinance run` writes"]


def test_a_missing_assumptions_sheet_is_named(small, tmp_path):
    scenario, book = small
    wb = openpyxl.load_workbook(book)
    del wb["Assumptions"]
    wb.save(tmp_path / "noinputs.xlsx")
    assert _errors(tmp_path / "noinputs.xlsx") == [
        f"{tmp_path / 'noinputs.xlsx'}: the Assumptions sheet is missing; it holds the inputs"]


def test_a_typed_formula_counts_by_its_stored_result(small, tmp_path):
    scenario, book = small
    where = cells(book)
    wb = openpyxl.load_workbook(book)
    wb["Assumptions"][where["costs.build.amount"]] = "=100000*1.1"
    wb.save(tmp_path / "formula.xlsx")  # openpyxl stores no result
    assert _errors(tmp_path / "formula.xlsx") == [
        f"{tmp_path / 'formula.xlsx'}: Assumptions!{where['costs.build.amount']}: "
        "costs.build.amount: holds a formula with no stored result; open and save the workbook "
        "in Excel or LibreOffice, or type the number"]


def test_a_workbook_copy_of_a_variant_brings_the_variant_values(tmp_path):
    """A workbook of a variant shows the variant's values: they are what the reader sees, so
    they come back as edits of the file's base case (docs/decisions.md)."""
    text = SMALL + "variants:\n  dear:\n    set: {costs.build.amount: 150000}\n"
    scenario = tmp_path / "v.yaml"
    scenario.write_text(text, encoding="utf-8")
    loaded = load(scenario)
    write_workbook(analyse(loaded, with_overrides(loaded, "dear"), variant="dear", draws=0),
                   tmp_path / "v.xlsx")
    imported = import_workbook(tmp_path / "v.xlsx")
    assert [e.line() for e in imported.edits] == ["costs.build.amount: 100000 -> 150000"]


# ----------------------------------------------------------------------------- LibreOffice


@pytest.fixture(scope="module")
def saved_by_libreoffice(tmp_path_factory: pytest.TempPathFactory,
                         example_workbooks: ExampleBooks) -> dict[str, Any]:
    """Workbooks edited with openpyxl, then opened, recalculated and saved by LibreOffice (which
    rewrites the whole file: styles, cached values, shared strings), in one soffice call."""
    from recalc import recalculate, require_soffice

    require_soffice()
    folder = tmp_path_factory.mktemp("libreoffice")
    small = folder / "lab.yaml"
    small.write_text(SMALL, encoding="utf-8")
    books = {"small": write_book(small, folder / "lab.xlsx")}
    changes = {"discount_rate": 0.035, "costs.build.amount": 120000, "costs.operate.to": 2029,
               "funding.erdf.payment.advance": 0.3, "benefits.burglaries.ramp_up.0": 0.6}
    edit(books["small"], folder / "lab-edited.xlsx", changes)
    books["small-edited"] = folder / "lab-edited.xlsx"
    edit(books["small"], folder / "lab-formula.xlsx", {"costs.build.amount": "=100000*1.25"})
    books["small-formula"] = folder / "lab-formula.xlsx"
    for example in EXAMPLES:
        books[example.name] = example_workbooks.workbook(example)  # as write_book writes it
    saved = recalculate(list(books.values()), out_dir=folder / "saved")
    return {"folder": folder, "small": small, "changes": changes,
            "saved": dict(zip(books, saved, strict=True)), "written": books}


@pytest.mark.libreoffice
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_a_workbook_saved_by_libreoffice_gives_back_its_scenario(saved_by_libreoffice, example):
    imported = import_workbook(saved_by_libreoffice["saved"][example.name])
    assert imported.edits == ()
    assert imported.text == example.read_text(encoding="utf-8")


@pytest.mark.libreoffice
def test_edits_saved_by_libreoffice_come_back_as_set_overrides(saved_by_libreoffice):
    run = saved_by_libreoffice
    imported = import_workbook(run["saved"]["small-edited"])
    assert {e.path: e.new for e in imported.edits} == run["changes"]
    assert imported.loaded.scenario == with_overrides(load(run["small"]), None,
                                                      list(run["changes"].items()))
    # the same text as the same edits saved by openpyxl alone
    assert imported.text == import_workbook(run["written"]["small-edited"]).text
    assert import_workbook(run["saved"]["small"]).edits == ()


@pytest.mark.libreoffice
def test_a_formula_typed_into_an_input_counts_by_the_result_libreoffice_stored(
        saved_by_libreoffice):
    imported = import_workbook(saved_by_libreoffice["saved"]["small-formula"])
    assert [e.line() for e in imported.edits] == ["costs.build.amount: 100000 -> 125000"]


# ----------------------------------------------------------------------------- property


class _Books(list):  # type: ignore[type-arg]
    def __repr__(self) -> str:  # hypothesis prints its arguments: not the workbooks' bytes
        return f"<{len(self)} example workbooks>"


@pytest.fixture(scope="module")
def example_books(example_workbooks: ExampleBooks) -> list[dict[str, Any]]:
    """Each example's workbook, its bytes and its live inputs typed as numbers (path, old)."""
    out = _Books()
    for example in EXAMPLES[:5]:
        book = example_workbooks.workbook(example)  # as write_book writes it: no draws, English
        ws = openpyxl.load_workbook(book)["Assumptions"]
        where = cells(book)
        live = [(path, ws[cell].value) for path, cell in where.items()
                if ws[cell.replace("C", "G")].value == "live" and ws[cell].data_type == "n"]
        out.append({"scenario": example, "bytes": book.read_bytes(), "live": live,
                    "where": where})
    return out


def _new_value(draw: Any, old: float) -> Any:
    kind = draw(st.sampled_from(["scaled", "whole", "small", "text"]))
    if kind == "scaled":
        return float(f"{old * draw(st.floats(0, 2)):.6g}")
    if kind == "whole":
        return draw(st.integers(-3, 3000))
    if kind == "small":
        return draw(st.floats(-1.5, 1.5).map(lambda x: round(x, 4)))
    return draw(st.sampled_from(["abc", "5%", "1,000"]))


@st.composite
def random_edits(draw: Any, books: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    book = draw(st.sampled_from(books))
    chosen = draw(st.lists(st.sampled_from(book["live"]), min_size=1, max_size=4,
                           unique_by=lambda item: item[0]))
    return book, {path: _new_value(draw, old) for path, old in chosen}


def _changed_lines_name_the_edits(old: str, new: str, edits: dict[str, Any]) -> bool:
    """Every line the import replaced, removed or added holds the key of an edited value."""
    import difflib

    keys = {next(t for t in reversed(path.split(".")) if not t.isdigit() or "schedule" in path)
            for path in edits}
    a, b = old.split("\n"), new.split("\n")
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal" and not all(any(k in line for k in keys)
                                      for line in a[i1:i2] + b[j1:j2] if line.strip()):
            return False
    return True


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_random_edits_of_the_examples_import_as_the_same_set_overrides(example_books, data,
                                                                       tmp_path_factory):
    book, edits = data.draw(random_edits(example_books))
    shown = dict(book["live"])
    # typing the value a cell already shows is no edit (a default stays out of the file)
    changed = {path: value for path, value in edits.items()
               if isinstance(value, str) or value != shown[path]}
    folder = tmp_path_factory.mktemp("edit")
    (folder / "book.xlsx").write_bytes(book["bytes"])
    edit(folder / "book.xlsx", folder / "edited.xlsx", edits)
    loaded = load(book["scenario"])
    # the reference: the file with these --set overrides, validated as a file is
    try:
        raw = loaded.document.raw
        for path, value in changed.items():
            # a spreadsheet cell holds a number, not an integer or a float: 0.0 typed into a
            # whole-number input (a lag) is the number 0, as --set 0 would give
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            raw, _ = paths.with_override(raw, path, value)
        expected: Any = load_document(loaded.document.with_raw(raw)).scenario
    except (ScenarioError, paths.PathError):
        expected = None
    name = str(folder / "edited.xlsx")
    try:
        imported = import_workbook(folder / "edited.xlsx")
    except ScenarioError as exc:
        event("import refused")
        assert expected is None, exc.messages
        assert all(m.startswith(f"{name}: ") for m in exc.messages)
        return
    event("imported")
    assert expected is not None
    assert imported.loaded.scenario == expected
    original = loaded.document.text
    assert _changed_lines_name_the_edits(original, imported.text, changed)
    assert len(imported.edits) <= len(changed)

"""``labfinance compare``: cases side by side in the terminal, JSON and a small workbook."""

from __future__ import annotations

import json
import zipfile

import openpyxl
import pytest
from click.testing import CliRunner

from helpers import scenario_file
from labfinance.analysis.compare import parse_case
from labfinance.cli import main
from labfinance.engine.catalogue import EU_METRICS, METRICS

approx = pytest.approx

BODY = """
    costs:
      - {id: kit, category: capex, amount: 1000, year: 2026}
    funding:
      - {id: city, type: contribution, stakeholder: city, amount: 600, year: 2026}
    benefits:
      - {id: thefts, beneficiary: city, quantity: 10, unit_value: 150}
    variants:
      cheap:
        description: "=HYPERLINK(\\"http://x\\") a cheaper kit"
        set: {costs.kit.amount: 700}
      generous:
        set: {funding.city.amount: 1000}
    """


def _invoke(*args: str):
    return CliRunner().invoke(main, ["compare", *args])


@pytest.fixture
def case_file(tmp_path):
    return scenario_file(tmp_path, BODY, years=1, rate=0.0)


def test_a_file_alone_means_its_base_case_and_every_variant(case_file):
    result = _invoke(str(case_file), "--json", "-")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert list(doc) == ["labfinance_version", "cases"]
    assert [c["variant"] for c in doc["cases"]] == ["base", "cheap", "generous"]
    assert all(list(c) == ["scenario", "variant", "metrics"] for c in doc["cases"])
    assert doc["cases"][0]["scenario"]["name"] == "Test case"
    assert list(doc["cases"][0]["metrics"]) == [  # no eu_cofinancing_rate: no EU metrics
        m for m in METRICS if m not in EU_METRICS]
    # ENPV = 10 × 150 - cost (one undiscounted year); shortfall = cost - contribution
    assert [c["metrics"]["economic_npv"] for c in doc["cases"]] == [500, 800, 500]
    assert [c["metrics"]["funding_shortfall"] for c in doc["cases"]] == [400, 100, 0]
    # the table went to standard error, one column per case
    assert "economic_npv" in result.stderr and "generous" in result.stderr


def test_file_hash_variant_picks_cases_across_files(tmp_path, case_file):
    other = scenario_file(tmp_path, BODY, years=1, rate=0.0, name="other.yaml")
    result = _invoke(f"{case_file}#generous", f"{other}#base", str(other) + "#cheap",
                     "--json", "-")
    assert result.exit_code == 0, result.output
    cases = json.loads(result.stdout)["cases"]
    assert [(c["scenario"]["path"].rsplit("/", 1)[-1], c["variant"]) for c in cases] == [
        ("case.yaml", "generous"), ("other.yaml", "base"), ("other.yaml", "cheap")]
    table = result.stderr.splitlines()
    assert table[0].split() == ["metric", "case#generous", "other#base", "other#cheap"]


def test_the_table_prints_to_stdout_without_json(case_file):
    result = _invoke(str(case_file))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["metric", "base", "cheap", "generous"]
    shortfall = next(line for line in lines if line.startswith("funding_shortfall "))
    assert shortfall.split() == ["funding_shortfall", "EUR", "400", "EUR", "100", "EUR", "0"]


def test_unknown_variant_and_missing_file_are_bad_input_reported_together(tmp_path, case_file):
    result = _invoke(f"{case_file}#nope", str(tmp_path / "missing.yaml"))
    assert result.exit_code == 2
    assert f"{case_file}: no variant 'nope' (known: base, cheap, generous)" in result.stderr
    assert "missing.yaml" in result.stderr
    assert "Traceback" not in result.output


def test_workbook_has_one_column_per_case_and_text_as_text(tmp_path, case_file):
    out = tmp_path / "compare.xlsx"
    result = _invoke(str(case_file), "-o", str(out))
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out)["Compare"]
    rows = {row[0].value: [c.value for c in row[2:]] for row in sheet.iter_rows() if row[0].value}
    assert rows["Variant"] == ["base", "cheap", "generous"]
    assert rows["economic_npv"] == [500, 800, 500]
    assert rows["first_shortfall_year"] == [2026, 2026, "n/a"]
    # a description that looks like a formula stays text
    row = next(r for r in sheet.iter_rows() if r[0].value == "Description")
    cell = row[3]  # column D: the second case, "cheap"
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


def test_an_existing_output_is_kept_without_force(tmp_path, case_file):
    out = tmp_path / "compare.xlsx"
    out.write_text("a reader's edits")
    result = _invoke(str(case_file), "-o", str(out))
    assert result.exit_code == 2
    assert "--force" in result.stderr and out.read_text() == "a reader's edits"
    json_out = tmp_path / "compare.json"
    json_out.write_text("{}")
    assert _invoke(str(case_file), "--json", str(json_out)).exit_code == 2
    result = _invoke(str(case_file), "-o", str(out), "--json", str(json_out), "--force")
    assert result.exit_code == 0
    assert openpyxl.load_workbook(out)["Compare"]["A1"].value.startswith("Scenarios")
    assert json.loads(json_out.read_text())["cases"][0]["variant"] == "base"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_parse_case(tmp_path):
    assert parse_case("a.yaml#v1") == ("a.yaml", "v1")
    assert parse_case("a.yaml") == ("a.yaml", None)
    odd = tmp_path / "odd#name.yaml"
    odd.write_text("")
    assert parse_case(str(odd)) == (str(odd), None)


def test_compare_has_help():
    result = CliRunner().invoke(main, ["compare", "--help"])
    assert result.exit_code == 0 and "FILE[#VARIANT]..." in result.output


def test_the_same_cases_give_the_same_bytes(tmp_path, case_file, monkeypatch):
    # the workbook's creation time is fixed (SOURCE_DATE_EPOCH aside), not the wall clock
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    for out in (first, second):
        result = CliRunner().invoke(main, ["compare", str(case_file), "-o", str(out)])
        assert result.exit_code == 0, result.output
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as book:  # not the wall clock, which could match by chance
        assert "<dcterms:created xsi:type=\"dcterms:W3CDTF\">2000-01-01T00:00:00Z" in \
            book.read("docProps/core.xml").decode()

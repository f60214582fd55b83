"""The business-case workbook: every formula recalculated by LibreOffice gives the engine's value.

All workbooks of the module go through ONE soffice call (module fixture): every example scenario
and every variant of each, a fixture with tricky text and every funding type, and copies with an
input changed (the live model). Tests that need LibreOffice skip with a reason where it is missing
and fail when CI=true (tests/recalc.py).
"""

from __future__ import annotations

import math
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest

from examples import ExampleBooks
from helpers import TRICKY
from labfinance.analysis.run import Analysis, analyse
from labfinance.engine.catalogue import METRICS, reported
from labfinance.engine.core import evaluate
from labfinance.model.loader import load, with_overrides
from labfinance.outputs.excel import write_workbook
from recalc import (
    close,
    compare_formula_cells,
    formula_cells,
    named_cells,
    recalculate,
    require_soffice,
)


def analysis_of(path: Path | str, variant: str | None = None, draws: int = 0,
                sets: list[tuple[str, Any]] | None = None) -> Analysis:
    loaded = load(path)
    scenario = with_overrides(loaded, variant, sets or [])
    return analyse(loaded, scenario, variant=variant, overrides=dict(sets or []), draws=draws,
                   seed=7)


def metric_value(value: Any) -> float:
    """A metric cell as a float: "n/a" is NaN."""
    return math.nan if value == "n/a" else float(value)


def same_metric(engine: float, cell: Any) -> bool:
    if isinstance(engine, float | np.floating) and np.isnan(engine):
        return cell == "n/a"
    return isinstance(cell, int | float) and close(float(engine), float(cell))


def input_cell(book: openpyxl.Workbook, path: str) -> str:
    """The Assumptions coordinate of the input with parameter path ``path``."""
    ws = book["Assumptions"]
    for row in ws.iter_rows(min_col=5, max_col=5):
        if row[0].value == path:
            return f"C{row[0].row}"
    raise KeyError(path)


# ----------------------------------------------------------------------------- the cases

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p for p in (ROOT / "scenarios").glob("*")
                  if p.suffix in (".yaml", ".yml", ".toml"))


def _cases() -> list[tuple[str, str | None]]:
    """(scenario stem, variant) of every example and every variant of each; the tricky fixture."""
    cases = []
    for path in EXAMPLES:
        cases.append((path.name, None))
        cases += [(path.name, name) for name in load(path).scenario.variants]
    return cases + [("tricky.yaml", None)]


CASES = _cases()
# the Dutch workbook of every example's base case and of the tricky fixture: the same formulas,
# with the sheet names of every reference and the words inside formulas in Dutch
DUTCH = [case for case in CASES if case[1] is None]
LIVE = [  # (scenario, overrides): each changes Assumptions cells of the written workbook
    ("burglary-predictor.yaml", [("discount_rate", 0.04)]),
    ("citizen-alert-app.yaml", [("risks.privacy_breach.probability", 0.2),  # format 1.2
                                ("risks.vendor_failure.impact", 300000),
                                ("risks.vendor_failure.from", 2029)]),
    ("tricky.yaml", [("discount_rate", 0.05), ("social_discount_rate", 0.01)]),
    ("tricky.yaml", [("costs.sensors.amount", 260000), ("costs.team.cost_per_fte", 95000)]),
    ("tricky.yaml", [("funding.erdf.rate", 0.3), ("funding.erdf.cap", 120000)]),
    ("tricky.yaml", [("benefits.incidents.quantity", 220),
                     ("benefits.incidents.deadweight", 0.35)]),
    ("tricky.yaml", [("inflation", 0.03), ("funding.bridge.rate", 0.06),
                     ("funding.volunteers.probability", 0), ("funding.erdf.payment.lag", 1)]),
]


def case_id(case: tuple[str, str | None]) -> str:
    return f"{Path(case[0]).stem}--{case[1] or 'base'}"


def scenario_path(name: str, folder: Path) -> Path:
    return folder / name if name == "tricky.yaml" else ROOT / "scenarios" / name


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory, example_workbooks: ExampleBooks,
          ) -> dict[str, Any]:
    """Write every workbook, make the live and tampered copies, recalculate all in one call.

    An example's base case (200 draws, seed 7), English and Dutch, is the session's shared file
    (tests/examples.py), the very bytes the print test renders."""
    require_soffice()
    folder = tmp_path_factory.mktemp("workbooks")
    (folder / "tricky.yaml").write_text(TRICKY, encoding="utf-8")
    written: dict[str, Path] = {}
    analyses: dict[str, Analysis] = {}
    for case in CASES:
        key = case_id(case)
        if case[1] is None and case[0] != "tricky.yaml":
            path = scenario_path(case[0], folder)
            analyses[key] = example_workbooks.analysis(path, draws=200, seed=7)
            written[key] = example_workbooks.workbook(path, "en", draws=200, seed=7)
            written[f"nl-{key}"] = example_workbooks.workbook(path, "nl", draws=200, seed=7)
            continue
        analyses[key] = analysis_of(scenario_path(case[0], folder), case[1],
                                    draws=200 if case[1] is None else 0)
        written[key] = folder / f"{key}.xlsx"
        write_workbook(analyses[key], written[key])
        if case in DUTCH:
            written[f"nl-{key}"] = folder / f"nl-{key}.xlsx"
            write_workbook(analyses[key], written[f"nl-{key}"], "nl")
    live = []
    for i, (name, sets) in enumerate(LIVE):
        book = openpyxl.load_workbook(written[case_id((name, None))])
        for path, value in sets:
            book["Assumptions"][input_cell(book, path)].value = value
        target = folder / f"live-{i}.xlsx"
        book.save(target)
        live.append(target)
    tampered = folder / "tampered.xlsx"
    tamper(written[case_id(("tricky.yaml", None))], tampered, "economic_npv", 12345.0)
    paths = [*written.values(), *live, tampered]
    fresh = recalculate(paths, folder / "recalculated")
    return {"folder": folder, "written": written, "analyses": analyses,
            "recalculated": dict(zip([*written, *(f"live-{i}" for i in range(len(live))),
                                      "tampered"], fresh, strict=True)),
            "tampered": tampered, "parity": {}}


def tamper(source: Path, target: Path, name: str, value: float) -> None:
    """Copy a workbook with the cached value of the cell named ``name`` replaced."""
    sheet, coord = named_cells(source)[name]
    index = openpyxl.load_workbook(source).sheetnames.index(sheet) + 1
    member = f"xl/worksheets/sheet{index}.xml"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == member:
                text = data.decode("utf-8")
                pattern = re.compile(rf'(<c r="{coord}"[^>]*>(?:<f>[^<]*</f>)?<v>)[^<]*(</v>)')
                text, n = pattern.subn(rf"\g<1>{value!r}\g<2>", text)
                assert n == 1, f"{coord} not found in {member}"
                data = text.encode("utf-8")
            zout.writestr(item, data)


# ----------------------------------------------------------------------------- LibreOffice

@pytest.mark.libreoffice
@pytest.mark.parametrize("key", [case_id(c) for c in CASES] + [f"nl-{case_id(c)}" for c in DUTCH])
def test_every_formula_cell_recalculates_to_the_engine_value(suite, key):
    count, failures, worst = compare_formula_cells(suite["written"][key],
                                                   suite["recalculated"][key])
    suite["parity"][key] = (count, worst)
    assert count > 500
    assert not failures, f"{len(failures)} of {count} formula cells differ:\n" + "\n".join(
        failures[:20])


@pytest.mark.libreoffice
def test_recalculation_really_happens(suite):
    """The tampered copy holds a wrong cached NPV; the forced recalculation corrects it."""
    sheet, coord = named_cells(suite["tampered"])["economic_npv"]
    stored = openpyxl.load_workbook(suite["tampered"], data_only=True)[sheet][coord].value
    assert stored == 12345.0
    fresh = openpyxl.load_workbook(suite["recalculated"]["tampered"], data_only=True)
    engine = suite["analyses"][case_id(("tricky.yaml", None))].results.metrics["economic_npv"][0]
    assert fresh[sheet][coord].value != 12345.0
    assert close(float(engine), fresh[sheet][coord].value)


@pytest.mark.libreoffice
@pytest.mark.parametrize("index", range(len(LIVE)),
                         ids=lambda i: ",".join(p for p, _ in LIVE[i][1]))
def test_changed_inputs_give_the_engine_results_with_the_same_override(suite, index):
    name, sets = LIVE[index]
    path = scenario_path(name, suite["folder"])
    engine = evaluate(with_overrides(load(path), None, sets))
    written = suite["written"][case_id((name, None))]
    formulas = openpyxl.load_workbook(written)
    fresh = openpyxl.load_workbook(suite["recalculated"][f"live-{index}"], data_only=True)
    checked = 0
    for metric, (sheet, coord) in named_cells(written).items():
        if metric not in METRICS or formulas[sheet][coord].data_type != "f":
            continue  # a labelled value (an IRR with several roots or none) is not live
        value = fresh[sheet][coord].value
        assert same_metric(engine.metrics[metric][0], value), (
            f"{metric}: engine {engine.metrics[metric][0]!r}, workbook {value!r}")
        checked += 1
    assert checked >= 12


# ----------------------------------------------------------------------------- read back

@pytest.fixture(scope="module")
def tricky(tmp_path_factory: pytest.TempPathFactory) -> tuple[Analysis, Path]:
    folder = tmp_path_factory.mktemp("tricky")
    (folder / "tricky.yaml").write_text(TRICKY, encoding="utf-8")
    analysis = analysis_of(folder / "tricky.yaml")
    write_workbook(analysis, folder / "tricky.xlsx")
    return analysis, folder / "tricky.xlsx"


def test_headline_cells_hold_the_engine_metrics(tricky):
    analysis, path = tricky
    names = named_cells(path)
    cached = openpyxl.load_workbook(path, data_only=True)
    for metric in reported(analysis.scenario):
        sheet, coord = names[metric]
        assert same_metric(analysis.results.metrics[metric][0], cached[sheet][coord].value), metric
    assert cached[names["master_check"][0]][names["master_check"][1]].value == "OK"


def test_every_formula_cell_has_a_cached_value(tricky):
    _, path = tricky
    cached = openpyxl.load_workbook(path, data_only=True)
    missing = [f"{s}!{c}" for s, c, _ in formula_cells(path) if cached[s][c].value is None]
    assert not missing


def test_scenario_text_stays_text(tricky):
    analysis, path = tricky
    book = openpyxl.load_workbook(path)
    texts = {cell.value for ws in book.worksheets for row in ws.iter_rows() for cell in row
             if cell.data_type == "s"}
    for text in (analysis.scenario.name, "=1+1 is not a formula", "=SUM(1,2)", "@sensors",
                 "=wellbeing", "=KPI", "@note", "-starts with a minus",
                 analysis.scenario.description):
        assert text in texts, text
    for sheet, coord, formula in formula_cells(path):
        assert "HYPERLINK" not in formula and "SUM(1,2)" not in formula, f"{sheet}!{coord}"
    assert book["Summary"]["A1"].value == analysis.scenario.name


def test_sheet_order_and_optional_sheets(tricky):
    analysis, path = tricky
    assert analysis.sensitivity and not analysis.monte_carlo and not analysis.variants
    assert openpyxl.load_workbook(path).sheetnames == [
        "Summary", "Assumptions", "Costs", "Funding", "Benefits", "Cash flow", "Stakeholders",
        "Sensitivity", "Criteria", "Checks", "About", "Scenario source"]
    bare = Analysis(analysis.loaded, analysis.scenario, analysis.results)
    target = path.with_name("bare.xlsx")
    write_workbook(bare, target)
    assert openpyxl.load_workbook(target).sheetnames == [
        "Summary", "Assumptions", "Costs", "Funding", "Benefits", "Cash flow", "Stakeholders",
        "Criteria", "Checks", "About", "Scenario source"]
    full = analysis_of(ROOT / "scenarios" / "burglary-predictor.yaml", draws=50)
    target = path.with_name("full.xlsx")
    write_workbook(full, target)
    assert openpyxl.load_workbook(target).sheetnames == [
        "Summary", "Assumptions", "Costs", "Funding", "Benefits", "Cash flow", "Stakeholders",
        "Sensitivity", "Risk", "Variants", "Criteria", "Checks", "About", "Scenario source"]


def test_hand_made_sensitivity_and_risk_are_written_as_labelled_values(tricky):
    made, path = tricky
    analysis = Analysis(made.loaded, made.scenario, made.results)
    years = analysis.results.years
    analysis.sensitivity = {
        "tornado": [{"parameter": "costs.sensors.amount", "low": 150000, "high": 300000,
                     "base": 200000, "metric": "economic_npv", "at_low": -600000.0,
                     "at_high": -750000.0, "swing": 150000.0}],
        "switching_values": [{"parameter": "costs.sensors.amount", "base": 200000,
                              "metric": "economic_npv", "target": 0, "value": None}]}
    stats = {"mean": 1.0, "sd": 2.0, "p5": -1.0, "p10": 0.0, "p50": 1.0, "p90": 2.0, "p95": 3.0,
             "prob_below_zero": 0.25, "share_null": 0.0}
    analysis.monte_carlo = {"draws": 100, "seed": 42, "metrics": {"economic_npv": stats},
                            "prob_shortfall": 0.4, "prob_bcr_below_1": 0.9,
                            "prob_cash_out_by_year": [0.1 * i for i in range(len(years))]}
    analysis.samples = {"economic_npv": np.linspace(-1e6, 1e6, 100)}
    target = path.with_name("fake.xlsx")
    write_workbook(analysis, target)
    book = openpyxl.load_workbook(target)
    # the parameter in words (the item's name, the field's words), its path in its own column
    sensors = next(c for c in analysis.scenario.costs if c.id == "sensors")
    assert book["Sensitivity"]["A5"].value == f"{sensors.label}: amount"
    assert book["Sensitivity"]["K5"].value == "costs.sensors.amount"
    assert book["Sensitivity"]["I5"].value == pytest.approx(
        -600000.0 - analysis.results.metrics["economic_npv"][0])
    assert "seed 42, 100 draws" in book["Risk"]["A2"].value
    assert book["Risk"]["B5"].value == 1.0
    assert book["Summary"].cell(row=1, column=1).value == analysis.scenario.name
    flags = [c.value for row in book["Summary"].iter_rows() for c in row
             if isinstance(c.value, str) and "Assumptions'!$I$" in c.value]
    assert len(flags) == 1  # the staleness flag compares the inputs with the analysed copy
    charts = chart_xml(target)
    assert len(charts) == 4 + 1 + 3  # Summary 4, the tornado, cash-out, histogram and CDF
    tornado = next(c for c in charts if "Tornado" in c)
    assert tornado.count("<c:ser>") == 2 and "Sensitivity!" in tornado


def chart_xml(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        return [z.read(n).decode("utf-8") for n in sorted(z.namelist())
                if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]


def test_summary_charts_have_the_right_series(tricky):
    analysis, path = tricky
    charts = chart_xml(path)
    metrics = {bar["metric"] for bar in analysis.sensitivity["tornado"]}
    # Summary: 3, and a tornado where there is one; Sensitivity: one tornado per metric
    assert len(charts) == 3 + (1 + len(metrics) if metrics else 0)
    costs = next(c for c in charts if "Money in by source (loans included)" in c)
    # every source is a column, loans drawn included (tricky has the loan "bridge"), so a year
    # whose cash is positive never shows a deficit; the line is costs + debt service
    sources = analysis.scenario.funding
    assert any(f.type == "loan" for f in sources)
    assert costs.count("<c:ser>") == len(sources) + 1
    assert "(loan drawn)" in costs and "Costs and debt service" in costs
    assert "<c:barChart>" in costs and "<c:lineChart>" in costs
    assert "'Funding'!" in costs or "Funding!" in costs
    # the years on the axis are slanted so that they never run together
    assert '<a:bodyPr rot="-2700000"' in costs
    cumulative = next(c for c in charts if "Cumulative cash" in c)
    assert cumulative.count("<c:ser>") == 2
    who = next(c for c in charts if "Who pays" in c)
    assert who.count("<c:ser>") == 2 and "Stakeholders!" in who


def test_the_same_analysis_gives_the_same_bytes(tricky):
    analysis, path = tricky
    again = path.with_name("again.xlsx")
    write_workbook(analysis, again)
    assert again.read_bytes() == path.read_bytes()


def test_run_writes_the_workbook(tmp_path):
    from click.testing import CliRunner

    from labfinance.cli import main

    target = tmp_path / "out.xlsx"
    result = CliRunner().invoke(main, ["run", str(ROOT / "scenarios" / "burglary-predictor.yaml"),
                                       "-o", str(target), "--draws", "0"])
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(target).sheetnames[0] == "Summary"

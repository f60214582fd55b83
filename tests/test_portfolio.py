"""`labfinance portfolio`: every initiative summed by calendar year, stakeholders matched by id,
broken files left out, the Monte Carlo of the whole, the same bytes for the same seed."""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from click.testing import CliRunner

from helpers import scenario_file
from labfinance.analysis.distributions import uncertain_parameters
from labfinance.analysis.montecarlo import random_columns, uniforms
from labfinance.analysis.portfolio import evaluate_portfolio, file_seed
from labfinance.cli import main
from labfinance.engine.core import LEDGER_ROWS, evaluate
from labfinance.engine.parameters import Parameters
from labfinance.model.loader import load
from test_import import edit, write_book

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "scenarios").glob("*.yaml"))
BROKEN = ROOT / "tests" / "broken" / "advance-plus-retention.yaml"


def invoke(*args: str):
    return CliRunner().invoke(main, ["portfolio", *args])


def run_json(path: Path, *extra: str) -> dict:
    result = CliRunner().invoke(main, ["run", str(path), "--json", "-", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def examples_portfolio() -> dict:
    result = invoke(str(ROOT / "scenarios"), "--json", "-", "--draws", "300", "--jobs", "2")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_examples_sum_to_their_run_json_year_by_year(examples_portfolio):
    doc = examples_portfolio
    runs = [run_json(path, "--draws", "0") for path in EXAMPLES]
    assert [i["path"] for i in doc["initiatives"]] == [str(p) for p in EXAMPLES]  # sorted by name
    years = sorted({y for r in runs for y in r["years"]})
    assert doc["years"] == years
    for row in LEDGER_ROWS:
        if row == "cumulative_cash":
            continue
        # expected: each file's run JSON, 0 outside its years, summed exactly (fsum) per year
        expected = [math.fsum(r["ledger"][row][r["years"].index(y)] for r in runs
                              if y in r["years"]) for y in years]
        assert doc["totals"][row] == expected, row
    # cumulative cash: the running total of the summed net cash (a file's cash carries on)
    assert doc["totals"]["cumulative_cash"] == list(itertools.accumulate(
        doc["totals"]["net_cash"]))
    for item, r in zip(doc["initiatives"], runs, strict=True):
        assert item["metrics"] | r["metrics"] == item["metrics"]  # every run metric, the same
        assert item["sha256"] == r["scenario"]["sha256"]
        assert item["name"] == r["scenario"]["name"]


def test_every_source_but_loans_lands_with_its_funder(examples_portfolio):
    doc = examples_portfolio
    for j, _ in enumerate(doc["years"]):
        funders = math.fsum(v[j] for v in doc["funders"].values())
        expected = doc["totals"]["funding"][j] + doc["totals"]["revenue"][j]
        assert math.isclose(funders, expected, rel_tol=1e-12, abs_tol=1e-6)


def test_each_file_draws_as_run_does_with_its_own_documented_seed(examples_portfolio):
    item = examples_portfolio["initiatives"][1]
    path = Path(item["path"])
    # the rule of the About sheet and the README, computed here by hand
    digest = hashlib.sha256(f"20261127:{item['sha256']}".encode()).hexdigest()
    assert item["seed"] == int(digest[:13], 16) < 2 ** 53
    alone = run_json(path, "--draws", "300", "--seed", str(item["seed"]))
    stats = alone["monte_carlo"]["metrics"]["funding_shortfall"]
    assert item["monte_carlo"]["funding_shortfall"]["p50"] == stats["p50"]
    assert item["monte_carlo"]["funding_shortfall"]["p95"] == stats["p95"]
    assert item["monte_carlo"]["prob_shortfall"] == alone["monte_carlo"]["prob_shortfall"]


# a city contributes to two initiatives in overlapping years; a grant has no stakeholder
LAB = """
costs:
  - {id: team, category: staff, amount: 100000}
funding:
  - {id: city_share, type: contribution, stakeholder: city, amount: 30000, from: 2027}
  - {id: ministry, type: grant, amount: 10000, to: 2027}
"""
APP = """
costs:
  - {id: app, category: opex, amount: 50000}
funding:
  - {id: city_app, type: contribution, stakeholder: city, schedule: {2029: 5000, 2031: 7000}}
  - {id: police_app, type: contribution, stakeholder: police, amount: 1000}
  - {id: bank, type: loan, stakeholder: insurer, amount: 20000, year: 2029, rate: 0.05, term: 2}
"""


def test_stakeholders_are_matched_across_files_by_id(tmp_path):
    scenario_file(tmp_path, LAB, years=4, name="a-lab.yaml")  # 2026-2029
    app = scenario_file(tmp_path, APP, years=4, name="b-app.yaml")
    app.write_text(app.read_text().replace("start_year: 2026", "start_year: 2028"))  # 2028-2031
    p = evaluate_portfolio([tmp_path], draws=0, seed=1)
    assert p.years == [2026, 2027, 2028, 2029, 2030, 2031]
    # city: 30,000 a year from 2027 to 2029 (lab) + 5,000 in 2029 and 7,000 in 2031 (app)
    assert p.funders["city"].tolist() == [0, 30000, 30000, 35000, 0, 7000]
    assert p.funders["police"].tolist() == [0, 0, 1000, 1000, 1000, 1000]
    # the grant has no stakeholder: kept apart under its source id, 10,000 in 2026 and 2027
    assert p.funders["source:ministry"].tolist() == [10000, 10000, 0, 0, 0, 0]
    assert "insurer" not in p.funders  # a loan is financing, not funding
    assert p.names["city"] == "City"
    # costs: 100,000 a year in 2026-2029 and 50,000 a year in 2028-2031
    assert p.totals["costs"].tolist() == [100000, 100000, 150000, 150000, 50000, 50000]


def test_a_broken_file_is_reported_and_left_out_and_the_rest_still_run(tmp_path):
    for path in EXAMPLES[:2]:
        shutil.copy(path, tmp_path / path.name)
    shutil.copy(BROKEN, tmp_path / "broken.yaml")
    out = tmp_path / "out.json"
    result = invoke(str(tmp_path), "--json", str(out), "--draws", "0", "--jobs", "1")
    assert result.exit_code == 2
    # located: file, line and parameter
    assert f"{tmp_path / 'broken.yaml'}:17: funding.erdf.payment" in result.stderr
    doc = json.loads(out.read_text())
    assert [Path(i["path"]).name for i in doc["initiatives"]] == [p.name for p in EXAMPLES[:2]]
    assert any("broken.yaml:17" in problem for problem in doc["problems"])


def test_a_workbook_counts_as_the_scenario_it_comes_back_as(tmp_path):
    # "run BOOK.xlsx ... accept[s] a workbook wherever a scenario file is expected": a portfolio
    # PATH too. Unedited, the workbook is its scenario: same text, same sha256, same seed, so the
    # same portfolio figures as the file; edited, it is the scenario with the reader's edits,
    # exactly as `run BOOK.xlsx` evaluates it.
    scenario, other = EXAMPLES[1], EXAMPLES[2]
    book = write_book(scenario, tmp_path / "book.xlsx")
    as_file = invoke(str(scenario), str(other), "--json", "-", "--draws", "200", "--jobs", "1")
    as_book = invoke(str(book), str(other), "--json", "-", "--draws", "200", "--jobs", "1")
    assert as_file.exit_code == as_book.exit_code == 0, as_book.output
    a, b = json.loads(as_file.stdout), json.loads(as_book.stdout)
    assert b["initiatives"][0]["path"] == str(book)
    assert b["initiatives"][0]["sha256"] == a["initiatives"][0]["sha256"]
    assert (b["totals"], b["monte_carlo"]) == (a["totals"], a["monte_carlo"])

    edited = tmp_path / "edited.xlsx"
    edit(book, edited, {"discount_rate": 0.03})  # inside its range 0.01..0.04
    result = invoke(str(edited), "--json", "-", "--draws", "0", "--jobs", "1")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    run = run_json(edited, "--draws", "0")
    assert doc["initiatives"][0]["metrics"]["financial_npv"] == run["metrics"]["financial_npv"]
    assert run["metrics"]["financial_npv"] != a["initiatives"][0]["metrics"]["financial_npv"]


def test_a_workbook_not_written_by_labfinance_is_located_bad_input(tmp_path):
    stranger = tmp_path / "other.xlsx"
    openpyxl.Workbook().save(stranger)
    out = tmp_path / "out.json"
    result = invoke(str(stranger), str(EXAMPLES[0]), "--json", str(out), "--draws", "0")
    assert result.exit_code == 2
    assert f"{stranger}: was not written by labfinance" in result.stderr
    assert [i["path"] for i in json.loads(out.read_text())["initiatives"]] == [str(EXAMPLES[0])]


def test_nothing_is_written_when_no_file_is_valid(tmp_path):
    shutil.copy(BROKEN, tmp_path / "broken.yaml")
    result = CliRunner().invoke(main, ["portfolio", str(tmp_path / "broken.yaml"), "-o",
                                       str(tmp_path / "p.xlsx"), "--json",
                                       str(tmp_path / "p.json")])
    assert result.exit_code == 2
    assert "nothing written" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.yaml"]


def test_a_missing_path_and_an_existing_output_are_bad_input(tmp_path):
    result = invoke(str(tmp_path / "nowhere"), "--json", "-")
    assert result.exit_code == 2 and "no such file or folder" in result.stderr
    target = tmp_path / "p.xlsx"
    target.write_bytes(b"a reader's edits")
    result = invoke(str(EXAMPLES[0]), "-o", str(target))
    assert result.exit_code == 2 and "--force" in result.stderr
    assert target.read_bytes() == b"a reader's edits"


# each file's shortfall is about even odds: cost 100,000 ± 20,000 against 100,000 of funding
COIN = """
costs:
  - {{id: work, category: opex, amount: 100000, year: 2026}}
funding:
  - {{id: city_pays, type: contribution, stakeholder: city, amount: {funding}, year: 2026}}
uncertainty:
  costs.work.amount: {{dist: uniform, low: 80000, high: 120000}}
"""


def test_portfolio_risk_is_the_brute_force_sum_of_draws(tmp_path):
    files = [scenario_file(tmp_path, COIN.format(funding=f), years=1, name=f"{i}.yaml")
             for i, f in enumerate((100000, 95000, 110000))]
    draws, seed = 200, 7
    p = evaluate_portfolio(files, draws=draws, seed=seed, jobs=1)
    # brute force: draw by draw, each file on its own seed, one engine call per file and draw
    totals = []
    for d in range(draws):
        total = 0.0
        for path in files:
            loaded = load(path)
            s = loaded.scenario
            own = int(hashlib.sha256(f"{seed}:{loaded.document.sha256}".encode())
                      .hexdigest()[:13], 16)
            columns = random_columns(s)
            u = uniforms(own, d, 1, len(columns))
            params, _ = uncertain_parameters(s, {})
            values = {q.path: q.distribution.ppf(u[columns.index(q.path)]) for q in params}
            total += float(evaluate(s, Parameters(1, values)).metrics["funding_shortfall"][0])
        totals.append(total)
    ordered = sorted(totals)
    # the 50th percentile of 200 values, interpolated as numpy does: halfway between the 100th
    # and the 101st smallest
    assert p.monte_carlo is not None
    assert math.isclose(p.monte_carlo["total_shortfall"]["p50"],
                        (ordered[99] + ordered[100]) / 2, rel_tol=1e-12)
    assert p.monte_carlo["prob_any_shortfall"] == sum(t > 0 for t in totals) / draws
    # not the sum of each file's chance: three files short at even odds or so leave the
    # portfolio short far more often than any one of them
    assert p.monte_carlo["prob_any_shortfall"] > max(i.prob_shortfall or 0 for i in
                                                     p.initiatives)


def test_a_file_with_nothing_uncertain_adds_its_shortfall_to_every_draw(tmp_path):
    sure = scenario_file(tmp_path, """
    costs:
      - {id: work, category: opex, amount: 1000, year: 2026}
    """, years=1, name="sure.yaml")
    p = evaluate_portfolio([sure], draws=50, seed=1)
    assert p.monte_carlo is not None
    # 1,000 of cost and no funding: short by 1,000 in every draw
    assert p.monte_carlo["total_shortfall"]["p20"] == 1000
    assert p.monte_carlo["prob_any_shortfall"] == 1.0


def test_same_seed_same_bytes_whatever_the_number_of_processes(tmp_path):
    outputs = []
    for jobs, name in (("1", "a"), ("2", "b")):
        result = invoke(str(ROOT / "scenarios"), "-o", str(tmp_path / f"{name}.xlsx"),
                        "--json", str(tmp_path / f"{name}.json"), "--draws", "200",
                        "--jobs", jobs)
        assert result.exit_code == 0, result.output
        outputs.append(((tmp_path / f"{name}.xlsx").read_bytes(),
                        (tmp_path / f"{name}.json").read_bytes()))
    assert outputs[0] == outputs[1]
    other = invoke(str(ROOT / "scenarios"), "--json", "-", "--draws", "200", "--seed", "8")
    assert json.loads(other.stdout)["monte_carlo"] != json.loads(outputs[0][1])["monte_carlo"]


def test_the_workbook_shows_the_engine_values_and_sums_them_by_formula(tmp_path):
    import openpyxl

    target = tmp_path / "p.xlsx"
    result = invoke(*map(str, EXAMPLES[:3]), "-o", str(target), "--draws", "100")
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(target)
    assert book.sheetnames == ["Overview", "Yearly", "Payers", "Funders", "Risk", "About"]
    overview = book["Overview"]
    assert overview["A8"].value == "All initiatives"
    assert overview["D8"].value == "=SUM(D5:D7)"
    values = openpyxl.load_workbook(target, data_only=True)["Overview"]
    expected = math.fsum(run_json(p, "--draws", "0")["metrics"]["total_cost"]
                         for p in EXAMPLES[:3])
    assert values["D8"].value == expected
    for ws in book.worksheets:  # A4 landscape, one page wide
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9


@pytest.mark.libreoffice
def test_libreoffice_recalculates_every_formula_to_the_engine_value(tmp_path):
    from recalc import compare_formula_cells, recalculate

    target = tmp_path / "p.xlsx"
    result = invoke(str(ROOT / "scenarios"), "-o", str(target), "--draws", "200")
    assert result.exit_code == 0, result.output
    (fresh,) = recalculate([target])
    count, failures, _ = compare_formula_cells(target, fresh)
    assert count > 100 and failures == []


def test_quantiles_are_numpy_percentiles():
    from labfinance.analysis.portfolio import quantiles

    # 1..5: the 20th percentile sits at position 0.8 between 1 and 2, the 80th at 4.2
    q = quantiles(np.array([5.0, 1.0, 3.0, 2.0, 4.0]))
    assert q == {"mean": 3.0, "p20": 1.8, "p50": 3.0, "p80": 4.2, "p95": 4.8}
    assert file_seed(0, "a") == int(hashlib.sha256(b"0:a").hexdigest()[:13], 16)


POLICE_LAB = """
costs:
  - {id: team, category: opex, amount: 100000}
benefits:
  - {id: safer, beneficiary: police, amount: 50000}
"""
SHARED_APP = """
costs:
  - {id: app, category: opex, amount: 40000}
benefits:
  - {id: police_time, beneficiary: police, amount: 30000}
  - {id: claims, beneficiary: insurer, amount: 10000}
"""


def test_each_payer_plan_is_summed_by_id_year_by_year(tmp_path):
    scenario_file(tmp_path, POLICE_LAB, years=2, name="a.yaml")  # 2026-2027
    app = scenario_file(tmp_path, SHARED_APP, years=2, name="b.yaml")
    app.write_text(app.read_text().replace("start_year: 2026", "start_year: 2027"))  # 2027-2028
    p = evaluate_portfolio([tmp_path], draws=0, seed=1)
    # a.yaml: no funding, so 100,000 of new money each year, all of it asked of the police (the
    # only stakeholder that gains). b.yaml: 40,000 a year, split by gain 30,000 : 10,000 (same
    # years, same discounting), so 30,000 from the police and 10,000 from the insurer.
    police, insurer = p.payers["police"], p.payers["insurer"]
    assert np.allclose(police, [100000, 130000, 30000], rtol=1e-12)
    assert np.allclose(insurer, [0, 10000, 10000], rtol=1e-12)
    assert np.allclose(p.totals["top_up"], [100000, 140000, 40000], rtol=1e-12)


def test_the_payers_plans_add_up_to_the_new_money_each_year(examples_portfolio):
    doc = examples_portfolio
    for j, _ in enumerate(doc["years"]):
        asked = math.fsum(v[j] for v in doc["payers"].values())
        assert math.isclose(asked, doc["totals"]["top_up"][j], rel_tol=1e-9, abs_tol=1e-6)

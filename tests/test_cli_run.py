"""`labfinance run` as a script uses it: JSON on standard output, files kept, pipes closed early."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from pytest import approx

from labfinance.cli import main
from labfinance.engine.catalogue import EU_METRICS, METRICS
from labfinance.engine.core import LEDGER_ROWS

EXAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "burglary-predictor.yaml"


def test_json_on_stdout_holds_every_ledger_row_and_metric_and_nothing_else(tmp_path):
    result = CliRunner().invoke(main, ["run", str(EXAMPLE), "--json", "-", "--draws", "50"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)  # the summary went to standard error
    assert set(doc["ledger"]) == set(LEDGER_ROWS)
    assert set(doc["metrics"]) == set(METRICS) - set(EU_METRICS)  # no eu_cofinancing_rate
    assert doc["years"] == list(range(2026, 2034))
    assert all(len(v) == 8 for v in doc["ledger"].values())
    assert doc["monte_carlo"]["draws"] == 50
    assert result.stderr.startswith("Committed sources run out in 2026")  # the verdict first
    assert not list(tmp_path.iterdir())  # --json alone writes no workbook


def test_json_holds_the_decision_view(tmp_path):
    result = CliRunner().invoke(main, ["run", str(EXAMPLE), "--json", "-", "--draws", "50"])
    doc = json.loads(result.stdout)
    assert doc["verdict"] == result.stderr.splitlines()[0]
    assert list(doc["answers"]) == ["secured", "planned", "likely", "prudent"]
    assert doc["answers"]["planned"]["funding_shortfall"] == doc["metrics"]["funding_shortfall"]
    assert doc["answers"]["likely"]["funding_shortfall"] == (
        doc["monte_carlo"]["metrics"]["funding_shortfall"]["p50"])
    # two non-committed sources with a probability above 0 (the structural budget has 0)
    assert [s["id"] for s in doc["sources_at_risk"]] == ["housing_locks", "insurer_outcome"]
    residents, city = doc["stakeholders"]["residents"], doc["stakeholders"]["city"]
    assert residents["represented_by"] == "city" and residents["plan"] is None
    assert residents["weight"] is None and city["represented_by"] is None
    assert len(city["plan"]) == 8
    assert sum(city["plan"]) == approx(city["weight"] * sum(doc["ledger"]["top_up"]), rel=1e-12)
    assert {b["parameter"] for b in doc["sensitivity"]["tornado"]} >= {
        "funding.housing_locks", "funding.insurer_outcome"}


def test_an_existing_workbook_is_kept_without_force(tmp_path):
    target = tmp_path / "case.xlsx"
    target.write_bytes(b"a reader's edits")
    result = CliRunner().invoke(main, ["run", str(EXAMPLE), "-o", str(target), "--draws", "0"])
    assert result.exit_code == 2
    assert "--force" in result.stderr and "-o" in result.stderr
    assert target.read_bytes() == b"a reader's edits"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.xlsx"]  # no temporary left


def test_a_reader_that_closes_the_pipe_early_gets_no_traceback(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "labfinance", "run", str(EXAMPLE), "--json", "-", "--draws", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # like `| head -0`
    errors = process.stderr.read().decode()
    process.wait()
    assert "Traceback" not in errors and "internal error" not in errors

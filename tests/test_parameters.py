"""The model's list of real-valued parameters is exactly the list of paths the engine reads.

Validation (the model layer) checks ``uncertainty`` paths against
:func:`labfinance.model.parameters.numeric_parameters` without running the engine; the engine
records every path it reads through :class:`labfinance.engine.parameters.Parameters`. The two must
agree, paths and base values, on every example, template and generated scenario.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from labfinance.engine.core import recorded_parameters
from labfinance.model.loader import load, validate_document
from labfinance.model.parameters import numeric_parameters
from labfinance.model.reading import Document
from test_workbook_random import generate

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted((ROOT / "scenarios").glob("*.yaml")) + sorted((ROOT / "templates").glob("*.yaml"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_the_model_lists_what_the_engine_reads_in_the_examples(path):
    scenario = load(path).scenario
    assert numeric_parameters(scenario) == recorded_parameters(scenario)


@pytest.mark.parametrize("index", range(27))
def test_the_model_lists_what_the_engine_reads_in_generated_scenarios(index):
    raw = generate(index)
    scenario = validate_document(Document("generated.yaml", raw, {}, "", ""),
                                 check_file_rules=False)
    assert numeric_parameters(scenario) == recorded_parameters(scenario)


def test_the_catalogue_names_every_metric_the_engine_reports():
    from labfinance.engine.catalogue import CATALOGUE
    from labfinance.engine.core import evaluate

    results = evaluate(load(FILES[0]).scenario)
    assert [m.name for m in CATALOGUE] == list(results.metrics)
    assert all(m.label and m.meaning for m in CATALOGUE)

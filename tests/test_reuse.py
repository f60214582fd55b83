"""Cost lines reused across engine calls: a line is rebuilt exactly where a call moves what it
reads, and otherwise is the case's own line (the same object)."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import scenario_file
from labfinance.engine.lineitems import Case, cost_lines
from labfinance.engine.parameters import Parameters
from labfinance.engine.reuse import reused_cost_lines
from labfinance.model.loader import load

BODY = """
prices: nominal
inflation: 0.02
contingency: {capex: 0.5, opex: 0.1}
costs:
  - {id: kit, category: capex, amount: 1000, year: 2026, life: 2}
  - {id: ops, category: opex, amount: 100, escalation: 0.01}
  - {id: app, category: capex, amount: 200, year: 2027, contingency: 0.1}
  - {id: team, category: staff, fte: 2, cost_per_fte: 50}
funding:
  - {id: volunteers, type: in_kind, stakeholder: city, amount: 40, category: staff}
"""

# each moved path, and the lines that read it (the rest must be the case's lines, reused)
MOVES = [
    ({}, set()),
    ({"costs.kit.amount": [900.0, 1100.0]}, {"kit"}),
    ({"costs.ops.escalation": [0.0, 0.03]}, {"ops"}),
    ({"costs.team.fte": [1.0, 3.0], "costs.team.cost_per_fte": [40.0, 60.0]}, {"team"}),
    ({"contingency.capex": [0.2, 0.8]}, {"kit", "app"}),  # app reads it too, then keeps its own
    ({"contingency": [0.2, 0.8]}, {"kit", "ops", "app", "team"}),
    ({"costs.app.contingency": [0.0, 0.3]}, {"app"}),
    ({"funding.volunteers.amount": [10.0, 70.0]}, {"volunteers"}),
    ({"inflation": [0.0, 0.05]}, {"kit", "ops", "app", "team", "volunteers"}),
    ({"discount_rate": [0.0, 0.05]}, set()),
]


@pytest.mark.parametrize(("values", "rebuilt"), MOVES)
def test_reused_lines_equal_lines_built_afresh(tmp_path, values, rebuilt):
    s = load(scenario_file(tmp_path, BODY, years=4)).scenario
    case = reused_cost_lines(Case(s, Parameters()))
    params = Parameters(2, {k: np.array(v) for k, v in values.items()})
    reused = reused_cost_lines(Case(s, params))
    fresh = cost_lines(Case(s, params))
    assert [line.id for line in reused] == [line.id for line in fresh]
    for line, expected, before in zip(reused, fresh, case, strict=True):
        for field in ("cost", "before_contingency", "repurchases", "residual"):
            got, want = getattr(line, field), getattr(expected, field)
            shape = (2, *want.shape[1:])  # a reused line is one row, for every draw
            np.testing.assert_array_equal(np.broadcast_to(got, shape), np.broadcast_to(want, shape),
                                          err_msg=f"{line.id}.{field}")
        assert (line is before) == (line.id not in rebuilt), line.id


def test_recording_parameters_reads_every_line(tmp_path):
    s = load(scenario_file(tmp_path, BODY, years=4)).scenario
    reused_cost_lines(Case(s, Parameters()))
    recording = Parameters(record=True)
    reused_cost_lines(Case(s, recording))
    assert recording.recorded is not None
    assert {"costs.kit.amount", "costs.team.fte", "funding.volunteers.amount"} <= set(
        recording.recorded)


def test_a_recording_call_reads_the_same_paths_in_the_same_order_from_reused_lines(tmp_path):
    s = load(scenario_file(tmp_path, BODY, years=4)).scenario
    afresh = Parameters(record=True)
    cost_lines(Case(s, afresh))
    reused_cost_lines(Case(s, Parameters()))  # the case's lines now remembered
    again = Parameters(record=True)
    lines = reused_cost_lines(Case(s, again))
    assert again.recorded is not None and afresh.recorded is not None
    assert list(again.recorded.items()) == list(afresh.recorded.items())
    assert lines[0] is reused_cost_lines(Case(s, Parameters()))[0]


@pytest.mark.parametrize(("values", "rebuilt"), MOVES)
def test_a_recording_call_that_moves_paths_records_what_a_full_build_records(tmp_path, values,
                                                                              rebuilt):
    """Sensitivity's probe for parameters that follow another: every line's reads, the rebuilt
    lines' with the moved values (kit without its own contingency reads contingency.capex's
    moved value), the others' with the case's (values compared, not their order). The probe
    moves each path to one number, as here (a column of values is not recorded)."""
    s = load(scenario_file(tmp_path, BODY, years=4)).scenario
    moved = {k: v[0] for k, v in values.items()}
    afresh = Parameters(1, moved, record=True)
    cost_lines(Case(s, afresh))
    reused_cost_lines(Case(s, Parameters()))  # the case's lines now remembered
    again = Parameters(1, moved, record=True)
    reused_cost_lines(Case(s, again))
    assert again.recorded is not None and afresh.recorded is not None
    assert again.recorded == afresh.recorded
    if "contingency.capex" in values:  # 0.2, the value moved to, read by kit as its own
        assert again.recorded["costs.kit.contingency"] == 0.2

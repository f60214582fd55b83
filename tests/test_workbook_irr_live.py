"""The IRR is live in every case and its assumptions are checked live: after an edit in the written
workbook that makes the flows change sign twice (two IRRs), the master check says ERROR; after an
edit that keeps one sign change it stays OK and the IRR follows the edit."""

from __future__ import annotations

import openpyxl
import pytest
import yaml

from labfinance.analysis.run import analyse
from labfinance.model.loader import load
from labfinance.outputs.excel import write_workbook
from recalc import named_cells, recalculate, require_soffice

STAKEHOLDERS = {"city": {"kind": "municipality"}, "insurer": {"kind": "insurer"}}


def scenario(dismantle: float) -> dict:
    """Financial flows -100k, +230k, -dismantle: with 0 one sign change, IRR 130 % (230/100 - 1);
    with 132k the flows of several_roots in test_workbook_random (NPV 0 at 10 % and 20 %)."""
    return {
        "labfinance": 1, "name": "IRR live", "start_year": 2026, "years": 3,
        "discount_rate": 0.15, "stakeholders": STAKEHOLDERS,
        "costs": [{"id": "build", "category": "capex", "amount": 100_000, "year": 2026},
                  {"id": "dismantle", "category": "other", "amount": dismantle, "year": 2028}],
        "funding": [{"id": "fees", "type": "revenue", "stakeholder": "insurer",
                     "amount": 230_000, "year": 2027}],
    }


def input_cell(book: openpyxl.Workbook, path: str) -> str:
    for row in book["Assumptions"].iter_rows(min_col=5, max_col=5):
        if row[0].value == path:
            return f"C{row[0].row}"
    raise KeyError(path)


@pytest.mark.libreoffice
def test_the_master_check_fails_when_an_edit_breaks_an_irr_assumption(tmp_path):
    require_soffice()
    source = tmp_path / "irr.yaml"
    source.write_text(yaml.safe_dump(scenario(0.0), sort_keys=False), encoding="utf-8")
    loaded = load(source)
    written = tmp_path / "irr.xlsx"
    write_workbook(analyse(loaded, loaded.scenario, draws=0), written)
    edits = {"two-signs": ("costs.dismantle.amount", 132_000),
             "one-sign": ("funding.fees.amount", 250_000)}
    copies = []
    for key, (path, value) in edits.items():
        book = openpyxl.load_workbook(written)
        book["Assumptions"][input_cell(book, path)].value = value
        copies.append(tmp_path / f"{key}.xlsx")
        book.save(copies[-1])
    fresh = recalculate([written, *copies], tmp_path / "out")
    names = named_cells(written)

    def value(path, name):
        sheet, coord = names[name]
        return openpyxl.load_workbook(path, data_only=True)[sheet][coord].value

    assert value(fresh[0], "master_check") == "OK"
    assert value(fresh[0], "financial_irr") == pytest.approx(1.3, rel=1e-9)  # 230/100 - 1
    # -100, +230, -132: two sign changes, two IRRs: the master check flags it
    assert value(fresh[1], "master_check") == "ERROR"
    # -100, +250, 0: still one sign change; the IRR follows the edit, 250/100 - 1
    assert value(fresh[2], "master_check") == "OK"
    assert value(fresh[2], "financial_irr") == pytest.approx(1.5, rel=1e-9)

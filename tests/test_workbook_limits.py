"""Excel's limits hold at any size: a 2,000-line scenario's workbook has no formula longer than
8,192 characters, none nested deeper than 64 levels, no function with more than 255 arguments
(Microsoft, "Excel specifications and limits"). A workbook that breaks one of them opens in
Excel with its formulas removed."""

from __future__ import annotations

import html
import re
import zipfile
from pathlib import Path

import pytest

from helpers import scenario_file
from labfinance.analysis.run import analyse
from labfinance.model.loader import load
from labfinance.outputs.excel import write_workbook

MAX_CHARACTERS = 8_192
MAX_NESTING = 64
MAX_ARGUMENTS = 255
LINES = 2_000


def _many_lines() -> str:
    """2,000 cost lines of every form, most eligible for a rate grant and one covered in kind."""
    lines = []
    for i in range(LINES):
        kind = i % 4
        if kind == 0:
            lines.append(f"  - {{id: kit_{i}, category: capex, amount: {1000 + i}, year: 2026, "
                         "life: 2}")
        elif kind == 1:
            lines.append(f"  - {{id: ops_{i}, category: opex, amount: {100 + i}}}")
        elif kind == 2:
            lines.append(f"  - {{id: team_{i}, category: staff, fte: 0.5, cost_per_fte: 80000}}")
        else:
            lines.append(f"  - {{id: fees_{i}, category: other, schedule: {{2027: {50 + i}}}}}")
    return ("costs:\n" + "\n".join(lines) + """
funding:
  - {id: erdf, type: grant, stakeholder: eu, rate: 0.5, eligible: [capex, staff, opex],
     payment: {advance: 0.2, retention: 0.1, lag: 1}}
  - {id: lend, type: in_kind, stakeholder: city, covers: kit_0, share: 0.5}
  - {id: volunteers, type: in_kind, stakeholder: city, amount: 400, category: staff}
benefits:
  - {id: safety, beneficiary: police, amount: 900000}
""")


def _formulas(path: Path) -> list[tuple[str, str, str]]:
    """(sheet file, cell, formula) of every formula of the workbook."""
    found = []
    with zipfile.ZipFile(path) as book:
        for name in book.namelist():
            if not name.startswith("xl/worksheets/sheet"):
                continue
            xml = book.read(name).decode("utf-8")
            for cell, formula in re.findall(r'<c r="([A-Z]+[0-9]+)"[^>]*><f[^>]*>([^<]*)</f>', xml):
                found.append((name, cell, html.unescape(formula)))
    return found


def _problems(formula: str) -> list[str]:
    problems = []
    if len(formula) + 1 > MAX_CHARACTERS:  # the stored text has no leading "="
        problems.append(f"{len(formula) + 1} characters")
    text = re.sub(r'"[^"]*"', '""', formula)  # commas and brackets inside strings do not count
    text = re.sub(r"'[^']*'!", "S!", text)  # nor inside quoted sheet names
    depth, deepest, arguments = 0, 0, [0]
    for char in text:
        if char == "(":
            depth += 1
            deepest = max(deepest, depth)
            arguments.append(1)
        elif char == ")":
            depth -= 1
            if arguments.pop() > MAX_ARGUMENTS:
                problems.append("a function with more than 255 arguments")
        elif char == "," and len(arguments) > 1:
            arguments[-1] += 1
    if deepest > MAX_NESTING:
        problems.append(f"nested {deepest} levels")
    return problems


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("big")
    loaded = load(scenario_file(folder, _many_lines(), years=3))
    assert len(loaded.scenario.costs) == LINES
    path = folder / "big.xlsx"
    write_workbook(analyse(loaded, loaded.scenario), path)
    return path


def test_no_formula_breaks_excels_limits_with_2000_cost_lines(big):
    formulas = _formulas(big)
    assert len(formulas) > 10 * LINES  # every line's rows are formulas
    broken = [(sheet, cell, problem) for sheet, cell, formula in formulas
              for problem in _problems(formula)]
    assert broken == []


def test_the_lint_sees_each_limit():
    assert _problems("A1+" * 2731 + "A1") == ["8196 characters"]  # 2731 × 3 + 2, and "="
    assert _problems("SUM(" + ",".join(["A1"] * 256) + ")") == [
        "a function with more than 255 arguments"]
    assert _problems("(" * 65 + "1" + ")" * 65) == ["nested 65 levels"]
    assert _problems('IF(A1>0,"a,b,(c",\'x(y\'!B2)') == []


def test_long_sums_are_added_up_in_parts_that_give_the_engines_totals(big):
    """Where a sum of lines would be too long, part rows add up the lines and the total adds up
    the parts: each sum's cached value (the engine's, for totals) equals the sum of the cached
    values it refers to."""
    with zipfile.ZipFile(big) as book:
        names = re.findall(r'<sheet name="([^"]+)"', book.read("xl/workbook.xml").decode())
        xml = book.read(f"xl/worksheets/sheet{names.index('Costs') + 1}.xml").decode()
    cells = {ref: (html.unescape(f), float(v)) for ref, f, v in re.findall(
        r'<c r="([A-Z]+[0-9]+)"[^>]*><f>([^<]*)</f><v>([^<]*)</v></c>', xml)}
    labels = dict(re.findall(r'<c r="A([0-9]+)"[^>]*t="s"[^>]*><v>([0-9]+)</v>', xml))
    with zipfile.ZipFile(big) as book:
        shared = [html.unescape(t) for t in re.findall(r"<t[^>]*>([^<]*)</t>",
                                                      book.read("xl/sharedStrings.xml").decode())]
    rows = {shared[int(i)]: r for r, i in labels.items()}
    parts = [label for label in rows if label.startswith("Total costs, part ")]
    assert len(parts) >= 2  # 2,000 lines do not fit in one formula
    checked = 0
    for label in ["Total costs", "All costs before contingency", *parts]:
        formula, value = cells[f"F{rows[label]}"]
        terms = formula.split("+")
        assert all(re.fullmatch(r"F[0-9]+", t) for t in terms), formula
        assert value == pytest.approx(sum(cells[t][1] for t in terms), rel=1e-9, abs=1e-6)
        checked += 1
    assert checked == len(parts) + 2

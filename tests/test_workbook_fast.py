"""The workbook's formulas recalculated in Python: a wrong formula is caught without LibreOffice.

Every formula cell of a written workbook is evaluated again by the ``formulas`` package
(tests/pyrecalc.py) from the workbook's own inputs and must give its cached value, which is the
engine's (relative 1e-9, absolute 1e-6 near zero, as in the LibreOffice tier). LibreOffice stays
the arbiter in CI (test_workbook.py, test_workbook_random.py); this is the development loop's
check, and needs no office suite.

A workbook costs 2 to 8 s of CPU to recalculate in Python (``formulas`` parses and dispatches
every cell, 2.5 to 3.5 ms each), so the ``dev`` profile checks one: the fixture with every
funding type and text that looks like a formula (helpers.TRICKY), which reaches the most formula
kinds for its cost. The ``ci`` profile (CI=true) checks every example of scenarios/, the base
case and its first variant, as well.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from helpers import TRICKY, profile, scenario_file
from labfinance.analysis.run import analyse
from labfinance.model.loader import load, with_overrides
from labfinance.outputs.excel import write_workbook
from pyrecalc import Check, check, unsigned_exponents

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p for p in (ROOT / "scenarios").glob("*")
                  if p.suffix in (".yaml", ".yml", ".toml"))


def _cases() -> list[tuple[str, str | None]]:
    """(scenario, variant): the tricky fixture; under ``ci`` also every example's base case and
    its first variant."""
    cases: list[tuple[str, str | None]] = [("tricky.yaml", None)]
    if profile() == "ci":
        for path in EXAMPLES:
            cases.append((path.name, None))
            cases += [(path.name, name) for name in list(load(path).scenario.variants)[:1]]
    return cases


CASES = _cases()


def case_id(case: tuple[str, str | None]) -> str:
    return f"{Path(case[0]).stem}--{case[1] or 'base'}"


def write(path: Path, target: Path, variant: str | None = None) -> Path:
    """The workbook of ``path`` (its ``variant``) as the CLI writes it, without Monte Carlo draws:
    the Risk sheet holds values, not formulas (as do Sensitivity and Variants)."""
    loaded = load(path)
    analysis = analyse(loaded, with_overrides(loaded, variant, []), variant=variant)
    write_workbook(analysis, target)
    return target


def report(result: Check) -> str:
    return (f"{len(result.failures)} of {result.cells} formula cells differ, "
            f"{len(result.excluded)} not evaluated:\n"
            + "\n".join(result.failures[:20] + result.excluded[:20]))


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_every_formula_cell_recalculates_in_python_to_the_engine_value(case, tmp_path):
    name, variant = case
    if name == "tricky.yaml":
        source = tmp_path / name
        source.write_text(TRICKY, encoding="utf-8")
    else:
        source = ROOT / "scenarios" / name
    path = write(source, tmp_path / f"{case_id(case)}.xlsx", variant)
    result = check(path)
    assert result.cells > 500  # every sheet's formulas were read (a workbook has over 1,000)
    assert not result.failures and not result.excluded, report(result)


# ----------------------------------------------------------------------------- a wrong formula

LOAN = """\
costs:
  - {id: kit, category: capex, amount: 90000, year: 2026}
funding:
  - {id: bank, type: loan, stakeholder: city, amount: 90000, year: 2026, rate: 0.05, term: 4}
benefits:
  - {id: fewer, beneficiary: police, amount: 30000, from: 2027}
"""
# The loan's annual payment (annuity): amount * r / (1 - (1 + r)^(-term)), the exponent written
# as ^(-(<the term's input cell>-<the grace years' input cell>)) on the Funding sheet (format 1.2:
# the annuity runs over the years after the grace years).
ANNUITY_EXPONENT = re.compile(r"\^\(-(\('Assumptions'!\$C\$\d+-'Assumptions'!\$C\$\d+\))\)")


def mutate(source: Path, target: Path, sheet: str, pattern: re.Pattern[str],
           replacement: str) -> str:
    """Copy a workbook with one formula's text changed on disk and its cached value kept (as a
    wrong formula builder would write it); returns the changed cell's coordinate."""
    index = openpyxl.load_workbook(source).sheetnames.index(sheet) + 1
    member = f"xl/worksheets/sheet{index}.xml"
    cell = re.compile(r'<c r="([A-Z]+\d+)"[^>]*><f>([^<]*)</f>')
    changed: list[str] = []
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == member:
                def one(m: re.Match[str]) -> str:
                    formula, n = pattern.subn(replacement, m.group(2))
                    if n:
                        changed.append(m.group(1))
                    return m.group(0).replace(m.group(2), formula)
                data = cell.sub(one, data.decode("utf-8")).encode("utf-8")
            zout.writestr(item, data)
    assert len(changed) == 1, f"expected one formula to change on {sheet}, changed {changed}"
    return changed[0]


@pytest.fixture(scope="module")
def loan_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("mutation")
    return write(scenario_file(folder, LOAN, years=6), folder / "loan.xlsx")


def test_every_exponent_in_a_formula_has_a_sign(loan_book):
    """``formulas`` (and so the fast tier) reads 1E+9 but not 1E9 (tests/pyrecalc.py); the
    verdict's money steps are the formulas that have exponents."""
    book = openpyxl.load_workbook(loan_book)
    formulas = [(f"{ws.title}!{cell.coordinate}", cell.value) for ws in book.worksheets
                for row in ws.iter_rows() for cell in row if cell.data_type == "f"]
    assert any("1E+9" in formula for _, formula in formulas)  # the check has something to see
    unsigned = [where for where, formula in formulas if unsigned_exponents(formula)]
    assert not unsigned, f"{len(unsigned)} formulas with an unsigned exponent: {unsigned[:5]}"


@pytest.mark.skipif(profile() != "ci", reason="the control of the mutation test runs in the ci "
                    "profile (2 s); in dev the mutated workbook's unaffected sheets serve")
def test_the_loan_workbook_recalculates_cleanly(loan_book):
    """The control of the mutation below: unchanged, the same workbook passes."""
    result = check(loan_book)
    assert result.cells > 100
    assert not result.failures and not result.excluded, report(result)


def test_a_wrong_annuity_exponent_is_reported_without_libreoffice(loan_book, tmp_path):
    """The annuity's exponent one year short, ^(-term+1), as a slip in the formula builder
    would write it; the cached value stays the engine's. The fast check names that cell."""
    path = loan_book
    wrong = tmp_path / "wrong.xlsx"
    coord = mutate(path, wrong, "Funding", ANNUITY_EXPONENT, r"^(-\1+1)")
    written = openpyxl.load_workbook(wrong, data_only=True)["Funding"][coord].value
    # the cached payment is the engine's, 90,000 at 5 % over 4 years: 90000 * 0.05 /
    # (1 - 1.05^-4) = 25,381.06 (hand calculation)
    assert written == pytest.approx(25381.06, abs=0.01)
    result = check(wrong)
    assert any(f.startswith(f"Funding!{coord} ") and "+1)" in f for f in result.failures), (
        report(result))
    # with the exponent -3 the recalculated payment is 90000 * 0.05 / (1 - 1.05^-3) = 33,048.77
    line = next(f for f in result.failures if f.startswith(f"Funding!{coord} "))
    recalculated = float(line.rsplit("recalculated ", 1)[1])
    assert recalculated == pytest.approx(33048.77, abs=0.01), line
    # a partial control in the same run: the sheets the loan does not reach still agree
    assert not [f for f in result.failures if f.startswith(("Costs!", "Benefits!"))], report(result)
    assert result.cells > 100 and not result.excluded, report(result)


def test_a_wrong_formula_builder_in_the_source_fails_the_fast_tier(tmp_path, monkeypatch):
    """The issue's own test: break the annuity's formula builder beside its numpy function
    (engine/finance.py) so that it writes ^(-term+1); the engine's value stays right and is
    cached, so only a recalculation can tell. The fast tier names the payment cell."""
    from labfinance.engine import finance

    right = finance.annuity_payment_formula

    def wrong(amount: str, rate: str, term: str) -> str:
        return right(amount, rate, term).replace(f"^(-{term})", f"^(-{term}+1)")

    monkeypatch.setattr(finance, "annuity_payment_formula", wrong)
    book = write(scenario_file(tmp_path, LOAN, years=6), tmp_path / "loan.xlsx")
    result = check(book)
    payment = [f for f in result.failures if f.startswith("Funding!") and "+1)" in f]
    assert len(payment) == 1, report(result)
    # engine's payment 90000 * 0.05 / (1 - 1.05^-4) = 25,381.06 cached; the broken formula
    # recalculates to 90000 * 0.05 / (1 - 1.05^-3) = 33,048.77 (hand calculation)
    assert "33048.77" in payment[0] and "25381.06" in payment[0], payment[0]

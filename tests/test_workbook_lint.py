"""A lint over every formula of every example workbook and of the generated scenarios: what would
read or compute differently in Excel in another locale, or give an error value there only.

- No format string inside a formula (TEXT(x, "0.0") reads "0.0" in the reader's locale: Dutch
  Excel gave "EUR 03m" for "EUR 3.4m"); FIXED, ROUND and cell formats instead.
- Functions of Excel 2010 only, none that needs the ``_xlfn.`` prefix.
- IRR and MIRR only inside IFERROR (they give #NUM! where they find no root).
- A power only where its base cannot be 0 with an exponent of 0 (Excel gives #NUM! for 0^0,
  LibreOffice 1, so the parity tier cannot see it): a growth factor (1 + rate), rates being
  above -100 % by validation, or a drop-off guarded by its exponent.
- A division only by a growth factor, an input validated to be at least 1, or inside a guard
  that tests the divisor.
- No typed constants: tolerances and years are cells (the model settings on Assumptions); the
  numbers left are 0, 1, -1 and the verdict's thousand / million / billion.

No office suite is needed: the formulas are read from the written files.
"""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest
from openpyxl.formula.tokenizer import Token, Tokenizer

from labfinance.analysis.run import analyse
from labfinance.model.loader import load
from labfinance.outputs.excel import write_workbook
from test_workbook_random import CASES as GENERATED
from test_workbook_random import write_case

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "scenarios").glob("*.yaml")) + sorted((ROOT / "templates").glob("*.yaml"))

# Excel 2010 functions the workbook may use (all without the _xlfn. prefix).
EXCEL_2010 = {
    "ABS", "AND", "AVERAGE", "CHOOSE", "COUNT", "COUNTA", "COUNTIF", "COUNTIFS", "FIXED", "IF",
    "IFERROR", "INDEX", "IRR", "ISNUMBER", "ISTEXT", "LARGE", "MATCH", "MAX", "MIN", "MIRR",
    "MOD", "NOT", "NPV", "OR", "ROUND", "ROUNDDOWN", "ROUNDUP", "SIGN", "SMALL", "SUM", "SUMIF",
    "SUMIFS", "SUMPRODUCT", "VLOOKUP", "YEAR",
}
# small whole numbers are positions (a halving, a ramp-up year index, the third payer), 100 turns a
# share into per cent, the rest are the verdict's thousands, millions and billions
ALLOWED_NUMBERS = {float(n) for n in range(13)} | {100.0, 1e3, 1e4, 1e6, 1e9}
# inputs validated to be whole numbers of at least 1 (useful life, loan term, recurrence)
AT_LEAST_ONE = re.compile(r"\.(life|term|every)$")


def formulas(path: Path) -> list[tuple[str, str, str]]:
    """(sheet, cell, formula) of every formula cell of the workbook."""
    book = openpyxl.load_workbook(path)
    return [(ws.title, c.coordinate, c.value) for ws in book for row in ws.iter_rows()
            for c in row if isinstance(c.value, str) and c.value.startswith("=")]


def assumption_paths(path: Path) -> dict[str, str]:
    """Assumptions value cell ("$C$12") -> parameter path, to know what a divisor is."""
    ws = openpyxl.load_workbook(path)["Assumptions"]
    return {f"$C${r[0].row}": r[4].value for r in ws.iter_rows(min_col=1, max_col=5)
            if isinstance(r[4].value, str) and r[4].value}


def _operand_before(text: str, i: int) -> str:
    """The operand that ends just before position ``i`` (a parenthesised group or a reference)."""
    j = i - 1
    if text[j] == ")":
        depth = 0
        while j >= 0:
            depth += {")": 1, "(": -1}.get(text[j], 0)
            if depth == 0:
                break
            j -= 1
        return text[j:i]
    m = re.search(r"[A-Za-z0-9_$.!']+$", text[:i])
    return m.group(0) if m else ""


def _operand_after(text: str, i: int) -> str:
    j = i + 1
    if j < len(text) and text[j] == "(":
        depth = 0
        k = j
        while k < len(text):
            depth += {"(": 1, ")": -1}.get(text[k], 0)
            if depth == 0:
                break
            k += 1
        return text[j:k + 1]
    m = re.match(r"\d+(\.\d+)?(E[+-]?\d+)?(?![A-Za-z0-9_$.!'])", text[j:]) or re.match(
        r"[A-Za-z0-9_$.!']+", text[j:])
    return m.group(0) if m else ""


def problems(formula: str, inputs: dict[str, str]) -> list[str]:
    found = []
    tokens = Tokenizer(formula).items
    stack: list[str] = []
    for tok in tokens:
        if tok.type == Token.FUNC and tok.subtype == Token.OPEN:
            name = tok.value[:-1].upper()
            if name.startswith("_XLFN.") or name not in EXCEL_2010:
                found.append(f"function {name} is not an Excel 2010 function the lint knows")
            if name == "TEXT":
                found.append("TEXT with a format string (locale-dependent)")
            if name in ("IRR", "MIRR") and "IFERROR" not in stack:
                found.append(f"{name} outside IFERROR")
            stack.append(name)
        elif tok.type == Token.FUNC and tok.subtype == Token.CLOSE:
            stack.pop()
        elif (tok.type == Token.OPERAND and tok.subtype == Token.NUMBER
              and float(tok.value) not in ALLOWED_NUMBERS):
            found.append(f"typed constant {tok.value}")
    text = re.sub(r'"[^"]*"', lambda m: '"' + " " * (len(m.group(0)) - 2) + '"',
                  formula.lstrip("="))  # no operators inside text
    for i, ch in enumerate(text):
        if ch == "^":
            base = _operand_before(text, i)
            exponent = _operand_after(text, i)
            if base.startswith("(1+"):
                continue  # a growth factor: rates are above -100 % (validated)
            guard = f"IF({exponent}<=0,1,{base}^{exponent})"
            if base.startswith("(1-") and guard in text:
                continue  # the drop-off factor, 1 where the exponent is 0
            found.append(f"power {base}^{exponent} may be 0^0")
        elif ch == "/":
            divisor = _operand_after(text, i)
            bare = divisor.split("!")[-1]
            if divisor.startswith("(1+") or AT_LEAST_ONE.search(inputs.get(bare, "")):
                continue
            if re.fullmatch(r"[0-9.]+(E[+-]?[0-9]+)?", divisor) and float(divisor) != 0:
                continue
            annuity = re.match(r"\(1-\(1\+(.+?)\)\^", divisor)
            if annuity and f"IF(ABS({annuity.group(1)})<" in text:
                continue  # the annuity, amount / term where the rate is 0
            if re.search(rf"IF\({re.escape(divisor)}>[^,]+,", text):
                continue  # guarded: IF(divisor > tolerance, .../divisor, ...)
            years = re.fullmatch(r"\((.+)-(.+)\+1\)", divisor)
            if years and f"IF(ISNUMBER({years.group(2)})" in text:
                continue  # years from a year found to the last year: at least 1
            found.append(f"division by {divisor} without a guard")
    return found


def _lint(path: Path) -> list[str]:
    inputs = assumption_paths(path)
    out = []
    for sheet, coord, formula in formulas(path):
        out += [f"{sheet}!{coord}: {p}: {formula[:160]}" for p in problems(formula, inputs)]
    return out


def _write(scenario: Path, folder: Path, draws: int) -> Path:
    loaded = load(scenario)
    target = folder / f"{scenario.stem}.xlsx"
    write_workbook(analyse(loaded, loaded.scenario, draws=draws, seed=7), target)
    return target


@pytest.mark.parametrize("scenario", EXAMPLES, ids=lambda p: p.stem)
def test_example_workbooks_hold_in_excel_in_any_locale(scenario, tmp_path):
    path = _write(scenario, tmp_path, draws=100)
    assert len(formulas(path)) > 500
    found = _lint(path)
    assert not found, f"{len(found)} formulas:\n" + "\n".join(found[:20])


def test_generated_workbooks_hold_in_excel_in_any_locale(tmp_path):
    found = []
    for case in GENERATED:
        found += [f"{case}: {p}" for p in _lint(_write(write_case(case, tmp_path), tmp_path, 0))]
    assert not found, f"{len(found)} formulas:\n" + "\n".join(found[:20])


@pytest.mark.parametrize("formula, problem", [
    ('=TEXT(A1,"0.0")', "TEXT"),
    ("=IRR(F1:J1,C2)", "IRR outside IFERROR"),
    ("=_xlfn.STDEV.S(A1:A3)", "not an Excel 2010"),
    ("=(1-C5)^F3", "0^0"),
    ("=A1/B1", "without a guard"),
    ("=IF(ABS(A1)<0.005,0,A1)", "typed constant 0.005"),
    ("=IF(MAX(A1:A3)=0,2026,MAX(A1:A3)+1)", "typed constant 2026"),
])
def test_the_lint_finds_what_it_looks_for(formula, problem):
    """Each rule catches a formula the workbook once held (the issue's list)."""
    assert any(problem in p for p in problems(formula, {}))


def test_the_lint_passes_the_guarded_forms():
    assert problems('=IFERROR(IF(IRR(F1:J1,C2)>-1,IRR(F1:J1,C2),"n/a"),"n/a")', {}) == []
    assert problems("=IF(F3<=0,1,(1-$C$5)^F3)", {}) == []
    assert problems("=(1+$C$5)^(-F4)", {}) == []
    assert problems('=IF($C$9>$C$4,$C$8/$C$9,"n/a")', {}) == []
    assert problems("=MAX(0,F3+$C$7-1-$C$2)/$C$7", {"$C$7": "costs.sensors.life"}) == []

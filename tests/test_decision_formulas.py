"""The verdict's spreadsheet formulas give the terminal's words, recalculated by LibreOffice.

Each formula is written with the Python words as its cached value, over input cells that hold
the numbers (or "n/a"); LibreOffice recalculates them and every cell must come back unchanged.
The cases reach the rounding edges (half-up at every magnitude, 999,950 shown in thousands) and
every branch of each part.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter

from labfinance.analysis.run import analyse
from labfinance.model.loader import load
from labfinance.outputs.decision import analysis_verdict
from labfinance.outputs.excel import decision_formulas
from labfinance.outputs.excel import verdict_workings as W
from labfinance.outputs.excel.decision_formulas import Formulas
from labfinance.outputs.verdict import (
    Words,
    percent,
    planned_part,
    risk_part,
    secured_part,
    societal_part,
    who_pays_part,
)
from labfinance.texts import Texts
from recalc import compare_formula_cells, recalculate

NAN = math.nan
EXAMPLES = sorted((Path(__file__).parent.parent / "scenarios").glob("*.yaml"))
LANGUAGES = ["en", "nl"]
MONEY = [0.0, 0.004, 950, 999.5, 9_999.5, 12_345.5, -12_500, 350_400, -350_400, 999_950,
         1_250_000, 1_234_567, 2_449_999.99, 1_234_567_890, -2.5]
PERCENT = [0.0, 0.004, 0.005, 0.125, 0.895, 1.0]
# (year, shortfall, peak)
SECURED = [(NAN, 0.0, 0.0), (NAN, 1200.0, 0.0), (2027, 230.0, 250.0), (2029, 0.0, 8_885.0)]
# (year, shortfall, at risk, per year, peak)
PLANNED = [(NAN, 0.0, 100.0, NAN, 0.0), (NAN, 50_000.0, 1_600_000.0, NAN, 0.0),
           (2028, 130.0, 100.0, 130 / 3, 150.0), (2032, 0.0, 1_900_000.0, 0.0, 8_885.0)]
SOCIETAL = [(-230.0, 0.54, None), (847_000.0, 1.095, 0.52), (-196.15, NAN, None),
            (1e6, 0.985, 0.0)]


def _value(ws, row: int, col: int, x: float) -> None:
    if isinstance(x, float) and math.isnan(x):
        ws.write_string(row, col, "n/a")
    else:
        ws.write_number(row, col, x)


def _verdict_book(lang: str, path: Path) -> Path:
    """Every verdict formula over its cases, with the terminal's words as cached values."""
    # in each language: the formulas' words and the terminal's come from the same texts
    F, w = Formulas(Texts(lang)), Words(Texts(lang))

    def money(x: float, cur: str) -> str:
        return w.money(x, cur)

    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("T")
    row = 0
    for x in MONEY:  # A: number, B: money in words
        ws.write_number(row, 0, x)
        ws.write_formula(row, 1, "=" + F.money(f"A{row + 1}", "EUR"), None, money(x, "EUR"))
        row += 1
    for p in PERCENT:
        ws.write_number(row, 0, p)
        ws.write_formula(row, 1, "=" + decision_formulas.percent(f"A{row + 1}"), None, percent(p))
        row += 1
    for year, short, peak in SECURED:  # A year, B shortfall, C peak; D, E words; F the part
        r = row + 1
        _value(ws, row, 0, year)
        ws.write_number(row, 1, short)
        ws.write_number(row, 2, peak)
        ws.write_formula(row, 3, "=" + F.money(f"B{r}", "EUR"), None, money(short, "EUR"))
        ws.write_formula(row, 4, "=" + F.money(f"C{r}", "EUR"), None, money(peak, "EUR"))
        ws.write_formula(row, 5, F.secured(f"A{r}", f"B{r}", f"D{r}", f"E{r}"), None,
                         secured_part(year, short, peak, "EUR", w))
        row += 1
    for year, short, at_risk, per_year, peak in PLANNED:
        r = row + 1
        _value(ws, row, 0, year)
        for col, x in ((1, short), (2, at_risk), (3, 0.0 if math.isnan(per_year) else per_year),
                       (4, peak)):
            ws.write_number(row, col, x)
        for col, source in ((5, "B"), (6, "C"), (7, "D"), (8, "E")):
            x = {"B": short, "C": at_risk, "D": per_year, "E": peak}[source]
            ws.write_formula(row, col, "=" + F.money(f"{source}{r}", "EUR"), None,
                             money(0.0 if math.isnan(x) else x, "EUR"))
        ws.write_formula(row, 9, F.planned(f"A{r}", f"B{r}", f"G{r}", f"F{r}", f"H{r}", f"I{r}"),
                         None, planned_part(year, short, at_risk, per_year, peak, "EUR", w))
        row += 1
    for npv, bcr, chance in SOCIETAL:
        r = row + 1
        ws.write_number(row, 0, npv)
        _value(ws, row, 1, bcr)
        if chance is not None:
            ws.write_number(row, 2, chance)
        ws.write_formula(row, 3, "=" + F.money(f"A{r}", "EUR"), None, money(npv, "EUR"))
        ws.write_formula(row, 4, F.societal(f"D{r}", f"B{r}", None if chance is None else f"C{r}"),
                         None, societal_part(npv, bcr, chance, "EUR", w))
        row += 1
    # risk and who pays: words in cells as the Summary's helper cells hold them
    r = row + 1
    ws.write_string(row, 0, money(1.4e6, "EUR"))
    ws.write_string(row, 1, money(1.5e6, "EUR"))
    ws.write_number(row, 2, 0.9996)
    ws.write_formula(row, 3, F.risk(f"A{r}", f"B{r}", f"C{r}"), None,
                     risk_part(1.4e6, 1.5e6, 0.9996, "EUR", w))
    row += 1
    three = [("Home insurer", 1.0e6), ("City", 352e3), ("Police", 97e3)]
    for secured_gap, shares in ((True, three), (False, [("Police", 650 / 7)]), (False, [])):
        r = row + 1
        ws.write_number(row, 0, 230.0 if secured_gap else 100.0)  # secured shortfall
        ws.write_number(row, 1, 130.0)                            # planned shortfall
        cells = []
        for k in range(3):
            name, value = shares[k] if k < len(shares) else (F.none, 0.0)
            col = 2 + 2 * k
            ws.write_string(row, col, name)
            ws.write_string(row, col + 1, money(value, "EUR") if k < len(shares) else F.none)
            cells.append((f"{chr(ord('A') + col)}{r}", f"{chr(ord('A') + col + 1)}{r}"))
        ws.write_formula(row, 8, F.who_pays(f"A{r}", f"B{r}", cells, "net_gain"), None,
                         who_pays_part(secured_gap, shares, "net_gain", "EUR", w) or F.none)
        row += 1
    parts = [secured_part(NAN, 0.0, 0.0, "EUR", w), F.none,
             societal_part(1.0, NAN, None, "EUR", w), F.none]
    for col, text in enumerate(parts):
        ws.write_string(row, col, text)
    ws.write_formula(row, 4, F.verdict([f"A{row + 1}", f"B{row + 1}", f"C{row + 1}",
                                        f"D{row + 1}"]), None,
                     f"{parts[0]}; {parts[2]}.")
    book.close()
    return path


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The verdict books of both languages and the workings book of every example (300 draws,
    seed 2), recalculated by LibreOffice in one soffice call: key -> (written, recalculated); and
    each example's (cached verdict, terminal verdict)."""
    folder = tmp_path_factory.mktemp("verdict")
    written = {lang: _verdict_book(lang, folder / f"verdict-{lang}.xlsx") for lang in LANGUAGES}
    texts = {}
    for example in EXAMPLES:
        loaded = load(example)
        analysis = analyse(loaded, loaded.scenario, draws=300, seed=2)
        written[example.stem] = folder / f"{example.stem}.xlsx"
        texts[example.stem] = (_workings_book(analysis, written[example.stem]),
                               analysis_verdict(analysis))
    fresh = recalculate(list(written.values()), folder / "out")
    return {"books": {key: (path, out) for (key, path), out in zip(written.items(), fresh,
                                                                     strict=True)},
            "texts": texts}


@pytest.mark.libreoffice
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_verdict_formula_gives_the_terminals_words(lang: str, recalculated):
    path, fresh = recalculated["books"][lang]
    count, failures, _ = compare_formula_cells(path, fresh)
    assert not failures, "\n".join(failures)
    assert count == len(MONEY) + len(PERCENT) + 3 * len(SECURED) + 5 * len(PLANNED) \
        + 2 * len(SOCIETAL) + 1 + 3 + 1


# ----------------------------------------------------------------------------- the workings


def _workings_book(analysis, path: Path, lang: str = "en") -> str:
    """A workbook with the verdict's inputs as values (metrics, Monte Carlo, stakeholders) and
    its workings as formulas; returns the verdict's cached value."""
    r = analysis.results
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("W")
    row = 0
    metric = {}
    for name, values in r.metrics.items():
        x = float(values[0])
        ws.write_string(row, 0, name)
        _value(ws, row, 1, x)
        metric[name] = f"$B${row + 1}"
        row += 1
    ws.write_number(row, 1, float(r.ledger["secured_top_up"][0].sum()))
    secured_peak = f"$B${row + 1}"
    row += 1
    mc = analysis.monte_carlo
    cells = {}
    for key, value in (("likely", analysis.answers["likely"]["funding_shortfall"]),
                       ("prudent", analysis.answers["prudent"]["funding_shortfall"]),
                       ("chance_short", mc["prob_shortfall"]),
                       ("chance_bcr_below_1", mc["prob_bcr_below_1"])):
        ws.write_number(row, 1, value)
        cells[key] = f"$B${row + 1}"
        row += 1
    first = row
    sids = list(r.stakeholders)
    place = W.ranks(r)
    last = first + len(sids)
    for i, sid in enumerate(sids):
        rr = first + i + 1
        f = r.stakeholders[sid]
        ws.write_string(rr - 1, 0, r.scenario.stakeholders[sid].name or sid)
        _value(ws, rr - 1, 1, float(f["fair_share"][0]))
        _value(ws, rr - 1, 2, float(f["secured_fair_share"][0]))
        asked = max(float(f["fair_share"][0]), float(f["secured_fair_share"][0]))
        ws.write_formula(rr - 1, 3, W.asked_formula(f"B{rr}", f"C{rr}"), None,
                         0.0 if math.isnan(asked) else asked)
        above = f"$D${first + 1}:D{rr - 1}" if i else None
        ws.write_formula(rr - 1, 4, W.rank_formula(f"D{rr}", f"$D${first + 1}:$D${last}", above,
                                                   "0.005"), None, place[sid])
    row = last + 1
    refs = W.VerdictCells(metric, secured_peak, f"$A${first + 1}:$A${last}",
                          f"$E${first + 1}:$E${last}", f"$D${first + 1}:$D${last}", **cells)
    at = [row]

    def put(label: str, formula: str, cached) -> str:
        ws.write_string(at[0], 0, label)
        ws.write_formula(at[0], 1, formula, None, cached)
        at[0] += 1
        return f"$B${at[0]}"

    formula, text = W.write(put, refs, r, mc, analysis.answers["likely"]["funding_shortfall"],
                            analysis.answers["prudent"]["funding_shortfall"], Texts(lang))
    ws.write_formula(at[0], 1, formula, None, text)
    book.close()
    return text


@pytest.mark.libreoffice
def test_the_verdict_workings_give_the_terminals_verdict_on_every_example(recalculated):
    for cached, terminal in recalculated["texts"].values():
        assert cached == terminal
    for example in EXAMPLES:
        path, fresh = recalculated["books"][example.stem]
        count, failures, _ = compare_formula_cells(path, fresh)
        assert not failures, "\n".join(failures)
        assert count > 20

"""The workbook prints and reads right: page setup, footers, headers over their columns, chart
labels; and, in the LibreOffice tier, every sheet of every example rendered to PDF (and PNG, for a
person to look at) with its page count, every chart on one page and no "###"."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from examples import ExampleBooks
from labfinance.texts import Texts
from render import page_texts, to_pdf, to_png

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "scenarios").glob("*.yaml"))


# every example in English (its stem) and in Dutch ("nl-" and its stem): the same print rules
KEYS = [p.stem for p in EXAMPLES] + [f"nl-{p.stem}" for p in EXAMPLES]


def lang_of(key: str) -> Texts:
    return Texts("nl" if key.startswith("nl-") else "en")


@pytest.fixture(scope="module")
def books(example_workbooks: ExampleBooks) -> dict[str, Path]:
    """Each example's base case with 200 draws (seed 7), as the session wrote it (the same files
    the LibreOffice parity test recalculates: tests/examples.py)."""
    return {key: example_workbooks.workbook(path, lang, draws=200, seed=7)
            for path in EXAMPLES for key, lang in ((path.stem, "en"), (f"nl-{path.stem}", "nl"))}


def printed(path: Path) -> list[str]:
    """The sheets a reader prints: all but the hidden scenario source."""
    wb = openpyxl.load_workbook(path, read_only=True)
    return [ws.title for ws in wb.worksheets if ws.sheet_state == "visible"]


def sheet_xml(path: Path) -> dict[str, str]:
    """Sheet name -> its worksheet XML, for the printed sheets."""
    names = openpyxl.load_workbook(path, read_only=True).sheetnames
    shown = printed(path)
    with zipfile.ZipFile(path) as z:
        return {name: z.read(f"xl/worksheets/sheet{i}.xml").decode("utf-8")
                for i, name in enumerate(names, start=1) if name in shown}


def charts_of(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n).decode("utf-8") for n in z.namelist()
                if re.fullmatch(r"xl/charts/chart\d+\.xml", n)}


def chart_rows(path: Path) -> dict[str, list[tuple[int, int]]]:
    """Sheet name -> (first row, last row) of each chart on it, 0-based, from the drawings."""
    book = openpyxl.load_workbook(path, read_only=True)
    out: dict[str, list[tuple[int, int]]] = {}
    with zipfile.ZipFile(path) as z:
        files = set(z.namelist())
        for i, name in enumerate(book.sheetnames, start=1):
            rels = f"xl/worksheets/_rels/sheet{i}.xml.rels"
            if rels not in files:
                continue
            targets = re.findall(r'Target="../drawings/(drawing\d+\.xml)"', z.read(rels).decode())
            for target in targets:
                xml = z.read(f"xl/drawings/{target}").decode()
                froms = [int(r) for r in re.findall(r"<xdr:from>.*?<xdr:row>(\d+)</xdr:row>", xml)]
                tos = [int(r) for r in re.findall(r"<xdr:to>.*?<xdr:row>(\d+)</xdr:row>", xml)]
                out[name] = list(zip(froms, tos, strict=True))
    return out


def test_every_sheet_prints_a4_landscape_one_page_wide_with_a_footer(books):
    for stem, path in books.items():
        for name, xml in sheet_xml(path).items():
            setup = re.search(r"<pageSetup [^>]*/>", xml)
            assert setup, f"{stem}/{name}: no page setup"
            assert 'paperSize="9"' in setup.group(0) and 'orientation="landscape"' in setup.group(0)
            assert 'fitToWidth="1"' in setup.group(0) or "fitToWidth" not in setup.group(0)
            assert '<pageSetUpPr fitToPage="1"/>' in xml, f"{stem}/{name}: not fitted to a page"
            footer = re.search(r"<oddFooter>(.*?)</oddFooter>", xml)
            assert footer, f"{stem}/{name}: no footer"
            page = lang_of(stem)("print.page_of", page="&amp;P", pages="&amp;N")
            assert "&amp;A" in footer.group(1) and page in footer.group(1)


def test_timeline_sheets_repeat_their_header_rows(books):
    path = books["smart-mobility-lab"]
    wb = openpyxl.load_workbook(path)
    for name in ("Costs", "Funding", "Benefits", "Cash flow", "Stakeholders", "Checks",
                 "Assumptions", "Sensitivity", "Variants"):
        assert wb[name].print_title_rows, f"{name}: no repeated header rows"


def test_headings_of_number_columns_stand_over_their_numbers(books):
    """On Risk and Sensitivity the mean read as "SD": a left-aligned heading sits closer to the
    next column's right-aligned numbers. Every heading over a column of numbers is right-aligned."""
    wb = openpyxl.load_workbook(books["smart-mobility-lab"])
    checked = 0
    for name in ("Risk", "Sensitivity", "Variants"):
        ws = wb[name]
        for row in ws.iter_rows(min_row=4, max_row=4):
            for cell in row:
                below = ws.cell(cell.row + 1, cell.column).value
                if cell.value and isinstance(below, int | float):
                    assert cell.alignment.horizontal == "right", f"{name}!{cell.coordinate}"
                    checked += 1
    assert checked >= 15


def test_histogram_bins_of_a_ratio_keep_their_decimals(books):
    """The BCR's bins (about 0.9 to 1.6) all read "1" or "2" with the money format."""
    title = Texts("en")("chart.distribution", metric=Texts("en")("metric.bcr.label"))
    found = [x for x in charts_of(books["smart-mobility-lab"]).values() if title in x]
    assert found and 'formatCode="0.00"' in found[0]


def test_legend_names_hold_no_straight_quote(books):
    """'Test-bed fees ("living lab as a service")' was read by LibreOffice as a reference and
    shown as "Row 93"."""
    names = [n for x in charts_of(books["smart-mobility-lab"]).values()
             for n in re.findall(r"<c:tx><c:v>([^<]*)</c:v>", x)]
    assert any("living lab as a service" in n for n in names)
    assert not [n for n in names if '"' in n or "&quot;" in n]


def test_no_chart_straddles_a_page_break(books):
    for stem, path in books.items():
        wb = openpyxl.load_workbook(path)
        for name, spans in chart_rows(path).items():
            breaks = [b.id for b in wb[name].row_breaks.brk]
            for first, last in spans:
                assert not [b for b in breaks if first < b <= last], (
                    f"{stem}/{name}: a chart on rows {first}-{last} crosses a break {breaks}")


# ----------------------------------------------------------------------------- LibreOffice

@pytest.fixture(scope="module")
def rendered(books, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("pdf")
    pdfs = to_pdf(list(books.values()), folder)
    for pdf in pdfs:
        to_png(pdf, folder / "png")
    return {"folder": folder, "pdfs": dict(zip(books, pdfs, strict=True))}


def pages_by_sheet(texts: list[str], sheets: list[str], t: Texts) -> dict[str, int]:
    """Pages of each sheet, read from the footer (scenario, sheet, page x of y)."""
    counts = dict.fromkeys(sheets, 0)
    page = re.escape(t("print.page_of", page="@", pages="@")).replace("@", r"\d+")
    for text in texts:
        footer = [line for line in text.splitlines() if re.search(page, line)]
        assert footer, "a page without its footer"
        name = next((s for s in sorted(sheets, key=len, reverse=True)
                     if re.search(rf"\s{re.escape(s)}\s", f" {footer[-1]} ")), None)
        assert name, f"no sheet name in the footer {footer[-1]!r}"
        counts[name] += 1
    return counts


@pytest.mark.libreoffice
@pytest.mark.parametrize("stem", KEYS)
def test_every_sheet_renders_without_hashes_and_every_chart_on_one_page(books, rendered, stem):
    path, t = books[stem], lang_of(stem)
    texts = page_texts(rendered["pdfs"][stem])
    wb = openpyxl.load_workbook(path)
    counts = pages_by_sheet(texts, printed(path), t)
    assert all(counts[name] >= 1 for name in printed(path)), counts
    for i, text in enumerate(texts, start=1):
        assert "###" not in text, f"page {i}: a number too wide for its column"
        assert t("print.page_of", page=i, pages=len(texts)) in text
    # a sheet with charts breaks only where the workbook says: LibreOffice adds no break of its
    # own (which could fall inside a chart) and no chart crosses a break of the workbook's
    for name in chart_rows(path):
        expected = len(wb[name].row_breaks.brk) + 1
        assert counts[name] == expected, f"{name}: {counts[name]} pages, {expected} planned"
    # the decision (verdict to criteria) on the first page, at a readable size: fitted one page
    # wide, the Summary prints at 90 % or more (10-point text at 9 or more)
    first = texts[0]
    master = t("summary.master_check", sheet="@").split(" (")[0]
    plan = t("summary.band_plan", basis="@").split(":")[0]
    assert master in first and plan in first, first[:400]
    assert summary_scale(path) >= 0.9


def summary_scale(path: Path) -> float:
    """The print scale of the Summary fitted one page wide: A4 landscape between 0.3-inch margins
    is 11.09 inches, 1,065 pixels at 96 per inch; a column of w characters is 7 w + 5 pixels
    wide (the spreadsheet default font's digit is 7 pixels)."""
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]  # the Summary, in any language
    area = ws.print_area.split("!")[-1].replace("$", "")
    last = openpyxl.utils.column_index_from_string(re.sub(r"[^A-Z]", "", area.split(":")[1]))
    width = {c: 8.43 for c in range(1, last + 1)}  # a spreadsheet's default column width
    for group in ws.column_dimensions.values():  # a group sets columns min..max
        for c in range(group.min, group.max + 1):
            width[c] = group.width
    return min(1.0, 1065 / sum(int(width[c] * 7 + 0.5) + 5 for c in range(1, last + 1)))


def test_the_summary_prints_at_a_readable_size(books):
    """Summary text printed at about 6 points: the page was twice too wide for A4."""
    for stem, path in books.items():
        assert summary_scale(path) >= 0.9, stem


def test_attribution_is_labelled_as_the_share_due_to_others(books):
    """Read as "40 % attributable to the lab", 0.4 doubled the NPV: the label says whose share."""
    ws = openpyxl.load_workbook(books["burglary-predictor"])["Assumptions"]
    labels = [r[0].value for r in ws.iter_rows(min_col=1, max_col=5)
              if isinstance(r[4].value, str) and r[4].value.endswith(".attribution")]
    assert labels and all("due to OTHERS" in label for label in labels)

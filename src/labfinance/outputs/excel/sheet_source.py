"""Scenario source: the scenario file's text, hidden, so that the workbook can come back.

``labfinance import`` (:mod:`labfinance.model.workbook`) rebuilds the scenario file from this text
and the live inputs of the Assumptions sheet, keeping the file's comments and layout. Row 1 says
what the sheet holds (a marker, the syntax, the line count, the SHA-256 of the text and its line
ending); from row 2 on, each row holds one line of the text, as text (a line beginning with '='
stays text). A line longer than a cell holds goes on in the next columns.
"""

from __future__ import annotations

import hashlib

from labfinance.model.workbook import CELL_CHARS, MARKER, source_lines
from labfinance.outputs.excel.book import Book


def build(book: Book) -> None:
    doc = book.analysis.loaded.document
    ws = book.workbook.add_worksheet(book.t("sheet.scenario_source"))
    ws.hide()
    lines, ending = source_lines(doc.text)
    sha = hashlib.sha256(doc.text.encode("utf-8")).hexdigest()
    for col, value in enumerate((MARKER, doc.format, str(len(lines)), sha, ending,
                                 book.t("book.source_note"))):
        ws.write_string(0, col, value)
    for row, line in enumerate(lines, start=1):
        for part in range(0, len(line), CELL_CHARS):
            ws.write_string(row, part // CELL_CHARS, line[part:part + CELL_CHARS])

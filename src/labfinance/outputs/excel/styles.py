"""Every cell format of the workbook, in one place.

A format is asked for by what the number *is* (``kind``: money, percent, year...) and what the
cell *does* (``role``: an input, a calculation, a total, a structural value shown but not live,
a value pasted from an analysis the spreadsheet cannot redo). FAST / ICAEW colours: inputs in blue
on pale yellow, calculations in black, links to other sheets in green, structural values grey.
"""

from __future__ import annotations

from typing import Any

from xlsxwriter.workbook import Format, Workbook

FONT = "Calibri"
INPUT_FILL = "#FFF2CC"
INPUT_FONT = "#0000FF"
LINK_FONT = "#00703C"
STRUCTURAL_FILL = "#EDEDED"
STRUCTURAL_FONT = "#595959"
VALUE_FILL = "#E8F1FA"
HEADER_FILL = "#1F3864"
BAND_FILL = "#D9E1F2"
OK_FILL = "#C6EFCE"
OK_FONT = "#006100"
ERROR_FILL = "#FFC7CE"
ERROR_FONT = "#9C0006"


def number_formats(currency: str) -> dict[str, str]:
    """Excel number formats by kind. ``currency`` is an ISO 4217 code (three capitals)."""
    return {
        "money": '#,##0;-#,##0;"-"',
        "currency": f'"{currency} "#,##0;"{currency} "-#,##0;"{currency} 0"',
        "percent": "0.00%",
        "ratio": "0.00",
        "factor": "0.000000",
        "quantity": "#,##0.00",
        "int": "0",
        "year": "0",
        "tenths": "0.0",  # a mean year (2027.4) or a spread in years
        "flag": "0",
        "text": "@",
        "general": "General",
        "fine": "0.0000",
    }


class Styles:
    """The workbook's formats, created on first use and cached (XlsxWriter wants each once)."""

    def __init__(self, workbook: Workbook, currency: str):
        self.workbook = workbook
        self.formats = number_formats(currency)
        self._cache: dict[tuple[Any, ...], Format] = {}

    def _make(self, key: tuple[Any, ...], props: dict[str, Any]) -> Format:
        if key not in self._cache:
            self._cache[key] = self.workbook.add_format({"font_name": FONT, "font_size": 10,
                                                         **props})
        return self._cache[key]

    def cell(self, kind: str = "money", role: str = "calc", wrap: bool = False) -> Format:
        """The format of a number or text cell of ``kind`` playing ``role`` (``wrap``: a text
        wrapped in its column, for a row made tall enough)."""
        props: dict[str, Any] = {"num_format": self.formats[kind]}
        if kind == "text":
            props["valign"] = "top"
        if wrap:
            props["text_wrap"] = True
        if role == "input":
            props.update(font_color=INPUT_FONT, bg_color=INPUT_FILL, border=1,
                         border_color="#BFBFBF")
        elif role == "link":
            props.update(font_color=LINK_FONT)
        elif role == "total":
            props.update(bold=True, top=1)
        elif role == "line":
            props.update(bold=True)
        elif role == "summary":
            props.update(align="right", font_size=11)
        elif role == "structural":
            props.update(font_color=STRUCTURAL_FONT, bg_color=STRUCTURAL_FILL, italic=True)
        elif role == "value":
            props.update(bg_color=VALUE_FILL)
        elif role == "key":
            props.update(bold=True, bg_color=VALUE_FILL, border=1, border_color="#8EA9DB")
        return self._make(("cell", kind, role, wrap), props)

    @property
    def title(self) -> Format:
        return self._make(("title",), {"bold": True, "font_size": 14, "font_color": HEADER_FILL})

    @property
    def subtitle(self) -> Format:
        return self._make(("subtitle",), {"italic": True, "font_color": STRUCTURAL_FONT})

    @property
    def header(self) -> Format:
        return self._make(("header",), {"bold": True, "font_color": "#FFFFFF",
                                        "bg_color": HEADER_FILL, "valign": "bottom",
                                        "text_wrap": True, "num_format": "@"})

    @property
    def header_line(self) -> Format:
        """A heading on one line that runs on into the header cells to its right."""
        return self._make(("header_line",), {"bold": True, "font_color": "#FFFFFF",
                                             "bg_color": HEADER_FILL, "valign": "bottom",
                                             "num_format": "@"})

    @property
    def na(self) -> Format:
        """ "n/a" in a column of numbers: right-aligned like them."""
        return self._make(("na",), {"align": "right", "bg_color": VALUE_FILL})

    @property
    def header_number(self) -> Format:
        """The header of a column of numbers: right-aligned, over its numbers (left-aligned, a
        heading reads as the title of the next column's numbers)."""
        return self._make(("header_number",), {"bold": True, "font_color": "#FFFFFF",
                                               "bg_color": HEADER_FILL, "valign": "bottom",
                                               "text_wrap": True, "num_format": "@",
                                               "align": "right"})

    @property
    def header_year(self) -> Format:
        return self._make(("header_year",), {"bold": True, "font_color": "#FFFFFF",
                                             "bg_color": HEADER_FILL, "num_format": "0",
                                             "align": "right"})

    @property
    def header_after(self) -> Format:
        """Years after the horizon: money still due, shown apart."""
        return self._make(("header_after",), {"bold": True, "font_color": "#FFFFFF",
                                              "bg_color": "#7F7F7F", "num_format": "0",
                                              "align": "right"})

    @property
    def t_row(self) -> Format:
        return self._make(("t_row",), {"italic": True, "font_color": STRUCTURAL_FONT,
                                       "num_format": "0", "align": "right"})

    @property
    def band(self) -> Format:
        return self._make(("band",), {"bold": True, "bg_color": BAND_FILL, "num_format": "@"})

    @property
    def label(self) -> Format:
        return self._make(("label",), {"num_format": "@"})

    @property
    def label_indent(self) -> Format:
        return self._make(("label_indent",), {"num_format": "@", "indent": 1})

    @property
    def label_bold(self) -> Format:
        return self._make(("label_bold",), {"num_format": "@", "bold": True})

    @property
    def label_bold_wrap(self) -> Format:
        return self._make(("label_bold_wrap",), {"num_format": "@", "bold": True,
                                                 "text_wrap": True, "valign": "top"})

    @property
    def unit(self) -> Format:
        return self._make(("unit",), {"num_format": "@", "font_color": STRUCTURAL_FONT})

    @property
    def note(self) -> Format:
        return self._make(("note",), {"num_format": "@", "text_wrap": True, "valign": "top",
                                      "font_color": "#404040"})

    @property
    def note_line(self) -> Format:
        """A note on one line that runs on into the empty cells to its right."""
        return self._make(("note_line",), {"num_format": "@", "italic": True,
                                           "font_color": "#404040"})

    @property
    def wrap(self) -> Format:
        return self._make(("wrap",), {"num_format": "@", "text_wrap": True, "valign": "top"})

    @property
    def verdict(self) -> Format:
        return self._make(("verdict",), {"num_format": "@", "bold": True, "font_size": 12,
                                         "text_wrap": True, "valign": "top",
                                         "bg_color": BAND_FILL, "border": 1,
                                         "border_color": "#8EA9DB"})

    @property
    def ok(self) -> Format:
        return self._make(("ok",), {"bg_color": OK_FILL, "font_color": OK_FONT})

    @property
    def error(self) -> Format:
        return self._make(("error",), {"bg_color": ERROR_FILL, "font_color": ERROR_FONT})

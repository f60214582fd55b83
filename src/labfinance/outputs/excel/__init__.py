"""The business-case workbook: a live Excel model whose formulas give the engine's numbers.

``write_workbook(analysis, path)`` writes it with XlsxWriter. Every formula cell also stores the
engine's value as its cached result. The same analysis and version give the same bytes.
"""

from __future__ import annotations

from labfinance.outputs.excel.workbook import SHEETS, write_workbook

__all__ = ["SHEETS", "write_workbook"]

"""Excel workbooks for staff lists, written safely (one place for every export).

Every cell a resident or a clerk could have typed is written as text that Excel will not run:
control characters (which openpyxl refuses, and which break the file) are removed, and a text that
begins with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with an apostrophe-like
quote so Excel shows it instead of evaluating it (OWASP, "CSV Injection"). Numbers and dates stay
numbers and dates.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from flask import send_file
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Characters XML 1.0 cannot carry (openpyxl.cell.cell.ILLEGAL_CHARACTERS_RE), tab/newline kept.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """`value` as a cell text that can neither break the file nor run as a formula."""
    value = _CONTROL.sub("", value)
    if value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _cell_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else ""
    if isinstance(value, int | float | date | datetime):
        return value
    return safe_text(str(value))


class SheetWriter:
    """A write-only workbook: `add_sheet(title, headers)`, `append(row)`, then `response(name)`."""

    def __init__(self) -> None:
        self.workbook = Workbook(write_only=True)
        self.sheet = None

    def add_sheet(self, title: str, headers: Sequence[str]) -> SheetWriter:
        self.sheet = self.workbook.create_sheet(safe_text(title)[:31] or "Sheet")
        self.sheet.append([safe_text(h) for h in headers])
        return self

    def append(self, row: Iterable[Any]) -> None:
        cells = []
        for value in row:
            cell = WriteOnlyCell(self.sheet, value=_cell_value(value))
            if isinstance(cell.value, str):
                cell.data_type = "s"  # a string, never a formula, whatever it starts with
            cells.append(cell)
        self.sheet.append(cells)

    def extend(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.append(row)

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.workbook.save(buffer)
        return buffer.getvalue()

    def response(self, download_name: str):
        """The workbook as a download."""
        return send_file(io.BytesIO(self.to_bytes()), as_attachment=True,
                         download_name=download_name, mimetype=XLSX_MIMETYPE)


def workbook_response(download_name: str, title: str, headers: Sequence[str],
                      rows: Iterable[Iterable[Any]]):
    """One sheet of `rows` under `headers`, as a download."""
    writer = SheetWriter().add_sheet(title, headers)
    writer.extend(rows)
    return writer.response(download_name)

"""Excel exports write typed text as text: no formula runs, no control character breaks it."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook

from app.spreadsheets import SheetWriter, safe_text


def _read(writer: SheetWriter):
    return list(load_workbook(io.BytesIO(writer.to_bytes())).active.iter_rows(values_only=True))


def test_formulas_and_control_characters_are_neutralised():
    writer = SheetWriter().add_sheet("台账", ["事由", "反映人", "日期", "数"])
    writer.append(['=HYPERLINK("http://evil.example/","点击")', "=1+1", date(2026, 12, 2), 3])
    writer.append(["a\x01\x1b[31mb", "+86 138", None, -1])
    header, first, second = _read(writer)
    assert header == ("事由", "反映人", "日期", "数")
    assert first[0] == "'=HYPERLINK(\"http://evil.example/\",\"点击\")"
    assert first[1] == "'=1+1"
    assert first[2].date() == date(2026, 12, 2) and first[3] == 3
    assert second[0] == "a[31mb" and second[1] == "'+86 138" and second[3] == -1


def test_safe_text_leaves_ordinary_text_alone():
    assert safe_text("路灯不亮，已修复") == "路灯不亮，已修复"
    assert safe_text("@张三") == "'@张三"

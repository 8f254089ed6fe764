"""Personal numbers inside free text are masked; what is public stays readable."""

from __future__ import annotations

import pytest

from app.privacy import has_personal_numbers, mask_name, mask_phone, mask_text


@pytest.mark.parametrize(("text", "hidden", "kept"), [
    ("电话13800138000请回", "13800138000", "138****8000"),
    ("我的手机138 0013 8000", "0013", "138****8000"),
    ("座机0734-8123456，谢谢", "8123456", "0734****56"),
    ("北京010-88886666", "88886666", "010****66"),
    ("+86 139 1234 5678 找我", "1234 5678", "139****5678"),
    ("身份证11010519491231002X号", "11010519491231002X", "1****************X"),
    ("卡号6217 0000 1000 1234 560", "6217 0000", "4560"),
    ("QQ 123456789", "123456789", "89"),
])
def test_numbers_in_free_text_are_masked(text, hidden, kept):
    masked = mask_text(text)
    assert hidden not in masked
    assert kept in masked
    assert has_personal_numbers(text)


@pytest.mark.parametrize("text", [
    "事项HGZ-2026-000123已办结",
    "医疗救助金4800元，2026年12月2日发放",
    "应于2027-01-12前答复（原为2026-12-31），2027/1/8 已回访",
    "",
])
def test_tracking_numbers_amounts_and_dates_stay(text):
    assert mask_text(text) == text
    assert not has_personal_numbers(text)


def test_names_and_phones_for_staff_hints():
    assert mask_name("王小明") == "王**"
    assert mask_name("李") == "李**"
    assert mask_phone("13800138000") == "138****8000"
    assert mask_phone("0734-8123456") == "0734****56"
    assert mask_phone(None) == ""

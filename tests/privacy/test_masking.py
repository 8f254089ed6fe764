"""What masking must leave alone on public pages: dates in every spelling a page uses (a booking
form's option values, a month filter), amounts, tracking numbers; what it must not."""

from __future__ import annotations

import pytest
from flask import g

from app.privacy import mask_for_public, mask_text


@pytest.mark.parametrize("text", [
    "2026-12-07", "2026/12/07 09:30", "2026-12-07T09:30:00+08:00", "于2026-12-07办理",
    "2026-12", "补助4800.50元", "2026.1.5", "事项HGZ-2026-000123",
])
def test_dates_amounts_and_numbers_people_read_stay(text):
    assert mask_text(text) == text


@pytest.mark.parametrize(("text", "hidden"), [
    ("2026-12-07 请打13800138000", "13800138000"),
    ("199-1234-5678", "1234"),
    ("广州020-12345678", "12345678"),
    ("身份证11010519491231002X", "19491231002"),
])
def test_phones_and_ids_next_to_dates_are_still_masked(text, hidden):
    assert hidden not in mask_text(text)


def test_a_public_form_keeps_its_date_values(app):
    with app.test_request_context():
        g.public_output = True
        assert mask_for_public("2026-12-07") == "2026-12-07"
        assert mask_for_public("2026-12-07 13800138000") == "2026-12-07 138****8000"

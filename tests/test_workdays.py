"""Working days on the Chinese calendar (DESIGN §5)."""

from __future__ import annotations

from datetime import date

from app.extensions import db
from app.townships.operations import set_calendar_day
from app.townships.workdays import WorkCalendar, library_covers, uncovered_years
from tests import factories


def test_national_day_holiday_is_skipped():
    calendar = WorkCalendar({})
    # 2025-09-30 (Tue) + 1 working day: 1–8 October are the National Day holiday.
    assert calendar.add_workdays(date(2025, 9, 30), 1) == date(2025, 10, 9)


def test_make_up_working_day_counts():
    calendar = WorkCalendar({})
    # Sunday 2025-09-28 was a make-up working day (调休) before National Day.
    assert calendar.is_workday(date(2025, 9, 28))
    assert calendar.add_workdays(date(2025, 9, 27), 1) == date(2025, 9, 28)


def test_weekends_are_off():
    calendar = WorkCalendar({})
    assert calendar.add_workdays(date(2026, 11, 20), 1) == date(2026, 11, 23)  # Fri → Mon
    assert calendar.add_workdays(date(2026, 11, 20), 5) == date(2026, 11, 27)


def test_years_the_library_lacks_count_weekends_until_the_township_adds_holidays():
    assert not library_covers(2030)
    calendar = WorkCalendar({})
    assert calendar.add_workdays(date(2029, 12, 31), 1) == date(2030, 1, 1)
    own = WorkCalendar({date(2030, 1, 1): False})
    assert own.add_workdays(date(2029, 12, 31), 1) == date(2030, 1, 2)


def test_township_entries_override_the_library():
    calendar = WorkCalendar({date(2025, 10, 2): True})  # a local duty day inside the holiday
    assert calendar.add_workdays(date(2025, 9, 30), 1) == date(2025, 10, 2)


def test_workdays_between_counts_in_both_directions():
    calendar = WorkCalendar({})
    assert calendar.workdays_between(date(2026, 11, 20), date(2026, 11, 27)) == 5
    assert calendar.workdays_between(date(2026, 11, 27), date(2026, 11, 20)) == -5


def test_stored_township_days_are_used_and_uncovered_years_reported(ctx):
    t = factories.township()
    assert 2027 in uncovered_years(t.id, date(2026, 12, 1))
    set_calendar_day(t, date(2027, 1, 1), is_workday=False, note="元旦")
    db.session.flush()
    # A township's own day is a local addition: the year's national schedule is still missing
    # (the platform enters it, tests/holidays).
    assert uncovered_years(t.id, date(2026, 12, 1)) == [2027]
    assert not WorkCalendar.for_township(t.id).is_workday(date(2027, 1, 1))


def test_working_days_between_two_days_match_counting_them_one_by_one():
    """The ledger's 剩/超期 N 个工作日: counted from running totals, asked in any order, they
    equal the days counted one at a time (over National Day, Spring Festival, a township's own
    day off, both directions)."""
    from datetime import timedelta
    from random import Random

    overrides = {date(2025, 11, 12): False, date(2025, 11, 15): True}
    fast, plain = WorkCalendar(dict(overrides)), WorkCalendar(dict(overrides))

    def one_by_one(start, end):
        if end < start:
            return -one_by_one(end, start)
        return sum(plain.is_workday(start + timedelta(n)) for n in range(1, (end - start).days + 1))

    rng = Random(20)
    days = [date(2025, 6, 1) + timedelta(rng.randrange(0, 400)) for _ in range(300)]
    for start, end in zip(days, reversed(days), strict=True):
        assert fast.workdays_between(start, end) == one_by_one(start, end), (start, end)
    assert fast.workdays_between(date(2025, 9, 30), date(2025, 10, 9)) == 1
    assert fast.workdays_between(date(2025, 11, 11), date(2025, 11, 12)) == 0
    assert fast.workdays_between(date(2025, 11, 14), date(2025, 11, 15)) == 1

"""Working days on the Chinese calendar.

Weekends and public holidays are off and make-up working days (调休) are on. The chinesecalendar
library knows the State Council's schedule for the years it covers; for other years a township's
administrator records holidays and make-up days (CalendarDay), and until they do, only weekends
are off.
A township's own entries win over the library, so a local correction is always possible.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import chinese_calendar
from sqlalchemy import select

from app.extensions import db
from app.townships.models import CalendarDay


def library_covers(year: int) -> bool:
    """Whether the calendar library has the official schedule for this year."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


class WorkCalendar:
    """A township's calendar, with its own entries loaded once."""

    def __init__(self, overrides: dict[date, bool]):
        self._overrides = overrides
        self._days: dict[date, bool] = {}
        self._added: dict[tuple[date, int], date] = {}

    @classmethod
    def for_township(cls, township_id: uuid.UUID) -> WorkCalendar:
        rows = db.session.execute(
            select(CalendarDay.day, CalendarDay.is_workday).where(
                CalendarDay.township_id == township_id
            )
        ).all()
        return cls({day: is_workday for day, is_workday in rows})

    def is_workday(self, day: date) -> bool:
        if day not in self._days:
            self._days[day] = self._is_workday(day)
        return self._days[day]

    def _is_workday(self, day: date) -> bool:
        if day in self._overrides:
            return self._overrides[day]
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            return day.weekday() < 5

    def is_public_holiday(self, day: date) -> bool:
        """A public holiday, not an ordinary weekend: the library names it (国庆, 春节 …), or the
        day off falls on a weekday (only a holiday takes one, as in a year the township records
        itself). Make-up working days (调休) are working days, never holidays."""
        if self.is_workday(day):
            return False
        try:
            _, name = chinese_calendar.get_holiday_detail(day)
        except NotImplementedError:
            name = None
        return bool(name) or day.weekday() < 5

    def add_workdays(self, start: date, workdays: int) -> date:
        """The date `workdays` working days after `start` (start itself does not count)."""
        key = (start, workdays)
        if key not in self._added:
            self._added[key] = self._add(start, workdays)
        return self._added[key]

    def _add(self, start: date, workdays: int) -> date:
        day = start
        remaining = workdays
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_workday(day):
                remaining -= 1
        return day

    def workdays_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (negative if end is earlier)."""
        if end < start:
            return -self.workdays_between(end, start)
        return sum(
            1 for n in range(1, (end - start).days + 1) if self.is_workday(start + timedelta(n))
        )


def uncovered_years(township_id: uuid.UUID, today: date) -> list[int]:
    """Years from this one on (this and next) that neither the library nor the township covers.

    The administrator sees a warning for each: deadlines there count weekends only.
    """
    own_years = {
        d.year
        for d in db.session.execute(
            select(CalendarDay.day).where(CalendarDay.township_id == township_id)
        ).scalars()
    }
    return [y for y in (today.year, today.year + 1) if not library_covers(y) and y not in own_years]

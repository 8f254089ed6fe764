"""Working days on the Chinese calendar.

Weekends and public holidays are off and make-up working days (调休) are on. Who decides, first
to last: the township's own days (CalendarDay: a local holiday, a day the hall is closed, a local
correction) > the national schedule the platform operator entered (app.holidays: the State
Council's 放假安排 for years the library does not know yet) > the chinesecalendar library (which
knows the years it was released for) > weekends. A deadline in a year with no national schedule
is counted by weekends only, and says so (`is_estimate`) until the schedule is entered.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from functools import cache, lru_cache
from itertools import chain

import chinese_calendar
from sqlalchemy import Boolean, Date, Integer, event, literal, null, select, union_all
from sqlalchemy.orm import Session

from app.extensions import db
from app.townships.models import CalendarDay


@cache
def library_covers(year: int) -> bool:
    """Whether the calendar library has the official schedule for this year (the library's
    data is fixed for the life of the process, so the answer is kept)."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@lru_cache(maxsize=8192)
def _library_workday(day: date) -> bool | None:
    """The library's answer for `day`, None for a year it does not know. Kept: the library
    checks each date against the range of its whole table (min and max of every entry) on every
    call, which is most of the ledger's time counting working days for each open matter."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


_KEPT = "work_calendars"  # session.info: {township id: WorkCalendar} for this transaction


def _is_calendar_row(obj) -> bool:
    from app.holidays.models import NationalDay, NationalYear

    return isinstance(obj, (CalendarDay, NationalDay, NationalYear))


def _calendar_pending(session) -> bool:
    return any(_is_calendar_row(o) for o in chain(session.new, session.dirty, session.deleted))


@event.listens_for(Session, "after_flush")
def _forget_changed_calendars(session, _context) -> None:
    if _KEPT in session.info and _calendar_pending(session):
        session.info.pop(_KEPT, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_calendars(session, transaction) -> None:
    if transaction.parent is not None and not transaction.nested:
        return  # a flush's own inner transaction
    # Another transaction may change the calendar once this one is over (a savepoint's end:
    # what it changed may be gone).
    session.info.pop(_KEPT, None)


def national_schedule() -> tuple[dict[date, tuple[bool, str]], set[int]]:
    """The national entries (day: (is working day, name)) and the years they cover."""
    from app.holidays.models import NationalDay, NationalYear

    days = {day: (is_workday, name) for day, is_workday, name in db.session.execute(
        select(NationalDay.day, NationalDay.is_workday, NationalDay.name))}
    return days, set(db.session.scalars(select(NationalYear.year)))


def year_known(year: int, national_years: set[int] | None = None) -> bool:
    """Whether the official schedule of `year` is known: in the library, or entered nationally."""
    if national_years is None:
        national_years = national_schedule()[1]
    return year in national_years or library_covers(year)


class WorkCalendar:
    """A township's calendar, with its own and the national entries loaded once."""

    def __init__(self, overrides: dict[date, bool],
                 national: dict[date, tuple[bool, str]] | None = None,
                 national_years: set[int] | None = None):
        self._overrides = overrides
        self._national = national or {}
        self._national_years = set(national_years or ()) | {d.year for d in self._national}
        self._days: dict[date, bool] = {}
        self._added: dict[tuple[date, int], date] = {}
        # Working days from an anchor day (the first day asked) to each day asked since, so that
        # counting between two days is one subtraction (the ledger counts one per open matter).
        self._rank: dict[date, int] = {}

    @classmethod
    def for_township(cls, township_id: uuid.UUID) -> WorkCalendar:
        """The township's calendar, loaded once per transaction (an intake asks for it for the
        promised date and again for the rates' summary); a calendar entry changed in the
        session, flushed or not, loads it afresh."""
        session = db.session()
        kept = session.info.setdefault(_KEPT, {})
        if _calendar_pending(session):
            kept.clear()
        if township_id not in kept:
            kept[township_id] = cls._load(township_id)
        return kept[township_id]

    @classmethod
    def _load(cls, township_id: uuid.UUID) -> WorkCalendar:
        """The township's days, the national days and the national years in one statement
        (the hall's intake and the board ask for the calendar on each request)."""
        from app.holidays.models import NationalDay, NationalYear

        no_day, no_flag, no_year = null().cast(Date), null().cast(Boolean), null().cast(Integer)
        rows = db.session.execute(union_all(
            select(literal("t"), CalendarDay.day, CalendarDay.is_workday, literal(""), no_year)
            .where(CalendarDay.township_id == township_id),
            select(literal("n"), NationalDay.day, NationalDay.is_workday, NationalDay.name,
                   no_year),
            select(literal("y"), no_day, no_flag, literal(""), NationalYear.year)))
        own, national, years = {}, {}, set()
        for kind, day, is_workday, name, year in rows:
            if kind == "t":
                own[day] = is_workday
            elif kind == "n":
                national[day] = (is_workday, name)
            else:
                years.add(year)
        return cls(own, national, years)

    def year_known(self, year: int) -> bool:
        """The official schedule of `year` is known (national entries or the library)."""
        return year in self._national_years or library_covers(year)

    def is_estimate(self, start: date, end: date) -> bool:
        """Whether counting from `start` to `end` crosses a year with no official schedule, so
        weekends alone were counted there (按周末推算，待国家放假安排公布后重算)."""
        return any(not self.year_known(y) for y in range(start.year, end.year + 1))

    def is_workday(self, day: date) -> bool:
        if day not in self._days:
            self._days[day] = self._is_workday(day)
        return self._days[day]

    def _is_workday(self, day: date) -> bool:
        if day in self._overrides:
            return self._overrides[day]
        if day in self._national:
            return self._national[day][0]
        if day.year in self._national_years:  # an entered year: what it does not list is ordinary
            return day.weekday() < 5
        known = _library_workday(day)
        return day.weekday() < 5 if known is None else known

    def is_public_holiday(self, day: date) -> bool:
        """A public holiday, not an ordinary weekend: the library names it (国庆, 春节 …), or the
        day off falls on a weekday (only a holiday takes one, as in a year the township records
        itself). Make-up working days (调休) are working days, never holidays."""
        if self.is_workday(day):
            return False
        if day in self._national:
            return True
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
        return self._ranked(end) - self._ranked(start)

    def _ranked(self, day: date) -> int:
        """Working days in (anchor, day] (negative before the anchor): rank(d) = rank(d - 1) +
        1 if d is a working day."""
        rank = self._rank
        if not rank:
            rank[day] = 0
            self._low = self._high = day
        while day > self._high:
            following = self._high + timedelta(days=1)
            rank[following] = rank[self._high] + self.is_workday(following)
            self._high = following
        while day < self._low:
            earlier = self._low - timedelta(days=1)
            rank[earlier] = rank[self._low] - self.is_workday(self._low)
            self._low = earlier
        return rank[day]


def uncovered_years(township_id: uuid.UUID, today: date) -> list[int]:
    """Years from this one on (this and next) with no official schedule: neither the library
    nor the platform's national calendar has it (a township's own days are local additions, not
    the national schedule). Staff see a warning for each: deadlines there count weekends only."""
    years = national_schedule()[1]
    return [y for y in (today.year, today.year + 1) if not year_known(y, years)]

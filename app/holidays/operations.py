"""Entering the national schedule, and what follows: open matters' due dates recomputed.

The file format (`parse`), one entry a line; blank lines and lines starting with # are ignored:

    2027-01-01 休 元旦
    2027-02-06~2027-02-12 休 春节
    2027-02-14 班 春节调休

A date or a range `first~last` (both days included); 休 (also 假, 放假, off) for a day off,
班 (also 上班, work) for a make-up working day; then the holiday's name. Commas or tabs may
separate the fields instead of spaces (a CSV `2027-01-01,休,元旦` reads the same). The years in
a file are entered whole: a year's previous entries are replaced by the file's.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import delete, select

from app.clock import local_date
from app.extensions import db
from app.holidays.models import NationalDay, NationalYear

OFF = {"休", "假", "放假", "off", "holiday"}
WORK = {"班", "上班", "work", "workday"}
_LINE = re.compile(r"^\s*(\d{4}-\d{1,2}-\d{1,2})(?:\s*[~～至]\s*(\d{4}-\d{1,2}-\d{1,2}))?"
                   r"[\s,，\t]+(\S+?)(?:[\s,，\t]+(.*?))?\s*$")
MAX_RANGE_DAYS = 31


@dataclass(frozen=True)
class Entry:
    day: date
    is_workday: bool
    name: str


class ScheduleError(ValueError):
    """A file that cannot be entered; `errors` are (line number, message) for people."""

    def __init__(self, errors: list[tuple[int, str]]):
        super().__init__("; ".join(f"第 {n} 行：{m}" for n, m in errors))
        self.errors = errors


def _day(text: str) -> date:
    y, m, d = (int(p) for p in text.split("-"))
    return date(y, m, d)


def parse(text: str) -> list[Entry]:
    """Read a schedule file (see the module's docstring). Raises ScheduleError naming lines."""
    entries: dict[date, Entry] = {}
    errors: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if not match:
            errors.append((number, "应为“日期 休/班 名称”，如 2027-01-01 休 元旦。"))
            continue
        first_text, last_text, kind, name = match.groups()
        try:
            first = _day(first_text)
            last = _day(last_text) if last_text else first
        except ValueError:
            errors.append((number, "日期无效。"))
            continue
        kind = kind.lower()
        if kind not in OFF | WORK:
            errors.append((number, f"“{kind}”应为“休”或“班”。"))
            continue
        if last < first or (last - first).days >= MAX_RANGE_DAYS:
            errors.append((number, "日期范围无效。"))
            continue
        is_workday = kind in WORK
        name = (name or "").strip()[:40]
        day = first
        while day <= last:
            if is_workday and day.weekday() < 5:
                errors.append((number, f"{day.isoformat()} 是工作日，调休上班日应为周六或周日。"))
            elif day in entries:
                errors.append((number, f"{day.isoformat()} 重复。"))
            else:
                entries[day] = Entry(day, is_workday, name)
            day += timedelta(days=1)
    if errors:
        raise ScheduleError(errors)
    if not entries:
        raise ScheduleError([(0, "文件中没有日期。")])
    return sorted(entries.values(), key=lambda e: e.day)


@dataclass
class Entered:
    years: list[int]
    days: int
    changed: dict[str, int] = field(default_factory=dict)  # township slug: matters re-dated

    @property
    def matters_changed(self) -> int:
        return sum(self.changed.values())


def years_entered() -> list[NationalYear]:
    return list(db.session.scalars(select(NationalYear).order_by(NationalYear.year.desc())))


def days_of(year: int) -> list[NationalDay]:
    return list(db.session.scalars(
        select(NationalDay).where(NationalDay.year == year).order_by(NationalDay.day)))


def enter_schedule(entries: list[Entry], actor=None, *, source: str = "") -> Entered:
    """Enter the national schedule of the years in `entries` (each year replaced whole), then
    recompute the due dates of every township's open matters that reach those years. The
    caller commits."""
    by_year: dict[int, list[Entry]] = defaultdict(list)
    for entry in entries:
        by_year[entry.day.year].append(entry)
    for year, rows in sorted(by_year.items()):
        db.session.execute(delete(NationalDay).where(NationalDay.year == year))
        row = db.session.get(NationalYear, year)
        if row is None:
            row = NationalYear(year=year)
            db.session.add(row)
        row.source = source.strip()[:200]
        row.entered_by_id = getattr(actor, "id", None)
        from app.clock import utcnow

        row.entered_at = utcnow()
        db.session.flush()
        db.session.add_all(NationalDay(day=e.day, year=year, is_workday=e.is_workday,
                                       name=e.name) for e in rows)
    db.session.flush()
    from flask import g, has_app_context

    if has_app_context():
        g.pop("_work_calendars", None)  # pages of this request count on the new schedule
    result = Entered(years=sorted(by_year), days=len(entries))
    result.changed = recompute_due_dates(min(by_year), actor, years=result.years)
    return result


def recompute_due_dates(from_year: int, actor=None, *, years=()) -> dict[str, int]:
    """Every township's open matters due on or after 1 January of `from_year`: the due date
    counted again on today's calendar (received date + promised working days). Each change is
    an event on the matter's timeline (who, the old and the new date), and each township whose
    matters moved has one audit event. Returns {township slug: matters re-dated}."""
    from app.audit.operations import record
    from app.matters import operations as ledger
    from app.matters.models import OPEN_STATES, Matter
    from app.tenancy import bind_township
    from app.townships.models import Township
    from app.townships.workdays import WorkCalendar

    changed: dict[str, int] = {}
    bound = _bound()
    townships = list(db.session.scalars(select(Township).order_by(Township.slug),
                                        execution_options={"all_townships": True}))
    label = "、".join(str(y) for y in years) or str(from_year)
    try:
        for township in townships:
            bind_township(db.session, township.id)
            calendar = WorkCalendar.for_township(township.id)
            matters = db.session.scalars(select(Matter).where(
                Matter.township_id == township.id, Matter.state.in_(list(OPEN_STATES)),
                Matter.due_on >= date(from_year, 1, 1)).order_by(Matter.received_at))
            moved = []
            for matter in matters:
                received = local_date(matter.received_at, township)
                new = calendar.add_workdays(received, matter.promised_workdays)
                if new == matter.due_on:
                    continue
                old, matter.due_on = matter.due_on, new
                ledger.record_due_change(matter, actor, old=old, new=new,
                                         cause="national_calendar", years=years)
                moved.append((matter.number, old.isoformat(), new.isoformat()))
            if moved:
                record(township.id, actor, "calendar.national_due_dates", None,
                       target_type="national_calendar_years", target_id=label,
                       before={"due_on": {n: o for n, o, _new in moved[:200]}},
                       after={"due_on": {n: nw for n, _o, nw in moved[:200]}},
                       summary=f"国家放假安排（{label}年）录入：{len(moved)} 件在办事项的承诺"
                               f"办结日期重新计算")
                changed[township.slug] = len(moved)
        db.session.flush()
    finally:
        bind_township(db.session, bound)
    return changed


def _bound():
    from app.tenancy import bound_township_id

    return bound_township_id()

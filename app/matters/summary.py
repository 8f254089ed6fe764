"""The rates' counts per village and local month (rate_summaries), kept exact with the rows.

The board and the leaders' dashboard show the year to date and each of the last twelve months;
counting them from every matter, evaluation and revisit on each page was most of their time. A
RateSummary row holds, for one (township, village, local month), the counts app.matters.rates
takes from the rows (`rates.COUNTS`), by the same dates: a matter in the month it was received,
an evaluation in the month it was given, a revisit in the month it is due.

Kept in the same transaction as the change, whatever makes it (the ledger's operations, a rating
from the link, an import, a merge, a village corrected): the session notes which matters were
touched, with the (village, month) they counted in before the flush and after it, and at commit
the affected rows are counted again from the matters table — a few small indexed aggregates, so
a row is exact by construction rather than kept by +1/-1. The row is locked before it is
counted, so of two transactions changing the same village's month the later one counts after
the earlier has committed. The one exception is the commonest change, a new matter (an intake):
what it adds is added to its row in one locked UPDATE, the row as the last transaction left it.
Bulk inserts that bypass the session (app.matters.demo, the bench population) call `rebuild`
afterwards; so does a change of the working-day calendar (the response limit of the receiving
days around it) or of the township's time zone.

Visited households are not additive over months (a household visited in two months is one
household), so the visit rate still counts the period's visits; active households per village
come from their index, once per transaction.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import delete, event, func, select, update
from sqlalchemy.orm import Session

from app import clock
from app.extensions import db
from app.matters.models import NO_VILLAGE, Evaluation, Matter, RateSummary, Revisit
from app.matters.rates import (
    COUNTS,
    _matter_counts,
    matter_figures,
    month_period,
    period_counts,
    village_rates,
    visited_counts,
)
from app.models import changed, old_value
from app.tenancy import bound_to, core_rows
from app.townships.models import Township

_KEYS = "rate_summary_keys"  # session.info: {township id: set of (village id, month)}
_MATTERS = "rate_summary_matters"  # session.info: {township id: set of matter ids}
_REBUILD = "rate_summary_rebuild"  # session.info: {township id: set of months, or None: all}
_HOUSEHOLDS = "rate_summary_households"  # session.info: {township id: household_counts}
# session.info: {township id: {month: {village id: [the COUNTS]}}} read in this transaction
_READ = "rate_summary_read"
_ON = "rate_summary_on"
# session.info: {matter id: the Matter} inserted in this transaction, and the ids of matters whose
# evaluations or revisits were written in it: a new matter with neither counts in one row only,
# read from the object instead of the database.
_NEW = "rate_summary_new_matters"
_EVENTFUL = "rate_summary_eventful"
# session.info: ids of the new matters already counted in this transaction (by either way)
_COUNTED = "rate_summary_counted"

MATTER_FIELDS = ("village_id", "received_at", "state", "replied_at", "due_on",
                 "first_response_at", "township_id")


def _month(day: date) -> date:
    return day.replace(day=1)


def _next_month(month: date) -> date:
    return month_period(month)[1]


def _zone(session, township_id):
    township = session.get(Township, township_id)
    return clock.zone_of(township)


def _local_month(zone, value) -> date:
    if isinstance(value, datetime):
        value = value.astimezone(zone).date()
    return _month(value)


# ---------------------------------------------------------------- which rows a change touches

def matter_keys(session, township_id, matter_ids) -> set[tuple[uuid.UUID | None, date]]:
    """The (village, month) rows the matters count in, as the database holds them now: their
    receiving month, and the months of their evaluations and revisits."""
    if not matter_ids:
        return set()
    ids = list(matter_ids)
    zone = _zone(session, township_id)
    keys = set()
    with session.no_autoflush:
        for village_id, received_at in session.execute(
                select(Matter.village_id, Matter.received_at)
                .where(Matter.township_id == township_id, Matter.id.in_(ids))):
            keys.add((village_id, _local_month(zone, received_at)))
        for village_id, created_at in session.execute(
                select(Matter.village_id, Evaluation.created_at)
                .join(Matter, (Matter.township_id == Evaluation.township_id)
                      & (Matter.id == Evaluation.matter_id))
                .where(Evaluation.township_id == township_id, Evaluation.matter_id.in_(ids))):
            keys.add((village_id, _local_month(zone, created_at)))
        for village_id, due_on in session.execute(
                select(Matter.village_id, Revisit.due_on)
                .join(Matter, (Matter.township_id == Revisit.township_id)
                      & (Matter.id == Revisit.matter_id))
                .where(Revisit.township_id == township_id, Revisit.matter_id.in_(ids))):
            keys.add((village_id, _month(due_on)))
    return keys


def _mark_rebuild(session, township_id, months) -> None:
    pending = session.info.setdefault(_REBUILD, {})
    if months is None or pending.get(township_id, set()) is None:
        pending[township_id] = None
    else:
        pending.setdefault(township_id, set()).update(months)


def _calendar_months(day: date) -> set[date]:
    # A day's working status moves the one-working-day limit of the receiving days up to a
    # couple of weeks before it: its month and the one before.
    return {_month(day), _month(_month(day) - timedelta(days=1))}


@event.listens_for(Session, "before_flush")
def _before_flush(session, _context, _instances) -> None:
    """The rows the changed matters counted in before this flush (their old village or dates)."""
    from app.holidays.models import NationalDay, NationalYear
    from app.townships.models import CalendarDay

    old: dict = defaultdict(set)
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, Matter):
            if obj in session.deleted or changed(obj, ("village_id", "received_at",
                                                       "township_id")):
                old[old_value(obj, "township_id")].add(old_value(obj, "id"))
        elif isinstance(obj, (Evaluation, Revisit)):
            moved = ("matter_id", "created_at" if isinstance(obj, Evaluation) else "due_on")
            if obj in session.deleted or changed(obj, moved):
                old[obj.township_id].add(old_value(obj, "matter_id"))
        elif isinstance(obj, Township) and changed(obj, ("timezone",)):
            _mark_rebuild(session, obj.id, None)
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, NationalYear):  # a year's official schedule entered or dropped
            for township_id in session.scalars(select(Township.id)):
                _mark_rebuild(session, township_id, None)
        elif isinstance(obj, (CalendarDay, NationalDay)):
            days = {obj.day}
            if obj not in session.new and changed(obj, ("day",)):
                days.add(old_value(obj, "day"))
            months = set().union(*(_calendar_months(d) for d in days if d))
            if isinstance(obj, CalendarDay):
                _mark_rebuild(session, obj.township_id, months)
            else:
                for township_id in session.scalars(select(Township.id)):
                    _mark_rebuild(session, township_id, months)
    keys = session.info.setdefault(_KEYS, {})
    for township_id, ids in old.items():
        if township_id is not None:
            keys.setdefault(township_id, set()).update(matter_keys(session, township_id, ids))


@event.listens_for(Session, "after_flush")
def _after_flush(session, _context) -> None:
    """The matters this flush touched: their rows are counted again at commit."""
    from app.households.models import Household

    touched = session.info.setdefault(_MATTERS, {})
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, Matter):
            if obj in session.new:
                session.info.setdefault(_NEW, {})[obj.id] = obj
            if obj in session.new or obj in session.deleted or changed(obj, MATTER_FIELDS):
                touched.setdefault(obj.township_id, set()).add(obj.id)
        elif isinstance(obj, (Evaluation, Revisit)):
            touched.setdefault(obj.township_id, set()).add(obj.matter_id)
            session.info.setdefault(_EVENTFUL, set()).add(obj.matter_id)
            if obj in session.deleted or changed(obj, ("matter_id",)):
                session.info[_EVENTFUL].add(old_value(obj, "matter_id"))
        elif isinstance(obj, Household):
            session.info.pop(_HOUSEHOLDS, None)


@event.listens_for(Session, "before_commit")
def _before_commit(session) -> None:
    session.flush()  # what the commit would flush, so that its changes are noted too
    if session.info.get(_MATTERS) or session.info.get(_KEYS) or session.info.get(_REBUILD):
        apply_pending(session)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget(session, *_args) -> None:
    for name in (_KEYS, _MATTERS, _REBUILD, _HOUSEHOLDS, _NEW, _EVENTFUL, _READ,
                 _COUNTED):
        session.info.pop(name, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_read(session, transaction) -> None:
    if transaction.parent is None or transaction.nested:
        session.info.pop(_READ, None)  # another transaction may have moved the rows since


def _new_matter_keys(session, township_id, ids) -> tuple[dict, set]:
    """({key: [the Matters]} of the matters inserted in this transaction that have no
    evaluation or revisit written in it, read from the objects as flushed; the ids left to ask
    the database about). Nobody else sees such a matter before the commit, so it counts in its
    receiving month only."""
    from sqlalchemy import inspect

    new = session.info.get(_NEW, {})
    eventful = session.info.get(_EVENTFUL, set())
    keys: dict = defaultdict(list)
    rest = set()
    zone = None
    for matter_id in ids:
        obj = new.get(matter_id)
        state = inspect(obj) if obj is not None else None
        if (state is None or matter_id in eventful or state.deleted or state.detached
                or state.session is not session or obj in session.deleted
                or {"village_id", "received_at", "township_id"} & state.expired_attributes
                or state.modified or obj.township_id != township_id):
            rest.add(matter_id)
            continue
        zone = zone or _zone(session, township_id)
        keys[(obj.village_id, _local_month(zone, obj.received_at))].append(obj)
    return keys, rest


def _added(session, township_id, matters) -> list[int]:
    """What new matters add to their month's matter counts (received, resolved, on time,
    responded), by the definitions of rates._matter_counts."""
    from app.matters.rates import NOT_COUNTED
    from app.townships.workdays import WorkCalendar

    zone = _zone(session, township_id)
    calendar = WorkCalendar.for_township(township_id)  # kept for the transaction (the intake's)
    out = [0, 0, 0, 0]
    for m in matters:
        state = getattr(m.state, "value", m.state)
        if state not in NOT_COUNTED:
            for index, figure in enumerate(matter_figures(
                    state, m.received_at, m.due_on, m.replied_at, m.first_response_at, zone,
                    calendar)):
                out[index] += figure
    return out


def apply_pending(session=None) -> None:
    """Count again the rows the session's changes touched (at commit, or before the summary is
    read inside the same transaction)."""
    session = session or db.session()
    session.flush()
    session.info.pop(_READ, None)
    touched = session.info.pop(_MATTERS, {})
    keys = session.info.pop(_KEYS, {})
    rebuilds = session.info.pop(_REBUILD, {})
    matters_only, added = {}, {}
    counted = session.info.setdefault(_COUNTED, set())
    for township_id, ids in touched.items():
        known, rest = _new_matter_keys(session, township_id, ids)
        others = matter_keys(session, township_id, rest)
        # Rows only new matters without evaluations or revisits changed: their evaluations'
        # and revisits' counts are as the last transaction to change them left them (it
        # counted them under the row's lock, as this one will). Matters counted for the first
        # time add to the row; counted before in this transaction, the row's matters are
        # counted again (adding twice would count them twice).
        only = set(known) - others - keys.get(township_id, set())
        added[township_id] = {key: _added(session, township_id, known[key]) for key in only
                              if not any(m.id in counted for m in known[key])}
        matters_only[township_id] = only - added[township_id].keys()
        counted.update(i for i in ids if i in session.info.get(_NEW, {}))
        keys.setdefault(township_id, set()).update(known, others)
    # Each township is counted while bound to it: one transaction may have written rows of
    # several (an operator's sweep), and row-level security shows a township's rows only to it.
    for township_id, months in rebuilds.items():
        with bound_to(session, township_id):
            rebuild(township_id, months, session=session)
    for township_id, township_keys in keys.items():
        done = rebuilds.get(township_id, set())
        if done is None:
            continue
        with bound_to(session, township_id):
            recount(session, township_id, {k for k in township_keys if k[1] not in done},
                    matters_only=matters_only.get(township_id, set()),
                    added=added.get(township_id, {}))


def _insert(session):
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(RateSummary)


def recount(session, township_id, keys, matters_only=frozenset(), added=None) -> None:
    """Count the (village, month) rows again from the rows, each locked first. For the keys in
    `matters_only` (only matters changed there) the matters' counts alone are counted again;
    to the keys in `added` (only new matters there) their counts are added — one statement,
    which locks the row as a count would: the row as the last transaction to change it left it,
    plus this one's matters. A row not there yet is counted from the rows."""
    session.info.pop(_READ, None)
    township = session.get(Township, township_id)
    if township is None:  # the township itself deleted
        return
    added = added or {}
    for village_id, month in sorted(keys, key=lambda k: (str(k[0] or NO_VILLAGE), k[1])):
        stored = village_id or NO_VILLAGE
        row = (RateSummary.township_id == township_id, RateSummary.village_id == stored,
               RateSummary.month == month)
        plus = added.get((village_id, month))
        if plus is not None:
            if not any(plus):
                continue  # withdrawn at once: nothing to add
            if session.execute(update(RateSummary).where(*row).values(
                    {name: getattr(RateSummary, name) + n
                     for name, n in zip(COUNTS[:4], plus, strict=True)})).rowcount:
                continue
        lock = select(RateSummary.month).where(*row).with_for_update()
        # The row usually exists (this month of this village): locked in one statement.
        existed = session.execute(lock).first() is not None
        if not existed:
            session.execute(_insert(session).values(township_id=township_id,
                                                    village_id=stored,
                                                    month=month).on_conflict_do_nothing())
            session.execute(lock)
        if existed and (village_id, month) in matters_only:
            one = (Matter.village_id.is_(None) if village_id is None
                   else Matter.village_id == village_id)
            figures = _matter_counts(township, month, _next_month(month),
                                     [Matter.township_id == township_id, one], Matter.village_id)
            values = dict(zip(COUNTS[:4], figures.get(village_id, [0] * 4), strict=True))
        else:
            counts = period_counts(township, month, _next_month(month), village=village_id)
            values = dict(zip(COUNTS, counts.get(village_id, [0] * len(COUNTS)), strict=True))
        session.execute(update(RateSummary).where(*row).values(values))


def _all_months(session, township) -> list[date]:
    """Every local month from the township's first counted date to its last."""
    zone = clock.zone_of(township)
    dates = [v for v in (
        *session.execute(select(func.min(Matter.received_at), func.max(Matter.received_at))
                         .where(Matter.township_id == township.id)).one(),
        *session.execute(select(func.min(Evaluation.created_at), func.max(Evaluation.created_at))
                         .where(Evaluation.township_id == township.id)).one(),
        *session.execute(select(func.min(Revisit.due_on), func.max(Revisit.due_on))
                         .where(Revisit.township_id == township.id)).one()) if v]
    if not dates:
        return []
    month, last = (min(_local_month(zone, d) for d in dates),
                   max(_local_month(zone, d) for d in dates))
    months = []
    while month <= last:
        months.append(month)
        month = _next_month(month)
    return months


def recounted(township_id, months=None, session=None) -> dict:
    """{(village id or None, month): [the COUNTS]} counted afresh from the rows, for every month
    (months=None) or the given ones; villages with nothing to count left out."""
    session = session or db.session()
    township = session.get(Township, township_id)
    if township is None:
        return {}
    out = {}
    for month in (_all_months(session, township) if months is None else sorted(months)):
        for village_id, values in period_counts(township, month, _next_month(month)).items():
            if any(values):
                out[(village_id, month)] = list(values)
    return out


def rebuild(township_id, months=None, *, session=None) -> int:
    """Count a township's summary again from the rows: every month (months=None) or the given
    ones. Returns the rows written. Used after bulk inserts and by
    `flask minqing rates-summary --rebuild`."""
    session = session or db.session()
    session.info.pop(_READ, None)
    where = [RateSummary.township_id == township_id]
    if months is not None:
        if not months:
            return 0
        where.append(RateSummary.month.in_(sorted(months)))
    fresh = recounted(township_id, months, session)
    session.execute(delete(RateSummary).where(*where))
    rows = [{"township_id": township_id, "village_id": village_id or NO_VILLAGE, "month": month,
             **dict(zip(COUNTS, values, strict=True))}
            for (village_id, month), values in fresh.items()]
    if rows:
        session.execute(_insert(session), rows)
    return len(rows)


def stored(township_id, session=None) -> dict:
    """`recounted`'s shape, as stored (rows of nothing but zeros left out)."""
    session = session or db.session()
    apply_pending(session)
    out = {}
    for row in session.execute(select(RateSummary).where(
            RateSummary.township_id == township_id)).scalars():
        values = [getattr(row, name) for name in COUNTS]
        if any(values):
            out[(None if row.village_id == NO_VILLAGE else row.village_id, row.month)] = values
    return out


def agrees(township_id) -> bool:
    """Whether the stored summary equals a recount from the rows."""
    return stored(township_id) == recounted(township_id)


def fill_missing() -> int:
    """Count the summary of every township that has matters and no summary row yet (after the
    migration that made the table). Returns the townships counted."""
    from sqlalchemy import exists

    from app.tenancy import bind_township

    bind_township(db.session, None)
    missing = db.session.scalars(select(Township.id).where(
        exists().where(Matter.township_id == Township.id),
        ~exists().where(RateSummary.township_id == Township.id))).all()
    for township_id in missing:
        rebuild(township_id)
    return len(missing)


# ---------------------------------------------------------------- reading

def summed(township_id, months: list[date], by_month: bool = False) -> dict:
    """{village id (None: no village): [the COUNTS]} summed over the months (by_month: keyed
    by (month, village id) instead)."""
    read = month_rows(township_id, months)
    if by_month:
        return {(month, village): values for month in months
                for village, values in read[month].items()}
    out: dict = {}
    for month in months:
        _add(out, read[month])
    return out


def month_rows(township_id, months: list[date]) -> dict:
    """{month: {village id: [the COUNTS]}} of the summary, each month read once per transaction.

    A month not yet read is read with every month from the earliest asked, or from eleven
    months before the latest if that is earlier: the board and the dashboards show the year to
    date and the twelve months to this one, and the year to date lies within those twelve, so
    one statement reads both. A recount in the transaction forgets what was read
    (apply_pending, rebuild)."""
    read = db.session.info.setdefault(_READ, {}).setdefault(township_id, {})
    missing = set(months) - read.keys()
    if missing:
        first, last = min(missing), max(missing)
        first = min(first, _months_before(last, 11))
        fetched: dict = {}
        month = first
        while month <= last:
            if month not in read:
                fetched[month] = {}
            month = _next_month(month)
        # One row per (village, month): the key of the table.
        for month, village_id, *values in core_rows(
                select(RateSummary.month, RateSummary.village_id,
                       *(getattr(RateSummary, name) for name in COUNTS))
                .where(RateSummary.township_id == township_id, RateSummary.month >= first,
                       RateSummary.month <= last)):
            if month in fetched:
                fetched[month][None if village_id == NO_VILLAGE else village_id] = values
        read.update(fetched)
    return {month: read[month] for month in months}


def _months_before(month: date, count: int) -> date:
    for _ in range(count):
        month = _month(month - timedelta(days=1))
    return month


def _add(into: dict, counts: dict, sign: int = 1) -> None:
    for village_id, values in counts.items():
        target = into.setdefault(village_id, [0] * len(COUNTS))
        for index, value in enumerate(values):
            target[index] += sign * value


def whole_months(start: date, end: date) -> list[date]:
    """The first days of the local months lying wholly inside [start, end)."""
    month = start if start.day == 1 else _next_month(_month(start))
    months = []
    while _next_month(month) <= end:
        months.append(month)
        month = _next_month(month)
    return months


def counts(township, start: date, end: date) -> dict:
    """period_counts of [start, end), exactly: the whole months from the summary, a part month
    from the rows — of the part itself, or of the rest of its month subtracted from the whole
    month's summary, whichever holds fewer rows: the fewer days, except that the days after
    today hold nothing yet but revisits due, so a period that runs to tomorrow (the board's
    year to date) counts the rest of this month even on the 28th."""
    if db.session.info.get(_MATTERS) or db.session.info.get(_KEYS) or \
            db.session.info.get(_REBUILD):
        apply_pending(db.session())
    months = whole_months(start, end)
    edges = []
    if months:
        if start < months[0]:
            edges.append((start, months[0]))
        if _next_month(months[-1]) < end:
            edges.append((_next_month(months[-1]), end))
    elif start < end:
        month = _month(start)
        while month < end:  # the period within one or two months, none of them whole
            edges.append((max(start, month), min(end, _next_month(month))))
            month = _next_month(month)
    whole = list(months)
    rows: list[tuple[date, date, int]] = []
    tomorrow = clock.township_today(township) + timedelta(days=1)
    for a, b in edges:
        ms, me = _month(a), _next_month(_month(a))
        # Days of the part and of the rest of its month that have begun (hold rows).
        part = max((min(b, tomorrow) - a).days, 0)
        rest = max((min(a, tomorrow) - ms).days, 0) + max((min(me, tomorrow) - b).days, 0)
        if part <= rest:
            rows.append((a, b, 1))
        else:
            whole.append(ms)
            rows += [(ms, a, -1), (b, me, -1)]
    out: dict = {}
    _add(out, summed(township.id, whole))
    for a, b, sign in rows:
        if a < b:
            _add(out, period_counts(township, a, b), sign)
    return out


def households(township_id) -> dict:
    """household_counts, once per transaction (a flush of a household forgets it)."""
    cache = db.session.info.setdefault(_HOUSEHOLDS, {})
    if township_id not in cache:
        from app.counties import summary as county_summary

        # Kept per village with the households themselves (app.counties.summary).
        cache[township_id] = county_summary.village_households(township_id)
    return cache[township_id]


def rates_by_village(township_id, start: date, end: date):
    """rates.rates_by_village by village: (township's Rates, {village id: Rates})."""
    township = db.session.get(Township, township_id)
    return village_rates(counts(township, start, end), households(township_id),
                         visited_in(township_id, start, end))


def visited_in(township_id, start: date, end: date) -> dict:
    """visited_counts of [start, end): kept for the standard periods (a calendar month, quarter,
    half-year or year: app.counties.summary), counted from the period's visits otherwise."""
    from app.counties import summary as county_summary

    kind = county_summary.standard_kind(start, end)
    if kind is None:
        return visited_counts(township_id, start, end)
    return county_summary.village_visited(township_id, kind, [start])[start]


def visited_by_month(township_id, months: list[date]) -> dict:
    """{month: visited_counts of that month} for whole local months, in one query of the kept
    counts (app.counties.summary)."""
    if not months:
        return {}
    from app.counties import summary as county_summary

    return county_summary.village_visited(township_id, "m", months)


def rates_by_village_months(township_id, months: list[tuple[date, date]]) -> list:
    """rates_by_village of each whole local month, [(township's Rates, {village id: Rates})],
    from one summary query and one query of the months' visits."""
    assert all(start.day == 1 and end == _next_month(start) for start, end in months)
    if db.session.info.get(_MATTERS) or db.session.info.get(_KEYS) or \
            db.session.info.get(_REBUILD):
        apply_pending(db.session())
    firsts = [start for start, _end in months]
    by_month: dict = defaultdict(dict)
    for (month, village_id), values in summed(township_id, firsts, by_month=True).items():
        by_month[month][village_id] = values
    visited = visited_by_month(township_id, firsts)
    homes = households(township_id)
    return [village_rates(by_month.get(first, {}), homes, visited.get(first, {}))
            for first in firsts]

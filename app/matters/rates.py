"""The three rates and the other published figures (DESIGN §6), computed from the recorded rows.

For a period [start, end) of local dates and a scope (the township, a village, a grid, a cadre or a
centre):

- visit rate (入户走访率): active households of the scope with at least one visit in the period /
  active households of the scope. Not defined for a centre.
- resolution rate (问题解决率): matters of the scope received in the period that are replied or
  closed / those matters, withdrawn and duplicate ones left out. A reopened matter still being
  worked on is in neither replied nor closed, so it does not count as resolved.
- satisfaction rate (群众满意率): evaluations of the period rated 非常满意, 满意 or 基本满意 / all
  evaluations of the period, counting only residents' own words: a rating the resident gave (the
  link, the window tablet), or one staff typed in with what the resident said; a staff entry
  without the resident's words is kept on the matter but counts for nothing (for a scope: about
  its matters, or its centre's or cadre's service).
- on-time rate (按时办结率): of the matters counted for resolution, those replied on or before
  their promised date.
- response rate (响应率): of the same matters, those assigned or answered within one working day.
- revisit rate (回访率): revisits due in the period that were done / revisits due in the period.

Each figure keeps its numerator and denominator, so every published number can be traced to the
rows behind it (`matters_query` gives the ledger rows a resolution figure counts).
"""

from __future__ import annotations

import time as time_module
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta

from sqlalchemy import ARRAY, Date, case, cast, exists, func, literal, select

from app import clock
from app.extensions import db
from app.households.models import Household, Visit
from app.matters.models import SATISFIED_RATINGS, Evaluation, Matter, Revisit, State
from app.tenancy import core_rows
from app.townships.models import Township
from app.townships.workdays import WorkCalendar

NOT_COUNTED = (State.WITHDRAWN.value, State.DUPLICATE.value)
RESOLVED = (State.REPLIED.value, State.CLOSED.value)


@dataclass(frozen=True)
class Figure:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def percent(self) -> float | None:
        return round(100 * self.value, 1) if self.denominator else None


@dataclass(frozen=True)
class Rates:
    received: int
    visit_rate: Figure | None
    resolution_rate: Figure
    satisfaction_rate: Figure
    on_time_rate: Figure
    response_rate: Figure
    revisit_rate: Figure

    def as_percentages(self) -> dict:
        """Plain numbers (percent, or None) for documents and JSON."""
        out: dict = {"received": self.received}
        for f in fields(self):
            if f.name != "received":
                value = getattr(self, f.name)
                out[f.name] = value.percent if value is not None else None
        return out


def utc_bounds(zone, start: date, end: date) -> tuple[datetime, datetime]:
    """[start, end) in a township (or zone name) as UTC instants (app.clock.utc_bounds)."""
    return clock.utc_bounds(zone, start, end)


def _as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def matter_scope(township_id, *, village_id=None, grid_id=None, cadre_id=None, centre_id=None):
    """SQL conditions selecting a scope's matters."""
    conditions = [Matter.township_id == township_id]
    if village_id:
        conditions.append(Matter.village_id == village_id)
    if grid_id:
        conditions.append(exists().where(
            Household.township_id == Matter.township_id, Household.id == Matter.household_id,
            Household.grid_id == grid_id))
    if cadre_id:
        conditions.append(Matter.assignee_id == cadre_id)
    if centre_id:
        conditions.append(Matter.centre_id == centre_id)
    return conditions


def matters_query(township, start: date, end: date, **scope):
    """The matters a resolution figure counts (received in the period, not withdrawn/duplicate)."""
    lo, hi = utc_bounds(township.timezone, _as_date(start), _as_date(end))
    return select(Matter).where(*matter_scope(township.id, **scope), Matter.received_at >= lo,
                                Matter.received_at < hi, Matter.state.not_in(NOT_COUNTED))


def compute_rates(township_id: uuid.UUID, start: date, end: date, *, village_id=None,
                  grid_id=None, cadre_id=None, centre_id=None) -> Rates:
    """All figures for one scope and the period [start, end)."""
    township = db.session.get(Township, township_id)
    start, end = _as_date(start), _as_date(end)
    lo, hi = utc_bounds(township.timezone, start, end)
    scope = dict(village_id=village_id, grid_id=grid_id, cadre_id=cadre_id, centre_id=centre_id)

    counted, resolved, on_time, responded = _matter_counts(
        township, start, end, matter_scope(township_id, **scope)).get(None, [0, 0, 0, 0])

    satisfied = case((Evaluation.rating.in_([r.value for r in SATISFIED_RATINGS]), 1), else_=0)
    evaluation_scope = [Evaluation.township_id == township_id, Evaluation.created_at >= lo,
                        Evaluation.created_at < hi, Evaluation.residents_own()]
    if centre_id:
        evaluation_scope.append(Evaluation.centre_id == centre_id)
    if cadre_id:
        evaluation_scope.append(Evaluation.staff_id == cadre_id)
    if village_id or grid_id:
        evaluation_scope.append(exists().where(
            Matter.township_id == Evaluation.township_id, Matter.id == Evaluation.matter_id,
            *matter_scope(township_id, village_id=village_id, grid_id=grid_id)))
    rated, happy = db.session.execute(
        select(func.count(), func.coalesce(func.sum(satisfied), 0)).where(*evaluation_scope)
    ).one()

    revisit_scope = [Revisit.township_id == township_id, Revisit.due_on >= start,
                     Revisit.due_on < end]
    if any(scope.values()):
        revisit_scope.append(exists().where(
            Matter.township_id == Revisit.township_id, Matter.id == Revisit.matter_id,
            *matter_scope(township_id, **scope)))
    due, done = db.session.execute(
        select(func.count(), func.coalesce(
            func.sum(case((Revisit.done_at.is_not(None), 1), else_=0)), 0))
        .where(*revisit_scope)
    ).one()

    return Rates(
        received=counted,
        visit_rate=None if centre_id else _visit_rate(township_id, start, end, village_id,
                                                      grid_id, cadre_id),
        resolution_rate=Figure(resolved, counted),
        satisfaction_rate=Figure(int(happy), rated),
        on_time_rate=Figure(on_time, counted),
        response_rate=Figure(responded, counted),
        revisit_rate=Figure(int(done), due),
    )


def rates_by_cadre(township_id: uuid.UUID, start: date, end: date, cadre_ids) -> dict:
    """{cadre id: compute_rates(cadre_id=…)} of several cadres in four statements (the
    dashboard ranks ten: forty statements over the period's rows before). Same definitions: the
    matters assigned to the cadre, the evaluations of the cadre's own service, the revisits of
    the cadre's matters, the households the cadre is the contact of."""
    ids = list(cadre_ids)
    if not ids:
        return {}
    township = db.session.get(Township, township_id)
    start, end = _as_date(start), _as_date(end)
    lo, hi = utc_bounds(township.timezone, start, end)
    matters = _matter_counts(township, start, end, [Matter.township_id == township_id,
                                                    Matter.assignee_id.in_(ids)],
                             Matter.assignee_id)
    satisfied = case((Evaluation.rating.in_([r.value for r in SATISFIED_RATINGS]), 1), else_=0)
    rated = {uid: (n, int(happy)) for uid, n, happy in core_rows(
        select(Evaluation.staff_id, func.count(), func.coalesce(func.sum(satisfied), 0))
        .where(Evaluation.township_id == township_id, Evaluation.created_at >= lo,
               Evaluation.created_at < hi, Evaluation.residents_own(),
               Evaluation.staff_id.in_(ids))
        .group_by(Evaluation.staff_id))}
    revisits = {uid: (due, int(done)) for uid, due, done in core_rows(
        select(Matter.assignee_id, func.count(),
               func.coalesce(func.sum(case((Revisit.done_at.is_not(None), 1), else_=0)), 0))
        .join(Matter, (Matter.township_id == Revisit.township_id)
              & (Matter.id == Revisit.matter_id))
        .where(Revisit.township_id == township_id, Revisit.due_on >= start,
               Revisit.due_on < end, Matter.assignee_id.in_(ids))
        .group_by(Matter.assignee_id))}
    visited = exists().where(
        Visit.township_id == Household.township_id, Visit.household_id == Household.id,
        Visit.visited_on >= start, Visit.visited_on < end)
    homes = {uid: (total, int(seen)) for uid, total, seen in core_rows(
        select(Household.contact_cadre_id, func.count(),
               func.coalesce(func.sum(case((visited, 1), else_=0)), 0))
        .where(Household.township_id == township_id, Household.active.is_(True),
               Household.contact_cadre_id.in_(ids))
        .group_by(Household.contact_cadre_id))}
    out = {}
    for uid in ids:
        counted, resolved, on_time, responded = matters.get(uid, [0, 0, 0, 0])
        n_rated, happy = rated.get(uid, (0, 0))
        due, done = revisits.get(uid, (0, 0))
        total, seen = homes.get(uid, (0, 0))
        out[uid] = Rates(received=counted, visit_rate=Figure(seen, total),
                         resolution_rate=Figure(resolved, counted),
                         satisfaction_rate=Figure(happy, n_rated),
                         on_time_rate=Figure(on_time, counted),
                         response_rate=Figure(responded, counted),
                         revisit_rate=Figure(done, due))
    return out


def counted_in_database() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _matter_counts(township, start: date, end: date, conditions, group=None) -> dict:
    """{group value (None without a group): [received, resolved, on time, responded]} of the
    matters counted for resolution, received in [start, end) local dates.

    On PostgreSQL the database counts (one aggregate over the period's rows, the working-day
    limit of each receiving day given as a small table); elsewhere the rows are counted here.
    Same definitions either way: on time = replied on or before the promised date (local);
    responded = first response on or before one working day after the local receiving day.
    """
    lo, hi = utc_bounds(township.timezone, start, end)
    zone = clock.zone_of(township)
    calendar = WorkCalendar.for_township(township.id)
    where = [*conditions, Matter.received_at >= lo, Matter.received_at < hi,
             Matter.state.not_in(NOT_COUNTED)]
    keys = [group] if group is not None else []
    if counted_in_database():
        # Receiving days one day either side of the period: a UTC bound is a local midnight.
        days = [start - timedelta(days=1) + timedelta(days=n)
                for n in range((end - start).days + 2)]
        limits = select(func.unnest(literal(days, ARRAY(Date))).label("day"),
                        func.unnest(literal([calendar.add_workdays(d, 1) for d in days],
                                            ARRAY(Date))).label("limit")).subquery()
        zone_name = str(zone)

        def local_day(column):
            return cast(func.timezone(zone_name, column), Date)

        received_day = local_day(Matter.received_at)
        rows = core_rows(
            select(*keys, func.count(),
                   func.count().filter(Matter.state.in_(RESOLVED)),
                   func.count().filter(Matter.replied_at.is_not(None),
                                       local_day(Matter.replied_at) <= Matter.due_on),
                   func.count().filter(Matter.first_response_at.is_not(None),
                                       local_day(Matter.first_response_at) <= limits.c.limit))
            .select_from(Matter).join(limits, limits.c.day == received_day, isouter=True)
            .where(*where).group_by(*keys))
        return {(row[0] if keys else None): [int(v) for v in row[len(keys):]] for row in rows
                if row[len(keys)]}
    counts: dict = {}
    for *value, state, received_at, due_on, replied_at, first_response_at in db.session.execute(
            select(*keys, Matter.state, Matter.received_at, Matter.due_on, Matter.replied_at,
                   Matter.first_response_at).where(*where)):
        c = counts.setdefault(value[0] if keys else None, [0, 0, 0, 0])
        for index, figure in enumerate(matter_figures(state, received_at, due_on, replied_at,
                                                      first_response_at, zone, calendar)):
            c[index] += figure
    return counts


def matter_figures(state, received_at, due_on, replied_at, first_response_at, zone,
                   calendar) -> tuple[int, int, int, int]:
    """What one matter counted for resolution adds to (received, resolved, on time, responded),
    by _matter_counts' definitions (the rows counted here rather than by the database)."""
    return (1, int(state in RESOLVED),
            int(replied_at is not None and replied_at.astimezone(zone).date() <= due_on),
            int(first_response_at is not None and first_response_at.astimezone(zone).date()
                <= calendar.add_workdays(received_at.astimezone(zone).date(), 1)))


def _visit_rate(township_id, start, end, village_id, grid_id, cadre_id) -> Figure:
    conditions = [Household.township_id == township_id, Household.active.is_(True)]
    if village_id:
        conditions.append(Household.village_id == village_id)
    if grid_id:
        conditions.append(Household.grid_id == grid_id)
    if cadre_id:
        conditions.append(Household.contact_cadre_id == cadre_id)
    visited = exists().where(
        Visit.township_id == Household.township_id, Visit.household_id == Household.id,
        Visit.visited_on >= start, Visit.visited_on < end)
    total, seen = db.session.execute(
        select(func.count(), func.coalesce(func.sum(case((visited, 1), else_=0)), 0))
        .where(*conditions)
    ).one()
    return Figure(int(seen), total)


def month_period(day: date) -> tuple[date, date]:
    start = day.replace(day=1)
    return start, (start + timedelta(days=32)).replace(day=1)


def quarter_period(day: date) -> tuple[date, date]:
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    return start, (date(day.year + 1, 1, 1) if first_month == 10
                   else date(day.year, first_month + 3, 1))


def half_year_period(day: date) -> tuple[date, date]:
    return ((date(day.year, 1, 1), date(day.year, 7, 1)) if day.month <= 6
            else (date(day.year, 7, 1), date(day.year + 1, 1, 1)))


def year_period(day: date) -> tuple[date, date]:
    return date(day.year, 1, 1), date(day.year + 1, 1, 1)


PERIODS = {"month": month_period, "quarter": quarter_period, "half": half_year_period,
           "year": year_period}



# ---------------------------------------------------------------- the township and its villages

COUNTS = ("received", "resolved", "on_time", "responded", "rated", "satisfied", "revisits_due",
          "revisits_done")  # the period-additive counts, in the order period_counts lists them


def period_counts(township, start: date, end: date, village=...) -> dict:
    """{village id (None: no village): [the COUNTS]} from the rows of [start, end) local dates:
    the matters received, the residents' own evaluations given and the revisits due in it, by
    the village of their matter. `village` (an id, or None for matters without a village) limits
    it to one village. Every count is additive over disjoint periods (app.matters.summary keeps
    them per month)."""
    from collections import defaultdict

    lo, hi = utc_bounds(township.timezone, start, end)
    counts: dict = defaultdict(lambda: [0] * len(COUNTS))
    one = [] if village is ... else [Matter.village_id.is_(None) if village is None
                                     else Matter.village_id == village]
    # Nothing is received or rated on a day that has not begun: of days after today (the rest
    # of the month the board's year to date takes from the month's summary) only revisits due.
    if start <= clock.township_today(township):
        for village_id, figures in _matter_counts(
                township, start, end, [Matter.township_id == township.id, *one],
                Matter.village_id).items():
            counts[village_id][0:4] = figures
        satisfied = case((Evaluation.rating.in_([r.value for r in SATISFIED_RATINGS]), 1),
                         else_=0)
        for village_id, rated, happy in core_rows(
                select(Matter.village_id, func.count(), func.coalesce(func.sum(satisfied), 0))
                .join(Matter, (Matter.township_id == Evaluation.township_id)
                      & (Matter.id == Evaluation.matter_id))
                .where(Evaluation.township_id == township.id, Evaluation.created_at >= lo,
                       Evaluation.created_at < hi, Evaluation.residents_own(), *one)
                .group_by(Matter.village_id)):
            counts[village_id][4:6] = [rated, int(happy)]
    for village_id, due, done in core_rows(
            select(Matter.village_id, func.count(),
                   func.coalesce(func.sum(case((Revisit.done_at.is_not(None), 1), else_=0)), 0))
            .join(Matter, (Matter.township_id == Revisit.township_id)
                  & (Matter.id == Revisit.matter_id))
            .where(Revisit.township_id == township.id, Revisit.due_on >= start,
                   Revisit.due_on < end, *one).group_by(Matter.village_id)):
        counts[village_id][6:8] = [due, int(done)]
    return dict(counts)


def household_counts(township_id) -> dict:
    """{village id: active households}, counted from their index (period-independent)."""
    return dict(db.session.execute(
        select(Household.village_id, func.count())
        .where(Household.township_id == township_id, Household.active.is_(True))
        .group_by(Household.village_id)).all())


def visited_counts(township_id, start: date, end: date) -> dict:
    """{village id: active households visited at least once in [start, end)}: from the period's
    visits (far fewer rows than households), each household once. Not additive over periods."""
    return dict(core_rows(
        select(Household.village_id, func.count(func.distinct(Household.id)))
        .join(Visit, (Visit.township_id == Household.township_id)
              & (Visit.household_id == Household.id))
        .where(Household.township_id == township_id, Household.active.is_(True),
               Visit.township_id == township_id, Visit.visited_on >= start,
               Visit.visited_on < end)
        .group_by(Household.village_id)))


def village_rates(counts: dict, households: dict | None, visited: dict | None
                  ) -> tuple[Rates, dict]:
    """(township's Rates, {village id: Rates}) from period_counts-shaped counts and the
    households (None: no visit rate, as for centres)."""
    from collections import defaultdict

    total = [0] * (len(COUNTS) + 2)
    by: dict = defaultdict(lambda: [0] * (len(COUNTS) + 2))
    for village_id, figures in counts.items():
        row = by[village_id]  # (a uuid's hash is Python code: once per village, not per count)
        for index, value in enumerate(figures):
            row[index] += value
            total[index] += value
    if households is not None:
        for index, source in ((8, households), (9, visited or {})):
            for village_id, value in source.items():
                by[village_id][index] += value
                total[index] += value

    visits = households is not None
    # A village with nothing to count is left out, as the rows leave it out.
    return _rates(total, visits), VillageRates({vid: c for vid, c in by.items() if any(c)},
                                               visits)


def _rates(c, visits: bool) -> Rates:
    """Rates from counts in village_rates' order (received, resolved, on time, responded, rated,
    satisfied, revisits due, done, households, visited)."""
    return Rates(received=c[0], visit_rate=Figure(c[9], c[8]) if visits else None,
                 resolution_rate=Figure(c[1], c[0]), satisfaction_rate=Figure(c[5], c[4]),
                 on_time_rate=Figure(c[2], c[0]), response_rate=Figure(c[3], c[0]),
                 revisit_rate=Figure(c[7], c[6]))


class VillageRates(Mapping):
    """{village id: Rates} of village_rates, each Rates made when it is first read.

    The board's and the dashboards' twelve months hold every village's figures for each month
    (the same entries as each month's table) but mostly draw the township's line: making
    40 villages × 12 months of Rates that nobody reads was a sixth of a board with its caches
    missed. Equal to a dict of the same Rates (Mapping's equality)."""

    __slots__ = ("_counts", "_visits", "_made")

    def __init__(self, counts: dict, visits: bool):
        self._counts, self._visits, self._made = counts, visits, {}

    def __getitem__(self, village_id) -> Rates:
        made = self._made.get(village_id)
        if made is None:
            made = self._made[village_id] = _rates(self._counts[village_id], self._visits)
        return made

    def __contains__(self, village_id) -> bool:
        return village_id in self._counts

    def __iter__(self):
        return iter(self._counts)

    def __len__(self) -> int:
        return len(self._counts)

    def __repr__(self) -> str:
        return f"VillageRates({dict(self)!r})"


def summary_on() -> bool:
    """Whether village figures read the summary (RATES_SUMMARY = "off": from the rows only)."""
    from flask import current_app, has_app_context

    return not (has_app_context() and current_app.config.get("RATES_SUMMARY") == "off")


def rates_by_village(township_id: uuid.UUID, start: date, end: date,
                     by: str = "village") -> tuple[Rates, dict]:
    """The township's figures and each village's (or, with by="centre", each centre's).

    Same definitions as compute_rates; used where every village or centre is shown at once (the
    board, the leaders' dashboard), so that 30 villages cost a few queries, not 30 times as many.
    By village, the whole local months of the period are summed from app.matters.summary (kept
    exact with the rows) and only a part-month edge is counted from the rows; the setting
    RATES_SUMMARY = "off" counts everything from the rows (rates_by_village_from_rows, the
    reference). A centre has no households, so its visit rate is None, and so is the total's
    by centre.
    """
    if by == "village" and summary_on():
        from app.matters import summary

        return summary.rates_by_village(township_id, _as_date(start), _as_date(end))
    return rates_by_village_from_rows(township_id, start, end, by)


def rates_by_village_from_rows(township_id: uuid.UUID, start: date, end: date,
                               by: str = "village") -> tuple[Rates, dict]:
    """rates_by_village from one pass over the period's rows (the reference the summary is
    tested against)."""
    group = Matter.centre_id if by == "centre" else Matter.village_id
    from collections import defaultdict

    township = db.session.get(Township, township_id)
    start, end = _as_date(start), _as_date(end)
    lo, hi = utc_bounds(township.timezone, start, end)
    counts: dict = defaultdict(lambda: [0] * 12)
    # received, resolved, on_time, responded, rated, satisfied, due, done, households, visited

    def add(village_id, index, value=1):
        counts[village_id][index] += value
        counts["all"][index] += value

    for village_id, figures in _matter_counts(
            township, start, end, [Matter.township_id == township_id], group).items():
        for index, value in enumerate(figures):
            add(village_id, index, value)
    satisfied = case((Evaluation.rating.in_([r.value for r in SATISFIED_RATINGS]), 1), else_=0)
    rated_by = Evaluation.centre_id if by == "centre" else Matter.village_id
    for village_id, rated, happy in db.session.execute(
            select(rated_by, func.count(), func.coalesce(func.sum(satisfied), 0))
            .join(Matter, (Matter.township_id == Evaluation.township_id)
                  & (Matter.id == Evaluation.matter_id))
            .where(Evaluation.township_id == township_id, Evaluation.created_at >= lo,
                   Evaluation.created_at < hi, Evaluation.residents_own())
            .group_by(rated_by)):
        add(village_id, 4, rated)
        add(village_id, 5, int(happy))
    for village_id, due, done in db.session.execute(
            select(group, func.count(),
                   func.coalesce(func.sum(case((Revisit.done_at.is_not(None), 1), else_=0)), 0))
            .join(Matter, (Matter.township_id == Revisit.township_id)
                  & (Matter.id == Revisit.matter_id))
            .where(Revisit.township_id == township_id, Revisit.due_on >= start,
                   Revisit.due_on < end).group_by(group)):
        add(village_id, 6, due)
        add(village_id, 7, int(done))
    if by != "centre":
        for village_id, total in household_counts(township_id).items():
            add(village_id, 8, total)
        for village_id, seen in visited_counts(township_id, start, end).items():
            add(village_id, 9, seen)

    # By centre the total is the centres' sum, without a visit rate (centres have no
    # households): the township's own figures are the ones by village. (It was the township's
    # compute_rates, four more statements over the period's rows, that every caller dropped.)
    visits = by != "centre"
    return _rates(counts["all"], visits), {vid: _rates(c, visits) for vid, c in counts.items()
                                           if vid != "all"}


_CACHE: dict = {}
CACHE_SECONDS = 300


def cached_rates_by_village(township_id, start: date, end: date,
                            by: str = "village") -> tuple[Rates, dict]:
    """rates_by_village, kept for five minutes per process.

    The public board is read far more often than matters change, and recomputing the figures
    from every row on every visit is what made it slow; a published figure may lag by up to
    five minutes. Figures traced row by row (the dashboard's links) always use fresh queries.
    """
    from flask import current_app, has_app_context

    if has_app_context() and current_app.config.get("RATES_CACHE") == "off":
        return rates_by_village(township_id, start, end, by)  # bench/bench_server.py, cold
    key = (township_id, start, end, by)
    hit = _CACHE.get(key)
    now = time_module.monotonic()
    if hit and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    value = rates_by_village(township_id, start, end, by)
    if len(_CACHE) > 1000:
        _CACHE.clear()
    _CACHE[key] = (now, value)
    return value


# ---------------------------------------------------------------- periods by month, for charts

def year_to_date(day: date) -> tuple[date, date]:
    """From 1 January of the day's year to the end of the day: "本年以来"."""
    return date(day.year, 1, 1), day + timedelta(days=1)


def last_months(day: date, count: int = 12) -> list[tuple[date, date]]:
    """The `count` calendar months up to and including the day's month, oldest first."""
    start = day.replace(day=1)
    months = []
    for _ in range(count):
        months.append(month_period(start))
        start = (start - timedelta(days=1)).replace(day=1)
    return months[::-1]


def rates_by_village_by_month(township_id: uuid.UUID, day: date, count: int = 12,
                              by: str = "village") -> list[tuple[tuple[date, date], Rates, dict]]:
    """(month, township's Rates, {village id: Rates}) for each of the last `count` months.

    Each month is cached_rates_by_village of that month (the same cache entries): the figures a
    chart draws are the figures the month's table shows, so the two never disagree. By village
    the months not cached are read together from the summary (app.matters.summary).
    """
    months = last_months(day, count)
    if by != "village" or not summary_on():
        return [(month, *cached_rates_by_village(township_id, *month, by=by))
                for month in months]
    from flask import current_app, has_app_context

    from app.matters import summary

    cache = not (has_app_context() and current_app.config.get("RATES_CACHE") == "off")
    now = time_module.monotonic()
    found: dict = {}
    if cache:
        for month in months:
            hit = _CACHE.get((township_id, *month, by))
            if hit and now - hit[0] < CACHE_SECONDS:
                found[month] = hit[1]
    missing = [month for month in months if month not in found]
    for month, value in zip(missing, summary.rates_by_village_months(township_id, missing),
                            strict=True):
        found[month] = value
        if cache:
            if len(_CACHE) > 1000:
                _CACHE.clear()
            _CACHE[(township_id, *month, by)] = (now, value)
    return [(month, *found[month]) for month in months]

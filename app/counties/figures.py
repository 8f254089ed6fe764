"""The county's figures: every township (or village, or cadre) of the county side by side.

Same definitions as app.matters.rates (DESIGN §6), computed in SQL with GROUP BY over the county's
townships at once, so 20 townships (or 600 villages, or 10,000 cadres) cost a handful of
aggregate queries, never a row per matter pulled into Python:

- resolution rate: matters received in the period (withdrawn and duplicates left out) replied or
  closed / those matters;
- on-time rate: of those matters, replied on or before their promised date (the township's
  local date of the reply, compared in SQL);
- satisfaction rate: evaluations made in the period rated 非常满意/满意/基本满意 / all of them;
- visit rate: active households visited at least once in the period / active households;
- overdue: of the period's matters, those still open past their promised date on `today`;
- escalated: of the period's matters, those at the county level or ever escalated to it;
- coverage (双覆盖): active households with a contact cadre / active households (as of now);
- visits per household: visits in the period / active households;
- spot-check mismatches: sampled records residents did not confirm, in checks drawn for periods
  starting in the period.

Each figure keeps numerator and denominator; `rows_query` gives the rows one figure counts.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Date, case, cast, event, exists, func, select
from sqlalchemy.orm import Session

from app.cadres.models import Commitment, CommitmentRating, CommitmentState
from app.counties.models import CountyEscalation
from app.extensions import db
from app.households.models import Household, Visit
from app.matters.models import (
    OPEN_STATES,
    SATISFIED_RATINGS,
    Evaluation,
    Matter,
    RateSummary,
    SpotCheck,
    SpotCheckItem,
)
from app.matters.rates import (
    NOT_COUNTED,
    RESOLVED,
    Figure,
    month_period,
    summary_on,
    utc_bounds,
)
from app.matters.summary import whole_months
from app.townships.models import Township

FIGURES = ("resolution_rate", "on_time_rate", "satisfaction_rate", "visit_rate", "coverage",
           "overdue", "escalated", "visits_per_household", "mismatches")
# Higher is better for these; lower is better for overdue and mismatches (per household).
RANKED_BY = ("resolution_rate", "satisfaction_rate", "visit_rate", "on_time_rate", "coverage")


@dataclass
class Row:
    key: object
    received: int = 0
    resolved: int = 0
    on_time: int = 0
    overdue: int = 0
    escalated: int = 0
    rated: int = 0
    happy: int = 0
    households: int = 0
    visited: int = 0
    covered: int = 0
    visits: int = 0
    mismatches: int = 0
    # 三送 评诺: commitments made in the period, those kept, their residents' ratings (any day).
    commitments: int = 0
    commitments_kept: int = 0
    commitments_rated: int = 0
    commitments_happy: int = 0
    rank: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def resolution_rate(self) -> Figure:
        return Figure(self.resolved, self.received)

    @property
    def on_time_rate(self) -> Figure:
        return Figure(self.on_time, self.received)

    @property
    def satisfaction_rate(self) -> Figure:
        return Figure(self.happy, self.rated)

    @property
    def visit_rate(self) -> Figure:
        return Figure(self.visited, self.households)

    @property
    def coverage(self) -> Figure:
        return Figure(self.covered, self.households)

    @property
    def commitment_satisfaction(self) -> Figure:
        return Figure(self.commitments_happy, self.commitments_rated)

    @property
    def visits_per_household(self) -> float | None:
        return round(self.visits / self.households, 2) if self.households else None

    @property
    def score(self) -> float:
        """The ranking score: the mean of the defined rates (the three rates, on time and
        coverage), less the overdue share; undefined rates are left out, not counted as zero."""
        values = [getattr(self, name).value for name in RANKED_BY]
        values = [v for v in values if v is not None]
        base = sum(values) / len(values) if values else 0.0
        penalty = self.overdue / self.received if self.received else 0.0
        return base - penalty

    def as_dict(self) -> dict:
        out = {"received": self.received, "overdue": self.overdue, "escalated": self.escalated,
               "mismatches": self.mismatches, "visits_per_household": self.visits_per_household,
               "rank": self.rank, "commitments": self.commitments,
               "commitments_kept": self.commitments_kept,
               "commitments_rated": self.commitments_rated}
        for name in ("resolution_rate", "on_time_rate", "satisfaction_rate", "visit_rate",
                     "coverage"):
            out[name] = getattr(self, name).percent
        return out


def local_date(column, zone: str):
    """The local calendar date of a UTC timestamp column, in SQL (PostgreSQL or SQLite)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone(zone, column), Date)
    # SQLite keeps UTC text; China (and every zone we serve) has a fixed offset today.
    offset = ZoneInfo(zone).utcoffset(datetime(2026, 1, 1))
    hours = int(offset.total_seconds() // 3600)
    return func.date(column, f"{hours:+d} hours")


def _zones(township_ids) -> dict[str, list[uuid.UUID]]:
    zones: dict[str, list[uuid.UUID]] = defaultdict(list)
    for tid, zone in db.session.execute(select(Township.id, Township.timezone)
                                        .where(Township.id.in_(list(township_ids)))):
        zones[zone].append(tid)
    return zones


GROUPS = {
    "township": dict(commitment=(Commitment.township_id,), matter=(Matter.township_id,),
                     household=(Household.township_id,),
                     visit=(Visit.township_id,), evaluation=(Evaluation.township_id,),
                     spot=(SpotCheckItem.township_id,)),
    "village": dict(commitment=None, matter=(Matter.township_id, Matter.village_id),
                    household=(Household.township_id, Household.village_id),
                    visit=(Household.township_id, Household.village_id),
                    evaluation=(Matter.township_id, Matter.village_id), spot=None),
    "cadre": dict(commitment=(Commitment.cadre_id,), matter=(Matter.assignee_id,),
                  household=(Household.contact_cadre_id,),
                  visit=(Visit.visitor_id,), evaluation=(Evaluation.staff_id,),
                  spot=(SpotCheckItem.responsible_id,)),
}


def figures(township_ids, start: date, end: date, today: date, by: str = "township"
            ) -> dict[object, Row]:
    """{key: Row} for the townships `township_ids` and the period [start, end).

    `by`: "township" (key: township id), "village" (key: (township id, village id)) or
    "cadre" (key: user id; a county cadre's work in every township adds up)."""
    groups = GROUPS[by]
    rows: dict[object, Row] = {}
    months = []
    if by == "township" and summary_on():
        months = whole_months(start, end)
        if not months or months[0] != start or month_period(months[-1])[1] != end:
            months = []

    def row(values) -> Row | None:
        key = values[0] if len(values) == 1 else tuple(values)
        if key is None or (isinstance(key, tuple) and None in key):
            return None
        if key not in rows:
            rows[key] = Row(key)
        return rows[key]

    for zone, ids in _zones(township_ids).items():
        lo, hi = utc_bounds(zone, start, end)
        g = groups["matter"]
        open_late = case((Matter.state.in_([s.value for s in OPEN_STATES])
                          & (Matter.due_on < today), 1), else_=0)
        on_time = case((Matter.replied_at.is_not(None)
                        & (local_date(Matter.replied_at, zone) <= Matter.due_on), 1), else_=0)
        resolved = case((Matter.state.in_(RESOLVED), 1), else_=0)
        went_up = exists().where(CountyEscalation.township_id == Matter.township_id,
                                 CountyEscalation.matter_id == Matter.id)
        escalated = case((went_up, 1), else_=0)
        for *key, n, res, ot, late, esc in db.session.execute(
                select(*g, func.count(), func.sum(resolved), func.sum(on_time),
                       func.sum(open_late), func.sum(escalated))
                .where(Matter.township_id.in_(ids), Matter.received_at >= lo,
                       Matter.received_at < hi, Matter.state.not_in(NOT_COUNTED))
                .group_by(*g), execution_options={"all_townships": True}):
            r = row(key)
            if r:
                r.received += n
                r.resolved += int(res or 0)
                r.on_time += int(ot or 0)
                r.overdue += int(late or 0)
                r.escalated += int(esc or 0)

        g = groups["evaluation"]
        satisfied = case((Evaluation.rating.in_([x.value for x in SATISFIED_RATINGS]), 1),
                         else_=0)
        query = select(*g, func.count(), func.sum(satisfied)).select_from(Evaluation).where(
            Evaluation.township_id.in_(ids), Evaluation.created_at >= lo,
            Evaluation.created_at < hi, Evaluation.residents_own())
        if months:
            # Whole local months: the townships' ratings summed from the rates' summary (the
            # counts their own boards show), not counted again from every evaluation.
            query = (select(RateSummary.township_id, func.sum(RateSummary.rated),
                            func.sum(RateSummary.satisfied))
                     .where(RateSummary.township_id.in_(ids), RateSummary.month.in_(months)))
            g = (RateSummary.township_id,)
        if by == "village":
            query = query.join(Matter, (Matter.township_id == Evaluation.township_id)
                               & (Matter.id == Evaluation.matter_id))
        for *key, n, happy in db.session.execute(query.group_by(*g),
                                                 execution_options={"all_townships": True}):
            r = row(key)
            if r:
                r.rated += n
                r.happy += int(happy or 0)

        g = groups["household"]
        # Households visited in the period: one pass over the period's visits, joined (a hash
        # join), instead of an EXISTS probe per household.
        seen_in_period = (select(Visit.township_id, Visit.household_id)
                          .where(Visit.township_id.in_(ids), Visit.visited_on >= start,
                                 Visit.visited_on < end).distinct().subquery())
        for *key, n, seen, covered in db.session.execute(
                select(*g, func.count(), func.count(seen_in_period.c.household_id),
                       func.sum(case((Household.contact_cadre_id.is_not(None), 1), else_=0)))
                .select_from(Household)
                .outerjoin(seen_in_period,
                           (seen_in_period.c.township_id == Household.township_id)
                           & (seen_in_period.c.household_id == Household.id))
                .where(Household.township_id.in_(ids), Household.active.is_(True))
                .group_by(*g), execution_options={"all_townships": True}):
            r = row(key)
            if r:
                r.households += n
                r.visited += int(seen or 0)
                r.covered += int(covered or 0)

        g = groups["visit"]
        query = select(*g, func.count()).select_from(Visit).where(Visit.township_id.in_(ids),
                                               Visit.visited_on >= start, Visit.visited_on < end)
        if by == "village":
            query = query.join(Household, (Household.township_id == Visit.township_id)
                               & (Household.id == Visit.household_id))
        for *key, n in db.session.execute(query.group_by(*g),
                                          execution_options={"all_townships": True}):
            r = row(key)
            if r:
                r.visits += n

        g = groups["commitment"]
        if g is not None:
            # A commitment counts in its township and for its cadre (a county cadre's in every
            # township where they made one): made with a due date in the period, kept, and the
            # residents' 评诺 ratings of those commitments.
            kept = case((Commitment.state == CommitmentState.KEPT.value, 1), else_=0)
            for *key, n, k in db.session.execute(
                    select(*g, func.count(), func.sum(kept))
                    .where(Commitment.township_id.in_(ids), Commitment.due_on >= start,
                           Commitment.due_on < end)
                    .group_by(*g), execution_options={"all_townships": True}):
                r = row(key)
                if r:
                    r.commitments += n
                    r.commitments_kept += int(k or 0)
            pleased = case((CommitmentRating.rating.in_([x.value for x in SATISFIED_RATINGS]),
                            1), else_=0)
            for *key, n, happy in db.session.execute(
                    select(*g, func.count(), func.sum(pleased))
                    .join(Commitment, (Commitment.township_id == CommitmentRating.township_id)
                          & (Commitment.id == CommitmentRating.commitment_id))
                    .where(Commitment.township_id.in_(ids), Commitment.due_on >= start,
                           Commitment.due_on < end)
                    .group_by(*g), execution_options={"all_townships": True}):
                r = row(key)
                if r:
                    r.commitments_rated += n
                    r.commitments_happy += int(happy or 0)

        g = groups["spot"]
        if g is not None:
            for *key, n in db.session.execute(
                    select(*g, func.count())
                    .join(SpotCheck, (SpotCheck.township_id == SpotCheckItem.township_id)
                          & (SpotCheck.id == SpotCheckItem.spot_check_id))
                    .where(SpotCheckItem.township_id.in_(ids),
                           SpotCheckItem.confirmed.is_(False),
                           SpotCheck.period_start >= start, SpotCheck.period_start < end)
                    .group_by(*g), execution_options={"all_townships": True}):
                r = row(key)
                if r:
                    r.mismatches += n
    return rows


def ranked(rows: dict[object, Row]) -> list[Row]:
    """The rows best first, each with its rank (equal scores share a rank)."""
    ordered = sorted(rows.values(), key=lambda r: (-r.score, -r.received, str(r.key)))
    last, rank = None, 0
    for i, r in enumerate(ordered, 1):
        score = round(r.score, 6)
        if score != last:
            rank, last = i, score
        r.rank = rank
    return ordered


def rank_of(township_id, township_ids, start: date, end: date, today: date
            ) -> tuple[int | None, int]:
    """The township's rank among the county's townships, and how many are ranked."""
    ordered = ranked(cached_figures(township_ids, start, end, today))
    for r in ordered:
        if r.key == township_id:
            return r.rank, len(ordered)
    return None, len(ordered)


ROW_FIGURES = ("received", "resolved", "unresolved", "on_time", "late", "overdue", "escalated")


def rows_query(township_ids, start: date, end: date, today: date, figure: str, *,
               township_id=None, village_id=None, cadre_id=None, zone="Asia/Shanghai"):
    """The matters behind one matter figure (the dashboard's links), county-scoped."""
    lo, hi = utc_bounds(zone, start, end)
    ids = [township_id] if township_id else list(township_ids)
    query = select(Matter).where(Matter.township_id.in_(ids), Matter.received_at >= lo,
                                 Matter.received_at < hi, Matter.state.not_in(NOT_COUNTED))
    if village_id:
        query = query.where(Matter.village_id == village_id)
    if cadre_id:
        query = query.where(Matter.assignee_id == cadre_id)
    on_time = Matter.replied_at.is_not(None) & (local_date(Matter.replied_at, zone)
                                                <= Matter.due_on)
    if figure == "resolved":
        query = query.where(Matter.state.in_(RESOLVED))
    elif figure == "unresolved":
        query = query.where(Matter.state.not_in(RESOLVED))
    elif figure == "on_time":
        query = query.where(on_time)
    elif figure == "late":
        query = query.where(~on_time | Matter.replied_at.is_(None))
    elif figure == "overdue":
        query = query.where(Matter.state.in_([s.value for s in OPEN_STATES]),
                            Matter.due_on < today)
    elif figure == "escalated":
        query = query.where(exists().where(CountyEscalation.township_id == Matter.township_id,
                                           CountyEscalation.matter_id == Matter.id))
    return query.order_by(Matter.received_at.desc())


def households_query(township_ids, figure: str, *, township_id=None, village_id=None):
    """Households behind coverage: 'uncovered' (no contact cadre) or 'covered'."""
    ids = [township_id] if township_id else list(township_ids)
    query = select(Household).where(Household.township_id.in_(ids), Household.active.is_(True))
    if village_id:
        query = query.where(Household.village_id == village_id)
    if figure == "uncovered":
        query = query.where(Household.contact_cadre_id.is_(None))
    else:
        query = query.where(Household.contact_cadre_id.is_not(None))
    return query.order_by(Household.township_id, Household.village_id, Household.address)




@dataclass
class DepartmentRow:
    department_id: object
    escalated: int = 0
    answered: int = 0
    answered_on_time: int = 0
    returned: int = 0
    overdue: int = 0
    rated: int = 0
    happy: int = 0

    @property
    def on_time_rate(self) -> Figure:
        return Figure(self.answered_on_time, self.escalated)

    @property
    def satisfaction_rate(self) -> Figure:
        return Figure(self.happy, self.rated)


def department_figures(county_id, township_ids, start: date, end: date, today: date,
                       zone: str = "Asia/Shanghai") -> dict[object, DepartmentRow]:
    """Per department: matters escalated to it in the period, answered (on time by the county's
    deadline), handed back, still open past the deadline, and the residents' ratings of the
    matters it answered (the same ratings count for the township)."""
    lo, hi = utc_bounds(zone, start, end)
    ids = list(township_ids)
    out: dict[object, DepartmentRow] = {}
    if not ids:
        return out
    e = CountyEscalation
    open_states = ("waiting", "open")
    for dept, n, answered, on_time, returned, late in db.session.execute(
            select(e.department_id, func.count(),
                   func.sum(case((e.state == "replied", 1), else_=0)),
                   func.sum(case(((e.state == "replied")
                                  & (local_date(e.answered_at, zone) <= e.due_on), 1), else_=0)),
                   func.sum(case((e.state == "returned", 1), else_=0)),
                   func.sum(case((e.state.in_(open_states) & (e.due_on < today), 1), else_=0)))
            .where(e.county_id == county_id, e.township_id.in_(ids), e.escalated_at >= lo,
                   e.escalated_at < hi)
            .group_by(e.department_id), execution_options={"all_townships": True}):
        out[dept] = DepartmentRow(dept, n, int(answered or 0), int(on_time or 0),
                                  int(returned or 0), int(late or 0))
    satisfied = case((Evaluation.rating.in_([x.value for x in SATISFIED_RATINGS]), 1), else_=0)
    for dept, n, happy in db.session.execute(
            select(e.department_id, func.count(), func.sum(satisfied))
            .join(Evaluation, (Evaluation.township_id == e.township_id)
                  & (Evaluation.matter_id == e.matter_id))
            .where(e.county_id == county_id, e.township_id.in_(ids), e.state == "replied",
                   Evaluation.created_at >= e.answered_at,
                   Evaluation.created_at >= lo, Evaluation.created_at < hi)
            .group_by(e.department_id), execution_options={"all_townships": True}):
        row = out.setdefault(dept, DepartmentRow(dept))
        row.rated += n
        row.happy += int(happy or 0)
    return out


# ---------------------------------------------------------------- caching

# At a county's size (337,000 households, 200,000 visits in a half-year) one computation takes
# seconds; the dashboard is read far more often than it changes. Figures are kept for
# CACHE_SECONDS per process and dropped as soon as this process writes any row they count (a
# version bumped after each such flush); another process's writes show within CACHE_SECONDS.
# The rows behind a figure (rows_query, households_query) are always read fresh.
CACHE_SECONDS = 300
_CACHE: dict = {}
_VERSION = [0]


def _watched():
    from app.households.models import Household, Visit
    from app.matters.models import Evaluation, Matter, MatterEvent, SpotCheckItem

    return (Matter, MatterEvent, Evaluation, Visit, Household, SpotCheckItem, CountyEscalation,
            Commitment, CommitmentRating)


@event.listens_for(Session, "after_flush")
def _figures_changed(session, flush_context):
    watched = _watched()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, watched):
            _VERSION[0] += 1
            return


def cached(name: str, compute, *key):
    """compute(), kept for CACHE_SECONDS under (name, key, data version)."""
    import time as time_module

    if CACHE_SECONDS <= 0:  # kept off (the benchmark measures the queries themselves)
        return compute()
    full = (name, *key, _VERSION[0])
    now = time_module.monotonic()
    hit = _CACHE.get(full)
    if hit and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    value = compute()
    if len(_CACHE) > 500:
        _CACHE.clear()
    _CACHE[full] = (now, value)
    return value


def cached_figures(township_ids, start: date, end: date, today: date, by: str = "township"
                   ) -> dict[object, Row]:
    ids = tuple(sorted(township_ids, key=str))
    return cached("figures", lambda: figures(ids, start, end, today, by), ids, start, end,
                  today, by)

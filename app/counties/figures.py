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
from dataclasses import dataclass
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
from app.tenancy import across_townships
from app.townships.models import Township

FIGURES = ("resolution_rate", "on_time_rate", "satisfaction_rate", "visit_rate", "coverage",
           "overdue", "escalated", "visits_per_household", "mismatches")
# Higher is better for these; lower is better for overdue and mismatches (per household).
RANKED_BY = ("resolution_rate", "satisfaction_rate", "visit_rate", "on_time_rate", "coverage")


@dataclass(slots=True)
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
        coverage — RANKED_BY, in that order), less the overdue share; undefined rates are left
        out, not counted as zero. Plain arithmetic on the counts (10,000 cadres are ranked on
        each view), the same values as the Figures."""
        values = [n / d for n, d in ((self.resolved, self.received), (self.happy, self.rated),
                                     (self.visited, self.households),
                                     (self.on_time, self.received),
                                     (self.covered, self.households)) if d]
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

    from app.counties import summary as county_summary

    # A standard period (month, quarter, half-year, year): households, coverage, visited
    # households (and visits, but a cadre's own visits) summed from the kept summary.
    kind = county_summary.standard_kind(start, end)

    known = rows.get  # called for every result row: ten thousand cadres, several queries

    def row(values) -> Row | None:
        key = values[0] if len(values) == 1 else tuple(values)
        r = known(key)
        if r is None:
            if key is None or (type(key) is tuple and None in key):
                return None
            r = rows[key] = Row(key)
        return r

    if kind:
        ids = list(township_ids)
        for key, (n, covered) in county_summary.household_counts(ids, by).items():
            r = n and row(list(key) if isinstance(key, tuple) else [key])
            if r:
                r.households += n
                r.covered += covered
        for key, (seen, n) in county_summary.visit_counts(ids, kind, start, by).items():
            # (a cadre's row counts the visits they made, below)
            r = (seen or (n and by != "cadre")) and row(
                list(key) if isinstance(key, tuple) else [key])
            if r:
                r.visited += seen
                if by != "cadre":
                    r.visits += n
        if by == "cadre":
            for visitor, n in county_summary.visits_made(ids, kind, start).items():
                r = n and row([visitor])
                if r:
                    r.visits += n
    for zone, ids in _zones(township_ids).items():
        lo, hi = utc_bounds(zone, start, end)
        g = groups["matter"]
        open_late = case((Matter.state.in_([s.value for s in OPEN_STATES])
                          & (Matter.due_on < today), 1), else_=0)
        on_time = case((Matter.replied_at.is_not(None)
                        & (local_date(Matter.replied_at, zone) <= Matter.due_on), 1), else_=0)
        resolved = case((Matter.state.in_(RESOLVED), 1), else_=0)
        # The matters escalated to the county, joined once (a hash join) rather than probed
        # for each of the period's matters (an EXISTS per row: a third of the statement).
        went_up = (select(CountyEscalation.township_id, CountyEscalation.matter_id)
                   .where(CountyEscalation.township_id.in_(ids)).distinct().subquery())
        for *key, n, res, ot, late, esc in across_townships(
                select(*g, func.count(), func.sum(resolved), func.sum(on_time),
                       func.sum(open_late), func.count(went_up.c.matter_id))
                .select_from(Matter)
                .outerjoin(went_up, (went_up.c.township_id == Matter.township_id)
                           & (went_up.c.matter_id == Matter.id))
                .where(Matter.township_id.in_(ids), Matter.received_at >= lo,
                       Matter.received_at < hi, Matter.state.not_in(NOT_COUNTED))
                .group_by(*g)):
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
        for *key, n, happy in across_townships(query.group_by(*g)):
            r = row(key)
            if r:
                r.rated += n
                r.happy += int(happy or 0)

        g = groups["household"]
        if not kind:  # otherwise counted from the summary above
            # Households visited in the period: one pass over the period's visits, joined (a
            # hash join), instead of an EXISTS probe per household.
            seen_in_period = (select(Visit.township_id, Visit.household_id)
                              .where(Visit.township_id.in_(ids), Visit.visited_on >= start,
                                     Visit.visited_on < end).distinct().subquery())
            covered = func.sum(case((Household.contact_cadre_id.is_not(None), 1), else_=0))
            for *key, n, seen, cov in across_townships(
                    select(*g, func.count(), func.count(seen_in_period.c.household_id), covered)
                    .select_from(Household)
                    .outerjoin(seen_in_period,
                               (seen_in_period.c.township_id == Household.township_id)
                               & (seen_in_period.c.household_id == Household.id))
                    .where(Household.township_id.in_(ids), Household.active.is_(True))
                    .group_by(*g)):
                r = row(key)
                if r:
                    r.households += n
                    r.visited += int(seen or 0)
                    r.covered += int(cov or 0)

        g = groups["visit"]
        if not kind:  # a cadre's visits: those they made (Visit.visitor_id)
            query = select(*g, func.count()).select_from(Visit).where(
                Visit.township_id.in_(ids), Visit.visited_on >= start, Visit.visited_on < end)
            if by == "village":
                query = query.join(Household, (Household.township_id == Visit.township_id)
                                   & (Household.id == Visit.household_id))
            for *key, n in across_townships(query.group_by(*g)):
                r = row(key)
                if r:
                    r.visits += n

        g = groups["commitment"]
        if g is not None:
            # A commitment counts in its township and for its cadre (a county cadre's in every
            # township where they made one): made with a due date in the period, kept, and the
            # residents' 评诺 ratings of those commitments.
            kept = case((Commitment.state == CommitmentState.KEPT.value, 1), else_=0)
            for *key, n, k in across_townships(
                    select(*g, func.count(), func.sum(kept))
                    .where(Commitment.township_id.in_(ids), Commitment.due_on >= start,
                           Commitment.due_on < end)
                    .group_by(*g)):
                r = row(key)
                if r:
                    r.commitments += n
                    r.commitments_kept += int(k or 0)
            pleased = case((CommitmentRating.rating.in_([x.value for x in SATISFIED_RATINGS]),
                            1), else_=0)
            for *key, n, happy in across_townships(
                    select(*g, func.count(), func.sum(pleased))
                    .join(Commitment, (Commitment.township_id == CommitmentRating.township_id)
                          & (Commitment.id == CommitmentRating.commitment_id))
                    .where(Commitment.township_id.in_(ids), Commitment.due_on >= start,
                           Commitment.due_on < end)
                    .group_by(*g)):
                r = row(key)
                if r:
                    r.commitments_rated += n
                    r.commitments_happy += int(happy or 0)

        g = groups["spot"]
        if g is not None:
            for *key, n in across_townships(
                    select(*g, func.count())
                    .join(SpotCheck, (SpotCheck.township_id == SpotCheckItem.township_id)
                          & (SpotCheck.id == SpotCheckItem.spot_check_id))
                    .where(SpotCheckItem.township_id.in_(ids),
                           SpotCheckItem.confirmed.is_(False),
                           SpotCheck.period_start >= start, SpotCheck.period_start < end)
                    .group_by(*g)):
                r = row(key)
                if r:
                    r.mismatches += n
    return rows


def period_totals(township_ids, periods, today: date) -> list[Row]:
    """The county's own Row (its townships' counts summed) for each of `periods` (non-overlapping
    [start, end) pairs, such as the last 12 months), for the trend charts: the four charted rates
    (received, resolved, on time; rated, satisfied; active households, those visited), each counted
    in one aggregate grouped by period instead of one `figures()` per period. Same definitions as
    `figures()`: `sum(figures(ids, s, e, today).values())` for those fields, row for row."""
    periods = list(periods)
    totals = [Row(key=(s, e)) for s, e in periods]
    if not periods:
        return totals
    first, last = min(s for s, _e in periods), max(e for _s, e in periods)
    from app.counties import summary as county_summary

    standard = all(county_summary.standard_kind(s, e) for s, e in periods)
    if standard:  # households and visited households from the kept summary
        households = sum(n for n, _c in county_summary.household_counts(
            list(township_ids), "township").values())
        visited = county_summary.visited_totals(list(township_ids), periods)
        for row, period in zip(totals, periods, strict=True):
            row.households, row.visited = households, visited[period]

    def bucket(column, bounds):
        return case(*[((column >= lo) & (column < hi), i) for i, (lo, hi) in enumerate(bounds)],
                    else_=None)

    months_of = {p: whole_months(*p) for p in periods} if summary_on() else {}
    from_summary = bool(months_of) and all(
        m and m[0] == p[0] and month_period(m[-1])[1] == p[1] for p, m in months_of.items())
    if from_summary:
        # Whole local months (the trends' months and quarters): matters and ratings summed
        # from the rates' summary, the counts the townships' own boards show, in one query.
        wanted = sorted({m for ms in months_of.values() for m in ms})
        by_month = {}
        for month, *values in across_townships(
                select(RateSummary.month, func.sum(RateSummary.received),
                       func.sum(RateSummary.resolved), func.sum(RateSummary.on_time),
                       func.sum(RateSummary.rated), func.sum(RateSummary.satisfied))
                .where(RateSummary.township_id.in_(list(township_ids)),
                       RateSummary.month.in_(wanted))
                .group_by(RateSummary.month)):
            if isinstance(month, str):
                month = date.fromisoformat(month)
            by_month[month] = [int(v or 0) for v in values]
        for row, period in zip(totals, periods, strict=True):
            for month in months_of[period]:
                received, resolved, on_time, rated, happy = by_month.get(month, [0] * 5)
                row.received += received
                row.resolved += resolved
                row.on_time += on_time
                row.rated += rated
                row.happy += happy
        if standard:
            return totals

    for zone, ids in _zones(township_ids).items():
        bounds = [utc_bounds(zone, s, e) for s, e in periods]
        lo, hi = utc_bounds(zone, first, last)
        if not from_summary:  # counted from the rows
            on_time = case((Matter.replied_at.is_not(None)
                            & (local_date(Matter.replied_at, zone) <= Matter.due_on), 1),
                           else_=0)
            resolved = case((Matter.state.in_(RESOLVED), 1), else_=0)
            b = bucket(Matter.received_at, bounds).label("b")
            for i, n, res, ot in across_townships(
                    select(b, func.count(), func.sum(resolved), func.sum(on_time))
                    .where(Matter.township_id.in_(ids), Matter.received_at >= lo,
                           Matter.received_at < hi, Matter.state.not_in(NOT_COUNTED))
                    .group_by(b)):
                if i is not None:
                    totals[i].received += n
                    totals[i].resolved += int(res or 0)
                    totals[i].on_time += int(ot or 0)

            satisfied = case((Evaluation.rating.in_([x.value for x in SATISFIED_RATINGS]), 1),
                             else_=0)
            b = bucket(Evaluation.created_at, bounds).label("b")
            for i, n, happy in across_townships(
                    select(b, func.count(), func.sum(satisfied))
                    .where(Evaluation.township_id.in_(ids), Evaluation.created_at >= lo,
                           Evaluation.created_at < hi, Evaluation.residents_own())
                    .group_by(b)):
                if i is not None:
                    totals[i].rated += n
                    totals[i].happy += int(happy or 0)

        if standard:
            continue
        households = across_townships(
            select(func.count()).select_from(Household)
            .where(Household.township_id.in_(ids), Household.active.is_(True)))[0][0] or 0
        for row in totals:
            row.households += households
        # Active households visited in each period: distinct per township (a household's id is
        # unique within its township), summed over the townships.
        b = bucket(Visit.visited_on, periods).label("b")
        for _tid, i, seen in across_townships(
                select(Visit.township_id, b, func.count(func.distinct(Visit.household_id)))
                .join(Household, (Household.township_id == Visit.township_id)
                      & (Household.id == Visit.household_id))
                .where(Visit.township_id.in_(ids), Visit.visited_on >= first,
                       Visit.visited_on < last, Household.active.is_(True))
                .group_by(Visit.township_id, b)):
            if i is not None:
                totals[i].visited += seen
    return totals


def ranked(rows: dict[object, Row]) -> list[Row]:
    """The rows best first, each with its rank (equal scores share a rank)."""
    scores = {id(r): r.score for r in rows.values()}
    # Ties broken by the key itself (a uuid, or a tuple of them): the order of their text, without
    # making ten thousand strings for the few ties.
    ordered = sorted(rows.values(), key=lambda r: (-scores[id(r)], -r.received, r.key))
    last, rank = None, 0
    for i, r in enumerate(ordered, 1):
        score = round(scores[id(r)], 6)
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
    for dept, n, answered, on_time, returned, late in across_townships(
            select(e.department_id, func.count(),
                   func.sum(case((e.state == "replied", 1), else_=0)),
                   func.sum(case(((e.state == "replied")
                                  & (local_date(e.answered_at, zone) <= e.due_on), 1), else_=0)),
                   func.sum(case((e.state == "returned", 1), else_=0)),
                   func.sum(case((e.state.in_(open_states) & (e.due_on < today), 1), else_=0)))
            .where(e.county_id == county_id, e.township_id.in_(ids), e.escalated_at >= lo,
                   e.escalated_at < hi)
            .group_by(e.department_id)):
        out[dept] = DepartmentRow(dept, n, int(answered or 0), int(on_time or 0),
                                  int(returned or 0), int(late or 0))
    satisfied = case((Evaluation.rating.in_([x.value for x in SATISFIED_RATINGS]), 1), else_=0)
    for dept, n, happy in across_townships(
            select(e.department_id, func.count(), func.sum(satisfied))
            .join(Evaluation, (Evaluation.township_id == e.township_id)
                  & (Evaluation.matter_id == e.matter_id))
            .where(e.county_id == county_id, e.township_id.in_(ids), e.state == "replied",
                   Evaluation.created_at >= e.answered_at,
                   Evaluation.created_at >= lo, Evaluation.created_at < hi)
            .group_by(e.department_id)):
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


def cached_period_totals(township_ids, periods, today: date) -> list[Row]:
    ids = tuple(sorted(township_ids, key=str))
    periods = tuple(tuple(p) for p in periods)
    return cached("period_totals", lambda: period_totals(ids, periods, today), ids, periods,
                  today)

"""Weekly bulletins and monthly assessments per cadre and per village, leaders' down-visits
against their contact points, and units compared with the targets of their class.

Every figure is one SQL aggregate over the recorded rows for the period; nothing is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, case, func, select

from app.accounts.models import RoleGrant, User
from app.cadres.models import (
    ActionOccurrence,
    ClassTarget,
    ContactPoint,
    RequiredAction,
    Unit,
)
from app.clock import local_date, utc_bounds, zone_of
from app.extensions import db
from app.households.models import Household, Village, Visit
from app.matters.models import OPEN_STATES, SATISFIED_RATINGS, Evaluation, Matter, State


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    label: str

    @classmethod
    def week_of(cls, day: date) -> Period:
        start = day - timedelta(days=day.weekday())
        year, week, _ = start.isocalendar()
        return cls(start, start + timedelta(days=6), f"{year}年第{week}周")

    @classmethod
    def month_of(cls, day: date) -> Period:
        start = day.replace(day=1)
        nxt = (start + timedelta(days=32)).replace(day=1)
        return cls(start, nxt - timedelta(days=1), f"{day.year}年{day.month}月")

    def bounds(self, zone: str) -> tuple[datetime, datetime]:
        """The period as UTC instants, from local midnight to local midnight."""
        return utc_bounds(zone, self.start, self.end + timedelta(days=1))


@dataclass
class Line:
    """One row of a bulletin: a cadre or a village."""

    key: str
    name: str
    county: bool = False  # a county cadre linked to households here, not the township's staff
    visits: int = 0
    matters_taken: int = 0
    matters_closed: int = 0
    overdue: int = 0
    ratings: int = 0
    satisfied: int = 0
    duties_done: int = 0
    duties_missed: int = 0

    @property
    def satisfaction(self) -> float | None:
        return self.satisfied / self.ratings if self.ratings else None


def _satisfied_sum():
    return func.sum(case((Evaluation.rating.in_([r.value for r in SATISFIED_RATINGS]), 1),
                         else_=0))


def _fill(lines: dict, query, *attrs) -> None:
    """Add a grouped query's counts (first column: the line's key) to the matching lines."""
    for row in db.session.execute(query).all():
        line = lines.get(row[0])
        if line is not None:
            for attr, value in zip(attrs, row[1:], strict=True):
                setattr(line, attr, int(value or 0))


def cadre_bulletin(township, period: Period, today: date) -> list[Line]:
    """Per staff member of the township: the work of the period and what is overdue now."""
    tid = township.id
    first, last = period.bounds(township.timezone)
    staff = select(RoleGrant.user_id).where(RoleGrant.township_id == tid)
    # County cadres hold no role here but are the contact cadres of some of its households
    # (双覆盖 across the county): their work here is listed beside the township's own.
    linked = (select(Household.contact_cadre_id)
              .where(Household.township_id == tid, Household.contact_cadre_id.is_not(None)))
    people = db.session.execute(
        select(User.id, User.name, User.id.in_(staff))
        .where(User.id.in_(staff) | User.id.in_(linked)).order_by(User.name)).all()
    lines = {uid: Line(str(uid), name, county=not own) for uid, name, own in people}

    _fill(lines, select(Visit.visitor_id, func.count()).where(
        Visit.township_id == tid, Visit.visited_on.between(period.start, period.end))
        .group_by(Visit.visitor_id), "visits")
    _fill(lines, select(Matter.assignee_id, func.count()).where(
        Matter.township_id == tid, Matter.received_at >= first, Matter.received_at < last)
        .group_by(Matter.assignee_id), "matters_taken")
    _fill(lines, select(Matter.assignee_id, func.count()).where(
        Matter.township_id == tid, Matter.state == State.CLOSED,
        Matter.closed_at >= first, Matter.closed_at < last).group_by(Matter.assignee_id),
        "matters_closed")
    _fill(lines, select(Matter.assignee_id, func.count()).where(
        Matter.township_id == tid, Matter.state.in_([s.value for s in OPEN_STATES]),
        Matter.due_on < today).group_by(Matter.assignee_id), "overdue")
    _fill(lines, select(Evaluation.staff_id, func.count(), _satisfied_sum()).where(
        Evaluation.township_id == tid, Evaluation.created_at >= first,
        Evaluation.created_at < last).group_by(Evaluation.staff_id), "ratings", "satisfied")
    _fill(lines, select(RequiredAction.owner_id,
                func.sum(case((ActionOccurrence.done.is_(True), 1), else_=0)),
                func.sum(case((ActionOccurrence.done.is_(False), 1), else_=0)))
         .join(ActionOccurrence, and_(ActionOccurrence.township_id == RequiredAction.township_id,
                                      ActionOccurrence.action_id == RequiredAction.id))
         .where(RequiredAction.township_id == tid, ActionOccurrence.created_at >= first,
                ActionOccurrence.created_at < last)
         .group_by(RequiredAction.owner_id), "duties_done", "duties_missed")
    return list(lines.values())


def village_bulletin(township, period: Period, today: date) -> list[Line]:
    """Per village: visits to its households, its matters, and its residents' ratings."""
    tid = township.id
    first, last = period.bounds(township.timezone)
    villages = db.session.execute(select(Village.id, Village.name).where(
        Village.township_id == tid).order_by(Village.sort_order, Village.name)).all()
    lines = {vid: Line(str(vid), name) for vid, name in villages}

    _fill(lines, select(Household.village_id, func.count()).join(
        Visit, and_(Visit.township_id == Household.township_id, Visit.household_id == Household.id))
        .where(Household.township_id == tid, Visit.visited_on.between(period.start, period.end))
        .group_by(Household.village_id), "visits")
    _fill(lines, select(Matter.village_id, func.count()).where(
        Matter.township_id == tid, Matter.received_at >= first, Matter.received_at < last)
        .group_by(Matter.village_id), "matters_taken")
    _fill(lines, select(Matter.village_id, func.count()).where(
        Matter.township_id == tid, Matter.state == State.CLOSED,
        Matter.closed_at >= first, Matter.closed_at < last).group_by(Matter.village_id),
        "matters_closed")
    _fill(lines, select(Matter.village_id, func.count()).where(
        Matter.township_id == tid, Matter.state.in_([s.value for s in OPEN_STATES]),
        Matter.due_on < today).group_by(Matter.village_id), "overdue")
    _fill(lines, select(Matter.village_id, func.count(), _satisfied_sum()).join(
        Evaluation, and_(Evaluation.township_id == Matter.township_id,
                         Evaluation.matter_id == Matter.id))
        .where(Matter.township_id == tid, Evaluation.created_at >= first,
               Evaluation.created_at < last).group_by(Matter.village_id),
        "ratings", "satisfied")
    return list(lines.values())


@dataclass
class ContactPointStatus:
    point: ContactPoint
    down_visits: int

    @property
    def met(self) -> bool:
        return self.down_visits >= self.point.monthly_target


def contact_points_status(township, month: Period) -> list[ContactPointStatus]:
    """Each leader's contact points with the down-visits (下访) they made there this month."""
    tid = township.id
    points = db.session.scalars(select(ContactPoint).where(ContactPoint.township_id == tid)).all()
    counts = dict(
        ((leader, village), n) for leader, village, n in db.session.execute(
            select(Visit.visitor_id, Household.village_id, func.count())
            .join(Household, and_(Household.township_id == Visit.township_id,
                                  Household.id == Visit.household_id))
            .where(Visit.township_id == tid, Visit.kind == "xiafang",
                   Visit.visited_on.between(month.start, month.end))
            .group_by(Visit.visitor_id, Household.village_id)).all()
    )
    return [ContactPointStatus(p, counts.get((p.leader_id, p.village_id), 0)) for p in points]


@dataclass
class UnitFigures:
    unit: Unit
    target: ClassTarget | None
    received: int = 0
    resolved: int = 0
    on_time: int = 0
    ratings: int = 0
    satisfied: int = 0
    figures: dict[str, float | None] = field(default_factory=dict)

    def below(self, name: str) -> bool:
        value, target = self.figures.get(name), getattr(self.target, f"{name}_pct", None)
        return value is not None and target is not None and value * 100 < target


def unit_comparison(township, period: Period) -> list[UnitFigures]:
    """Each unit's resolution, on-time and satisfaction rates against its class's targets."""
    tid = township.id
    first, last = period.bounds(township.timezone)
    targets = {t.unit_class: t for t in db.session.scalars(
        select(ClassTarget).where(ClassTarget.township_id == tid))}
    counted = Matter.state.not_in([State.WITHDRAWN, State.DUPLICATE])
    resolved = Matter.state.in_([State.REPLIED, State.CLOSED])
    in_time = and_(resolved, Matter.replied_at.is_not(None))
    out = []
    for unit in db.session.scalars(select(Unit).where(Unit.township_id == tid)
                                   .order_by(Unit.unit_class, Unit.name)):
        scope = (Matter.centre_id == unit.centre_id) if unit.centre_id else (
            Matter.village_id == unit.village_id)
        row = db.session.execute(
            select(func.count(), func.sum(case((resolved, 1), else_=0)),
                   func.sum(case((in_time, 1), else_=0)))
            .where(Matter.township_id == tid, scope, counted,
                   Matter.received_at >= first, Matter.received_at < last)).one()
        figures = UnitFigures(unit, targets.get(unit.unit_class), row[0] or 0, int(row[1] or 0))
        # On time: replied no later than the promised date (in the township's zone).
        figures.on_time = sum(
            1 for replied_at, due_on in db.session.execute(
                select(Matter.replied_at, Matter.due_on).where(
                    Matter.township_id == tid, scope, counted, Matter.replied_at.is_not(None),
                    Matter.received_at >= first, Matter.received_at < last)).all()
            if local_date(replied_at, township) <= due_on)
        rated = db.session.execute(
            select(func.count(), _satisfied_sum()).join(
                Matter, and_(Matter.township_id == Evaluation.township_id,
                             Matter.id == Evaluation.matter_id))
            .where(Evaluation.township_id == tid, scope, Evaluation.created_at >= first,
                   Evaluation.created_at < last)).one()
        figures.ratings, figures.satisfied = rated[0] or 0, int(rated[1] or 0)
        figures.figures = {
            "resolution": figures.resolved / figures.received if figures.received else None,
            "on_time": figures.on_time / figures.received if figures.received else None,
            "satisfaction": figures.satisfied / figures.ratings if figures.ratings else None,
        }
        out.append(figures)
    return out


def set_contact_point(township, leader: User, village: Village, monthly_target: int = 1):
    row = db.session.scalar(select(ContactPoint).where(
        ContactPoint.township_id == township.id, ContactPoint.leader_id == leader.id,
        ContactPoint.village_id == village.id))
    if row is None:
        row = ContactPoint(township_id=township.id, leader_id=leader.id, village_id=village.id)
        db.session.add(row)
    row.monthly_target = monthly_target
    db.session.flush()
    return row


def set_unit(township, *, name: str, unit_class: str, centre=None, village=None) -> Unit:
    from app.cadres.models import UnitClass

    unit = Unit(township_id=township.id, name=name.strip(), unit_class=UnitClass(unit_class).value,
                centre_id=getattr(centre, "id", None), village_id=getattr(village, "id", None))
    db.session.add(unit)
    db.session.flush()
    return unit


def set_class_target(township, unit_class: str, *, resolution_pct: int, on_time_pct: int,
                     satisfaction_pct: int) -> ClassTarget:
    row = db.session.scalar(select(ClassTarget).where(
        ClassTarget.township_id == township.id, ClassTarget.unit_class == unit_class))
    if row is None:
        row = ClassTarget(township_id=township.id, unit_class=unit_class)
        db.session.add(row)
    row.resolution_pct, row.on_time_pct, row.satisfaction_pct = (
        resolution_pct, on_time_pct, satisfaction_pct)
    db.session.flush()
    return row



# ---------------------------------------------------------------- 日督查 (daily supervision)

@dataclass
class UnitDay:
    """One unit's open work on one day, as the morning's supervision reads it."""

    unit: str
    overdue: list = field(default_factory=list)
    due_today: list = field(default_factory=list)
    unanswered: list = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.overdue) + len(self.due_today) + len(self.unanswered)


def daily_supervision(township, today: date) -> list[UnitDay]:
    """The day's supervision list (日督查, shared/seeds/002 Songmu): per responsible unit, the open
    matters that are overdue, that fall due today, and those received more than one working day
    ago that nobody has taken up yet (未响应). Units with most overdue first."""
    from app.catalogue.models import Centre
    from app.townships.workdays import WorkCalendar

    calendar = WorkCalendar.for_township(township.id)
    # Received before the last working day (strictly): more than one working day without a step.
    last_workday = today - timedelta(days=1)
    while not calendar.is_workday(last_workday):
        last_workday -= timedelta(days=1)
    cutoff = datetime.combine(last_workday, time.min, tzinfo=zone_of(township))
    rows = db.session.scalars(select(Matter).where(
        Matter.township_id == township.id, Matter.state.in_([s.value for s in OPEN_STATES]),
        (Matter.due_on <= today) | (
            (Matter.state == State.RECEIVED.value) & (Matter.received_at < cutoff)))
        .order_by(Matter.due_on, Matter.received_at)).all()
    centres = dict(db.session.execute(select(Centre.id, Centre.name).where(
        Centre.township_id == township.id)).all())
    units: dict[str, UnitDay] = {}
    for m in rows:
        name = centres.get(m.centre_id) or m.unit_name or "未交办"
        day = units.setdefault(name, UnitDay(name))
        if m.due_on < today:
            day.overdue.append(m)
        elif m.due_on == today:
            day.due_today.append(m)
        else:
            day.unanswered.append(m)
    return sorted(units.values(), key=lambda u: (-len(u.overdue), -u.total, u.unit))

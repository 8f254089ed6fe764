"""三访 against the required frequencies (十个一, shared/seeds/003): how many 走访, 下访 and 接访
each leader and each unit (village or community) must make in a week, month or quarter, set by
the township, and how many the recorded visits (real rows of `visits`) show for the period.

The defaults are the seeds' required actions: 班子成员每月下访一次基层联系点 (each leader one
下访 a month), 每周组织一次定点接访 (each unit one 接访 a week), 每季度走访一次困难家庭 (each
unit one 走访 a quarter). A count of 0 means not required."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, func, select

from app.accounts.models import Role, RoleGrant, User
from app.audit.operations import record
from app.cadres.models import Frequency
from app.extensions import db
from app.households.models import Household, Village, Visit, VisitKind

SCOPES = ("leader", "unit")
# Frequencies a visit requirement may have (half-yearly and yearly ones are 规定动作 instead).
PERIODS = (Frequency.WEEKLY.value, Frequency.MONTHLY.value, Frequency.QUARTERLY.value)
DEFAULTS = {
    "leader": {"xiafang": {"count": 1, "frequency": "monthly"},
               "jiefang": {"count": 0, "frequency": "monthly"},
               "zoufang": {"count": 0, "frequency": "quarterly"}},
    "unit": {"xiafang": {"count": 0, "frequency": "monthly"},
             "jiefang": {"count": 1, "frequency": "weekly"},
             "zoufang": {"count": 1, "frequency": "quarterly"}},
}
KINDS = (VisitKind.ROUND.value, VisitKind.DOWN.value, VisitKind.RECEIVE.value)


class FrequencyError(ValueError):
    pass


def settings_of(township) -> dict:
    """{scope: {kind: {"count": n, "frequency": f}}}: the township's choice over the defaults."""
    own = (township.settings or {}).get("visit_frequencies") or {}
    out: dict = {}
    for scope in SCOPES:
        out[scope] = {}
        for kind in KINDS:
            rule = {**DEFAULTS[scope][kind], **((own.get(scope) or {}).get(kind) or {})}
            out[scope][kind] = {"count": int(rule["count"]), "frequency": rule["frequency"]}
    return out


def set_frequencies(township, actor, wanted: dict) -> None:
    """Save the required frequencies (validated) and record the change."""
    after: dict = {}
    for scope in SCOPES:
        after[scope] = {}
        for kind in KINDS:
            rule = (wanted.get(scope) or {}).get(kind) or {}
            try:
                count = int(rule.get("count", 0))
            except (TypeError, ValueError):
                raise FrequencyError("次数须是 0 到 31 的整数。") from None
            if not 0 <= count <= 31:
                raise FrequencyError("次数须是 0 到 31 的整数。")
            if rule.get("frequency") not in PERIODS:
                raise FrequencyError("频次须是每周、每月或每季度。")
            after[scope][kind] = {"count": count, "frequency": rule["frequency"]}
    before = settings_of(township)
    township.settings = {**(township.settings or {}), "visit_frequencies": after}
    record(township.id, actor, "settings.visit_frequencies", township, before=before, after=after,
           summary="三访频次要求")


@dataclass(frozen=True)
class Window:
    frequency: str
    start: date
    end: date  # inclusive
    label: str


def window(frequency: str, day: date) -> Window:
    """The week (Monday–Sunday), month or quarter `day` falls in."""
    if frequency == Frequency.WEEKLY.value:
        start = day - timedelta(days=day.weekday())
        year, week, _ = start.isocalendar()
        return Window(frequency, start, start + timedelta(days=6), f"{year}年第{week}周")
    if frequency == Frequency.MONTHLY.value:
        start = day.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        return Window(frequency, start, end, f"{day.year}年{day.month}月")
    if frequency == Frequency.QUARTERLY.value:
        quarter = (day.month - 1) // 3
        start = date(day.year, quarter * 3 + 1, 1)
        end = (date(day.year + 1, 1, 1) if quarter == 3 else date(day.year, quarter * 3 + 4, 1)) \
            - timedelta(days=1)
        return Window(frequency, start, end, f"{day.year}年第{quarter + 1}季度")
    raise FrequencyError(frequency)


@dataclass
class Cell:
    kind: str
    required: int
    done: int
    window: Window

    @property
    def met(self) -> bool:
        return self.done >= self.required


@dataclass
class Row:
    key: object
    name: str
    cells: list[Cell] = field(default_factory=list)

    @property
    def met(self) -> bool:
        return all(c.met for c in self.cells)


@dataclass
class Report:
    day: date
    rules: dict
    leaders: list[Row]
    units: list[Row]

    def columns(self, scope: str) -> list[tuple[str, int, Window]]:
        return [(kind, rule["count"], window(rule["frequency"], self.day))
                for kind, rule in self.rules[scope].items() if rule["count"] > 0]


def _counts(township, group_by, kind: str, win: Window) -> dict:
    query = select(group_by, func.count()).select_from(Visit)
    if group_by is not Visit.visitor_id:
        query = query.join(Household, and_(Household.township_id == Visit.township_id,
                                           Household.id == Visit.household_id))
    query = query.where(Visit.township_id == township.id, Visit.kind == kind,
                        Visit.visited_on.between(win.start, win.end)).group_by(group_by)
    return dict(db.session.execute(query).all())


def leaders_of(township) -> list[tuple]:
    return db.session.execute(
        select(User.id, User.name).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.township_id == township.id, RoleGrant.role == Role.LEADER)
        .distinct().order_by(User.name)).all()


def report(township, day: date, *, leader_id=None, units: bool = True) -> Report:
    """Per leader and per unit: the visits of each required kind in the period around `day`
    against the required count. With `leader_id`, only that leader; `units=False`: no units."""
    rules = settings_of(township)
    people = [p for p in leaders_of(township) if leader_id is None or p[0] == leader_id]
    villages = [] if not units else db.session.execute(
        select(Village.id, Village.name).where(Village.township_id == township.id,
                                               Village.retired_at.is_(None))
        .order_by(Village.sort_order, Village.name)).all()
    out = Report(day, rules, [Row(i, n) for i, n in people], [Row(i, n) for i, n in villages])
    for scope, rows, group_by in (("leader", out.leaders, Visit.visitor_id),
                                  ("unit", out.units, Household.village_id)):
        if not rows:
            continue
        for kind, required, win in out.columns(scope):
            counts = _counts(township, group_by, kind, win)
            for row in rows:
                row.cells.append(Cell(kind, required, counts.get(row.key, 0), win))
    return out

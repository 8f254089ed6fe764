"""Spot-checks (抽查): a supervisor draws a random sample of replied or closed matters and recorded
visits of a period, calls the residents, and records whether they confirm what was recorded.
A resident who does not confirm flags the responsible person; the flags are counted."""

from __future__ import annotations

import math
import random
from datetime import date

from sqlalchemy import func, select

from app.extensions import db
from app.households.models import Visit
from app.matters.models import Matter, SpotCheck, SpotCheckItem, State
from app.matters.operations import TransitionError
from app.matters.rates import utc_bounds
from app.models import utcnow


def draw(township, supervisor, *, start: date, end: date, size: int | None = None,
         percent: int | None = None, rng: random.Random | None = None) -> SpotCheck:
    """Sample matters answered in [start, end) and visits made then, `size` or `percent` of them."""
    if (size is None) == (percent is None):
        raise TransitionError("请填写抽查数量或比例（二选一）。")
    lo, hi = utc_bounds(township.timezone, start, end)
    matters = db.session.execute(select(Matter.id, Matter.assignee_id).where(
        Matter.township_id == township.id, Matter.state.in_([State.REPLIED, State.CLOSED]),
        Matter.replied_at >= lo, Matter.replied_at < hi)).all()
    visits = db.session.execute(select(Visit.id, Visit.visitor_id).where(
        Visit.township_id == township.id, Visit.visited_on >= start,
        Visit.visited_on < end)).all()
    pool = [("matter", mid, who) for mid, who in matters] + [
        ("visit", vid, who) for vid, who in visits]
    if not pool:
        raise TransitionError("这段时间没有可抽查的事项或走访记录。")
    want = size if size is not None else math.ceil(len(pool) * percent / 100)
    chosen = (rng or random.SystemRandom()).sample(pool, min(max(want, 1), len(pool)))
    check = SpotCheck(township_id=township.id, supervisor_id=supervisor.id, period_start=start,
                      period_end=end, rule={"size": size} if size is not None
                      else {"percent": percent})
    db.session.add(check)
    for kind, ident, who in chosen:
        db.session.add(SpotCheckItem(
            township_id=township.id, spot_check_id=check.id, responsible_id=who,
            matter_id=ident if kind == "matter" else None,
            visit_id=ident if kind == "visit" else None))
    db.session.flush()
    return check


def record_call(item: SpotCheckItem, caller, *, confirmed: bool, note: str = "") -> SpotCheckItem:
    """What the resident said: confirms the record, or not (a flag on the responsible person)."""
    if item.called_at is not None:
        raise TransitionError("这一条已经回访过了。")
    if not confirmed and not note.strip():
        raise TransitionError("群众不认可时，请记下群众怎么说。")
    item.confirmed = confirmed
    item.note = note.strip()
    item.called_at = utcnow()
    item.called_by_id = caller.id
    return item


def mismatches(township_id, start: date | None = None, end: date | None = None) -> dict:
    """{responsible user id: number of records residents did not confirm} for checks drawn
    for periods starting in [start, end) (all checks when no dates are given)."""
    query = (select(SpotCheckItem.responsible_id, func.count())
             .join(SpotCheck, (SpotCheck.township_id == SpotCheckItem.township_id)
                   & (SpotCheck.id == SpotCheckItem.spot_check_id))
             .where(SpotCheckItem.township_id == township_id,
                    SpotCheckItem.confirmed.is_(False)))
    if start is not None:
        query = query.where(SpotCheck.period_start >= start, SpotCheck.period_start < end)
    return dict(db.session.execute(query.group_by(SpotCheckItem.responsible_id)).all())

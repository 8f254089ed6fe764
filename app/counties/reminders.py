"""Overdue escalations (a feature sweep of app.notices.reminders): the department's staff and
the county supervisors are reminded, once per escalation and deadline."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.counties.models import County, CountyEscalation, CountyGrant, CountyRole, EscalationState
from app.extensions import db
from app.matters.models import Matter
from app.notices.reminders import _, notify


def sweep(township, today: date) -> int:
    if township.county_id is None:
        return 0
    county = db.session.get(County, township.county_id)
    rows = db.session.execute(
        select(CountyEscalation, Matter)
        .join(Matter, (Matter.township_id == CountyEscalation.township_id)
              & (Matter.id == CountyEscalation.matter_id))
        .where(CountyEscalation.township_id == township.id,
               CountyEscalation.county_id == county.id,
               CountyEscalation.state.in_([EscalationState.WAITING, EscalationState.OPEN]),
               CountyEscalation.due_on < today)).all()
    if not rows:
        return 0
    supervisors = set(db.session.scalars(select(CountyGrant.user_id).where(
        CountyGrant.county_id == county.id,
        CountyGrant.role == CountyRole.COUNTY_SUPERVISOR.value)))
    sent = 0
    for escalation, matter in rows:
        staff = set()
        if escalation.department_id:
            staff = set(db.session.scalars(select(CountyGrant.user_id).where(
                CountyGrant.county_id == county.id,
                CountyGrant.department_id == escalation.department_id)))
        late = (today - escalation.due_on).days
        link = f"/c/{county.slug}/escalations/{escalation.id}"
        message = _(
            "县级督办：%(t)s 上报的事项 %(n)s「%(x)s」已超期 %(k)s 天（应于 %(d)s 答复）。") % {
            "t": township.name, "n": matter.number, "x": matter.title, "k": late,
            "d": escalation.due_on}
        for user_id in staff | supervisors:
            sent += notify(township, user_id,
                           occasion=f"county-overdue:{escalation.id}:{escalation.due_on}",
                           message=message, link=link)
    return sent

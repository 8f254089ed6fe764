"""Reminders for representatives: you are on duty at the studio tomorrow."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.extensions import db
from app.studio.models import DutyAssignment, DutySession, Representative, Studio


def sweep(township, today: date) -> int:
    """Remind each representative with an account, once, the day before their duty."""
    from app.notices.reminders import _, notify

    if not township.service_enabled("studio"):
        return 0
    rows = db.session.execute(
        select(DutyAssignment, DutySession, Representative)
        .join(DutySession, (DutySession.township_id == DutyAssignment.township_id)
              & (DutySession.id == DutyAssignment.session_id))
        .join(Representative, (Representative.township_id == DutyAssignment.township_id)
              & (Representative.id == DutyAssignment.member_id))
        .join(Studio, (Studio.township_id == DutySession.township_id)
              & (Studio.id == DutySession.studio_id))
        .where(DutyAssignment.township_id == township.id,
               DutySession.day == today + timedelta(days=1),
               Representative.user_id.is_not(None), Representative.active.is_(True),
               Studio.active.is_(True))).all()
    sent = 0
    for assignment, session, rep in rows:
        message = _("明天（%(day)s）%(start)s–%(end)s 您在%(studio)s（%(place)s）值班接待。") % {
            "day": f"{session.day.month}月{session.day.day}日",
            "start": f"{session.starts_at:%H:%M}", "end": f"{session.ends_at:%H:%M}",
            "studio": session.studio.name, "place": session.studio.place or "—"}
        sent += notify(township, rep.user_id, occasion=f"studio-duty:{assignment.id}",
                       message=message, link=f"/t/{township.slug}/studio/{session.studio_id}")
    return sent

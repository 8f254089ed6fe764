"""Reminders for assistants: an errand is due and villagers' original papers are still out."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.extensions import db
from app.matters.models import OPEN_STATES, Matter, State
from app.proxy.models import Errand
from app.proxy.operations import originals_out


def sweep(township, today: date) -> int:
    """Remind each assistant once a day per errand that is overdue, or due tomorrow, or finished
    (replied) while original documents are not yet back with the resident."""
    from app.notices.reminders import notify

    if not township.service_enabled("proxy"):
        return 0
    rows = db.session.scalars(
        select(Errand).join(Matter, (Matter.township_id == Errand.township_id)
                            & (Matter.id == Errand.matter_id))
        .where(Errand.township_id == township.id,
               Matter.state.in_([s.value for s in OPEN_STATES] + [State.REPLIED.value])))
    sent = 0
    for errand in rows:
        matter = errand.matter
        out = originals_out(errand)
        if matter.state == State.REPLIED and out:
            message = f"代办事项 {matter.number} 已办结，请尽快把 {len(out)} 件原件还给群众。"
        elif matter.state != State.REPLIED and matter.due_on <= today + timedelta(days=1):
            message = f"代办事项 {matter.number} 承诺 {matter.due_on:%m月%d日} 办结，请跟进。"
        else:
            continue
        sent += notify(township, errand.assistant_id, occasion=f"errand:{errand.id}:{today}",
                       message=message, link=f"/t/{township.slug}/proxy/errands/{errand.id}")
    return sent

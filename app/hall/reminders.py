"""Reminders of the hall: a matter waiting for documents (补交材料) is not forgotten.

`sweep(township, today)` (run by the daily reminder sweep, app.notices.reminders) finds open hall
matters that still miss documents after WAIT_WORKDAYS working days, then every REPEAT_WORKDAYS:

- the clerk who took it in (or whoever holds it) gets an in-app reminder, by the usual `notify`
  (e-mail and SMS where configured);
- the resident hears of it only when they agreed at intake to be told (app.notices.residents: the
  same agreement, messages and stop link as the matter's other steps), by SMS and/or e-mail.
  What was sent is written in the matter's history; the phone never is, nor in the log.

Each reminder goes once per occasion: a sweep run twice sends nothing more.
"""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import select

from app.extensions import db
from app.matters.models import OPEN_STATES, Channel, Matter
from app.townships.workdays import WorkCalendar

log = logging.getLogger(__name__)
WAIT_WORKDAYS = 3  # first reminder this many working days after intake
REPEAT_WORKDAYS = 5  # then again every so many working days while still missing


def _reminder_round(calendar: WorkCalendar, received: date, today: date) -> int | None:
    """Which reminder is due today (1, 2 …), or None before the first."""
    waited = calendar.workdays_between(received, today)
    if waited < WAIT_WORKDAYS:
        return None
    return 1 + (waited - WAIT_WORKDAYS) // REPEAT_WORKDAYS


def resident_message(township, matter: Matter, missing: list[str]) -> str:
    return (f"【{township.name}】您办理的“{matter.title}”（编号 {matter.number}）尚缺材料："
            f"{'、'.join(missing)}。请补齐后到便民服务大厅窗口办理，补齐前该事项不能办结。")


def sweep(township, today: date) -> int:
    """Remind the clerk and (with consent) the resident of matters waiting for documents."""
    from app.matters.operations import _record, local_today
    from app.notices import residents
    from app.notices.reminders import notify

    calendar = WorkCalendar.for_township(township.id)
    rows = db.session.scalars(select(Matter).where(
        Matter.township_id == township.id, Matter.channel == Channel.HALL.value,
        Matter.state.in_([s.value for s in OPEN_STATES])))
    sent = 0
    for m in rows:
        missing = list((m.extra or {}).get("materials_missing") or [])
        if not missing:
            continue
        turn = _reminder_round(calendar, local_today(township, m.received_at), today)
        if turn is None:
            continue
        who = m.assignee_id or m.created_by_id
        if who:
            sent += notify(
                township, who, occasion=f"materials-waiting:{m.id}:{turn}",
                message=f"事项 {m.number}「{m.title}」仍缺材料（{'、'.join(missing)}），"
                        f"请联系群众补交。",
                link=f"/t/{township.slug}/hall/intake/{m.id}#bring")
        if residents.step(township, m, "materials", key=f"materials:{turn}",
                          text=resident_message(township, m, missing)):
            _record(m, "materials_reminded", None, "system", missing=missing, round=turn)
            sent += 1
    return sent

"""The morning message of 日督查: the township's leaders hear, once a day, what is overdue, due
today and not yet taken up, unit by unit (run by the 07:00 reminder sweep)."""

from __future__ import annotations

from datetime import date

from app.cadres.reports import daily_supervision
from app.notices.reminders import _, _leaders, notify


def sweep(township, today: date) -> int:
    """One daily-supervision message per leader per day, when there is anything to supervise."""
    units = daily_supervision(township, today)
    if not units:
        return 0
    overdue = sum(len(u.overdue) for u in units)
    due = sum(len(u.due_today) for u in units)
    waiting = sum(len(u.unanswered) for u in units)
    worst = "、".join(f"{u.unit}{len(u.overdue)}" for u in units[:3] if u.overdue)
    message = _("日督查 %(d)s：超期 %(o)s 件，今日到期 %(t)s 件，受理后未交办 %(w)s 件。") % {
        "d": today.isoformat(), "o": overdue, "t": due, "w": waiting}
    if worst:
        message += _("超期较多：%(u)s。") % {"u": worst}
    link = f"/t/{township.slug}/cadres/daily"
    return sum(notify(township, leader, occasion=f"daily-supervision:{today.isoformat()}",
                      message=message, link=link) for leader in _leaders(township))

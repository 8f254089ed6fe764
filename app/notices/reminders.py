"""Reminders (DESIGN §7): sweeps find who should be reminded today; `notify` reaches them once.

`notify(township, user_id, *, occasion, message, link=None) -> bool` writes an in-app notification
unless that person already has one for `occasion` (so a sweep run twice sends once), e-mails it
when SMTP_URL is set and the user has an address, and hands it to the SMS gateway if one is set.

Sweeps: the core ones below (matters due soon / overdue, then their leaders; revisits due;
households not visited for too long) and every feature's `app/<feature>/reminders.py`
`sweep(township, today) -> int` (studio: representatives on duty tomorrow; assembly: dates to
announce). `enqueue_sweeps()` (cron, 07:00 Asia/Shanghai) queues one sweep job per township.

SMS gateway, the one interface (app.notices.sms): MINQING_SMS_GATEWAY is an HTTP gateway's URL,
"test", or "package.module:function" where `function(phone: str, text: str) -> None` sends one
message (raise to signal a failure). It is called only for users with a phone; the text is the
notification's message, nothing else.
"""

from __future__ import annotations

import importlib
import logging
import smtplib
import uuid
from datetime import date, timedelta
from email.message import EmailMessage
from urllib.parse import unquote, urlparse

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.clock import township_today
from app.extensions import db
from app.notices.models import Notification

log = logging.getLogger(__name__)

DUE_SOON_DAYS = 2  # calendar days before the promised date
LEADER_AFTER_DAYS = 3  # overdue this long: the leaders hear of it too
STALE_VISIT_DEFAULT = 180


def notify(township, user_id, *, occasion: str, message: str, link: str | None = None) -> bool:
    """Remind one person once per occasion. Returns True when this call sent it."""
    user_id = uuid.UUID(str(user_id))
    exists = db.session.scalar(select(Notification.id).where(
        Notification.township_id == township.id, Notification.user_id == user_id,
        Notification.occasion == occasion))
    if exists:
        return False
    note = Notification(township_id=township.id, user_id=user_id, occasion=occasion[:160],
                        message=message, link=link)
    try:
        with db.session.begin_nested():  # two sweeps racing: the unique key decides
            db.session.add(note)
    except IntegrityError:
        return False
    _deliver(township, user_id, note)
    return True


def _deliver(township, user_id, note: Notification) -> None:
    from app.accounts.models import User

    user = db.session.get(User, user_id)
    if user is None:
        return
    email = getattr(user, "email", None)
    if current_app.config.get("SMTP_URL") and email:
        try:
            send_email(email, f"{township.name}：{_('提醒')}", note.message)
            note.emailed_on = township_today(township)
        except Exception as exc:  # the in-app notice stands; mail is a courtesy
            log.warning("reminder e-mail failed: %s", type(exc).__name__)
    from app.notices import sms

    send = sms.gateway()
    phone = getattr(user, "phone", None)
    if send and phone:
        try:
            send(phone, note.message)
        except Exception as exc:
            log.warning("reminder SMS failed: %s", type(exc).__name__)


def _(text: str) -> str:
    """Reminders are written by sweeps on workers, outside any request: in Chinese then."""
    from flask import has_request_context
    from flask_babel import force_locale, gettext

    if has_request_context():
        return gettext(text)
    with force_locale("zh_Hans_CN"):
        return gettext(text)


def sms_gateway(spec: str):
    from app.notices import sms

    return sms.resolve(spec)


def send_email(to: str, subject: str, body: str) -> None:
    """Send one plain-text mail through SMTP_URL (smtp://user:pass@host:port, smtps://...)."""
    url = urlparse(current_app.config["SMTP_URL"])
    cls = smtplib.SMTP_SSL if url.scheme == "smtps" else smtplib.SMTP
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = current_app.config["MAIL_FROM"], to, subject
    msg.set_content(body)
    with cls(url.hostname or "localhost", url.port or (465 if url.scheme == "smtps" else 25),
             timeout=10) as smtp:
        if url.scheme == "smtp+starttls":
            smtp.starttls()
        if url.username:
            smtp.login(unquote(url.username), unquote(url.password or ""))
        smtp.send_message(msg)


# --- the core sweeps -------------------------------------------------------------------------

def _leaders(township) -> list[uuid.UUID]:
    from app.accounts.models import Role, RoleGrant

    return list(db.session.scalars(select(RoleGrant.user_id).where(
        RoleGrant.township_id == township.id, RoleGrant.role == Role.LEADER).distinct()))


def _matter_link(township, matter) -> str:
    return f"/t/{township.slug}/matters/{matter.id}"


def sweep_matters(township, today: date) -> int:
    """Open matters due within DUE_SOON_DAYS or overdue: to the assignee; overdue for
    LEADER_AFTER_DAYS or more, to the township's leaders too."""
    from app.matters.models import Matter, State

    open_states = [State.RECEIVED, State.ASSIGNED, State.IN_PROGRESS, State.ESCALATED,
                   State.REOPENED]
    sent = 0
    rows = db.session.scalars(select(Matter).where(
        Matter.township_id == township.id, Matter.state.in_(open_states),
        Matter.due_on <= today + timedelta(days=DUE_SOON_DAYS)))
    leaders = None
    for m in rows:
        late = (today - m.due_on).days
        who = m.assignee_id or m.created_by_id
        if late <= 0 and who:
            sent += notify(township, who, occasion=f"matter-due:{m.id}:{m.due_on}",
                           message=_("事项 %(n)s「%(t)s」将于 %(d)s 到期。") % {
                               "n": m.number, "t": m.title, "d": m.due_on},
                           link=_matter_link(township, m))
        elif late > 0 and who:
            sent += notify(township, who, occasion=f"matter-overdue:{m.id}:{m.due_on}",
                           message=_("事项 %(n)s「%(t)s」已超期（应于 %(d)s 办结）。") % {
                               "n": m.number, "t": m.title, "d": m.due_on},
                           link=_matter_link(township, m))
        if late >= LEADER_AFTER_DAYS:
            leaders = _leaders(township) if leaders is None else leaders
            for leader in leaders:
                sent += notify(township, leader,
                               occasion=f"matter-overdue-leader:{m.id}:{m.due_on}",
                               message=_("督办：事项 %(n)s「%(t)s」已超期 %(k)s 天。") % {
                                   "n": m.number, "t": m.title, "k": late},
                               link=_matter_link(township, m))
    return sent


def sweep_revisits(township, today: date) -> int:
    """Revisits due today or earlier and not done: to whoever handles the matter."""
    from app.matters.models import Matter, Revisit

    sent = 0
    rows = db.session.execute(select(Revisit, Matter).join(
        Matter, (Matter.township_id == Revisit.township_id) & (Matter.id == Revisit.matter_id)
    ).where(Revisit.township_id == township.id, Revisit.done_at.is_(None),
            Revisit.due_on <= today))
    for revisit, m in rows:
        who = m.assignee_id or m.created_by_id
        if who:
            sent += notify(township, who, occasion=f"revisit:{revisit.id}",
                           message=_("事项 %(n)s 应于 %(d)s 回访。") % {"n": m.number,
                                                                     "d": revisit.due_on},
                           link=_matter_link(township, m))
    return sent


def stale_visit_days(township) -> int:
    try:
        from app.proxy.service import MODEL

        return int(MODEL.settings_for(township).stale_visit_days)
    except Exception:  # the proxy model absent or not configured: the default
        return STALE_VISIT_DEFAULT


def sweep_households(township, today: date) -> int:
    """Households not visited for stale_visit_days: to their contact cadre, one reminder per
    household per period (the occasion names the period)."""
    from app.households.models import Household, Visit

    days = stale_visit_days(township)
    limit = today - timedelta(days=days)
    last = (select(Visit.household_id, func.max(Visit.visited_on).label("last"))
            .where(Visit.township_id == township.id).group_by(Visit.household_id).subquery())
    rows = db.session.execute(
        select(Household, last.c.last).outerjoin(last, last.c.household_id == Household.id)
        .where(Household.township_id == township.id, Household.active.is_(True),
               Household.contact_cadre_id.is_not(None))
        .where((last.c.last.is_(None)) | (last.c.last < limit)))
    sent = 0
    period = today.toordinal() // max(days, 1)
    for household, _last in rows:
        sent += notify(township, household.contact_cadre_id,
                       occasion=f"stale-household:{household.id}:{period}",
                       message=_("您联系的农户（%(a)s）已超过 %(k)s 天未走访。") % {
                           "a": household.address or household.head_name[:1] + "某", "k": days})
    return sent


def sweep_resident_revisits(township, today: date) -> int:
    """Residents who agreed to be told hear that their call-back is due (app.notices.residents)."""
    from app.notices import residents

    return residents.sweep(township, today)


CORE_SWEEPS = (sweep_matters, sweep_revisits, sweep_households, sweep_resident_revisits)


def feature_sweeps():
    from app import _feature_modules

    for name in _feature_modules("reminders"):
        if name == __name__:
            continue
        module = importlib.import_module(name)
        if hasattr(module, "sweep"):
            yield module.sweep


def run_sweeps(township, today: date) -> int:
    """All sweeps for one township and day. Each commits on its own, so one failing sweep keeps
    the others' reminders; the failure is raised at the end, so the job is retried (and sent
    reminders are not sent again: one per occasion)."""
    total, failed = 0, []
    for sweep in (*CORE_SWEEPS, *feature_sweeps()):
        name = f"{sweep.__module__}.{sweep.__name__}"
        try:
            total += sweep(township, today) or 0
            db.session.commit()
        except Exception as exc:
            db.session.rollback()
            log.warning("reminder sweep %s failed: %s", name, type(exc).__name__)
            failed.append(f"{name}: {type(exc).__name__}: {exc}")
    if failed:
        raise RuntimeError("; ".join(failed))
    return total


def enqueue_sweeps(today: date | None = None) -> int:
    """Queue the sweep job for every township (cron, 07:00 Beijing time). Commits.

    Each township is swept for its own day (app.clock.township_today), whatever zone the worker
    runs in: a worker in UTC at 07:00 Beijing time (23:00 UTC) sweeps the Beijing day, not the
    day before. `today` forces one day for every township (tests, a replayed sweep)."""
    from app import jobs
    from app.tenancy import bind_township
    from app.townships.models import Township

    bind_township(db.session, None)
    rows = list(db.session.execute(select(Township.id, Township.timezone)))
    for township_id, zone in rows:
        day = today or township_today(zone)
        jobs.enqueue("app.notices.jobs.run_sweeps", township_id, day.isoformat())
    db.session.commit()
    jobs.run_committed()
    return len(rows)

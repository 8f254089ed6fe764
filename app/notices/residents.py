"""Residents hear about their own matter (告知群众办理进度).

At intake, on every channel that takes a phone number, the resident may agree to be told
(`agree`, a checkbox that is off by default: app.notices.forms.NotifyConsentMixin). From then on
each public step of the matter sends a short message in the township's name with the tracking
link and the link that stops them:

- received: its number and promised date (sent when the agreement is recorded);
- referred: handed to a responsible person, centre or unit, or up a level;
- replied, closed: the answer is there; the matter is finished;
- revisit due: the day a call-back is due (the daily sweep, `sweep`).

A text message goes through the SMS gateway (app.notices.sms) when a phone is on file, an e-mail
through SMTP_URL when an address was given. Each message is a row (ResidentMessage) unique per
matter, step and channel, written in the transaction that made the step and sent by a job after
the commit (app.jobs): a step recorded twice, or a job run twice, sends once. A refusal by the
gateway is recorded (the staff see "not accepted") and the job is retried. The log names the
message and the masked phone (app.privacy.mask_phone), never the number or the text.
"""

from __future__ import annotations

import logging
import secrets
import uuid

from flask import current_app, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import utcnow
from app.notices.models import ResidentConsent, ResidentMessage
from app.privacy import mask_phone

log = logging.getLogger(__name__)

# Events of the matter's history that are a public step, and the step they make.
STEP_OF_EVENT = {
    "assigned": "referred",
    "transferred": "referred",
    "escalated": "referred",
    "replied": "replied",
    "closed": "closed",
}
STEPS = ("received", "referred", "replied", "closed", "revisit")


def _(text: str) -> str:
    """Residents are written to in the township's language (Chinese), whatever the language of
    the staff member whose step sent it."""
    from flask_babel import force_locale, gettext

    with force_locale("zh_Hans_CN"):
        return gettext(text)


def mask_email(email: str | None) -> str:
    if not email or "@" not in email:
        return ""
    name, _sep, domain = email.partition("@")
    return f"{name[:1]}***@{domain}"


def consent_of(matter) -> ResidentConsent | None:
    return db.session.scalar(select(ResidentConsent).where(
        ResidentConsent.township_id == matter.township_id,
        ResidentConsent.matter_id == matter.id))


def agree(township, matter, *, given_at: str, actor=None, phone: str | None = None,
          email: str | None = None) -> ResidentConsent | None:
    """Record that the resident agreed to be told (at `given_at`, a channel), and send the
    "received" message. Without a phone or e-mail to reach them nothing is recorded."""
    phone = (phone or matter.contact_phone or "").strip() or None
    email = (email or "").strip() or None
    if not phone and not email:
        return None
    consent = consent_of(matter)
    if consent is None:
        consent = ResidentConsent(township_id=township.id, matter_id=matter.id,
                                  token=secrets.token_urlsafe(24))
        db.session.add(consent)
    consent.phone, consent.email, consent.given_at = phone, email, given_at
    consent.agreed_at, consent.stopped_at = utcnow(), None
    consent.recorded_by_id = getattr(actor, "id", None)
    db.session.flush()
    if actor is not None:
        from app.audit.operations import record

        record(township.id, actor, "resident_consent.given", consent,
               after={"matter": matter.number, "given_at": given_at, "phone": phone,
                      "email": mask_email(email)},
               summary=f"{matter.number}")
    step(township, matter, "received")
    return consent


def stop(township, consent: ResidentConsent, *, actor=None) -> bool:
    """No more messages (the resident's link, or staff at their request). Audited."""
    from app.audit.operations import record

    if consent.stopped_at is not None:
        return False
    consent.stopped_at = utcnow()
    record(township.id, actor, "resident_consent.stopped", consent,
           actor_kind=None if actor is not None else "resident",
           before={"stopped": False}, after={"stopped": True})
    return True


def on_event(matter, event) -> None:
    """Called for every event of a matter's history (app.matters.operations._record)."""
    name = STEP_OF_EVENT.get(event.kind)
    if name is None:
        return
    from app.townships.models import Township

    township = db.session.get(Township, matter.township_id)
    step(township, matter, name)


def _step_key(matter, name: str) -> str:
    # A reopened matter is answered again: its steps count again, once per stage.
    return name if matter.stage <= 1 or name in ("received",) else f"{name}@{matter.stage}"


def step(township, matter, name: str, *, key: str | None = None, text: str | None = None,
         **facts) -> int:
    """Queue the messages of one public step, once per channel. Returns how many were queued
    (0 without an active agreement, or when this step was already queued)."""
    consent = consent_of(matter)
    if consent is None or not consent.active:
        return 0
    key = key or _step_key(matter, name)
    text = compose(township, matter, name, consent, body=text, **facts)
    from app.notices import sms

    targets = []  # a channel without its gateway configured is not tried (the page says so)
    if consent.phone and sms.spec():
        targets.append(("sms", mask_phone(consent.phone)))
    if consent.email and current_app.config.get("SMTP_URL"):
        targets.append(("email", mask_email(consent.email)))
    queued = 0
    for channel, recipient in targets:
        message = ResidentMessage(id=uuid.uuid4(), township_id=township.id, matter_id=matter.id,
                                  step=key, channel=channel, recipient=recipient, text=text)
        try:
            with db.session.begin_nested():  # the unique key decides: never twice for one step
                db.session.add(message)
        except IntegrityError:
            continue
        from app import jobs

        jobs.enqueue("app.notices.residents.send", township.id, message.id)
        queued += 1
    return queued


def links(township, matter, consent) -> tuple[str, str]:
    """The tracking page and the stop link, absolute (app.public_url)."""
    from app import public_url

    base = public_url.base_for(public_url.for_job())
    with current_app.test_request_context(base_url=base):
        track = url_for("board.track", slug=township.slug, number=matter.number,
                        _external=True)
        stop_url = url_for("notices.stop", slug=township.slug, stop_token=consent.token,
                           _external=True)
    return track, stop_url


def compose(township, matter, name: str, consent, *, body: str | None = None, **facts) -> str:
    """The message of a step, in the township's name, with the tracking and stop links. `body`
    replaces the step's own words (the hall's reminder of missing documents)."""
    track, stop_url = links(township, matter, consent)
    values = {"township": township.name, "n": matter.number, "d": matter.due_on,
              "t": matter.board_title, **facts}
    if body:
        return f"{body} " + _("不再接收：%(url)s") % {"url": stop_url}
    if name == "received":
        body = _("您反映的“%(t)s”已受理，编号 %(n)s，承诺 %(d)s 前办结。") % values
    elif name == "referred":
        body = _("您的事项 %(n)s 已交有关负责人办理。") % values
    elif name == "replied":
        body = _("您的事项 %(n)s 已答复，请查看答复并评价。") % values
    elif name == "closed":
        body = _("您的事项 %(n)s 已办结，谢谢您的支持。") % values
    else:
        body = _("您的事项 %(n)s 今天回访，工作人员会与您联系，了解您是否满意。") % values
    return (f"【{township.name}】{body}" + _("进度：%(url)s") % {"url": track}
            + " " + _("不再接收：%(url)s") % {"url": stop_url})


def send(township, message_id: str) -> None:
    """The job: send one message. A refusal is recorded, then raised so the job is retried."""
    from app.matters.models import Matter

    message = db.session.scalar(select(ResidentMessage).where(
        ResidentMessage.township_id == township.id,
        ResidentMessage.id == uuid.UUID(str(message_id))))
    if message is None or message.state in ("sent", "stopped"):
        return
    matter = db.session.scalar(select(Matter).where(Matter.township_id == township.id,
                                                    Matter.id == message.matter_id))
    consent = consent_of(matter) if matter is not None else None
    if consent is None or not consent.active:
        message.state = "stopped"
        return
    message.attempts += 1
    try:
        _deliver(township, message, consent)
    except Exception as exc:
        message.state, message.error = "failed", type(exc).__name__[:200]
        db.session.commit()
        log.warning("resident message %s (%s to %s) not accepted: %s", message.id,
                    message.channel, message.recipient, type(exc).__name__)
        raise RuntimeError(f"resident message {message.id} not accepted") from None
    message.state, message.error, message.sent_at = "sent", "", utcnow()
    log.info("resident message %s (%s) sent to %s", message.id, message.step, message.recipient)


def _deliver(township, message: ResidentMessage, consent: ResidentConsent) -> None:
    if message.channel == "sms":
        from app.notices import sms

        gateway = sms.gateway()
        if gateway is None:
            raise sms.GatewayRefused("no SMS gateway configured")
        gateway(consent.phone, message.text)
        return
    if not current_app.config.get("SMTP_URL"):
        raise RuntimeError("no SMTP_URL configured")
    from app.notices.reminders import send_email

    send_email(consent.email, _("%(township)s：您的事项办理进度") % {"township": township.name},
               message.text)


def messages_of(matter) -> list[ResidentMessage]:
    return list(db.session.scalars(select(ResidentMessage).where(
        ResidentMessage.township_id == matter.township_id,
        ResidentMessage.matter_id == matter.id).order_by(ResidentMessage.created_at)))


def sweep(township, today) -> int:
    """Revisits due today: the resident who agreed hears that they will be called (once)."""
    from app.matters.models import Matter, Revisit

    rows = db.session.execute(select(Revisit, Matter).join(
        Matter, (Matter.township_id == Revisit.township_id) & (Matter.id == Revisit.matter_id)
    ).join(ResidentConsent, (ResidentConsent.township_id == Matter.township_id)
           & (ResidentConsent.matter_id == Matter.id)).where(
        Revisit.township_id == township.id, Revisit.done_at.is_(None), Revisit.due_on <= today,
        ResidentConsent.stopped_at.is_(None)))
    return sum(step(township, matter, "revisit", key=f"revisit:{revisit.id}")
               for revisit, matter in rows)

"""The studio's documents, made by app.notices: the monthly rota poster (值班表) to post at the
studio and the reply notice (答复函) that tells a visitor the outcome of their suggestion."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.matters.models import Reply
from app.matters.operations import local_today
from app.notices.documents import ANY_STAFF, tracking_url
from app.notices.kinds import register
from app.notices.pdf import qr_data_uri
from app.studio import operations as ops
from app.studio.models import DutySession, Reception, Representative, Studio, StudioCase
from app.tenancy import get_scoped


def rota_context(township, subject_id, progress=None) -> dict:
    """subject_id: '<studio id>:YYYY-MM'. Every session of the month and who is on duty."""
    studio_id, month_text = str(subject_id).split(":")
    studio = get_scoped(Studio, uuid.UUID(studio_id), township.id)
    if studio is None:
        raise LookupError("studio not found")
    month = date.fromisoformat(f"{month_text}-01")
    sessions = ops.sessions_between(studio, month, (month + timedelta(days=32)).replace(day=1))
    members = db.session.scalars(select(Representative).where(
        Representative.township_id == township.id, Representative.studio_id == studio.id,
        Representative.active.is_(True)).order_by(Representative.kind, Representative.name)).all()
    public_url = url_for("studio_public.suggest", slug=township.slug, studio_id=studio.id,
                         _external=True)
    return {"studio": studio, "month": month, "sessions": sessions, "members": members,
            "public_url": public_url, "qr": qr_data_uri(public_url),
            "source": {"studio": studio.name, "month": month_text}}


def visit_day(township, reception: Reception) -> date:
    """The day the visitor came: the duty session's day when the reception belongs to one (it
    may be typed in days later), otherwise the day it was received (phone, online)."""
    if reception.session_id is not None:
        session = get_scoped(DutySession, reception.session_id, township.id)
        if session is not None:
            return session.day
    return local_today(township, reception.received_at)


def reply_context(township, subject_id, progress=None) -> dict:
    """subject_id: a studio case id. Who received the visitor, where it was referred, the answer."""
    case = get_scoped(StudioCase, uuid.UUID(str(subject_id)), township.id)
    if case is None:
        raise LookupError("studio case not found")
    matter = case.matter
    replies = db.session.scalars(select(Reply).where(
        Reply.township_id == township.id, Reply.matter_id == matter.id)
        .order_by(Reply.stage, Reply.created_at)).all()
    if not replies:
        raise ValueError("此建议尚未答复，不能出具答复函")
    url = tracking_url(township, matter)
    return {"case": case, "reception": case.reception, "studio": case.reception.studio,
            "matter": matter, "reply": replies[-1], "number": matter.number,
            "visited_on": visit_day(township, case.reception),
            "issued_on": local_today(township, replies[-1].created_at), "tracking_url": url,
            "qr": qr_data_uri(url),
            "source": {"number": matter.number, "reply_id": str(replies[-1].id)}}


def session_context(township, subject_id, progress=None) -> dict:
    """subject_id: a duty session id. Who was on duty, whom they received, what became of each
    suggestion: the reception summary (接待情况记录) kept with the studio's archive."""
    session = get_scoped(DutySession, uuid.UUID(str(subject_id)), township.id)
    if session is None:
        raise LookupError("duty session not found")
    receptions = db.session.scalars(select(Reception).where(
        Reception.township_id == township.id, Reception.session_id == session.id)
        .order_by(Reception.received_at)).all()
    cases = db.session.scalars(select(StudioCase).where(
        StudioCase.township_id == township.id,
        StudioCase.reception_id.in_([r.id for r in receptions]))).all() if receptions else []
    by_reception: dict = {}
    for case in sorted(cases, key=lambda c: c.matter.number):
        by_reception.setdefault(case.reception_id, []).append(case)
    return {"session": session, "studio": session.studio,
            "rows": [(r, by_reception.get(r.id, [])) for r in receptions],
            "source": {"session": str(session.id), "receptions": len(receptions),
                       "cases": len(cases)}}


register("studio_rota", template="studio_rota.html", build_context=rota_context,
         permission=ANY_STAFF.allows, label=_l("工作室月度值班表"))
register("studio_reply", template="studio_reply.html", build_context=reply_context,
         permission=ANY_STAFF.allows, label=_l("工作室答复函"))
register("studio_session", template="studio_session.html", build_context=session_context,
         permission=ANY_STAFF.allows, label=_l("工作室接待情况记录"))

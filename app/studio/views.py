"""The studios' public pages: where and when, who is on duty next, the reply rate, good cases,
and an online suggestion form that needs no account."""

from __future__ import annotations

from flask import redirect, render_template, url_for
from sqlalchemy import select

from app.access import public
from app.extensions import db, limiter
from app.matters.operations import local_today
from app.studio import operations as ops
from app.studio.forms import OnlineSuggestionForm
from app.studio.models import DutySession, Representative, Studio, StudioCase
from app.studio.service import MODEL
from app.tenancy import TenantBlueprint, current_township, get_or_404, scoped

bp = TenantBlueprint("studio_public", __name__, service_model="studio")


@bp.route("/studios")
@public
def studios():
    township = current_township()
    today = local_today(township)
    rows = []
    for studio in db.session.scalars(scoped(Studio).where(Studio.active.is_(True))
                                     .order_by(Studio.name)):
        upcoming = db.session.scalars(scoped(DutySession).where(
            DutySession.studio_id == studio.id, DutySession.day >= today)
            .order_by(DutySession.day, DutySession.starts_at).limit(4)).all()
        members = db.session.scalars(scoped(Representative).where(
            Representative.studio_id == studio.id, Representative.active.is_(True))
            .order_by(Representative.kind, Representative.name)).all()
        rows.append((studio, upcoming, ops.figures(studio, today), members))
    # Good examples of studios still open, newest first.
    open_ids = {studio.id for studio, *_ in rows}
    examples = [c for c in db.session.scalars(
        scoped(StudioCase).where(StudioCase.good_example.is_(True))
        .order_by(StudioCase.created_at.desc()).limit(20)) if c.reception.studio_id in open_ids]
    examples = examples[:10]
    return render_template("studio/public.html", township=township, rows=rows,
                           examples=examples, pattern_text=ops.pattern_text)


@bp.route("/studios/<uuid:studio_id>/suggest", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
@public
def suggest(studio_id):
    """A resident leaves a suggestion for a studio online, without an account."""
    township = current_township()
    studio = get_or_404(Studio, studio_id)
    form = OnlineSuggestionForm()
    if form.validate_on_submit():
        reception = ops.receive(
            township, studio, None, channel="online", topic=form.topic.data,
            suggestions=[form.text.data], visitor_name=form.name.data or None,
            visitor_phone=form.phone.data or None, is_public=form.publicity.data == "public",
            reply_workdays=MODEL.settings_for(township).reply_workdays,
            notify_consent=form.notify_consent.data)
        db.session.commit()
        case = db.session.scalar(select(StudioCase).where(
            StudioCase.township_id == township.id, StudioCase.reception_id == reception.id))
        return redirect(url_for("studio_public.suggested", studio_id=studio.id,
                                number=case.matter.number))
    return render_template("studio/suggest.html", township=township, studio=studio,
                           form=form), (422 if form.errors else 200)


@bp.route("/studios/<uuid:studio_id>/suggested/<number>")
@public
def suggested(studio_id, number):
    """Thanks, with the number to track the answer by (it is only repeated from the address)."""
    township = current_township()
    studio = get_or_404(Studio, studio_id)
    return render_template("studio/suggested.html", township=township, studio=studio,
                           number=number[:24])

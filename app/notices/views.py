"""Documents, their progress and download; failed jobs; notifications (/t/<slug>/notices)."""

from __future__ import annotations

import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from app import jobs
from app.access import has_role, public, staff
from app.accounts.models import Role
from app.clock import township_month
from app.extensions import db, limiter
from app.households.models import Village
from app.matters.models import Matter
from app.notices import kinds
from app.notices import operations as ops
from app.notices.batches import NoVillages
from app.notices.models import Document, JobRecord, Notification
from app.notices.storage import pdf_download
from app.privacy import mask_phone
from app.tenancy import TenantBlueprint, current_township, get_or_404, scoped

bp = TenantBlueprint("notices", __name__, url_prefix="/notices")

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _this_month() -> str:
    return township_month(current_township()).strftime("%Y-%m")


def _index_context(errors=None, values=None):
    township = current_township()
    documents = list(db.session.scalars(
        scoped(Document).where(Document.requested_by_id == current_user.id,
                               Document.batch_id.is_(None))
        .order_by(Document.created_at.desc()).limit(30)))
    villages = list(db.session.scalars(scoped(Village).where(
        Village.retired_at.is_(None)).order_by(Village.sort_order,
                                                               Village.name)))
    is_admin = has_role(township, Role.TOWNSHIP_ADMIN)
    return {
        "documents": documents, "villages": villages, "kinds": kinds.all_kinds(),
        "failed": ops.failed_jobs(township) if is_admin else [],
        "is_admin": is_admin, "is_leader": has_role(township, Role.LEADER, Role.TOWNSHIP_ADMIN),
        "errors": errors or {}, "values": values or {"month": _this_month()},
    }


@bp.route("/")
@staff()
def index():
    return render_template("notices/index.html", **_index_context())


def _subject_from_form(kind: str, form) -> tuple[str | None, dict[str, str]]:
    """Read the subject of a request; return it, or errors for the form."""
    errors: dict[str, str] = {}
    if kinds.get(kind).part is not None:  # a whole-township batch, split by village
        return "all", errors
    if kind in ("matter_receipt", "reply_notice"):
        if form.get("matter_id"):
            return str(get_or_404(Matter, form["matter_id"]).id), errors
        number = (form.get("number") or "").strip()
        matter = db.session.scalar(scoped(Matter).where(Matter.number == number)) if number \
            else None
        if matter is None:
            errors["number"] = _("没有找到这个受理编号，请核对后再试。")
            return None, errors
        return str(matter.id), errors
    month = (form.get("month") or "").strip()
    if kind in ("board_poster", "board_posters_month", "rates_report", "rates_poster") \
            and not MONTH.match(month):
        errors["month"] = _("请按“2026-11”的格式填写月份。")
    if kind in ("board_poster", "contact_cards"):
        if not form.get("village_id"):
            errors["village_id"] = _("请选择村（社区）。")
        else:
            village = get_or_404(Village, form["village_id"])
            if not errors:
                return (f"{village.id}:{month}" if kind == "board_poster" else str(village.id),
                        errors)
    if kind == "rates_poster" and not errors:
        # No village: the township's poster.
        scope = str(get_or_404(Village, form["village_id"]).id) if form.get("village_id") \
            else "all"
        return f"{scope}:{month}:{'A4' if form.get('size') == 'A4' else 'A3'}", errors
    if kind in ("rates_report", "board_posters_month") and not errors:
        return month, errors
    return None, errors


@bp.route("/request", methods=["POST"])
@staff()
def request_document():
    township = current_township()
    kind = request.form.get("kind", "")
    try:
        kinds.get(kind)
    except LookupError:
        abort(400)
    subject_id, errors = _subject_from_form(kind, request.form)
    if errors:
        ctx = _index_context(errors=errors, values=request.form.to_dict())
        return render_template("notices/index.html", **ctx), 422
    try:
        doc = ops.request_document(township, kind=kind, subject_id=subject_id,
                                   actor=current_user)
    except ops.NotAllowed:
        abort(403)
    except NoVillages:
        ctx = _index_context(errors={"batch": _("本镇还没有村（社区），无法按村生成。")},
                             values=request.form.to_dict())
        return render_template("notices/index.html", **ctx), 422
    db.session.commit()
    return redirect(url_for("notices.document", document_id=doc.id))


def _document_for_user(document_id) -> Document:
    doc = get_or_404(Document, document_id)
    if not ops.may_download(current_user, current_township(), doc):
        abort(403)
    return doc


@bp.route("/documents/<uuid:document_id>")
@staff()
def document(document_id):
    doc = _document_for_user(document_id)
    township = current_township()
    job = ops.job_for(township, doc)
    ctx = {"doc": doc, "job": job, "is_admin": has_role(township, Role.TOWNSHIP_ADMIN),
           "parts": None, "progress": doc.progress, "batch": None}
    if kinds.get(doc.kind).part is not None:  # a batch: its villages' parts, each downloadable
        from app.notices import batches

        parts = batches.parts_of(doc)
        ctx.update(parts=parts, progress=batches.progress_of(doc, parts),
                   part_jobs=ops.jobs_for(township, parts))
    elif doc.batch_id is not None:
        ctx["batch"] = get_or_404(Document, doc.batch_id)
    if request.htmx and not request.htmx.boosted:
        return render_template("notices/_progress.html", **ctx)
    return render_template("notices/document.html", **ctx)


@bp.route("/documents/<uuid:document_id>/download")
@staff()
def download(document_id):
    doc = _document_for_user(document_id)
    if doc.state != "ready":
        abort(404)
    return pdf_download(doc.storage_key, doc.download_name)


@bp.route("/jobs/<uuid:job_id>/retry", methods=["POST"])
@staff(Role.TOWNSHIP_ADMIN)
def retry(job_id):
    township = current_township()
    record = get_or_404(JobRecord, job_id)
    if jobs.retry(township.id, record.id):
        db.session.commit()
        flash(_("已重新排队。"))
    else:
        flash(_("这项任务不需要重试。"))
    back = request.form.get("next") or ""
    if back.startswith("/t/"):
        return redirect(back)
    return redirect(url_for("notices.index"))


@bp.route("/notifications")
@staff()
def notifications():
    rows = list(db.session.scalars(
        scoped(Notification).where(Notification.user_id == current_user.id)
        .order_by(Notification.created_at.desc()).limit(100)))
    return render_template("notices/notifications.html", rows=rows)


@bp.route("/notifications/read", methods=["POST"])
@staff()
def mark_read():
    ids = [i for i in request.form.getlist("id") if i]
    import uuid

    try:
        parsed = [uuid.UUID(i) for i in ids]
    except ValueError:
        abort(400)
    ops.mark_read(current_township(), current_user, parsed or None)
    db.session.commit()
    return redirect(url_for("notices.notifications"))


def unread_count(township, user) -> int:
    """For the header's notification link."""
    if township is None or not getattr(user, "is_authenticated", False):
        return 0
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.township_id == township.id, Notification.user_id == user.id,
        Notification.read_at.is_(None))) or 0


@bp.app_context_processor
def _notification_badge():
    def notification_link() -> tuple[str, int] | None:
        """(url, unread count) of the signed-in staff member's notifications in this township."""
        from flask import g

        township = g.get("township")
        if township is None or not getattr(current_user, "is_authenticated", False):
            return None
        try:
            return (url_for("notices.notifications", slug=township.slug),
                    unread_count(township, current_user))
        except Exception:  # never break a page for a badge
            db.session.rollback()
            return None

    return {"notification_link": notification_link}


# --- residents told about their own matter (app.notices.residents) ----------------------------

class StopForm(FlaskForm):
    """Confirming the stop link: only the CSRF token (works without JavaScript)."""


@bp.route("/stop/<stop_token>", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
@public
def stop(stop_token):
    """The link in every message to a resident: no more messages about this matter, no sign-in.
    The page shows the matter's number and the masked phone only."""
    from app.notices import residents
    from app.notices.models import ResidentConsent

    township = current_township()
    consent = db.session.scalar(scoped(ResidentConsent).where(ResidentConsent.token == stop_token))
    if consent is None:
        abort(404)
    matter = db.session.scalar(scoped(Matter).where(Matter.id == consent.matter_id))
    form = StopForm()
    stopped = False
    if consent.active and form.validate_on_submit():
        stopped = residents.stop(township, consent)
        db.session.commit()
    return render_template("notices/stop.html", township=township, consent=consent,
                           matter=matter, form=form if consent.active else None,
                           stopped=stopped, phone=mask_phone(consent.phone),
                           email=residents.mask_email(consent.email))


@bp.route("/matters/<uuid:matter_id>/consent", methods=["POST"])
@staff()
def consent(matter_id):
    """Staff record the resident's agreement later (they asked by phone), or stop the messages
    at their request. Audited."""
    from app.matters.views import _load
    from app.notices import residents

    township = current_township()
    matter = _load(matter_id)
    form = StopForm()
    if not form.validate_on_submit():
        abort(400)
    current = residents.consent_of(matter)
    if request.form.get("action") == "stop":
        if current is not None and residents.stop(township, current, actor=current_user):
            flash(_("已停止告知该群众。"))
    elif matter.contact_phone and (current is None or not current.active):
        residents.agree(township, matter, given_at=current.given_at if current else matter.channel,
                        actor=current_user)
        flash(_("已记录群众同意接收办理进度告知。"))
    db.session.commit()
    return redirect(url_for("matters.detail", matter_id=matter.id) + "#told")


@bp.app_template_global()
def residents_told(matter) -> dict:
    """For the matter's page: the resident's agreement and the messages sent to them."""
    from app.matters.models import Channel
    from app.notices import residents

    consent = residents.consent_of(matter)
    label = ""
    if consent is not None:
        try:
            label = Channel(consent.given_at).label
        except ValueError:
            label = consent.given_at
    from app.notices import sms

    return {"consent": consent, "messages": residents.messages_of(matter), "channel_label": label,
            "gateway": bool(sms.spec())}


@bp.app_template_filter()
def told_step(key: str) -> str:
    """A message's step, for staff: 受理, 交办, 答复, 办结, 回访, 补交材料提醒."""
    name = key.partition(":")[0].partition("@")[0]
    labels = {"received": _("受理"), "referred": _("交办"), "replied": _("答复"),
              "closed": _("办结"), "revisit": _("回访"), "materials": _("补交材料提醒")}
    return labels.get(name, name)

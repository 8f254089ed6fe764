"""Studio pages for representatives, liaisons and the township: studios and members, the rota,
receptions, referral and reply, figures."""

from __future__ import annotations

from datetime import date, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.access import staff
from app.accounts.models import Role
from app.extensions import db
from app.matters.operations import TransitionError, local_today
from app.studio import operations as ops
from app.studio.forms import (
    AnswerForm,
    ExampleForm,
    MemberForm,
    ReceptionForm,
    ReferForm,
    RotaForm,
    StudioForm,
    SwapForm,
)
from app.studio.models import (
    DutyAssignment,
    DutySession,
    MemberKind,
    Representative,
    Studio,
    StudioCase,
)
from app.studio.service import MODEL, bp
from app.tenancy import current_township, get_or_404, scoped

READERS = (Role.PARTY_REP, Role.TOWNSHIP_ADMIN, Role.LEADER)
RECEIVERS = (Role.PARTY_REP, Role.TOWNSHIP_ADMIN)
MANAGERS = (Role.TOWNSHIP_ADMIN, Role.LEADER)


def _month(value: str | None, today: date) -> date:
    try:
        return date.fromisoformat(f"{value}-01")
    except (TypeError, ValueError):
        return today.replace(day=1)


@bp.route("/")
@staff(*READERS)
def index():
    township = current_township()
    today = local_today(township)
    studios = db.session.scalars(scoped(Studio).order_by(Studio.name)).all()
    return render_template("studio/index.html", form=StudioForm(),
                           rows=[(s, ops.figures(s, today)) for s in studios],
                           pattern_text=ops.pattern_text)


@bp.route("/", methods=["POST"])
@staff(*MANAGERS)
def add_studio():
    township = current_township()
    form = StudioForm()
    if form.validate_on_submit():
        try:
            pattern = ops.parse_pattern(form.pattern.data)
        except ops.StudioError as exc:
            form.pattern.errors = [_(str(exc))]
        else:
            if db.session.scalar(scoped(Studio).where(Studio.name == form.name.data.strip())):
                form.name.errors = [_("已有同名工作室。")]
            else:
                studio = Studio(township_id=township.id, name=form.name.data.strip(),
                                place=(form.place.data or "").strip(),
                                phone=(form.phone.data or "").strip(), pattern=pattern,
                                holiday_rule=form.holiday_rule.data)
                db.session.add(studio)
                db.session.commit()
                flash(_("已设立%(name)s。", name=studio.name), "success")
                return redirect(url_for("studio.studio", studio_id=studio.id))
    today = local_today(township)
    studios = db.session.scalars(scoped(Studio).order_by(Studio.name)).all()
    return render_template("studio/index.html", form=form,
                           rows=[(s, ops.figures(s, today)) for s in studios],
                           pattern_text=ops.pattern_text), 422


def _members(studio) -> list[Representative]:
    return list(db.session.scalars(scoped(Representative).where(
        Representative.studio_id == studio.id).order_by(Representative.kind,
                                                        Representative.name)))


@bp.route("/<uuid:studio_id>")
@staff(*READERS)
def studio(studio_id, member_form=None, rota_form=None, status=200):
    township = current_township()
    studio = get_or_404(Studio, studio_id)
    today = local_today(township)
    month = _month(request.args.get("month"), today)
    next_month = (month + timedelta(days=32)).replace(day=1)
    sessions = ops.sessions_between(studio, month, next_month)
    members = _members(studio)
    reps = [m for m in members if m.kind == MemberKind.REPRESENTATIVE]
    return render_template(
        "studio/studio.html", studio=studio, members=members, reps=reps, sessions=sessions,
        month=month, prev_month=(month - timedelta(days=1)).replace(day=1),
        next_month=next_month, today=today, pattern_text=ops.pattern_text,
        member_form=member_form or MemberForm(),
        rota_form=rota_form or RotaForm(month=f"{month:%Y-%m}"),
        figures=ops.figures(studio, today),
        rep_figures=[ops.figures(studio, today, member=r) for r in reps],
        can_manage=_can_manage(township)), status


def _can_manage(township) -> bool:
    return bool({Role.TOWNSHIP_ADMIN, Role.LEADER} & current_user.roles_in(township.id))


@bp.route("/<uuid:studio_id>/members", methods=["POST"])
@staff(*MANAGERS)
def add_member(studio_id):
    township = current_township()
    studio_row = get_or_404(Studio, studio_id)
    form = MemberForm()
    if not form.validate_on_submit():
        return studio(studio_id, member_form=form, status=422)
    db.session.add(Representative(
        township_id=township.id, studio_id=studio_row.id, name=form.name.data.strip(),
        kind=form.kind.data, level=form.level.data, phone=(form.phone.data or "").strip(),
        intro=(form.intro.data or "").strip()))
    db.session.commit()
    flash(_("已添加%(name)s。", name=form.name.data.strip()), "success")
    return redirect(url_for("studio.studio", studio_id=studio_row.id))


@bp.route("/<uuid:studio_id>/rota", methods=["POST"])
@staff(*MANAGERS)
def generate_rota(studio_id):
    township = current_township()
    studio_row = get_or_404(Studio, studio_id)
    form = RotaForm()
    if not form.validate_on_submit():
        return studio(studio_id, rota_form=form, status=422)
    settings = MODEL.settings_for(township)
    month = _month(form.month.data, local_today(township))
    try:
        created = ops.generate_month(studio_row, month, settings.reps_per_session,
                                     settings.skip_holidays)
    except ops.StudioError as exc:
        db.session.rollback()
        flash(_(str(exc)), "error")
    else:
        db.session.commit()
        flash(_("已排出%(month)s的 %(n)s 次值班。", month=f"{month.year}年{month.month}月",
                n=len(created)), "success")
    return redirect(url_for("studio.studio", studio_id=studio_row.id, month=f"{month:%Y-%m}"))


@bp.route("/<uuid:studio_id>/rota.pdf", methods=["POST"])
@staff(*READERS)
def rota_poster(studio_id):
    """The month's rota poster, made by the document machinery (a job), then downloaded."""
    from app.notices.operations import request_document

    township = current_township()
    studio_row = get_or_404(Studio, studio_id)
    month = _month(request.form.get("month"), local_today(township))
    doc = request_document(township, kind="studio_rota",
                           subject_id=f"{studio_row.id}:{month:%Y-%m}", actor=current_user)
    db.session.commit()
    return redirect(url_for("notices.document", document_id=doc.id))


@bp.route("/duties/<uuid:assignment_id>/swap", methods=["POST"])
@staff(*RECEIVERS)
def swap(assignment_id):
    assignment = get_or_404(DutyAssignment, assignment_id)
    session = assignment.session
    form = SwapForm()
    form.member_id.choices = [(str(r.id), r.name) for r in ops.reps_of(session.studio)]
    if form.validate_on_submit():
        replacement = get_or_404(Representative, form.member_id.data)
        try:
            ops.swap(assignment, replacement, form.note.data)
        except ops.StudioError as exc:
            db.session.rollback()
            flash(_(str(exc)), "error")
        else:
            db.session.commit()
            flash(_("已换班。"), "success")
    else:
        flash(next(iter(form.errors.values()))[0], "error")
    return redirect(url_for("studio.studio", studio_id=session.studio_id,
                            month=f"{session.day:%Y-%m}"))


# ---------------------------------------------------------------- receptions

def _reception_form(studio_row, today) -> ReceptionForm:
    form = ReceptionForm()
    sessions = ops.sessions_between(studio_row, today - timedelta(days=7),
                                    today + timedelta(days=1))
    form.session_id.choices = [("", _("（非值班接待）"))] + [
        (str(s.id), f"{s.day:%m-%d} {s.starts_at:%H:%M}") for s in sessions]
    form.member_id.choices = [("", _("（未指定）"))] + [
        (str(r.id), r.name) for r in ops.reps_of(studio_row)]
    if request.method == "GET":
        todays = [s for s in sessions if s.day == today]
        if todays:
            form.session_id.data = str(todays[0].id)
        mine = next((r for r in ops.reps_of(studio_row) if r.user_id == current_user.id), None)
        if mine is not None:
            form.member_id.data = str(mine.id)
    return form


@bp.route("/<uuid:studio_id>/receive", methods=["GET", "POST"])
@staff(*RECEIVERS)
def receive(studio_id):
    """Register a visitor quickly; each suggestion becomes a matter with who received it."""
    township = current_township()
    studio_row = get_or_404(Studio, studio_id)
    today = local_today(township)
    form = _reception_form(studio_row, today)
    if form.validate_on_submit():
        member = get_or_404(Representative, form.member_id.data) if form.member_id.data \
            else None
        session = get_or_404(DutySession, form.session_id.data) if form.session_id.data \
            else None
        try:
            ops.receive(township, studio_row, current_user, channel=form.channel.data,
                        topic=form.topic.data, said=form.said.data or "",
                        suggestions=form.suggestions.data.splitlines(), member=member,
                        session=session,
                        visitor_name=None if form.anonymous.data else form.visitor_name.data,
                        visitor_phone=None if form.anonymous.data else form.visitor_phone.data,
                        reply_workdays=MODEL.settings_for(township).reply_workdays)
        except ops.StudioError as exc:
            db.session.rollback()
            form.suggestions.errors = [_(str(exc))]
        else:
            db.session.commit()
            flash(_("已登记接待。"), "success")
            return redirect(url_for("studio.cases", studio_id=studio_row.id))
    return render_template("studio/receive.html", studio=studio_row, form=form), (
        422 if form.errors else 200)


@bp.route("/<uuid:studio_id>/cases")
@staff(*READERS)
def cases(studio_id):
    studio_row = get_or_404(Studio, studio_id)
    return render_template("studio/cases.html", studio=studio_row,
                           cases=ops.cases_of(studio_row), refer_form=ReferForm(),
                           answer_form=AnswerForm(), example_form=ExampleForm(),
                           today=local_today(current_township()))


def _case(case_id) -> StudioCase:
    return get_or_404(StudioCase, case_id)


def _back_to_cases(case: StudioCase):
    return redirect(url_for("studio.cases", studio_id=case.reception.studio_id))


@bp.route("/cases/<uuid:studio_case_id>/refer", methods=["POST"])
@staff(*RECEIVERS)
def refer(studio_case_id):
    case = _case(studio_case_id)
    form = ReferForm()
    if not form.validate_on_submit():
        flash(next(iter(form.errors.values()))[0], "error")
        return _back_to_cases(case)
    try:
        ops.refer(case, current_user, unit=form.unit.data, due=form.due.data)
    except (ops.StudioError, TransitionError) as exc:
        db.session.rollback()
        flash(_(str(exc)), "error")
    else:
        db.session.commit()
        flash(_("已转办%(unit)s。", unit=form.unit.data), "success")
    return _back_to_cases(case)


@bp.route("/cases/<uuid:studio_case_id>/answer", methods=["POST"])
@staff(*RECEIVERS)
def answer(studio_case_id):
    case = _case(studio_case_id)
    form = AnswerForm()
    if not form.validate_on_submit():
        flash(next(iter(form.errors.values()))[0], "error")
        return _back_to_cases(case)
    try:
        ops.answer(case, current_user, text=form.text.data, township=current_township())
    except TransitionError as exc:
        db.session.rollback()
        flash(_(str(exc)), "error")
    else:
        db.session.commit()
        flash(_("已答复，可打印答复函告知群众。"), "success")
    return _back_to_cases(case)


@bp.route("/cases/<uuid:studio_case_id>/example", methods=["POST"])
@staff(*MANAGERS)
def example(studio_case_id):
    """Mark (or unmark) an outstanding case as a good example, shown publicly."""
    case = _case(studio_case_id)
    form = ExampleForm()
    if not form.validate_on_submit():
        abort(400)
    case.good_example = not case.good_example
    case.example_note = (form.note.data or "").strip()
    db.session.commit()
    flash(_("已列为优秀工作案例。") if case.good_example else _("已取消优秀案例。"), "success")
    return _back_to_cases(case)


def rota_context(township, subject_id, progress=None) -> dict:
    """The month's rota poster: every session, who is on duty (a notices document kind)."""
    from app.tenancy import get_scoped

    studio_id, month_text = str(subject_id).split(":")
    studio_row = get_scoped(Studio, studio_id, township.id)
    if studio_row is None:
        raise ValueError("工作室不存在")
    month = date.fromisoformat(f"{month_text}-01")
    sessions = ops.sessions_between(studio_row, month,
                                    (month + timedelta(days=32)).replace(day=1))
    return {"studio": studio_row, "month": month, "sessions": sessions,
            "members": [m for m in _members_of(studio_row)],
            "source": {"studio": studio_row.name, "month": month_text}}


def _members_of(studio_row):
    return db.session.scalars(select(Representative).where(
        Representative.township_id == studio_row.township_id,
        Representative.studio_id == studio_row.id, Representative.active.is_(True))
        .order_by(Representative.kind, Representative.name)).all()


def _register_documents() -> None:
    from flask_babel import lazy_gettext as _l

    from app.notices.documents import ANY_STAFF
    from app.notices.kinds import register

    register("studio_rota", template="studio_rota.html", build_context=rota_context,
             permission=ANY_STAFF.allows, label=_l("工作室月度值班表"))


_register_documents()

"""Studio pages for representatives, liaisons and the township: studios and members, the rota,
receptions, referral and reply, figures."""

from __future__ import annotations

from datetime import date, timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.access import staff
from app.accounts.models import Role
from app.catalogue.models import Centre
from app.extensions import db
from app.matters.forms import publicity_value
from app.matters.operations import TransitionError, local_today
from app.studio import operations as ops
from app.studio.forms import (
    AnswerForm,
    ExampleForm,
    MemberEditForm,
    MemberForm,
    RatingForm,
    ReceptionForm,
    ReferForm,
    RotaForm,
    StudioEditForm,
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
def index(form=None, status=200):
    """The township's studios with their figures; a representative's own coming duties."""
    township = current_township()
    today = local_today(township)
    studios = db.session.scalars(scoped(Studio).order_by(Studio.name)).all()
    return render_template("studio/index.html", form=form or StudioForm(),
                           rows=[(s, ops.figures(s, today)) for s in studios],
                           mine=ops.duties_of_user(township.id, current_user.id, today),
                           today=today, can_manage=_can_manage(township),
                           settings=MODEL.settings_for(township),
                           pattern_text=ops.pattern_text), status


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
    return index(form=form, status=422)


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
    period = request.args.get("period")
    since = {"year": today.replace(month=1, day=1), "month": today.replace(day=1)}.get(period)
    period = period if since else None
    return render_template(
        "studio/studio.html", studio=studio, members=members, reps=reps, sessions=sessions,
        month=month, prev_month=(month - timedelta(days=1)).replace(day=1),
        next_month=next_month, today=today, pattern_text=ops.pattern_text,
        member_form=member_form or _member_form(MemberForm, township),
        rota_form=rota_form or RotaForm(month=f"{month:%Y-%m}"),
        received=ops.receptions_per_session(studio, month, next_month),
        period=period, figures=ops.figures(studio, today, since=since),
        rep_figures=[(r, ops.figures(studio, today, member=r, since=since)) for r in reps],
        can_manage=_can_manage(township)), status


def _can_manage(township) -> bool:
    return bool({Role.TOWNSHIP_ADMIN, Role.LEADER} & current_user.roles_in(township.id))


@bp.route("/<uuid:studio_id>/members", methods=["POST"])
@staff(*MANAGERS)
def add_member(studio_id):
    township = current_township()
    studio_row = get_or_404(Studio, studio_id)
    form = _member_form(MemberForm, township)
    if not form.validate_on_submit():
        return studio(studio_id, member_form=form, status=422)
    member = Representative(
        township_id=township.id, studio_id=studio_row.id, name=form.name.data.strip(),
        kind=form.kind.data, level=form.level.data, phone=(form.phone.data or "").strip(),
        intro=(form.intro.data or "").strip())
    try:
        ops.link_account(member, form.user_id.data)
    except ops.StudioError as exc:
        form.user_id.errors = [_(str(exc))]
        return studio(studio_id, member_form=form, status=422)
    db.session.add(member)
    db.session.commit()
    flash(_("已添加%(name)s。", name=form.name.data.strip()), "success")
    return redirect(url_for("studio.studio", studio_id=studio_row.id))


def _member_form(form_class, township, **kwargs):
    form = form_class(**kwargs)
    form.user_id.choices = [("", _("（不关联）"))] + [
        (str(u.id), f"{u.name}（{u.username}）") for u in ops.party_rep_accounts(township.id)]
    return form


@bp.route("/members/<uuid:studio_member_id>", methods=["GET", "POST"])
@staff(*MANAGERS)
def edit_member(studio_member_id):
    """Correct a member's details, link their account, or retire them from the rota."""
    township = current_township()
    member = get_or_404(Representative, studio_member_id)
    form = _member_form(MemberEditForm, township, obj=member)
    if request.method == "GET":
        form.user_id.data = str(member.user_id) if member.user_id else ""
    if form.validate_on_submit():
        try:
            ops.link_account(member, form.user_id.data)
        except ops.StudioError as exc:
            form.user_id.errors = [_(str(exc))]
        else:
            member.name = form.name.data.strip()
            member.kind = form.kind.data
            member.level = form.level.data
            member.phone = (form.phone.data or "").strip()
            member.intro = (form.intro.data or "").strip()
            handed = None
            if member.active and not form.active.data:
                handed = ops.retire(member, local_today(township))
            member.active = form.active.data
            db.session.commit()
            flash(_("已保存%(name)s的信息。", name=member.name), "success")
            if handed:
                flash(_("其后 %(n)s 次值班已按轮换顺延给其他党代表。", n=handed), "success")
            return redirect(url_for("studio.studio", studio_id=member.studio_id))
    return render_template("studio/member.html", member=member, form=form), (
        422 if form.errors else 200)


@bp.route("/<uuid:studio_id>/edit", methods=["GET", "POST"])
@staff(*MANAGERS)
def edit_studio(studio_id):
    """Change a studio's place, phone, opening pattern or holiday rule, or close it."""
    studio_row = get_or_404(Studio, studio_id)
    form = StudioEditForm(data={
        "name": studio_row.name, "place": studio_row.place, "phone": studio_row.phone,
        "pattern": ops.pattern_text(studio_row.pattern or []),
        "holiday_rule": studio_row.holiday_rule, "active": studio_row.active})
    if form.validate_on_submit():
        name = form.name.data.strip()
        try:
            pattern = ops.parse_pattern(form.pattern.data)
        except ops.StudioError as exc:
            form.pattern.errors = [_(str(exc))]
        else:
            clash = db.session.scalar(scoped(Studio).where(Studio.name == name,
                                                           Studio.id != studio_row.id))
            if clash is not None:
                form.name.errors = [_("已有同名工作室。")]
            else:
                studio_row.name = name
                studio_row.place = (form.place.data or "").strip()
                studio_row.phone = (form.phone.data or "").strip()
                studio_row.pattern = pattern
                studio_row.holiday_rule = form.holiday_rule.data
                studio_row.active = form.active.data
                db.session.commit()
                flash(_("已保存。已排的值班不变，新排班按新的开放时间。"), "success")
                return redirect(url_for("studio.studio", studio_id=studio_row.id))
    return render_template("studio/edit.html", studio=studio_row, form=form), (
        422 if form.errors else 200)


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
                                     settings.skip_holidays, since=local_today(township))
    except ops.StudioError as exc:
        db.session.rollback()
        flash(_(str(exc)), "error")
    else:
        db.session.commit()
        flash(_("已排出%(month)s的 %(n)s 次值班。", n=len(created),
                month=_("%(y)s年%(m)s月", y=month.year, m=month.month)), "success")
    return redirect(url_for("studio.studio", studio_id=studio_row.id, month=f"{month:%Y-%m}"))


@bp.route("/<uuid:studio_id>/rota/clear", methods=["POST"])
@staff(*MANAGERS)
def clear_rota(studio_id):
    """Take back a month's coming sessions that received nobody, to generate it again."""
    township = current_township()
    studio_row = get_or_404(Studio, studio_id)
    form = RotaForm()
    if not form.validate_on_submit():
        return studio(studio_id, rota_form=form, status=422)
    month = _month(form.month.data, local_today(township))
    cleared = ops.clear_month(studio_row, month, local_today(township))
    db.session.commit()
    flash(_("已撤销%(month)s尚未举行的 %(n)s 次值班，可按新的开放时间重新排班。",
            month=_("%(y)s年%(m)s月", y=month.year, m=month.month), n=cleared), "success")
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


@bp.route("/sessions/<uuid:duty_session_id>/summary.pdf", methods=["POST"])
@staff(*READERS)
def session_summary(duty_session_id):
    """A session's reception summary (接待情况记录), made as a document."""
    from app.notices.operations import request_document

    session = get_or_404(DutySession, duty_session_id)
    doc = request_document(current_township(), kind="studio_session", subject_id=session.id,
                           actor=current_user)
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
            ops.swap(assignment, replacement, form.note.data,
                     today=local_today(current_township()))
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
                        reply_workdays=MODEL.settings_for(township).reply_workdays,
                        is_public=publicity_value(form.publicity.data),
                        notify_consent=form.notify_consent.data and not form.anonymous.data)
        except ops.StudioError as exc:
            db.session.rollback()
            form.suggestions.errors = [_(str(exc))]
        else:
            db.session.commit()
            flash(_("已登记接待。"), "success")
            if request.form.get("then") == "next":  # a queue of visitors at a busy session
                return redirect(url_for("studio.receive", studio_id=studio_row.id))
            return redirect(url_for("studio.cases", studio_id=studio_row.id))
    return render_template("studio/receive.html", studio=studio_row, form=form), (
        422 if form.errors else 200)


@bp.route("/<uuid:studio_id>/cases")
@staff(*READERS)
def cases(studio_id):
    """The studio's suggestions, filtered by where they stand or by who received them."""
    studio_row = get_or_404(Studio, studio_id)
    today = local_today(current_township())
    which = request.args.get("show")
    which = which if which in ops.CASE_FILTERS else None
    reps = ops.reps_of(studio_row)
    member = next((r for r in _members(studio_row) if str(r.id) == request.args.get("rep")),
                  None)  # a retired member's cases stay reachable from the figures
    shown = ops.filter_cases(ops.cases_of(studio_row), which, today,
                             member_id=getattr(member, "id", None))
    rated = _rated_matters([c.matter_id for c in shown])
    return render_template("studio/cases.html", studio=studio_row, cases=shown, show=which,
                           reps=reps, member=member, rated=rated, refer_form=_refer_form(),
                           can_manage=_can_manage(current_township()),
                           rating_form=RatingForm(), today=today)


def _rated_matters(matter_ids) -> dict:
    """matter id → the rating of its current stage, for the cases shown."""
    from app.matters.models import Evaluation, Matter

    if not matter_ids:
        return {}
    rows = db.session.execute(
        select(Evaluation.matter_id, Evaluation.rating)
        .join(Matter, (Matter.township_id == Evaluation.township_id)
              & (Matter.id == Evaluation.matter_id) & (Matter.stage == Evaluation.stage))
        .where(Evaluation.township_id == current_township().id,
               Evaluation.matter_id.in_(matter_ids)))
    return dict(rows.all())


def _refer_form() -> ReferForm:
    form = ReferForm()
    form.centre_id.choices = [("", _("（不是镇里的中心）"))] + [
        (str(c.id), c.name) for c in db.session.scalars(
            scoped(Centre).order_by(Centre.sort_order, Centre.name))]
    return form


def _case(case_id) -> StudioCase:
    return get_or_404(StudioCase, case_id)


def _back_to_cases(case: StudioCase):
    return redirect(url_for("studio.cases", studio_id=case.reception.studio_id,
                            _anchor=f"case-{case.id}"))


def _done(case: StudioCase, message: str, error: bool = False):
    """htmx gets the case back in place with the message; a plain form, the page again."""
    if request.htmx and not request.htmx.boosted:
        township = current_township()
        return render_template(
            "studio/_case.html", c=case, notice=message, notice_error=error,
            today=local_today(township), rated=_rated_matters([case.matter_id]),
            refer_form=_refer_form(), rating_form=RatingForm(formdata=None),
            can_manage=_can_manage(township)), 422 if error else 200
    flash(message, "error" if error else "success")
    return _back_to_cases(case)


def _case_step(case: StudioCase, form, step, success):
    """Validate the form, take the step, commit, and answer with `_done`."""
    if not form.validate_on_submit():
        return _done(case, next(iter(form.errors.values()))[0], error=True)
    try:
        step(form)
    except (ops.StudioError, TransitionError) as exc:
        db.session.rollback()
        return _done(case, _(str(exc)), error=True)
    db.session.commit()
    return _done(case, success())


@bp.route("/cases/<uuid:studio_case_id>/refer", methods=["POST"])
@staff(*RECEIVERS)
def refer(studio_case_id):
    """Refer to a hall centre or a named department, with the date they must answer by."""
    case = _case(studio_case_id)
    township = current_township()

    def step(form):
        centre = get_or_404(Centre, form.centre_id.data) if form.centre_id.data else None
        ops.refer(case, current_user, unit=form.unit.data or "", due=form.due.data,
                  centre=centre, today=local_today(township))

    return _case_step(case, _refer_form(), step,
                      lambda: _("已转办%(unit)s。", unit=case.referred_to))


@bp.route("/cases/<uuid:studio_case_id>/answer", methods=["POST"])
@staff(*RECEIVERS)
def answer(studio_case_id):
    """The answer, by the representative or on behalf of the department it was referred to."""
    case = _case(studio_case_id)
    return _case_step(case, AnswerForm(), lambda form: ops.answer(
        case, current_user, text=form.text.data, township=current_township()),
        lambda: _("已答复，可打印答复函告知群众。"))


@bp.route("/cases/<uuid:studio_case_id>/reply.pdf", methods=["POST"])
@staff(*READERS)
def reply_notice(studio_case_id):
    """The reply notice (答复函) telling the visitor the outcome, made as a document."""
    from app.notices.operations import request_document

    case = _case(studio_case_id)
    if case.matter.public_reply is None:
        flash(_("尚未答复，不能打印答复函。"), "error")
        return _back_to_cases(case)
    doc = request_document(current_township(), kind="studio_reply", subject_id=case.id,
                           actor=current_user)
    db.session.commit()
    return redirect(url_for("notices.document", document_id=doc.id))


@bp.route("/cases/<uuid:studio_case_id>/rating", methods=["POST"])
@staff(*RECEIVERS)
def rating(studio_case_id):
    """The visitor's rating of the answer, heard on a call-back or in person."""
    case = _case(studio_case_id)
    return _case_step(case, RatingForm(), lambda form: ops.rate(
        case, current_user, rating=form.rating.data, source=form.source.data,
        comment=form.comment.data or "", township=current_township()),
        lambda: _("已记录群众评价。"))


@bp.route("/cases/<uuid:studio_case_id>/example", methods=["POST"])
@staff(*MANAGERS)
def example(studio_case_id):
    """Mark (or unmark) an outstanding case as a good example, shown publicly."""
    case = _case(studio_case_id)

    def step(form):
        case.good_example = not case.good_example
        case.example_note = (form.note.data or "").strip() if case.good_example else ""

    return _case_step(case, ExampleForm(), step, lambda: _(
        "已列为优秀工作案例。") if case.good_example else _("已取消优秀案例。"))


# The studio's documents (the rota poster, the reply notice) register with app.notices on import.
from app.studio import documents as _documents  # noqa: E402,F401

"""Cadres' duties and evaluations: staff pages under /t/<slug>/cadres, public pages beside them."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from flask import (
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select

from app.access import has_role, public, staff
from app.accounts.models import Role, RoleGrant, User
from app.cadres import dual as dual_ops
from app.cadres import linking, reports
from app.cadres import operations as ops
from app.cadres.forms import (
    ActionForm,
    CaseForm,
    CommitmentForm,
    CommitmentRatingForm,
    DutyForm,
    InviteForm,
    PaperCategoryForm,
    QuestionForm,
    RoundForm,
    SettleForm,
    TickForm,
)
from app.cadres.models import (
    CaseState,
    CaseWriteUp,
    Commitment,
    CommitmentState,
    EvaluationRound,
    Question,
    RequiredAction,
    RoundParticipant,
    RoundState,
    TestAttempt,
)
from app.extensions import db, limiter
from app.households.models import Grid, Household, HouseholdTag, Village, Visit, VisitKind
from app.matters.models import Rating
from app.matters.operations import local_today
from app.tenancy import TenantBlueprint, current_township, get_or_404, scoped

bp = TenantBlueprint("cadres", __name__, url_prefix="/cadres")
public_bp = TenantBlueprint("cadres_public", __name__)

SUPERVISORS = (Role.TOWNSHIP_ADMIN, Role.LEADER)


def _is_supervisor() -> bool:
    return has_role(current_township(), *SUPERVISORS)


def _staff_choices():
    township = current_township()
    rows = db.session.execute(
        select(User.id, User.name).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.township_id == township.id).distinct().order_by(User.name)
    ).all()
    return [(str(uid), name) for uid, name in rows]


def _staff_user(user_id) -> User:
    """A user who holds a role in this township (anyone else is not found)."""
    import uuid

    try:
        key = uuid.UUID(str(user_id))
    except ValueError:
        abort(404)
    member = db.session.scalar(select(RoleGrant.id).where(
        RoleGrant.township_id == current_township().id, RoleGrant.user_id == key).limit(1))
    if member is None:
        abort(404)
    return db.session.get(User, key)


def _matter_by_number(field):
    """The matter a form names by its tracking number, or None; an unknown number is an error."""
    from app.matters.models import Matter

    number = (field.data or "").strip().upper()
    if not number:
        return None
    matter = db.session.scalar(scoped(Matter).where(Matter.number == number))
    if matter is None:
        field.errors.append(_("没有这个事项编号。"))
    return matter


def _render(template, status=200, **context):
    return render_template(f"cadres/{template}", township=current_township(), **context), status


# ---------------------------------------------------------------- overview

@bp.route("/")
@staff()
def index():
    township = current_township()
    today = local_today(township)
    actions = ops.actions_this_period(township.id, today, owner_id=current_user.id)
    commitments = db.session.scalars(scoped(Commitment).where(
        Commitment.cadre_id == current_user.id).order_by(Commitment.due_on)).all()
    tags = sorted({tag for tags in db.session.scalars(select(Question.tags).where(
        Question.township_id == township.id, Question.active.is_(True))) for tag in tags})
    attempts = db.session.scalars(scoped(TestAttempt).where(
        TestAttempt.user_id == current_user.id, TestAttempt.finished_at.is_not(None))
        .order_by(TestAttempt.finished_at.desc()).limit(5)).all()
    return _render("index.html", actions=actions, commitments=commitments, attempts=attempts,
                   tags=tags,
                   supervisor=_is_supervisor(), tick_form=TickForm(formdata=None))


# ---------------------------------------------------------------- required actions

@bp.route("/actions")
@staff()
def actions(form=None):
    township = current_township()
    if form is None:
        form = ActionForm(formdata=None)
        form.owner_id.choices = _staff_choices()
    today = local_today(township)
    owner_id = None if _is_supervisor() else current_user.id
    statuses = ops.actions_this_period(township.id, today, owner_id=owner_id)
    return _render("actions.html", 422 if form.errors else 200, statuses=statuses, form=form,
                   supervisor=_is_supervisor(), tick_form=TickForm(formdata=None),
                   visits=_recent_visits(), evidence=_recent_receptions_and_meetings())


@bp.route("/actions/new", methods=["POST"])
@staff(*SUPERVISORS)
def new_action():
    form = ActionForm()
    form.owner_id.choices = _staff_choices()
    if form.validate_on_submit():
        owner = _staff_user(form.owner_id.data)
        ops.create_action(current_township(), name=form.name.data,
                          frequency=form.frequency.data, owner=owner,
                          unit_name=form.unit_name.data or "")
        db.session.commit()
        flash(_("已添加规定动作。"), "success")
        return redirect(url_for(".actions"))
    return actions(form=form)


def _recent_visits():
    return db.session.scalars(scoped(Visit).where(Visit.visitor_id == current_user.id)
                              .order_by(Visit.visited_on.desc()).limit(20)).all()


def _recent_receptions_and_meetings():
    """The last receptions of the township's studios and its recent assemblies, as evidence."""
    from app.assembly.models import Assembly
    from app.studio.models import Reception

    township = current_township()
    receptions = db.session.scalars(scoped(Reception).order_by(
        Reception.received_at.desc()).limit(20)).all() \
        if township.service_enabled("studio") else []
    meetings = db.session.scalars(scoped(Assembly).where(
        Assembly.held_on <= local_today(township)).order_by(Assembly.held_on.desc())
        .limit(10)).all() if township.service_enabled("assembly") else []
    return receptions, meetings


@bp.route("/actions/<uuid:action_id>/tick", methods=["POST"])
@staff()
def tick(action_id):
    township = current_township()
    action = get_or_404(RequiredAction, action_id)
    if action.owner_id != current_user.id and not _is_supervisor():
        abort(403)
    form = TickForm()
    visits = _recent_visits() if action.owner_id == current_user.id else db.session.scalars(
        scoped(Visit).where(Visit.visitor_id == action.owner_id)
        .order_by(Visit.visited_on.desc()).limit(20)).all()
    form.visit_id.choices = [("", "—")] + [(str(v.id), str(v.visited_on)) for v in visits]
    receptions, meetings = _recent_receptions_and_meetings()
    form.reception_id.choices = [("", "—")] + [(str(r.id), r.topic) for r in receptions]
    form.assembly_id.choices = [("", "—")] + [(str(a.id), a.title) for a in meetings]
    if form.validate_on_submit():
        from app.assembly.models import Assembly
        from app.studio.models import Reception

        visit = get_or_404(Visit, form.visit_id.data) if form.visit_id.data else None
        reception = get_or_404(Reception, form.reception_id.data) \
            if form.reception_id.data else None
        meeting = get_or_404(Assembly, form.assembly_id.data) if form.assembly_id.data else None
        upload = form.attachment.data
        attachment = (upload.filename, upload.read()) if upload and upload.filename else None
        try:
            ops.record_occurrence(action, current_user, day=local_today(township),
                                  done=form.done.data == "yes", note=form.note.data or "",
                                  visit=visit, attachment=attachment, reception=reception,
                                  assembly=meeting)
        except ops.CadreError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("已记录“%(name)s”本期情况。", name=action.name), "success")
    else:
        errors = (form.attachment.errors or form.reception_id.errors
                  or form.assembly_id.errors or [_("请填写本期情况。")])
        flash(errors[0], "error")
    return redirect(request.form.get("back") or url_for(".actions"))


@bp.route("/evidence/<uuid:occurrence_id>")
@staff()
def evidence(occurrence_id):
    """An occurrence's attached photo or scan, for the township's staff."""
    from pathlib import Path

    from app.cadres.models import ActionOccurrence
    from app.notices.storage import storage

    row = get_or_404(ActionOccurrence, occurrence_id)
    if not row.attachment_key:
        abort(404)
    try:
        data = storage().get(row.attachment_key)
    except FileNotFoundError:
        abort(404)
    mimetype = ops.EVIDENCE_TYPES.get(Path(row.attachment_key).suffix, "application/octet-stream")
    name = quote(row.attachment_name or "evidence")
    return Response(data, mimetype=mimetype, headers={
        "Content-Disposition": f"inline; filename*=UTF-8''{name}",
        "Cache-Control": "private, max-age=3600"})


# ---------------------------------------------------------------- commitments

@bp.route("/commitments", methods=["GET", "POST"])
@staff()
def commitments():
    township = current_township()
    form = CommitmentForm()
    if form.validate_on_submit():
        matter = _matter_by_number(form.matter_number)
        if not form.matter_number.errors:
            ops.make_commitment(township, current_user, text=form.text.data,
                                due_on=form.due_on.data, is_public=form.is_public.data,
                                matter=matter)
            db.session.commit()
            flash(_("承诺已登记。"), "success")
            return redirect(url_for(".commitments"))
    query = scoped(Commitment).order_by(Commitment.due_on)
    if not _is_supervisor():
        query = query.where(Commitment.cadre_id == current_user.id)
    rows = db.session.scalars(query).all()
    return _render("commitments.html", 422 if form.errors else 200, form=form, rows=rows,
                   settle_form=SettleForm(formdata=None), today=local_today(township),
                   results=ops.commitment_results(township.id, [c.id for c in rows]),
                   ratings=Rating.choices())


@bp.route("/commitments/<uuid:commitment_id>/settle", methods=["POST"])
@staff()
def settle(commitment_id):
    commitment = get_or_404(Commitment, commitment_id)
    if commitment.cadre_id != current_user.id and not _is_supervisor():
        abort(403)
    form = SettleForm()
    if form.validate_on_submit():
        try:
            ops.settle_commitment(commitment, current_user, kept=form.kept.data == "yes",
                                  evidence=form.evidence.data)
        except ops.CadreError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("已记录兑现情况。"), "success")
    else:
        flash(_("请写明兑现说明。"), "error")
    return redirect(url_for(".commitments"))


@public_bp.route("/commitments")
@public
def public_commitments():
    township = current_township()
    rows = db.session.execute(
        select(Commitment, User.name, User.post)
        .join(User, User.id == Commitment.cadre_id)
        .where(Commitment.township_id == township.id, Commitment.is_public.is_(True))
        .order_by(User.name, Commitment.due_on)
    ).all()
    results = ops.commitment_results(township.id, [c.id for c, _name, _post in rows])
    return _render("public_commitments.html", rows=rows, results=results,
                   ratings=Rating.choices())


def _commitment_for_token(token: str) -> Commitment:
    commitment = db.session.scalar(scoped(Commitment).where(Commitment.rating_token == token))
    if commitment is None or not commitment.is_public:
        abort(404)
    return commitment


@public_bp.route("/commitments/rate/<token>", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
@public
def rate_commitment(token):
    commitment = _commitment_for_token(token)
    form = CommitmentRatingForm()
    if commitment.state == CommitmentState.MADE:
        return _render("rate_commitment.html", commitment=commitment, form=None)
    if form.validate_on_submit():
        rater = ops.rater_key(commitment.township_id, form.phone.data,
                              current_app.config["SECRET_KEY"])
        try:
            ops.rate_commitment(commitment, rating=form.rating.data,
                                comment=form.comment.data or "", rater=rater)
        except ops.CadreError as exc:
            form.phone.errors.append(str(exc) if rater else _(
                "本镇登记信息里没有这个号码。请填写村（社区）登记的手机号，或到村委会登记。"))
        else:
            db.session.commit()
            return _render("rate_commitment.html", commitment=commitment, form=None,
                           thanked=True)
    return _render("rate_commitment.html", 422 if form.errors else 200,
                   commitment=commitment, form=form)


# ---------------------------------------------------------------- evaluation rounds

@bp.route("/rounds", methods=["GET", "POST"])
@staff(*SUPERVISORS)
def rounds():
    township = current_township()
    form = RoundForm()
    form.cadre_ids.choices = _staff_choices()
    if form.validate_on_submit():
        cadres = [_staff_user(uid) for uid in form.cadre_ids.data]
        round_ = ops.open_round(township, title=form.title.data, cadres=cadres,
                                min_participants=form.min_participants.data,
                                results_public=form.results_public.data)
        db.session.commit()
        return redirect(url_for(".round_detail", round_id=round_.id))
    rows = db.session.scalars(scoped(EvaluationRound)
                              .order_by(EvaluationRound.created_at.desc())).all()
    return _render("rounds.html", 422 if form.errors else 200, form=form, rows=rows)


def _cadre_names(round_) -> dict[str, str]:
    import uuid

    ids = [uuid.UUID(i) for i in round_.cadre_ids]
    return {str(uid): name for uid, name in db.session.execute(
        select(User.id, User.name).where(User.id.in_(ids))).all()}


@bp.route("/rounds/<uuid:round_id>", methods=["GET", "POST"])
@staff(*SUPERVISORS)
def round_detail(round_id):
    round_ = get_or_404(EvaluationRound, round_id)
    invite = InviteForm(prefix="invite")
    links = []
    if request.method == "POST" and invite.validate_on_submit():
        try:
            made = ops.invite_participants(round_, category=invite.category.data,
                                           count=invite.count.data)
        except ops.CadreError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            links = [(p.label, url_for("cadres_public.evaluate", token=token, _external=True))
                     for p, token in made]
    participants = db.session.scalar(select(func.count()).select_from(RoundParticipant).where(
        RoundParticipant.township_id == round_.township_id,
        RoundParticipant.round_id == round_.id))
    return _render("round_detail.html", round_=round_, invite=invite, links=links,
                   paper=PaperCategoryForm(prefix="paper", formdata=None),
                   invited=participants, rated=ops.participants_who_rated(round_),
                   names=_cadre_names(round_), results=_results(round_),
                   ratings=Rating.choices())


def _results(round_):
    if round_.state != RoundState.CLOSED:
        return None
    names = _cadre_names(round_)
    return sorted(((names.get(r.cadre_id, "?"), r) for r in ops.round_results(round_)),
                  key=lambda pair: -(pair[1].satisfaction or 0))


@bp.route("/rounds/<uuid:round_id>/paper", methods=["POST"])
@staff(*SUPERVISORS)
def round_paper(round_id):
    round_ = get_or_404(EvaluationRound, round_id)
    form = PaperCategoryForm(prefix="paper")
    ratings = {cid: (request.form.get(f"rating-{cid}"), request.form.get(f"comment-{cid}", ""))
               for cid in round_.cadre_ids if request.form.get(f"rating-{cid}")}
    if not form.validate_on_submit() or not ratings:
        flash(_("请选择参评人类别，并至少填写一位干部的评价。"), "error")
    else:
        try:
            ops.enter_paper_form(round_, category=form.category.data, ratings=ratings)
        except (ops.CadreError, ValueError) as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("纸质测评表已录入。"), "success")
    return redirect(url_for(".round_detail", round_id=round_.id))


@bp.route("/rounds/<uuid:round_id>/close", methods=["POST"])
@staff(*SUPERVISORS)
def round_close(round_id):
    round_ = get_or_404(EvaluationRound, round_id)
    try:
        ops.close_round(round_, force=request.form.get("force") == "yes")
    except ops.CadreError as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("评议已结束，结果如下。"), "success")
    return redirect(url_for(".round_detail", round_id=round_.id))


@bp.route("/rounds/<uuid:round_id>/form.pdf")
@staff(*SUPERVISORS)
def round_paper_pdf(round_id):
    from app.notices.pdf import render_pdf

    round_ = get_or_404(EvaluationRound, round_id)
    names = _cadre_names(round_)
    pdf = render_pdf("evaluation_form.html", township=current_township(), round_=round_,
                     cadres=[names.get(cid, "") for cid in round_.cadre_ids],
                     ratings=Rating.choices())
    return pdf, 200, {"Content-Type": "application/pdf",
                      "Content-Disposition": f"inline; filename=evaluation-{round_.id}.pdf"}


def _per_link() -> str:
    """Evaluation rounds are held in a meeting room: fifty residents on one network share one
    address, so the limit counts per personal link, never per address."""
    return "evaluate:" + str((request.view_args or {}).get("token", ""))


def _evaluation_page(token: str, error: str | None = None, status: int | None = None):
    township = current_township()
    participant = ops.participant_for_token(township.id, token)
    if participant is None:
        abort(404)
    round_ = get_or_404(EvaluationRound, participant.round_id)
    pending = [cid for cid in round_.cadre_ids if cid not in participant.rated_cadre_ids]
    return round_, participant, pending, lambda pending, error=error: _render(
        "evaluate.html", status or (422 if error else 200), round_=round_,
        names=_cadre_names(round_), pending=pending, error=error, ratings=Rating.choices(),
        done=len(round_.cadre_ids) - len(pending))


def _too_many_on_one_link(_limit):
    """A refused submission comes back with what was typed, to be sent again later."""
    message = _("提交太频繁，请稍等一分钟再点“提交评价”；您选好的评价还在。")
    _round, _participant, pending, render = _evaluation_page(
        request.view_args["token"], message, 429)
    return make_response(render(pending))


@public_bp.route("/evaluate/<token>", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"], key_func=_per_link,
               on_breach=_too_many_on_one_link)
@public
def evaluate(token):
    round_, participant, pending, render = _evaluation_page(token)
    error = None
    if request.method == "POST" and round_.state == RoundState.OPEN:
        ratings = {cid: (request.form.get(f"rating-{cid}"), request.form.get(f"comment-{cid}", ""))
                   for cid in pending if request.form.get(f"rating-{cid}")}
        if not ratings:
            error = _("请至少为一位干部选择评价。")
        else:
            try:
                ops.submit_ratings(round_, participant, ratings)
            except (ops.CadreError, ValueError) as exc:
                error = str(exc)
            else:
                db.session.commit()
                pending = [c for c in pending if c not in ratings]
    return render(pending, error)


@public_bp.route("/evaluations/<uuid:round_id>")
@public
def public_results(round_id):
    round_ = get_or_404(EvaluationRound, round_id)
    if not (round_.results_public and round_.state == RoundState.CLOSED):
        abort(404)
    return _render("public_results.html", round_=round_, results=_results(round_),
                   ratings=Rating.choices())


# ---------------------------------------------------------------- typical cases

@bp.route("/cases", methods=["GET", "POST"])
@staff()
def cases():
    township = current_township()
    form = CaseForm()
    if form.validate_on_submit():
        matter = _matter_by_number(form.matter_number)
        if not form.matter_number.errors:
            ops.submit_case(township, current_user, title=form.title.data, body=form.body.data,
                            matter=matter)
            db.session.commit()
            flash(_("案例已提交，等待领导审核。"), "success")
            return redirect(url_for(".cases"))
    query = scoped(CaseWriteUp).order_by(CaseWriteUp.created_at.desc())
    if not _is_supervisor():
        query = query.where(or_(CaseWriteUp.author_id == current_user.id,
                                CaseWriteUp.state == CaseState.APPROVED))
    rows = db.session.scalars(query).all()
    history = _case_history([c.id for c in rows])
    counts = db.session.execute(
        select(User.name, func.count()).join(CaseWriteUp, CaseWriteUp.author_id == User.id)
        .where(CaseWriteUp.township_id == township.id, CaseWriteUp.state == CaseState.APPROVED)
        .group_by(User.name).order_by(func.count().desc())
    ).all()
    return _render("cases.html", 422 if form.errors else 200, form=form, rows=rows,
                   counts=counts, supervisor=_is_supervisor(), history=history)


def _case_history(case_ids) -> dict:
    """Each case's reviews and resubmissions, oldest first, from the audit log."""
    from app.audit.models import AuditEvent

    history: dict = {}
    if not case_ids:
        return history
    for event in db.session.scalars(scoped(AuditEvent).where(
            AuditEvent.target_type == CaseWriteUp.__tablename__,
            AuditEvent.target_id.in_([str(i) for i in case_ids])).order_by(AuditEvent.at)):
        history.setdefault(event.target_id, []).append(event)
    return history


@bp.route("/cases/<uuid:case_id>/edit", methods=["GET", "POST"])
@staff()
def edit_case(case_id):
    """The author changes a case returned for changes and sends it again."""
    case = get_or_404(CaseWriteUp, case_id)
    if case.author_id != current_user.id:
        abort(404)
    form = CaseForm(obj=case)
    del form.matter_number
    error = None
    if form.validate_on_submit():
        try:
            ops.resubmit_case(case, current_user, title=form.title.data, body=form.body.data)
        except ops.CadreError as exc:
            error = str(exc)
        else:
            db.session.commit()
            flash(_("已修改并重新提交，等待领导审核。"), "success")
            return redirect(url_for(".cases"))
    return _render("case_edit.html", 422 if (form.errors or error) else 200, form=form,
                   case=case, error=error, history=_case_history([case.id]).get(str(case.id), []))


@bp.route("/cases/<uuid:case_id>/review", methods=["POST"])
@staff(*SUPERVISORS)
def review_case(case_id):
    case = get_or_404(CaseWriteUp, case_id)
    try:
        ops.review_case(case, current_user, approve=request.form.get("decision") == "approve",
                        note=request.form.get("note", ""))
    except ops.CadreError as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("已审核。"), "success")
    return redirect(url_for(".cases"))


@public_bp.route("/cases")
@public
def public_cases():
    rows = db.session.execute(
        select(CaseWriteUp, User.name).join(User, User.id == CaseWriteUp.author_id)
        .where(CaseWriteUp.township_id == current_township().id,
               CaseWriteUp.state == CaseState.APPROVED)
        .order_by(CaseWriteUp.approved_at.desc())
    ).all()
    return _render("public_cases.html", rows=rows)


# ---------------------------------------------------------------- the knowledge test

@bp.route("/questions", methods=["GET", "POST"])
@staff(*SUPERVISORS)
def questions():
    township = current_township()
    form = QuestionForm()
    if form.validate_on_submit():
        try:
            answer = [int(x) - 1 for x in form.answer.data.replace("，", ",").split(",")
                      if x.strip()]
            ops.add_question(township, kind=form.kind.data, text=form.text.data,
                             options=(form.options.data or "").splitlines(), answer=answer,
                             tags=[t.strip() for t in (form.tags.data or "").replace("，", ",")
                                   .split(",") if t.strip()],
                             study_note=form.study_note.data or "")
        except ValueError as exc:
            form.answer.errors.append(str(exc) if isinstance(exc, ops.CadreError)
                                      else _("请填写选项序号，如 1 或 1,3"))
        else:
            db.session.commit()
            flash(_("已加入题库。"), "success")
            return redirect(url_for(".questions"))
    rows = db.session.scalars(scoped(Question).order_by(Question.created_at.desc())).all()
    scores = db.session.execute(
        select(User.name, func.count(), func.avg(TestAttempt.score), func.max(TestAttempt.score))
        .join(TestAttempt, TestAttempt.user_id == User.id)
        .where(TestAttempt.township_id == township.id, TestAttempt.finished_at.is_not(None))
        .group_by(User.name).order_by(User.name)
    ).all()
    return _render("questions.html", 422 if form.errors else 200, form=form, rows=rows,
                   scores=scores)


@bp.route("/test", methods=["POST"])
@staff()
def start_test():
    township = current_township()
    try:
        attempt = ops.draw_test(township, current_user, count=5, minutes=10,
                                tag=request.form.get("tag") or None)
    except ops.CadreError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".index"))
    db.session.commit()
    return redirect(url_for(".take_test", attempt_id=attempt.id))


@bp.route("/test/<uuid:attempt_id>", methods=["GET", "POST"])
@staff()
def take_test(attempt_id):
    attempt = get_or_404(TestAttempt, attempt_id)
    own = attempt.user_id == current_user.id
    if not own and not _is_supervisor():
        abort(404)
    questions = {str(q.id): q for q in db.session.scalars(scoped(Question).where(
        Question.id.in_([_uuid(i) for i in attempt.question_ids])))}
    ordered = [questions[i] for i in attempt.question_ids if i in questions]
    if request.method == "POST" and own and attempt.finished_at is None:
        answers = {qid: [int(v) for v in request.form.getlist(f"q-{qid}") if v.isdigit()]
                   for qid in attempt.question_ids}
        ops.submit_test(attempt, answers)
        db.session.commit()
        return redirect(url_for(".take_test", attempt_id=attempt.id))
    from app.models import utcnow

    seconds_left = max(0, int((attempt.deadline - utcnow()).total_seconds()))
    return _render("test.html", attempt=attempt, questions=ordered, seconds_left=seconds_left,
                   own=own)


def _uuid(value):
    import uuid

    return uuid.UUID(str(value))


# ---------------------------------------------------------------- 五必到 and 四到户

@bp.route("/duties", methods=["GET", "POST"])
@staff()
def duties():
    township = current_township()
    households = db.session.scalars(scoped(Household).where(or_(
        Household.party_member_id == current_user.id,
        Household.contact_cadre_id == current_user.id)).order_by(Household.head_name)).all()
    form = DutyForm()
    form.household_id.choices = [(str(h.id), f"{h.head_name}（{h.address}）") for h in households]
    if request.method == "GET":
        form.on_date.data = local_today(township)
    if form.validate_on_submit():
        household = get_or_404(Household, form.household_id.data)
        if household.id not in {h.id for h in households}:
            abort(404)
        ops.record_duty(township, current_user, household, kind=form.kind.data,
                        on_date=form.on_date.data, note=form.note.data or "")
        db.session.commit()
        flash(_("已记录。"), "success")
        return redirect(url_for(".duties"))
    year = local_today(township).year
    checklist = ops.outreach_checklist(township.id, current_user.id, year, households)
    from app.cadres.models import OutreachKind

    return _render("duties.html", 422 if form.errors else 200, form=form,
                   households=households, checklist=checklist, year=year,
                   outreach=OutreachKind.choices())


@bp.app_template_global()
def frequency_label(value: str) -> str:
    from app.cadres.models import Frequency

    return Frequency(value).label


@bp.app_template_global()
def commitment_label(value: str) -> str:
    return CommitmentState(value).label


@bp.app_template_global()
def case_label(value: str) -> str:
    return CaseState(value).label


@bp.app_template_global()
def question_label(value: str) -> str:
    from app.cadres.models import QuestionKind

    return QuestionKind(value).label


# ---------------------------------------------------------------- reports, contact points, units

def _period():
    from datetime import date as date_cls

    township = current_township()
    kind = request.args.get("period", "week")
    try:
        day = date_cls.fromisoformat(request.args.get("day", ""))
    except ValueError:
        day = local_today(township)
    period = reports.Period.month_of(day) if kind == "month" else reports.Period.week_of(day)
    return kind, day, period


@bp.route("/reports")
@staff(*SUPERVISORS)
def bulletin():
    """Weekly bulletin (周报) or monthly assessment (月度考评) per cadre and per village."""
    township = current_township()
    kind, day, period = _period()
    today = local_today(township)
    return _render("reports.html", kind=kind, day=day, period=period,
                   cadres=reports.cadre_bulletin(township, period, today),
                   villages=reports.village_bulletin(township, period, today))


@bp.route("/reports.pdf", methods=["POST"])
@staff(*SUPERVISORS)
def bulletin_pdf():
    """Ask the document machinery (a job) for the bulletin's PDF, then follow its progress."""
    from app.notices.operations import request_document

    township = current_township()
    kind = "month" if request.form.get("period") == "month" else "week"
    try:
        day = date.fromisoformat(request.form.get("day", ""))
    except ValueError:
        day = local_today(township)
    doc = request_document(township, kind="cadre_bulletin",
                           subject_id=f"{kind}:{day.isoformat()}", actor=current_user)
    db.session.commit()
    return redirect(url_for("notices.document", document_id=doc.id))


def bulletin_context(township, subject_id, progress=None) -> dict:
    """The weekly bulletin or monthly assessment of the period holding a day (a document kind)."""
    kind, day_text = str(subject_id).split(":")
    day = date.fromisoformat(day_text)
    period = reports.Period.month_of(day) if kind == "month" else reports.Period.week_of(day)
    today = local_today(township)
    from app.dashboard_charts import FIGURES, bulletin_charts

    villages = reports.village_bulletin(township, period, today)
    return {"kind": kind, "period": period,
            "cadres": reports.cadre_bulletin(township, period, today),
            "villages": villages, "figures": FIGURES,
            "charts": bulletin_charts(township, period.end, villages),
            "source": {"kind": kind, "period": period.label}}


def _register_documents() -> None:
    from flask_babel import lazy_gettext as _l

    from app.notices.documents import LEADERS
    from app.notices.kinds import register

    register("cadre_bulletin", template="cadre_bulletin.html", build_context=bulletin_context,
             permission=LEADERS.allows, label=_l("干部履职通报"))


_register_documents()
from app.cadres import documents as _household_sheet  # noqa: E402,F401  (registers 民情表)
from app.cadres import minutes as _minutes  # noqa: E402,F401  (registers 会议纪要)


@bp.route("/minutes/<any(assembly, studio_session):meeting_kind>/<uuid:meeting_id>",
          methods=["GET", "POST"])
@staff(Role.TOWNSHIP_ADMIN, Role.LEADER, Role.CENTRE_STAFF, Role.PARTY_REP)
def meeting_minutes(meeting_kind, meeting_id):
    """会议纪要 with attendance for an assembly or a studio session; saving can print it."""
    from app.cadres import minutes
    from app.notices import operations as notices

    township = current_township()
    meeting = minutes.meeting_of(township, meeting_kind, meeting_id)
    if meeting is None:
        abort(404)
    row = minutes.minutes_of(township, meeting)
    error = None
    attendance = row.attendance if row else meeting.roster
    if request.method == "POST":
        names = request.form.getlist("name")
        roles = request.form.getlist("role")
        present = set(request.form.getlist("present"))
        attendance = [{"name": n, "role": r, "present": str(i) in present}
                      for i, (n, r) in enumerate(zip(names, roles, strict=False))]
        for line in (request.form.get("others") or "").splitlines():
            name, _sep, role = line.strip().partition(" ")
            if name:
                attendance.append({"name": name, "role": role.strip(), "present": True})
        try:
            row = minutes.save_minutes(township, current_user, meeting,
                                       chair=request.form.get("chair", ""),
                                       attendance=attendance,
                                       summary=request.form.get("summary", ""),
                                       decisions=request.form.get("decisions", ""))
        except minutes.MinutesError as exc:
            error = str(exc)
        else:
            doc = None
            if request.form.get("print"):
                doc = notices.request_document(township, kind="meeting_minutes",
                                               subject_id=f"{meeting.kind.value}:{meeting.subject_id}",
                                               actor=current_user)
            db.session.commit()
            if doc is not None:
                return redirect(url_for("notices.document", document_id=doc.id))
            flash(_("会议纪要已保存。"), "success")
            return redirect(url_for(".meeting_minutes", meeting_kind=meeting_kind,
                                    meeting_id=meeting_id))
    return _render("minutes.html", 422 if error else 200, meeting=meeting, minutes=row,
                   attendance=attendance, error=error, form=request.form if error else None)


@bp.route("/households/<uuid:household_id>/sheet", methods=["POST"])
@staff()
def household_sheet(household_id):
    """Ask for a household's 民情表 (a document made by a job); its page shows the progress."""
    from app.notices import operations as notices

    household = get_or_404(Household, household_id)
    doc = notices.request_document(current_township(), kind="household_sheet",
                                   subject_id=household.id, actor=current_user)
    db.session.commit()
    return redirect(url_for("notices.document", document_id=doc.id))


# ---------------------------------------------------------------- 双覆盖: linking and coverage

def _filtered_households(args):
    """The households the coverage page's filters pick (village, grid, tag, only unlinked)."""
    query = scoped(Household).where(Household.active.is_(True))
    if args.get("village_id"):
        query = query.where(Household.village_id == get_or_404(Village, args["village_id"]).id)
    if args.get("grid_id"):
        query = query.where(Household.grid_id == get_or_404(Grid, args["grid_id"]).id)
    if args.get("unlinked"):
        query = query.where(Household.contact_cadre_id.is_(None))
    rows = db.session.scalars(query.order_by(Household.address, Household.head_name)).all()
    if args.get("tag"):
        rows = [h for h in rows if args["tag"] in (h.tags or [])]
    return rows


@bp.route("/coverage", methods=["GET", "POST"])
@staff(*SUPERVISORS)
def coverage():
    """双覆盖: who has no contact cadre, whose load is far from the norm, and linking in bulk —
    every household of the filtered list to one cadre, or split evenly among several."""
    township = current_township()
    args = request.form if request.method == "POST" else request.args
    households = _filtered_households(args)
    cadres = linking.cadre_choices(township)
    error = None
    if request.method == "POST":
        chosen = {str(u.id): u for u in cadres}
        picked = [chosen[i] for i in request.form.getlist("cadre_id") if i in chosen]
        if request.form.get("scope") != "all":
            ticked = set(request.form.getlist("household_id"))
            households = [h for h in households if str(h.id) in ticked]
        try:
            if request.form.get("how") == "split":
                shares = linking.split_evenly(township, current_user, households, picked)
                message = _("已平均分配 %(n)s 户给 %(k)s 名干部。") % {
                    "n": sum(shares.values()), "k": len(shares)}
            else:
                if len(picked) != 1:
                    raise linking.LinkError(_("请选择一名联户干部（平均分配可选多名）。"))
                n = linking.link_households(township, current_user, households, picked[0])
                message = _("已将 %(n)s 户联系到 %(name)s。") % {"n": n, "name": picked[0].name}
        except linking.LinkError as exc:
            error = str(exc)
        else:
            db.session.commit()
            flash(message, "success")
            keep = {k: v for k, v in request.form.items()
                    if k in ("village_id", "grid_id", "tag", "unlinked") and v}
            return redirect(url_for(".coverage", **keep))
    village = get_or_404(Village, args["village_id"]) if args.get("village_id") else None
    report = linking.coverage(township, village_id=getattr(village, "id", None))
    villages = db.session.scalars(scoped(Village).order_by(Village.sort_order, Village.name)).all()
    grids = db.session.scalars(scoped(Grid).order_by(Grid.name)).all()
    return _render("coverage.html", 422 if error else 200, report=report, households=households,
                   cadres=cadres, villages=villages, grids=grids, args=args, error=error,
                   norm=linking.NORM, tags=HouseholdTag.choices(),
                   names={load.cadre.id: load.cadre.name for load in report.loads}
                   | {u.id: u.name for u in cadres})


@bp.route("/coverage.xlsx")
@staff(*SUPERVISORS)
def coverage_export():
    """The coverage report as Excel: the households without a contact cadre and the cadres'
    loads, with the page's filter."""
    from app.spreadsheets import SheetWriter

    township = current_township()
    village = get_or_404(Village, request.args["village_id"]) \
        if request.args.get("village_id") else None
    report = linking.coverage(township, village_id=getattr(village, "id", None))
    sheet = SheetWriter().add_sheet("未联户农户", ["村（社区）", "户主", "地址", "标签"])
    for village, rows in report.uncovered.items():
        for h in rows:
            sheet.append([village, h.head_name, h.address,
                          "、".join(HouseholdTag(t).label if t in HouseholdTag._value2member_map_
                                   else t for t in h.tags or [])])
    sheet.add_sheet("联户干部", ["干部", "职务", "联系户数", "对照常模（约30户）"])
    for load in report.loads:
        sheet.append([load.cadre.name, load.cadre.post or "", load.households,
                      {"high": "明显偏多", "low": "明显偏少"}.get(load.flag, "")])
    today = local_today(township)
    return sheet.response(f"{township.code}-coverage-{today.isoformat()}.xlsx")


# ---------------------------------------------------------------- 双评价

def _year_arg(township) -> int:
    try:
        year = int(request.values.get("year", ""))
    except ValueError:
        year = local_today(township).year
    return max(2000, min(year, 2100))


@bp.route("/dual", methods=["GET", "POST"])
@staff(*SUPERVISORS)
def dual():
    """双评价: residents' rounds and the organisation's score per cadre, combined per year."""
    township = current_township()
    year = _year_arg(township)
    error = None
    if request.method == "POST":
        try:
            if request.form.get("what") == "weights":
                if not has_role(township, Role.TOWNSHIP_ADMIN):
                    abort(403)
                try:
                    residents = int(request.form.get("residents", ""))
                    organisation = int(request.form.get("organisation", ""))
                except ValueError:
                    raise dual_ops.DualError(_("两项权重须为非负整数，合计 100。")) from None
                dual_ops.set_weights(township, current_user, residents=residents,
                                     organisation=organisation,
                                     public=bool(request.form.get("public")))
            else:
                if not request.form.get("cadre_id"):
                    raise dual_ops.DualError(_("请选择干部。"))
                cadre = _staff_user(request.form["cadre_id"])
                try:
                    score = int(request.form.get("score", ""))
                except ValueError:
                    raise dual_ops.DualError(_("组织评价须是 0 到 100 分。")) from None
                dual_ops.assess(township, current_user, cadre=cadre, year=year, score=score,
                                note=request.form.get("note", ""))
        except dual_ops.DualError as exc:
            error = str(exc)
        else:
            db.session.commit()
            flash(_("已保存。"), "success")
            return redirect(url_for(".dual", year=year))
    return _render("dual.html", 422 if error else 200, year=year, error=error,
                   rows=dual_ops.results(township, year), weights=dual_ops.settings_of(township),
                   is_admin=has_role(township, Role.TOWNSHIP_ADMIN))


@bp.route("/dual.xlsx")
@staff(*SUPERVISORS)
def dual_export():
    """The year's assessment sheet (年度考核表) with the combined 双评价 of every cadre."""
    from app.spreadsheets import workbook_response

    township = current_township()
    year = _year_arg(township)
    weights = dual_ops.settings_of(township)
    rows = [[r.cadre.name, r.cadre.post or "", r.rated,
             round(r.residents * 100, 1) if r.residents is not None else "",
             r.organisation if r.organisation is not None else "",
             r.combined if r.combined is not None else ""]
            for r in dual_ops.results(township, year)]
    return workbook_response(
        f"{township.code}-assessment-{year}.xlsx", f"{year}年度考核",
        ["干部", "职务", "群众评议人次", f"群众满意率%（权重{weights['residents']}）",
         f"组织评价（权重{weights['organisation']}）", "综合得分"], rows)


@public_bp.route("/evaluations/dual/<int:year>")
@public
def public_dual(year):
    """The combined 双评价 of a year, where the township has chosen to publish it."""
    township = current_township()
    if not dual_ops.settings_of(township)["public"]:
        abort(404)
    rows = [r for r in dual_ops.results(township, year) if r.combined is not None]
    return _render("public_dual.html", year=year, rows=rows,
                   weights=dual_ops.settings_of(township))


@bp.route("/daily")
@staff(*SUPERVISORS)
def daily():
    """日督查: today's overdue, due-today and not-yet-taken-up matters, unit by unit."""
    township = current_township()
    today = local_today(township)
    return _render("daily.html", today=today, units=reports.daily_supervision(township, today))


@bp.route("/contact-points", methods=["GET", "POST"])
@staff(*SUPERVISORS)
def contact_points():
    """Leaders' contact points (联系点) and this month's down-visits (下访) there."""

    township = current_township()
    if request.method == "POST":
        if not request.form.get("leader_id") or not request.form.get("village_id"):
            flash(_("请选择领导和村（社区）。"), "error")
            return redirect(url_for(".contact_points"))
        leader = _staff_user(request.form.get("leader_id", ""))
        village = get_or_404(Village, request.form.get("village_id"))
        try:
            target = max(1, min(31, int(request.form.get("monthly_target", "1"))))
        except ValueError:
            target = 1
        reports.set_contact_point(township, leader, village, target)
        db.session.commit()
        flash(_("已设置联系点。"), "success")
        return redirect(url_for(".contact_points"))
    month = reports.Period.month_of(local_today(township))
    villages = db.session.scalars(scoped(Village).where(
        Village.retired_at.is_(None)).order_by(Village.sort_order, Village.name)).all()
    leaders = db.session.execute(
        select(User.id, User.name).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.township_id == township.id, RoleGrant.role == Role.LEADER)
        .distinct().order_by(User.name)).all()
    return _render("contact_points.html", month=month, villages=villages, leaders=leaders,
                   statuses=reports.contact_points_status(township, month))


@bp.route("/units", methods=["GET", "POST"])
@staff(*SUPERVISORS)
def units():
    """Units in classes (一类/二类/三类), each compared with its class's targets."""
    from app.cadres.models import ClassTarget, UnitClass
    from app.catalogue.models import Centre

    township = current_township()
    if request.method == "POST":
        try:
            if request.form.get("form") == "target":
                reports.set_class_target(
                    township, UnitClass(request.form["unit_class"]).value,
                    resolution_pct=_pct(request.form["resolution_pct"]),
                    on_time_pct=_pct(request.form["on_time_pct"]),
                    satisfaction_pct=_pct(request.form["satisfaction_pct"]))
            else:
                scope = request.form.get("scope", "")
                kind, _sep, ident = scope.partition(":")
                centre = get_or_404(Centre, ident) if kind == "centre" else None
                village = get_or_404(Village, ident) if kind == "village" else None
                if centre is None and village is None:
                    raise ValueError
                reports.set_unit(township, name=(centre or village).name,
                                 unit_class=UnitClass(request.form["unit_class"]).value,
                                 centre=centre, village=village)
        except (KeyError, ValueError):
            flash(_("请完整填写。"), "error")
        else:
            db.session.commit()
            flash(_("已保存。"), "success")
        return redirect(url_for(".units"))
    month = reports.Period.month_of(local_today(township))
    centres = db.session.scalars(scoped(Centre).order_by(Centre.sort_order)).all()
    villages = db.session.scalars(scoped(Village).where(
        Village.retired_at.is_(None)).order_by(Village.sort_order)).all()
    targets = {t.unit_class: t for t in db.session.scalars(scoped(ClassTarget))}
    return _render("units.html", month=month, figures=reports.unit_comparison(township, month),
                   classes=UnitClass.choices(), targets=targets, centres=centres,
                   villages=villages)


def _pct(value: str) -> int:
    number = int(value)
    if not 0 <= number <= 100:
        raise ValueError
    return number


# ---------------------------------------------------------------- 三访 against the frequencies

def _frequency_day(township) -> date:
    try:
        return date.fromisoformat(request.args.get("on", ""))
    except ValueError:
        return local_today(township)


@bp.route("/frequencies")
@staff(*SUPERVISORS)
def frequencies(error=None):
    """三访 per leader and per unit, done against the frequencies the township requires."""
    from app.cadres import frequencies as freq

    township = current_township()
    day = _frequency_day(township)
    return _render("frequencies.html", 422 if error else 200, error=error,
                   report=freq.report(township, day), day=day,
                   kinds=[(k.value, k.label) for k in VisitKind], kind_labels=VisitKind.labels(),
                   periods=[(f, frequency_label(f)) for f in freq.PERIODS],
                   admin=has_role(township, Role.TOWNSHIP_ADMIN))


@bp.route("/frequencies/required", methods=["POST"])
@staff(Role.TOWNSHIP_ADMIN)
def set_frequencies():
    """The township's required frequencies (the administrator sets them)."""
    from app.cadres import frequencies as freq

    township = current_township()
    wanted = {scope: {kind: {"count": request.form.get(f"{scope}-{kind}-count", ""),
                             "frequency": request.form.get(f"{scope}-{kind}-frequency", "")}
                      for kind in freq.KINDS} for scope in freq.SCOPES}
    try:
        freq.set_frequencies(township, current_user, wanted)
    except freq.FrequencyError as exc:
        return frequencies(error=str(exc))
    db.session.commit()
    flash(_("已保存三访频次要求。"), "success")
    return redirect(url_for(".frequencies"))


@bp.route("/frequencies.xlsx")
@staff(*SUPERVISORS)
def frequencies_export():
    """The frequency page as Excel: one sheet per leaders and per units."""
    from app.cadres import frequencies as freq
    from app.spreadsheets import SheetWriter

    township = current_township()
    day = _frequency_day(township)
    report = freq.report(township, day)
    sheet = None
    for scope, title, first, rows in (("leader", "领导", "领导", report.leaders),
                                      ("unit", "村（社区）", "单位", report.units)):
        columns = report.columns(scope)
        headers = [first]
        for kind, _required, win in columns:
            label = VisitKind(kind).label
            headers += [f"{label}（{win.label}）已完成", f"{label}要求", "是否达到"]
        sheet = (sheet or SheetWriter()).add_sheet(title, headers)
        for row in rows:
            line = [row.name]
            for cell in row.cells:
                line += [cell.done, cell.required, "达到" if cell.met else "未达到"]
            sheet.append(line)
    return sheet.response(f"{township.code}-visit-frequencies-{day.isoformat()}.xlsx")

"""The assembly's staff pages: preparing it, the clerk's screen on the day, results, follow-up."""

from __future__ import annotations

import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.access import staff
from app.accounts.models import Role, RoleGrant, User
from app.assembly import operations as ops
from app.assembly.forms import (
    AssemblyForm,
    AssignCriticismForm,
    AttendanceForm,
    CandidatesForm,
    CriticismForm,
    DrawForm,
    EditCriticismForm,
    StepForm,
    SupervisorForm,
    TeamForm,
    WithdrawCriticismForm,
)
from app.assembly.models import (
    Assembly,
    AssemblyState,
    Criticism,
    CriticismSource,
    CriticTeam,
    Juror,
    RoundState,
)
from app.assembly.service import MODEL, bp
from app.extensions import db
from app.matters.operations import TransitionError, local_today
from app.tenancy import current_township, get_or_404, scoped

CLERKS = (Role.TOWNSHIP_ADMIN, Role.LEADER)


def _staff_people(township) -> list[tuple[str, str]]:
    """Everyone holding a role in the township, for the responsible person's choice."""
    ids = select(RoleGrant.user_id).where(RoleGrant.township_id == township.id)
    users = db.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.name))
    return [(str(u.id), u.name) for u in users]


def _team_choices(assembly) -> list[tuple[str, str]]:
    return [("", "—")] + [(str(t.id), t.name) for t in ops.teams_of(assembly)]


def _fill(form, assembly, township):
    form.team_id.choices = _team_choices(assembly)
    form.responsible_id.choices = [("", "—")] + _staff_people(township)
    if hasattr(form, "source"):
        form.source.choices = CriticismSource.choices()
    return form


def _split_names(text: str) -> list[str]:
    return [n for n in re.split(r"[\n\r、,，;；]+", text or "") if n.strip()]


@bp.app_template_filter("criticism_source")
def criticism_source(value: str) -> str:
    return CriticismSource(value).label


@bp.route("/assemblies")
@staff()
def assemblies():
    township = current_township()
    rows = list(db.session.scalars(scoped(Assembly).order_by(Assembly.held_on.desc())))
    today = local_today(township)
    return render_template("assembly/list.html", assemblies=rows, today=today,
                           overdue=ops.overdue(township, today), State=AssemblyState)


def _assembly_form(form: AssemblyForm):
    criteria = ops.parse_criteria(form.criteria.data)
    prizes = ops.parse_prizes(form.prizes.data or "")
    return criteria, prizes


@bp.route("/assemblies/new", methods=["GET", "POST"])
@staff(*CLERKS)
def new_assembly():
    township = current_township()
    form = AssemblyForm()
    if request.method == "GET":
        form.criteria.data = ops.criteria_text(ops.DEFAULT_CRITERIA)
        form.prizes.data = ops.prizes_text(ops.DEFAULT_PRIZES)
        form.held_on.data = ops.earliest_date(township, local_today(township))
    if form.validate_on_submit():
        try:
            criteria, prizes = _assembly_form(form)
            assembly = ops.create_assembly(
                township, current_user, title=form.title.data, held_on=form.held_on.data,
                venue=form.venue.data, starts_at=form.starts_at.data,
                rules=form.rules.data or "", criteria=criteria, prizes=prizes)
        except TransitionError as error:
            form.criteria.errors = [*form.criteria.errors, str(error)]
        else:
            db.session.commit()
            flash(_("大会已建立（草稿）。"), "success")
            return redirect(url_for("assembly.assembly", assembly_id=assembly.id))
    status = 422 if request.method == "POST" else 200
    return render_template("assembly/edit.html", form=form, assembly=None), status


@bp.route("/assemblies/<uuid:assembly_id>/edit", methods=["GET", "POST"])
@staff(*CLERKS)
def edit_assembly(assembly_id):
    assembly = get_or_404(Assembly, assembly_id)
    form = AssemblyForm(obj=assembly if request.method == "GET" else None)
    if request.method == "GET":
        form.criteria.data = ops.criteria_text(assembly.criteria)
        form.prizes.data = ops.prizes_text(assembly.prizes)
    if form.validate_on_submit():
        try:
            criteria, prizes = _assembly_form(form)
            ops.update_assembly(assembly, title=form.title.data, held_on=form.held_on.data,
                                venue=form.venue.data, starts_at=form.starts_at.data,
                                rules=form.rules.data or "", criteria=criteria, prizes=prizes)
        except TransitionError as error:
            db.session.rollback()
            assembly = get_or_404(Assembly, assembly_id)
            form.criteria.errors = [*form.criteria.errors, str(error)]
        else:
            db.session.commit()
            flash(_("已保存。"), "success")
            return redirect(url_for("assembly.assembly", assembly_id=assembly.id))
    status = 422 if request.method == "POST" else 200
    return render_template("assembly/edit.html", form=form, assembly=assembly), status


def _detail(assembly, status=200, error=None, **forms):
    township = current_township()
    forms.setdefault("team_form", TeamForm(prefix="team", formdata=None))
    forms.setdefault("supervisor_form", SupervisorForm(prefix="sup", formdata=None))
    forms.setdefault("candidates_form", CandidatesForm(prefix="cand", formdata=None))
    forms.setdefault("draw_form", DrawForm(prefix="draw", formdata=None))
    forms.setdefault("criticism_form", CriticismForm(prefix="crit", formdata=None))
    _fill(forms["criticism_form"], assembly, township)
    today = local_today(township)
    return render_template(
        "assembly/detail.html", assembly=assembly, teams=ops.teams_of(assembly),
        supervisors=ops.supervisors_of(assembly), jurors=ops.jurors_of(assembly),
        criticisms=ops.criticisms_of(assembly), step_form=StepForm(formdata=None),
        withdrawn=ops.criticisms_of(assembly, withdrawn=True),
        settings=MODEL.settings_for(township), today=today,
        earliest=ops.earliest_date(township, today), State=AssemblyState,
        overdue=ops.overdue(township, today, assembly), error=error, is_clerk=_is_clerk(),
        **forms), status


def _is_clerk() -> bool:
    from app.access import has_role

    return has_role(current_township(), *CLERKS)


@bp.route("/assemblies/<uuid:assembly_id>")
@staff()
def assembly(assembly_id):
    return _detail(get_or_404(Assembly, assembly_id))


def _run(assembly, action, *, anchor="", status_form=None):
    """Run an operation; commit and go back to the page, or show the refusal there (422)."""
    try:
        action()
    except TransitionError as error:
        db.session.rollback()
        return _detail(get_or_404(Assembly, assembly.id), 422, error=str(error),
                       **(status_form or {}))
    db.session.commit()
    flash(_("已保存。"), "success")
    return redirect(url_for("assembly.assembly", assembly_id=assembly.id) + anchor)


def _step_action(assembly, step):
    township = current_township()
    today = local_today(township)
    return {
        "announce": lambda: ops.announce(assembly, township, today=today),
        "registration": lambda: ops.open_registration(assembly),
        "session": lambda: ops.start_session(assembly, today=today, actor=current_user,
                                             reason=request.form.get("reason", "")),
        "scored": lambda: ops.finish_scoring(assembly),
        "publish": lambda: ops.publish_results(assembly, township, current_user),
        "follow_up": lambda: ops.begin_follow_up(assembly),
    }[step]


@bp.route("/assemblies/<uuid:assembly_id>/<any(announce, registration, session, scored, "
          "publish, follow_up):assembly_step>", methods=["POST"])
@staff(*CLERKS)
def assembly_step(assembly_id, assembly_step):
    assembly = get_or_404(Assembly, assembly_id)
    form = StepForm()
    if not form.validate_on_submit():
        return _detail(assembly, 422, error=_("请刷新页面后重试。"))
    response = _run(assembly, _step_action(assembly, assembly_step))
    if assembly_step == "session" and getattr(response, "status_code", None) == 302:
        return redirect(url_for("assembly.session", assembly_id=assembly.id))
    return response


@bp.route("/assemblies/<uuid:assembly_id>/teams", methods=["POST"])
@staff(*CLERKS)
def add_team(assembly_id):
    assembly = get_or_404(Assembly, assembly_id)
    form = TeamForm(prefix="team")
    if not form.validate_on_submit():
        return _detail(assembly, 422, team_form=form)
    return _run(assembly, lambda: ops.add_team(
        assembly, name=form.name.data, branch=form.branch.data or "",
        leader=form.leader.data or "", members=_split_names(form.members.data)),
        anchor="#teams", status_form={"team_form": form})


@bp.route("/assemblies/<uuid:assembly_id>/supervisors", methods=["POST"])
@staff(*CLERKS)
def add_supervisor(assembly_id):
    assembly = get_or_404(Assembly, assembly_id)
    form = SupervisorForm(prefix="sup")
    if not form.validate_on_submit():
        return _detail(assembly, 422, supervisor_form=form)
    return _run(assembly, lambda: ops.add_supervisor(assembly, name=form.name.data,
                                                     unit=form.unit.data or ""),
                anchor="#supervisors", status_form={"supervisor_form": form})


@bp.route("/assemblies/<uuid:assembly_id>/candidates", methods=["POST"])
@staff(*CLERKS)
def add_candidates(assembly_id):
    assembly = get_or_404(Assembly, assembly_id)
    form = CandidatesForm(prefix="cand")
    if not form.validate_on_submit():
        return _detail(assembly, 422, candidates_form=form)
    return _run(assembly, lambda: ops.add_candidates(
        assembly, _split_names(form.names.data), kind=form.kind.data),
        anchor="#jury", status_form={"candidates_form": form})


@bp.route("/assemblies/<uuid:assembly_id>/draw", methods=["POST"])
@staff(*CLERKS)
def draw(assembly_id):
    assembly = get_or_404(Assembly, assembly_id)
    form = DrawForm(prefix="draw")
    if not form.validate_on_submit():
        return _detail(assembly, 422, draw_form=form)
    chosen = request.form.getlist("chosen") if form.how.data == "chosen" else None
    return _run(assembly, lambda: ops.draw_jury(assembly, current_township(),
                                                size=form.size.data, chosen=chosen),
                anchor="#jury", status_form={"draw_form": form})


@bp.route("/assemblies/<uuid:assembly_id>/jurors/<uuid:juror_id>", methods=["POST"])
@staff(*CLERKS)
def attendance(assembly_id, juror_id):
    assembly = get_or_404(Assembly, assembly_id)
    juror = get_or_404(Juror, juror_id)
    if juror.assembly_id != assembly.id:
        abort(404)
    form = AttendanceForm()
    if not form.validate_on_submit():
        return _detail(assembly, 422, error=_("请刷新页面后重试。"))
    back = request.form.get("back") == "session"
    try:
        ops.set_attendance(juror, present=form.present.data, on_paper=form.on_paper.data)
    except TransitionError as error:
        db.session.rollback()
        return _detail(get_or_404(Assembly, assembly_id), 422, error=str(error))
    db.session.commit()
    if back:
        return redirect(url_for("assembly.session", assembly_id=assembly.id))
    return redirect(url_for("assembly.assembly", assembly_id=assembly.id) + "#jury")


@bp.route("/assemblies/<uuid:assembly_id>/criticisms", methods=["POST"])
@staff(*CLERKS)
def add_criticism(assembly_id):
    township = current_township()
    assembly = get_or_404(Assembly, assembly_id)
    form = _fill(CriticismForm(prefix="crit"), assembly, township)
    if not form.validate_on_submit():
        return _detail(assembly, 422, criticism_form=form)
    team = get_or_404(CriticTeam, form.team_id.data) if form.team_id.data else None
    responsible = db.session.get(User, _uuid(form.responsible_id.data)) \
        if form.responsible_id.data else None
    return _run(assembly, lambda: ops.add_criticism(
        assembly, title=form.title.data, content=form.content.data or "",
        source=form.source.data, raised_by=form.raised_by.data or "",
        contact_phone=form.contact_phone.data, team=team,
        target_unit=form.target_unit.data or "", responsible=responsible,
        notify_consent=form.notify_consent.data),
        anchor="#criticisms", status_form={"criticism_form": form})


def _uuid(value):
    import uuid

    return uuid.UUID(str(value))


def _criticism_of(assembly, criticism_id) -> Criticism:
    criticism = get_or_404(Criticism, criticism_id)
    if criticism.assembly_id != assembly.id:
        abort(404)
    return criticism


@bp.route("/assemblies/<uuid:assembly_id>/criticisms/<uuid:criticism_id>",
          methods=["GET", "POST"])
@staff(*CLERKS)
def criticism(assembly_id, criticism_id):
    """Assign a criticism to the team that presents it, its unit and responsible person."""
    township = current_township()
    assembly = get_or_404(Assembly, assembly_id)
    row = _criticism_of(assembly, criticism_id)
    form = _fill(AssignCriticismForm(obj=None if request.method == "POST" else row),
                 assembly, township)
    if request.method == "GET":
        form.team_id.data = str(row.team_id) if row.team_id else ""
        form.responsible_id.data = str(row.responsible_id) if row.responsible_id else ""
    if form.validate_on_submit():
        team = get_or_404(CriticTeam, form.team_id.data) if form.team_id.data else None
        responsible = db.session.get(User, _uuid(form.responsible_id.data)) \
            if form.responsible_id.data else None
        try:
            ops.assign_criticism(row, team=team, target_unit=form.target_unit.data or "",
                                 responsible=responsible)
        except TransitionError as error:
            db.session.rollback()
            form.target_unit.errors = [str(error)]
        else:
            db.session.commit()
            flash(_("已保存。"), "success")
            return redirect(url_for("assembly.assembly", assembly_id=assembly.id)
                            + "#criticisms")
    status = 422 if request.method == "POST" else 200
    return _criticism_page(assembly, row, status, form=form)


def _criticism_page(assembly, row, status=200, **forms):
    from app.audit.models import AuditEvent

    township = current_township()
    if "form" not in forms:
        forms["form"] = _fill(AssignCriticismForm(obj=row), assembly, township)
        forms["form"].team_id.data = str(row.team_id) if row.team_id else ""
        forms["form"].responsible_id.data = str(row.responsible_id) if row.responsible_id \
            else ""
    forms.setdefault("edit_form", EditCriticismForm(obj=row, formdata=None))
    forms.setdefault("withdraw_form", WithdrawCriticismForm(formdata=None))
    history = db.session.scalars(scoped(AuditEvent).where(
        AuditEvent.target_type == Criticism.__tablename__,
        AuditEvent.target_id == str(row.id)).order_by(AuditEvent.at)).all()
    return render_template("assembly/criticism.html", assembly=assembly, criticism=row,
                           history=history, **forms), status


@bp.route("/assemblies/<uuid:assembly_id>/criticisms/<uuid:criticism_id>/"
          "<any(edit, withdraw):change>", methods=["POST"])
@staff(*CLERKS)
def change_criticism(assembly_id, criticism_id, change):
    """Correct the wording of a criticism, or take it back, before it is scored."""
    assembly = get_or_404(Assembly, assembly_id)
    row = _criticism_of(assembly, criticism_id)
    form = EditCriticismForm() if change == "edit" else WithdrawCriticismForm()
    key = "edit_form" if change == "edit" else "withdraw_form"
    if not form.validate_on_submit():
        return _criticism_page(assembly, row, 422, **{key: form})
    try:
        if change == "edit":
            ops.edit_criticism(row, current_user, title=form.title.data,
                               content=form.content.data or "",
                               raised_by=form.raised_by.data or "",
                               contact_phone=form.contact_phone.data)
        else:
            ops.withdraw_criticism(row, current_user, reason=form.reason.data)
    except TransitionError as error:
        db.session.rollback()
        row = _criticism_of(get_or_404(Assembly, assembly_id), criticism_id)
        form.form_errors.append(str(error))
        return _criticism_page(assembly, row, 422, **{key: form})
    db.session.commit()
    flash(_("已修改。") if change == "edit" else _("已撤回，原因已记录。"), "success")
    if change == "withdraw":
        return redirect(url_for("assembly.assembly", assembly_id=assembly.id) + "#criticisms")
    return redirect(url_for("assembly.criticism", assembly_id=assembly.id,
                            criticism_id=row.id))


# --- the day ------------------------------------------------------------------------------------

def _session_context(assembly):
    rows = ops.criticisms_of(assembly)
    current = next((c for c in rows if c.round_state == RoundState.OPEN), None)
    progress = {c.id: ops.progress(c, assembly) for c in rows if c.round_state != "waiting"}
    visible = {c.id: ops.scores_visible(c, assembly) for c in rows}
    scores = {c.id: ops.scores_of(c) for c in rows if visible[c.id]}
    return dict(assembly=assembly, criticisms=rows, current=current, progress=progress,
                visible=visible, scores=scores, jurors=ops.jurors_of(assembly, drawn=True),
                step_form=StepForm(formdata=None), State=AssemblyState, RoundState=RoundState,
                combine=ops.combine)


@bp.route("/assemblies/<uuid:assembly_id>/session")
@staff(*CLERKS)
def session(assembly_id):
    """The clerk's screen: the order of criticisms, the current round and how far the jury is.
    htmx refreshes the round every few seconds; without JavaScript, the refresh link does it."""
    assembly = get_or_404(Assembly, assembly_id)
    context = _session_context(assembly)
    if request.args.get("part") == "round":
        if context["current"] is None:  # the round was closed meanwhile: reload the screen
            return "", 200, {"HX-Refresh": "true"}
        return render_template("assembly/_round.html", **context)
    if request.htmx and not request.htmx.boosted:
        return render_template("assembly/_session.html", **context)
    return render_template("assembly/session.html", **context)


def _session_error(assembly, error, status=422):
    context = _session_context(assembly)
    return render_template("assembly/session.html", error=error, **context), status


@bp.route("/assemblies/<uuid:assembly_id>/criticisms/<uuid:criticism_id>/"
          "<any(open, close):round_step>", methods=["POST"])
@staff(*CLERKS)
def round_step(assembly_id, criticism_id, round_step):
    assembly = get_or_404(Assembly, assembly_id)
    row = _criticism_of(assembly, criticism_id)
    if not StepForm().validate_on_submit():
        return _session_error(assembly, _("请刷新页面后重试。"))
    try:
        if round_step == "open":
            ops.open_round(row, assembly)
        else:
            ops.close_round(row, assembly, current_township(), current_user)
    except TransitionError as error:
        db.session.rollback()
        return _session_error(get_or_404(Assembly, assembly_id), str(error))
    db.session.commit()
    return redirect(url_for("assembly.session", assembly_id=assembly.id))


@bp.route("/assemblies/<uuid:assembly_id>/criticisms/<uuid:criticism_id>/paper",
          methods=["POST"])
@staff(*CLERKS)
def paper_sheet(assembly_id, criticism_id):
    """One paper score sheet typed in by the clerk (the sheet carries no name)."""
    assembly = get_or_404(Assembly, assembly_id)
    row = _criticism_of(assembly, criticism_id)
    if not StepForm().validate_on_submit():
        return _session_error(assembly, _("请刷新页面后重试。"))
    values = {c["key"]: request.form.get(c["key"]) for c in assembly.criteria}
    try:
        ops.enter_paper_sheet(row, assembly, values)
    except TransitionError as error:
        db.session.rollback()
        return _session_error(get_or_404(Assembly, assembly_id), str(error))
    db.session.commit()
    flash(_("已录入一张纸质评分表。"), "success")
    return redirect(url_for("assembly.session", assembly_id=assembly.id))


@bp.route("/assemblies/<uuid:assembly_id>/jury-links")
@staff(*CLERKS)
def jury_links(assembly_id):
    """Each drawn juror's personal link and QR code, to hand out (cut along the lines)."""
    from app.notices.pdf import qr_data_uri

    assembly = get_or_404(Assembly, assembly_id)
    township = current_township()
    links = []
    for juror in ops.jurors_of(assembly, drawn=True):
        if juror.token is None:  # expired with the results
            continue
        url = url_for("assembly_public.juror", slug=township.slug, juror_token=juror.token,
                      _external=True)
        links.append((juror, url, qr_data_uri(url)))
    return render_template("assembly/jury_links.html", assembly=assembly, links=links)


@bp.route("/assemblies/<uuid:assembly_id>/score-sheet.pdf")
@staff()
def score_sheet(assembly_id):
    """The paper score sheet for jurors without a phone: every criticism, every criterion."""
    from app.notices.pdf import render_pdf

    assembly = get_or_404(Assembly, assembly_id)
    pdf = render_pdf("assembly_score_sheet.html", township=current_township(),
                     assembly=assembly, criticisms=ops.criticisms_of(assembly),
                     max_points=ops.MAX_POINTS)
    return pdf, 200, {"Content-Type": "application/pdf",
                      "Content-Disposition": 'inline; filename="score-sheet.pdf"'}


@bp.route("/overdue")
@staff()
def overdue():
    """Criticisms whose reply is overdue, for the leaders (问责)."""
    township = current_township()
    today = local_today(township)
    return render_template("assembly/overdue.html", rows=ops.overdue(township, today),
                           today=today)

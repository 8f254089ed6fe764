"""The county's pages (/c/<county_slug>/…), the operator's county pages (/platform/counties) and
the township's side of escalation to the county (/t/<slug>/county/…).

County pages bind no township: what they read of a township goes through app.counties.scope,
which knows the county's own townships only and records each opening of residents' data.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app.access import operator, staff
from app.accounts.models import Role, User
from app.clock import township_today
from app.counties import operations as ops
from app.counties import scope
from app.counties.access import county_staff, has_county_role
from app.counties.forms import (
    AnswerForm,
    AttachForm,
    CountyForm,
    DepartmentForm,
    DispatchForm,
    EscalateForm,
    InviteForm,
    ReturnForm,
    SettingsForm,
    StaffForm,
)
from app.counties.models import (
    County,
    CountyEscalation,
    CountyGrant,
    CountyRole,
    Department,
    EscalationState,
)
from app.extensions import db
from app.matters.models import Matter
from app.matters.operations import TransitionError
from app.tenancy import TenantBlueprint, bind_township, current_township
from app.townships.models import Township

bp = Blueprint("counties", __name__)


def _load_county(endpoint, values):
    slug = (values or {}).pop("county_slug", None)
    if slug is None:
        return
    county = db.session.scalar(select(County).where(County.slug == slug))
    if county is None:
        abort(404)
    g.county = county
    bind_township(db.session, None)


def _add_county_slug(endpoint, values):
    if "county_slug" not in values and g.get("county") is not None:
        values["county_slug"] = g.county.slug


county_bp = Blueprint("county", __name__, url_prefix="/c/<county_slug>")
county_bp.url_value_preprocessor(_load_county)
county_bp.url_defaults(_add_county_slug)

# The township's side: escalating one of its matters, and its rank in the county.
township_bp = TenantBlueprint("township", __name__, url_prefix="/county")

LEADERS = (CountyRole.COUNTY_ADMIN, CountyRole.COUNTY_LEADER, CountyRole.COUNTY_SUPERVISOR)
QUEUE_ROLES = (*LEADERS, CountyRole.DEPARTMENT_STAFF)


@bp.app_context_processor
def _county_helpers():
    return {"has_county_role": has_county_role, "CountyRole": CountyRole,
            "county_role_label": lambda role: CountyRole(role).label,
            "county_rank": county_rank, "my_counties": _my_counties}


def _my_counties():
    from app.counties.models import counties_of

    return counties_of(current_user)


def county_rank(township, start, last_day):
    """(county, rank, of how many) of a township among its county's, for the days
    [start, last_day]; None when the township has no county. Its own rank only: a township does
    not see the other townships' figures."""
    from datetime import timedelta

    from app.counties import figures

    if township is None or township.county_id is None:
        return None
    from app.tenancy import platform_wide

    county = db.session.get(County, township.county_id)
    ids = county.township_ids()
    with platform_wide():  # the county's other townships' rows count in the rank, unseen
        rank, total = figures.rank_of(township.id, ids, start, last_day + timedelta(days=1),
                                      _today())
    return county, rank, total


def _today():
    """Today in the county (its townships keep China's time)."""
    return township_today()


# ---------------------------------------------------------------- the operator

@bp.route("/platform/counties", methods=["GET", "POST"])
@operator
def platform_counties():
    form = CountyForm()
    if form.validate_on_submit():
        try:
            county = ops.create_county(code=form.code.data, name=form.name.data,
                                       slug=form.slug.data)
        except ops.CountyError as exc:
            form.code.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("已创建“%(name)s”，请邀请它的第一位管理员。", name=county.name), "success")
            return redirect(url_for(".platform_county", county_id=county.id))
    counties = db.session.scalars(select(County).order_by(County.code)).all()
    return render_template("counties/platform_counties.html", form=form, counties=counties), (
        422 if form.errors else 200)


@bp.route("/platform/counties/<uuid:county_id>", methods=["GET", "POST"])
@operator
def platform_county(county_id: uuid.UUID):
    county = db.session.get(County, county_id)
    if county is None:
        abort(404)
    invite, attach = InviteForm(prefix="invite"), AttachForm(prefix="attach")
    attach.township.choices = [(str(t.id), f"{t.name}（{t.division_code or t.slug}）")
                               for t in ops.attachable_townships(county, by_code=False)]
    link, status = None, 200
    if request.method == "POST" and "attach-township" in request.form:
        if attach.validate_on_submit():
            township = db.session.get(Township, uuid.UUID(attach.township.data))
            try:
                ops.attach_township(county, township, current_user)
            except ops.CountyError as exc:
                attach.township.errors.append(str(exc))
            else:
                db.session.commit()
                flash(_("已将“%(name)s”归入本县。", name=township.name), "success")
                return redirect(url_for(".platform_county", county_id=county.id))
        status = 422
    elif request.method == "POST":
        if invite.validate_on_submit():
            try:
                user, token = ops.invite_county_user(
                    county, username=invite.username.data, name=invite.name.data,
                    phone=invite.phone.data, role=CountyRole.COUNTY_ADMIN)
            except ops.CountyError as exc:
                invite.username.errors.append(str(exc))
            else:
                db.session.commit()
                link = _invitation_link(token)
                if link is None:
                    flash(_("“%(name)s”已有账号，已授予县级管理员角色。", name=user.name),
                          "success")
        if invite.errors:
            status = 422
    return render_template("counties/platform_county.html", county=county, invite=invite,
                           attach=attach, link=link, townships=scope.townships(county),
                           grants=_grants(county)), status


def _invitation_link(token):
    if token is None:
        return None
    return url_for("accounts.accept_invitation", token=token, _external=True)


def _grants(county):
    return db.session.execute(
        select(CountyGrant, User).join(User, User.id == CountyGrant.user_id)
        .where(CountyGrant.county_id == county.id).order_by(CountyGrant.role, User.name)).all()


# ---------------------------------------------------------------- the county's own pages

@county_bp.route("/")
@county_staff()
def home():
    county = scope.current_county()
    today = _today()
    queue = _queue_rows(county, open_only=True)
    overdue = sum(1 for e, _m in queue if e.due_on < today)
    return render_template("counties/home.html", county=county,
                           townships=scope.townships(county), queue=queue[:10],
                           open_count=len(queue), overdue=overdue, today=today)


def _queue_rows(county, *, open_only: bool, state: str | None = None):
    held = has_county_role(*LEADERS)
    department_ids = None if held else ops.department_ids_of(current_user, county)
    if not held and not has_county_role(CountyRole.DEPARTMENT_STAFF):
        return []
    states = ([EscalationState.WAITING, EscalationState.OPEN] if open_only
              else [state] if state else None)
    return db.session.execute(ops.escalations_query(
        county, scope.township_ids(county), department_ids=department_ids, states=states),
        execution_options={"all_townships": True}).all()


@county_bp.route("/settings", methods=["GET", "POST"])
@county_staff(CountyRole.COUNTY_ADMIN)
def settings():
    county = scope.current_county()
    form = SettingsForm(obj=None if request.method == "POST" else _settings_obj(county))
    if form.validate_on_submit():
        workdays, norm = int(form.escalation_workdays.data), int(form.households_per_cadre.data)
        if not 1 <= workdays <= 60:
            form.escalation_workdays.errors.append(_("1–60 个工作日"))
        if not 1 <= norm <= 500:
            form.households_per_cadre.errors.append(_("1–500 户"))
        if not form.errors:
            county.escalation_workdays, county.households_per_cadre = workdays, norm
            db.session.commit()
            flash(_("已保存。之后上报的事项按新时限计算。"), "success")
            return redirect(url_for(".settings"))
    return render_template("counties/settings.html", county=county, form=form), (
        422 if form.errors else 200)


def _settings_obj(county):
    from types import SimpleNamespace

    return SimpleNamespace(escalation_workdays=str(county.escalation_workdays),
                           households_per_cadre=str(county.households_per_cadre))


@county_bp.route("/departments", methods=["GET", "POST"])
@county_staff(CountyRole.COUNTY_ADMIN)
def departments():
    county = scope.current_county()
    form = DepartmentForm()
    if form.validate_on_submit():
        try:
            ops.add_department(county, form.name.data)
        except ops.CountyError as exc:
            form.name.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("已添加部门。"), "success")
            return redirect(url_for(".departments"))
    rows = db.session.scalars(select(Department).where(Department.county_id == county.id)
                              .order_by(Department.active.desc(), Department.name)).all()
    return render_template("counties/departments.html", county=county, form=form,
                           departments=rows), (422 if form.errors else 200)


@county_bp.route("/departments/<uuid:department_id>/active", methods=["POST"])
@county_staff(CountyRole.COUNTY_ADMIN)
def department_active(department_id):
    """Retire a department (its escalations keep naming it) or bring it back."""
    department = _department_or_404(scope.current_county(), department_id)
    ops.set_department_active(department, request.form.get("active") == "1")
    db.session.commit()
    return redirect(url_for(".departments"))


def _department_or_404(county, department_id) -> Department:
    try:
        department = db.session.get(Department, uuid.UUID(str(department_id)))
    except ValueError:
        abort(404)
    if department is None or department.county_id != county.id:
        abort(404)
    return department


def _department_choices(county, blank: str | None = None):
    rows = db.session.scalars(select(Department).where(
        Department.county_id == county.id, Department.active.is_(True))
        .order_by(Department.name)).all()
    return ([("", blank)] if blank is not None else []) + [(str(d.id), d.name) for d in rows]


@county_bp.route("/staff", methods=["GET", "POST"])
@county_staff(CountyRole.COUNTY_ADMIN)
def staff_page():
    county = scope.current_county()
    form = StaffForm()
    form.role.choices = [(r.value, r.label) for r in CountyRole]
    form.department.choices = _department_choices(county, blank=_("（不属于部门）"))
    link = None
    if form.validate_on_submit():
        department = (_department_or_404(county, form.department.data)
                      if form.department.data else None)
        try:
            user, token = ops.invite_county_user(
                county, username=form.username.data, name=form.name.data,
                phone=form.phone.data, role=form.role.data, department=department)
        except ops.CountyError as exc:
            form.role.errors.append(str(exc))
        else:
            db.session.commit()
            link = _invitation_link(token)
            flash(_("已授予“%(name)s”%(role)s角色。", name=user.name,
                    role=CountyRole(form.role.data).label), "success")
    return render_template("counties/staff.html", county=county, form=form, link=link,
                           grants=_grants(county)), (422 if form.errors else 200)


@county_bp.route("/staff/revoke", methods=["POST"])
@county_staff(CountyRole.COUNTY_ADMIN)
def revoke():
    county = scope.current_county()
    try:
        ops.revoke_county_grant(county, uuid.UUID(request.form.get("grant_id", "")))
    except (ValueError, ops.CountyError):
        abort(404)
    db.session.commit()
    flash(_("已收回授权。"), "success")
    return redirect(url_for(".staff_page"))


@county_bp.route("/staff/deactivate", methods=["POST"])
@county_staff(CountyRole.COUNTY_ADMIN)
def deactivate():
    """Design §6: an account whose roles are all in this county is deactivated (the accounts'
    one life-cycle operation, app.accounts.operations.deactivate_user); one with roles elsewhere
    only loses this county's."""
    from app.accounts.models import RoleGrant

    county = scope.current_county()
    try:
        user = db.session.get(User, uuid.UUID(request.form.get("user_id", "")))
    except ValueError:
        abort(404)
    reason = (request.form.get("reason") or "").strip()
    mine = db.session.scalars(select(CountyGrant).where(
        CountyGrant.county_id == county.id, CountyGrant.user_id == getattr(user, "id", None))
        ).all()
    if user is None or not mine:
        abort(404)
    if not reason:
        flash(_("停用账号须写明原因。"), "error")
        return redirect(url_for(".staff_page"))
    elsewhere = db.session.scalar(select(RoleGrant.id).where(RoleGrant.user_id == user.id)
                                  .limit(1), execution_options={"all_townships": True}) or \
        db.session.scalar(select(CountyGrant.id).where(CountyGrant.user_id == user.id,
                                                       CountyGrant.county_id != county.id))
    if elsewhere:
        for grant in mine:
            db.session.delete(grant)
        db.session.commit()
        flash(_("“%(name)s”在其他单位还有角色，已收回本县的授权，账号未停用。", name=user.name),
              "success")
        return redirect(url_for(".staff_page"))
    from app.accounts.operations import deactivate_user

    deactivate_user(current_user, user, reason)
    db.session.commit()
    flash(_("已停用“%(name)s”的账号。", name=user.name), "success")
    return redirect(url_for(".staff_page"))


@county_bp.route("/townships", methods=["GET", "POST"])
@county_staff(CountyRole.COUNTY_ADMIN)
def townships():
    """The county's townships; the administrator attaches an existing township of its code."""
    county = scope.current_county()
    form = AttachForm()
    form.township.choices = [(str(t.id), f"{t.name}（{t.division_code}）")
                             for t in ops.attachable_townships(county, by_code=True)]
    if form.validate_on_submit():
        township = db.session.get(Township, uuid.UUID(form.township.data))
        try:
            ops.attach_township(county, township, current_user, require_code_prefix=True)
        except ops.CountyError as exc:
            form.township.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("已将“%(name)s”归入本县。", name=township.name), "success")
            return redirect(url_for(".townships"))
    return render_template("counties/townships.html", county=county, form=form,
                           townships=scope.townships(county)), (422 if form.errors else 200)


# ---------------------------------------------------------------- escalations

@county_bp.route("/escalations")
@county_staff(*QUEUE_ROLES)
def queue():
    county = scope.current_county()
    state = request.args.get("state", "open")
    if state not in ("open", *[s.value for s in EscalationState], "all"):
        state = "open"
    rows = _queue_rows(county, open_only=state == "open",
                       state=None if state in ("open", "all") else state)
    names = {t.id: t.name for t in scope.townships(county)}
    return render_template("counties/queue.html", county=county, rows=rows, state=state,
                           names=names, today=_today(), states=list(EscalationState))


def _escalation_or_404(escalation_id) -> CountyEscalation:
    county = scope.current_county()
    escalation = scope.county_get_or_404(CountyEscalation, escalation_id, county)
    if escalation.county_id != county.id:
        abort(404)
    if not has_county_role(*LEADERS) and \
            escalation.department_id not in ops.department_ids_of(current_user, county):
        abort(404)  # another department's matter
    return escalation


def _escalation_page(escalation, status=200, **forms):
    county = scope.current_county()
    matter = escalation.matter
    dispatch = forms.get("dispatch") or DispatchForm()
    dispatch.department.choices = _department_choices(county)
    township = db.session.get(Township, escalation.township_id)
    history = db.session.scalars(select(CountyEscalation).where(
        CountyEscalation.township_id == matter.township_id,
        CountyEscalation.matter_id == matter.id).order_by(CountyEscalation.escalated_at)).all()
    return render_template(
        "counties/escalation.html", county=county, escalation=escalation, matter=matter,
        township=None, matter_township=township, dispatch=dispatch,
        answer=forms.get("answer") or AnswerForm(), back=forms.get("back") or ReturnForm(),
        error=forms.get("error"), today=_today(), history=history,
        mine=escalation.department_id in ops.department_ids_of(current_user, county)), status


@county_bp.route("/escalations/<uuid:escalation_id>")
@county_staff(*QUEUE_ROLES)
def escalation(escalation_id):
    escalation = _escalation_or_404(escalation_id)
    scope.record_read(escalation.matter, current_user, scope.current_county(),
                      what=escalation.matter.number)
    db.session.commit()
    return _escalation_page(escalation)


def _act(escalation, action, **forms):
    try:
        action()
    except TransitionError as exc:
        db.session.rollback()
        bind_township(db.session, None)
        return _escalation_page(_escalation_or_404(escalation.id), 422, error=str(exc), **forms)
    db.session.commit()
    bind_township(db.session, None)
    return redirect(url_for(".escalation", escalation_id=escalation.id))


@county_bp.route("/escalations/<uuid:escalation_id>/dispatch", methods=["POST"])
@county_staff(CountyRole.COUNTY_SUPERVISOR, CountyRole.COUNTY_ADMIN)
def escalation_dispatch(escalation_id):
    escalation = _escalation_or_404(escalation_id)
    form = DispatchForm()
    form.department.choices = _department_choices(scope.current_county())
    if not form.validate_on_submit():
        return _escalation_page(escalation, 422, dispatch=form)
    department = _department_or_404(scope.current_county(), form.department.data)
    return _act(escalation, lambda: ops.dispatch(escalation, current_user, department),
                dispatch=form)


@county_bp.route("/escalations/<uuid:escalation_id>/answer", methods=["POST"])
@county_staff(CountyRole.DEPARTMENT_STAFF)
def escalation_answer(escalation_id):
    escalation = _escalation_or_404(escalation_id)
    form = AnswerForm()
    if escalation.department_id not in ops.department_ids_of(current_user,
                                                             scope.current_county()):
        abort(404)
    if not form.validate_on_submit():
        return _escalation_page(escalation, 422, answer=form)
    return _act(escalation, lambda: ops.answer(
        escalation, current_user, public_text=form.public_text.data,
        private_notes=form.private_notes.data or ""), answer=form)


@county_bp.route("/escalations/<uuid:escalation_id>/return", methods=["POST"])
@county_staff(CountyRole.DEPARTMENT_STAFF, CountyRole.COUNTY_SUPERVISOR)
def escalation_return(escalation_id):
    escalation = _escalation_or_404(escalation_id)
    form = ReturnForm()
    if not form.validate_on_submit():
        return _escalation_page(escalation, 422, back=form)
    return _act(escalation, lambda: ops.hand_back(escalation, current_user,
                                                  reason=form.reason.data), back=form)


@county_bp.route("/matters/<uuid:matter_id>")
@county_staff(*LEADERS)
def matter(matter_id):
    """A township's matter, read-only, for the county's leaders (recorded as a county read)."""
    county = scope.current_county()
    row = scope.county_read_or_404(Matter, matter_id, current_user, county)
    db.session.commit()
    escalations = db.session.scalars(select(CountyEscalation).where(
        CountyEscalation.township_id == row.township_id,
        CountyEscalation.matter_id == row.id)).all()
    return render_template("counties/matter.html", county=county, matter=row,
                           matter_township=db.session.get(Township, row.township_id),
                           escalations=escalations)


# ---------------------------------------------------------------- comparing townships

PERIOD_LABELS = {"month": _l("月"), "quarter": _l("季度"), "half": _l("半年"), "year": _l("年")}


def _period():
    """The period asked for (?period=month|quarter|half|year&on=YYYY-MM-DD), default this month."""
    from datetime import date as date_type

    from app.matters.rates import PERIODS

    kind = request.args.get("period", "month")
    if kind not in PERIODS:
        kind = "month"
    try:
        day = date_type.fromisoformat(request.args.get("on", ""))
    except ValueError:
        day = _today()
    start, end = PERIODS[kind](day)
    return kind, day, start, end


@county_bp.route("/dashboard")
@county_staff(*LEADERS)
def dashboard():
    from app.counties import figures

    county = scope.current_county()
    kind, day, start, end = _period()
    by = request.args.get("by", "township")
    if by not in figures.GROUPS:
        by = "township"
    ids = scope.township_ids(county)
    ranked = figures.ranked(figures.cached_figures(ids, start, end, _today(), by=by))
    if request.args.get("format") == "xlsx":  # the whole ranking, every row
        return _ranking_workbook(county, by, kind, start, ranked)
    # Villages (600) and cadres (10,000) are ranked in full and shown a page at a time (the
    # cadres 50 to a page: each row is a dozen links).
    per_page = CADRES_PER_PAGE if by == "cadre" else PER_PAGE
    pager = _page_of(len(ranked), per_page)
    rows = ranked[(pager.page - 1) * per_page: pager.page * per_page]
    names = _names(county, by, rows)
    departments = figures.department_figures(county.id, ids, start, end, _today())
    department_names = {d.id: d.name for d in county.departments}
    from app import dashboard_charts as dc

    def link(row, figure):
        args = {"period": kind, "on": day.isoformat()}
        if by == "township":
            args["township"] = row.key
        elif by == "village":
            args.update(township=row.key[0], village=row.key[1])
        else:
            args["cadre"] = row.key
        return url_for("counties.county.dashboard_rows", figure=figure, **args)

    charts = dict(trends=dc.county_trends(ids, day, _today()),
                  rankings=dc.county_rankings(rows, names, link))
    return render_template("counties/dashboard.html", county=county, rows=rows, names=names,
                           **charts,
                           by=by, kind=kind, day=day, start=start, end=end,
                           periods=PERIOD_LABELS, departments=departments,
                           department_names=department_names, pager=pager,
                           pager_args={k: v for k, v in request.args.items() if k != "page"})


PER_PAGE = 100
CADRES_PER_PAGE = 50


def _ranking_workbook(county, by, kind, start, ranked):
    """The dashboard's ranking as Excel: every township, village or cadre, with its rank."""
    from app.spreadsheets import workbook_response

    names = _names(county, by, ranked)

    def pc(figure):
        return figure.percent if figure.percent is not None else ""

    headers = [_("名次"), _("名称"), _("受理"), _("问题解决率"), _("群众满意率"), _("入户走访率"),
               _("按时办结率"), _("超期"), _("上报县级"),
               _("联系户数") if by == "cadre" else _("联户覆盖率"), _("户均走访"), _("抽查不符")]
    rows = ([r.rank, names.get(r.key, ""), r.received, pc(r.resolution_rate),
             pc(r.satisfaction_rate), pc(r.visit_rate), pc(r.on_time_rate), r.overdue,
             r.escalated, r.households if by == "cadre" else pc(r.coverage),
             r.visits_per_household if r.visits_per_household is not None else "",
             r.mismatches] for r in ranked)
    return workbook_response(f"{county.code}-{by}-{kind}-{start.isoformat()}.xlsx",
                             str(PERIOD_LABELS[kind]), headers, rows)


def _page_of(total: int, per_page: int):
    from types import SimpleNamespace

    pages = max(1, -(-total // per_page))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    return SimpleNamespace(page=page, pages=pages, total=total, has_prev=page > 1,
                           has_next=page < pages, prev_num=page - 1, next_num=page + 1)


def _names(county, by, rows) -> dict:
    from app.households.models import Village

    towns = {t.id: t.name for t in scope.townships(county)}
    if by == "township":
        return towns
    if by == "village":
        ids = scope.township_ids(county)
        villages = db.session.execute(
            select(Village.township_id, Village.id, Village.name)
            .where(Village.township_id.in_(ids)), execution_options={"all_townships": True})
        return {(t, v): f"{towns.get(t, '')} · {name}" for t, v, name in villages}
    keys = [r.key for r in rows]
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(keys))).all())


@county_bp.route("/dashboard/rows")
@county_staff(*LEADERS)
def dashboard_rows():
    """The matters or households one figure of the dashboard counts."""
    from app.counties import figures

    county = scope.current_county()
    kind, day, start, end = _period()
    figure = request.args.get("figure", "received")
    ids = scope.township_ids(county)
    township_id = _county_township_arg(ids)
    village_id = _uuid_arg("village")
    cadre_id = _uuid_arg("cadre")
    if figure in ("covered", "uncovered"):
        query = figures.households_query(ids, figure, township_id=township_id,
                                         village_id=village_id)
        items = db.paginate(query, per_page=50, error_out=False)
        return render_template("counties/rows_households.html", county=county, page=items,
                               figure=figure, names={t.id: t.name for t in scope.townships()},
                               args=_args())
    if figure not in figures.ROW_FIGURES:
        abort(404)
    query = figures.rows_query(ids, start, end, _today(), figure, township_id=township_id,
                               village_id=village_id, cadre_id=cadre_id)
    items = db.paginate(query, per_page=50, error_out=False)
    return render_template("counties/rows_matters.html", county=county, page=items,
                           figure=figure, kind=kind, start=start, end=end,
                           names={t.id: t.name for t in scope.townships()}, args=_args())


def _args() -> dict:
    return {k: v for k, v in request.args.items() if k != "page"}


def _uuid_arg(name):
    value = request.args.get(name)
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        abort(404)


def _county_township_arg(ids):
    township_id = _uuid_arg("township")
    if township_id is not None and township_id not in ids:
        abort(404)
    return township_id


@county_bp.route("/coverage")
@county_staff(*LEADERS)
def coverage():
    from app.counties import coverage as report

    county = scope.current_county()
    from app.counties.figures import cached

    ids = tuple(sorted(scope.township_ids(county), key=str))
    data = cached("coverage", lambda: report.coverage(county, ids), county.id,
                  county.households_per_cadre, ids)
    if request.args.get("format") == "xlsx":
        return report.workbook(county, data).response(f"{county.code}-coverage.xlsx")
    return render_template("counties/coverage.html", county=county, data=data)


# ---------------------------------------------------------------- the county's contact cards

@county_bp.route("/contact-cards", methods=["GET", "POST"])
@county_staff(CountyRole.COUNTY_ADMIN)
def contact_cards():
    """Every township's contact cards by village (one batch per township, its parts shared by
    the workers): asked for at once, followed here, downloaded per township or village."""
    from app import public_url
    from app.counties import documents

    county = scope.current_county()
    towns = scope.townships(county)
    if request.method == "POST":
        asked, empty = documents.request_contact_cards(county, towns, current_user,
                                                       base=public_url.for_job())
        db.session.commit()
        if asked:
            flash(_("已为%(n)d个乡镇生成联系卡（按村分批）。", n=len(asked)), "success")
        if empty:
            flash(_("以下乡镇还没有村（社区），没有生成：%(names)s",
                    names="、".join(t.name for t in empty)), "error")
        return redirect(url_for(".contact_cards"))
    rows = documents.latest(towns)
    pending = any(r.batch is not None and r.batch.state in ("queued", "rendering") for r in rows)
    return render_template("counties/contact_cards.html", county=county, rows=rows,
                           pending=pending)


@county_bp.route("/contact-cards/<uuid:cards_id>/download")
@county_staff(CountyRole.COUNTY_ADMIN)
def contact_cards_download(cards_id):
    """One township's combined cards or one village's part, of a township of this county."""
    from app.counties.documents import KIND, PART
    from app.notices.models import Document
    from app.notices.storage import pdf_download

    doc = scope.county_get_or_404(Document, cards_id)
    # The batch itself, or one of a batch's village parts (not a village pack asked on its own).
    is_cards = doc.kind == KIND or (doc.kind == PART and doc.batch_id is not None)
    if not is_cards or doc.state != "ready" or not doc.storage_key:
        abort(404)
    response = pdf_download(doc.storage_key, doc.download_name)
    scope.record_read(doc, current_user, scope.current_county(), doc.title)
    db.session.commit()
    return response


# ---------------------------------------------------------------- county cadres (双覆盖)

@county_bp.route("/cadres", methods=["GET", "POST"])
@county_staff(CountyRole.COUNTY_ADMIN)
def cadres():
    """The county's cadres and their households in each township; link one, or many from a
    sheet."""
    from app.counties import cadres as links
    from app.counties.forms import LinkForm, SheetForm

    county = scope.current_county()
    form, sheet = LinkForm(), SheetForm(prefix="sheet")
    people = links.county_cadres(county)
    towns = scope.townships(county)
    form.cadre.choices = [(str(u.id), f"{u.name}（{u.username}）") for u in people]
    form.township.choices = [(str(t.id), t.name) for t in towns]
    result = None
    if request.method == "POST" and "sheet-sheet" in request.files:
        if sheet.validate_on_submit():
            try:
                result = links.link_from_sheet(county, sheet.sheet.data.stream, current_user)
            except links.LinkError as exc:
                sheet.sheet.errors.append(str(exc))
            else:
                db.session.commit()
    elif form.validate_on_submit():
        township = scope.county_township_or_404(form.township.data, county)
        cadre = db.session.get(User, uuid.UUID(form.cadre.data))
        try:
            household = links.find_household(township, form.head_name.data,
                                             form.address.data or "")
            links.link_household(county, cadre, household, current_user)
        except links.LinkError as exc:
            form.head_name.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("已将该户联系干部设为%(name)s。", name=cadre.name), "success")
            return redirect(url_for(".cadres"))
    load = links.loads(county, scope.township_ids(county))
    return render_template("counties/cadres.html", county=county, form=form, sheet=sheet,
                           people=people, towns=towns, load=load, result=result), (
        422 if form.errors or sheet.errors else 200)


@county_bp.route("/my-households")
@county_staff(CountyRole.COUNTY_CADRE)
def my_households():
    from app.counties import cadres as links

    county = scope.current_county()
    rows = links.households_of(county, current_user.id, scope.township_ids(county))
    return render_template("counties/my_households.html", county=county, rows=rows)


def _cadre_household_or_404(household_id):
    from app.households.models import Household

    county = scope.current_county()
    household = scope.county_get_or_404(Household, household_id, county)
    if not has_county_role(*LEADERS) and household.contact_cadre_id != current_user.id:
        abort(404)  # a county cadre opens only the households they are linked to
    return household


@county_bp.route("/households/<uuid:county_household_id>", methods=["GET", "POST"])
@county_staff(*LEADERS, CountyRole.COUNTY_CADRE)
def household(county_household_id):
    """A household of a township of the county, for its county contact cadre (who records
    visits here, counted in that township's figures) and the county's leaders. Opening it is
    recorded in the township's audit log."""
    from app.counties.forms import VisitForm
    from app.households.models import VisitMethod
    from app.visits import operations as visits

    county = scope.current_county()
    row = _cadre_household_or_404(county_household_id)
    township = db.session.get(Township, row.township_id)
    form = VisitForm()
    form.method.choices = [(m.value, m.label) for m in VisitMethod]
    mine = row.contact_cadre_id == current_user.id
    if request.method == "POST":
        if not mine:
            abort(403)
        if form.validate_on_submit():
            bind_township(db.session, row.township_id)
            try:
                visits.record_visit(township, current_user, household=row,
                                    visited_on=form.visited_on.data, method=form.method.data,
                                    notes=form.notes.data or "")
            except TransitionError as exc:
                form.visited_on.errors.append(str(exc))
            else:
                db.session.commit()
                flash(_("已记录走访。"), "success")
                return redirect(url_for(".household", county_household_id=row.id))
    else:
        scope.record_read(row, current_user, county, what=row.address or "")
        db.session.commit()
        form.visited_on.data = _today()
    history = visits.visits_of(row, limit=10)
    return render_template("counties/household.html", county=county, household=row,
                           matter_township=township, form=form, mine=mine, history=history), (
        422 if form.errors else 200)


# ---------------------------------------------------------------- spot-checks

SUPERVISORS = (CountyRole.COUNTY_SUPERVISOR, CountyRole.COUNTY_ADMIN)


@county_bp.route("/spot-checks", methods=["GET", "POST"])
@county_staff(*LEADERS)
def spot_checks():
    from app.counties import spotchecks
    from app.counties.forms import CountySpotCheckForm
    from app.counties.models import CountySpotCheck

    county = scope.current_county()
    form = CountySpotCheckForm()
    error = None
    if request.method == "POST":
        if not has_county_role(*SUPERVISORS):
            abort(403)
        if form.validate_on_submit():
            try:
                check = spotchecks.draw(county, current_user, scope.township_ids(county),
                                        start=form.start.data, end=form.end.data,
                                        size=form.size.data)
            except TransitionError as exc:
                db.session.rollback()
                bind_township(db.session, None)
                error = str(exc)
            else:
                db.session.commit()
                return redirect(url_for(".spot_check", county_check_id=check.id))
    elif not form.start.data:
        from app.matters.rates import month_period

        form.start.data, form.end.data = month_period(_today().replace(day=1) - _one_day())
        form.size.data = 20
    checks = db.session.scalars(select(CountySpotCheck).where(
        CountySpotCheck.county_id == county.id).order_by(CountySpotCheck.created_at.desc())
        .limit(20)).all()
    return render_template("counties/spot_checks.html", county=county, form=form, error=error,
                           checks=[(c, spotchecks.summary(c)) for c in checks]), (
        422 if form.errors or error else 200)


def _one_day():
    from datetime import timedelta

    return timedelta(days=1)


def _county_check_or_404(county_check_id):
    from app.counties.models import CountySpotCheck

    county = scope.current_county()
    check = db.session.get(CountySpotCheck, county_check_id)
    if check is None or check.county_id != county.id:
        abort(404)
    return check


@county_bp.route("/spot-checks/<uuid:county_check_id>")
@county_staff(*LEADERS)
def spot_check(county_check_id):
    from app.counties import spotchecks

    county = scope.current_county()
    check = _county_check_or_404(county_check_id)
    rows = spotchecks.items(check)
    subjects = _subjects(rows)
    return render_template("counties/spot_check.html", county=county, check=check, rows=rows,
                           subjects=subjects, summary=spotchecks.summary(check))


def _subjects(rows) -> dict:
    """{item id: (label, phone)} for the sampled matters and visits."""
    from app.households.models import Household, Visit

    out = {}
    for item, _township in rows:
        if item.matter_id:
            m = db.session.get(Matter, (item.township_id, item.matter_id))
            out[item.id] = (f"{m.number} {m.title}", m.contact_phone, m) if m else ("", "", None)
        elif item.visit_id:
            v = db.session.get(Visit, (item.township_id, item.visit_id))
            h = db.session.get(Household, (item.township_id, v.household_id)) if v else None
            out[item.id] = (f"{_('走访')} {v.visited_on if v else ''} {h.address if h else ''}",
                            h.phone if h else "", h)
    return out


@county_bp.route("/spot-checks/<uuid:county_check_id>/items/<uuid:spot_item_id>",
                 methods=["GET", "POST"])
@county_staff(*SUPERVISORS)
def spot_check_item(county_check_id, spot_item_id):
    """Calling one resident: the number is shown here (and the opening recorded in the
    township's audit log), the answer recorded on the township's own spot-check item."""
    from app.counties import spotchecks
    from app.counties.forms import CallForm

    county = scope.current_county()
    check = _county_check_or_404(county_check_id)
    item = spotchecks.item_of(check, spot_item_id)
    if item is None:
        abort(404)
    township = db.session.get(Township, item.township_id)
    label, phone, subject = _subjects([(item, township)]).get(item.id, ("", "", None))
    form = CallForm()
    error = None
    if form.validate_on_submit():
        try:
            spotchecks.record_call(item, current_user, confirmed=form.confirmed.data == "yes",
                                   note=form.note.data or "")
        except TransitionError as exc:
            db.session.rollback()
            bind_township(db.session, None)
            error = str(exc)
        else:
            db.session.commit()
            flash(_("已记录。"), "success")
            return redirect(url_for(".spot_check", county_check_id=check.id))
    elif request.method == "GET" and subject is not None:
        scope.record_read(subject, current_user, county, what=_("县级抽查回访"))
        db.session.commit()
    return render_template("counties/spot_check_item.html", county=county, check=check,
                           item=item, township=None, item_township=township, label=label,
                           phone=phone, form=form, error=error), (
        422 if form.errors or error else 200)


# ---------------------------------------------------------------- the quarterly report

@county_bp.route("/reports", methods=["GET", "POST"])
@county_staff(*LEADERS)
def reports():
    from app.counties import jobs as county_jobs
    from app.counties import report
    from app.counties.forms import ReportForm
    from app.counties.models import CountyReport

    county = scope.current_county()
    form = ReportForm()
    current = report.quarter_key(_today())
    choices, key = [], current
    for _i in range(6):
        choices.append((key, key))
        key = report.previous_quarter(key)
    form.quarter.choices = choices
    if not form.is_submitted():
        form.quarter.data = report.last_quarter(_today())
    error = None
    if form.validate_on_submit():
        try:
            row = county_jobs.request_report(county, form.quarter.data, current_user)
        except TransitionError as exc:
            error = str(exc)
        else:
            db.session.commit()  # the job is handed over after this request (app.jobs)
            return redirect(url_for(".report", report_id=row.id))
    rows = db.session.scalars(select(CountyReport).where(CountyReport.county_id == county.id)
                              .order_by(CountyReport.created_at.desc()).limit(20)).all()
    return render_template("counties/reports.html", county=county, form=form, rows=rows,
                           error=error), (422 if form.errors or error else 200)


def _report_or_404(report_id):
    from app.counties.models import CountyReport

    row = db.session.get(CountyReport, report_id)
    if row is None or row.county_id != scope.current_county().id:
        abort(404)
    return row


@county_bp.route("/reports/<uuid:report_id>")
@county_staff(*LEADERS)
def report(report_id):
    """The report's progress; the fragment re-renders itself (htmx) until the PDF is made."""
    row = _report_or_404(report_id)
    template = "counties/_report_status.html" if request.headers.get("HX-Request") \
        else "counties/report.html"
    return render_template(template, county=scope.current_county(), row=row)


@county_bp.route("/reports/<uuid:report_id>/download")
@county_staff(*LEADERS)
def report_download(report_id):
    from app.notices.storage import pdf_download

    row = _report_or_404(report_id)
    if row.state != "ready":
        abort(404)
    return pdf_download(row.storage_key,
                        f"{scope.current_county().name}-{row.quarter}-民情地图工作例会.pdf")


# ---------------------------------------------------------------- the township's side

@township_bp.route("/matters/<uuid:matter_id>/escalate", methods=["GET", "POST"])
@staff(Role.TOWNSHIP_ADMIN, Role.LEADER)
def escalate(matter_id):
    from app.matters.views import _load

    township = current_township()
    matter = _load(matter_id)
    county = ops.county_of(township)
    if county is None:
        abort(404)
    form = EscalateForm()
    form.department.choices = _department_choices(county, blank=_("（由县督查室分派）"))
    error = None
    if form.validate_on_submit():
        department = (_department_or_404(county, form.department.data)
                      if form.department.data else None)
        try:
            ops.escalate_to_county(matter, current_user, reason=form.reason.data,
                                   department=department)
        except TransitionError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            flash(_("已上报%(county)s。", county=county.name), "success")
            return redirect(url_for("matters.detail", matter_id=matter.id))
    return render_template("counties/escalate.html", township=township, county=county,
                           matter=matter, form=form, error=error,
                           current=ops.open_escalation(matter)), (
        422 if form.errors or error else 200)


bp.register_blueprint(county_bp)
bp.register_blueprint(township_bp)

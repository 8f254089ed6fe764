"""A township's own pages: its public home, the staff dashboard, and its settings."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.access import has_role, public, staff
from app.accounts import operations as accounts
from app.accounts.models import Role, RoleGrant, User
from app.accounts.operations import invitation_token
from app.audit.operations import changed, record
from app.catalogue.models import Centre
from app.extensions import db
from app.households.models import Grid, Village
from app.matters.operations import local_today
from app.service_models import REGISTRY, SettingsError, Tile, parse_settings
from app.tenancy import TenantBlueprint, current_township, get_or_404, scoped
from app.townships.forms import CalendarDayForm, SessionsForm, StaffForm, service_form
from app.townships.models import CalendarDay
from app.townships.operations import (
    StaffError,
    add_staff,
    revoke,
    set_calendar_day,
    set_service,
)
from app.townships.workdays import uncovered_years

bp = TenantBlueprint("townships", __name__)


@bp.route("/")
@public
def home():
    township = current_township()
    models = [m for m in REGISTRY.values() if township.service_enabled(m.key)]
    return render_template("townships/home.html", township=township, models=models,
                           is_staff=has_role(township))


@bp.route("/login")
@public
def login():
    """Staff type /t/<slug>/login: the sign-in page, landing on this township afterwards."""
    township = current_township()
    return redirect(url_for("accounts.login",
                            next=url_for("townships.dashboard", slug=township.slug)))


@bp.route("/dashboard")
@staff()
def dashboard():
    township = current_township()
    tiles = []
    for model in REGISTRY.values():
        if township.service_enabled(model.key) and model.tiles:
            tiles.extend(model.tiles(township))
    tiles.extend(_visit_frequency_tiles(township))
    return render_template("townships/dashboard.html", township=township, tiles=tiles)


def _visit_frequency_tiles(township) -> list[Tile]:
    """For leaders and administrators: the leaders' 下访 of the period, done against required,
    counted from the recorded visits (三访, shared/seeds/003)."""
    from app.cadres import frequencies

    if not (has_role(township, Role.LEADER) or has_role(township, Role.TOWNSHIP_ADMIN)):
        return []
    report = frequencies.report(township, local_today(township), units=False)
    columns = {kind: (required, win) for kind, required, win in report.columns("leader")}
    if "xiafang" not in columns or not report.leaders:
        return []
    required, win = columns["xiafang"]
    done = sum(1 for row in report.leaders for c in row.cells if c.kind == "xiafang" and c.met)
    return [Tile(label=_("领导下访达标（%(period)s）", period=win.label),
                 value=f"{done}/{len(report.leaders)}", endpoint="cadres.frequencies")]


@bp.route("/settings", methods=["GET", "POST"])
@staff(Role.TOWNSHIP_ADMIN)
def settings():
    township = current_township()
    forms = {}
    for model in REGISTRY.values():
        entry = township.service(model.key)
        form_class = service_form(model)
        submitted = request.method == "POST" and request.form.get("service") == model.key
        form = form_class(
            formdata=request.form if submitted else None,
            prefix=model.key,
            data=None if submitted else {
                "enabled": bool(entry and entry.enabled),
                **vars(model.settings_for(township)),
            },
        )
        forms[model.key] = form
        if submitted and form.validate():
            values = {name: form[name].data for name in form.setting_names}
            try:
                parse_settings(model.settings_class, values)
            except SettingsError as exc:
                for name, message in exc.errors.items():
                    form[name].errors.append(message)
            else:
                entry = township.service(model.key)
                before = {"enabled": bool(entry and entry.enabled),
                          **dict(entry.settings if entry else {})}
                entry = set_service(township, model.key, enabled=form.enabled.data,
                                    settings=values)
                old, new = changed(before, {"enabled": entry.enabled, **dict(entry.settings)})
                record(township.id, current_user, "settings.service", entry,
                       before=old, after=new, summary=f"修改“{model.label}”设置")
                db.session.commit()
                flash(_("“%(name)s”设置已保存。", name=model.label), "success")
                return redirect(url_for(".settings"))
    sessions_form = SessionsForm(prefix="sessions", remember_days=(township.settings or {}).get(
        "remember_days", accounts.REMEMBER_DAYS))
    status = 422 if any(f.errors for f in forms.values()) else 200
    return render_template("townships/settings.html", township=township, forms=forms,
                           models=REGISTRY, sessions_form=sessions_form), status


@bp.route("/settings/sessions", methods=["POST"])
@staff(Role.TOWNSHIP_ADMIN)
def sessions_settings():
    """How long "stay signed in" lasts for this township's staff."""
    township = current_township()
    form = SessionsForm(prefix="sessions")
    if form.validate_on_submit():
        before = (township.settings or {}).get("remember_days", accounts.REMEMBER_DAYS)
        township.settings = {**(township.settings or {}), "remember_days": form.remember_days.data}
        record(township.id, current_user, "settings.sessions", township,
               before={"remember_days": before},
               after={"remember_days": form.remember_days.data},
               summary=f"“保持登录”改为 {form.remember_days.data} 天")
        db.session.commit()
        flash(_("已保存：保持登录最长 %(n)s 天。", n=form.remember_days.data), "success")
    else:
        flash(_("保持登录天数须在 1–90 之间。"), "error")
    return redirect(url_for(".settings"))


@bp.route("/settings/calendar", methods=["GET", "POST"])
@staff(Role.TOWNSHIP_ADMIN)
def calendar():
    township = current_township()
    form = CalendarDayForm()
    if form.validate_on_submit():
        existing = db.session.scalar(select(CalendarDay).where(
            CalendarDay.township_id == township.id, CalendarDay.day == form.day.data))
        before = ({"is_workday": existing.is_workday, "note": existing.note}
                  if existing else None)
        row = set_calendar_day(township, form.day.data, is_workday=form.kind.data == "workday",
                               note=form.note.data or "")
        db.session.flush()
        record(township.id, current_user, "calendar.set", row, before=before,
               after={"day": form.day.data, "is_workday": row.is_workday, "note": row.note},
               summary=f"{form.day.data.isoformat()} 设为"
                       f"{'工作日' if row.is_workday else '休息日'}")
        db.session.commit()
        flash(_("已保存。"), "success")
        return redirect(url_for(".calendar"))
    days = db.session.scalars(
        select(CalendarDay).where(CalendarDay.township_id == township.id).order_by(CalendarDay.day)
    ).all()
    missing = uncovered_years(township.id, local_today(township))
    return render_template("townships/calendar.html", township=township, form=form, days=days,
                           missing_years=missing), (422 if form.errors else 200)


@bp.route("/staff", methods=["GET", "POST"])
@staff(Role.TOWNSHIP_ADMIN)
def staff_list():
    """The township's staff and their roles; adding someone gives an invitation link."""
    township = current_township()
    form = StaffForm()
    form.roles.choices = Role.choices()
    centres = db.session.scalars(scoped(Centre).order_by(Centre.sort_order, Centre.name)).all()
    villages = db.session.scalars(scoped(Village).order_by(Village.sort_order, Village.name)).all()
    form.centre_id.choices = [("", "—")] + [(str(c.id), c.name) for c in centres]
    form.village_id.choices = [("", "—")] + [(str(v.id), v.name) for v in villages]
    link = None
    if form.validate_on_submit():
        centre = get_or_404(Centre, form.centre_id.data) if form.centre_id.data else None
        village = get_or_404(Village, form.village_id.data) if form.village_id.data else None
        try:
            user = add_staff(township, username=form.username.data, name=form.name.data,
                             roles=form.roles.data, centre=centre, village=village,
                             phone=form.phone.data or None, post=form.post.data or None,
                             badge_no=form.badge_no.data or None)
        except StaffError as exc:
            form.username.errors.append(str(exc))
        else:
            record(township.id, current_user, "staff.add", user,
                   after={"username": user.username, "name": user.name,
                          "roles": list(form.roles.data),
                          "centre": centre.name if centre else None,
                          "village": village.name if village else None},
                   summary=f"添加工作人员 {user.name}（{user.username}）")
            db.session.commit()
            link = url_for("accounts.accept_invitation", token=invitation_token(user),
                           _external=True)
            flash(_("已添加 %(name)s。请把邀请链接发给本人设置密码。", name=user.name), "success")
            form = None
    grants = db.session.execute(
        select(RoleGrant, User).join(User, User.id == RoleGrant.user_id)
        .where(RoleGrant.township_id == township.id).order_by(User.name)
    ).all()
    people: dict = {}
    for grant_row, person in grants:
        people.setdefault(person.id, {"user": person, "grants": []})["grants"].append(grant_row)
    if form is None:
        form = StaffForm(formdata=None)
        form.roles.choices = Role.choices()
        form.centre_id.choices = [("", "—")] + [(str(c.id), c.name) for c in centres]
        form.village_id.choices = [("", "—")] + [(str(v.id), v.name) for v in villages]
    return render_template("townships/staff.html", township=township, form=form,
                           people=people.values(), link=link), (422 if form.errors else 200)


@bp.route("/staff/grants/<uuid:grant_id>/revoke", methods=["POST"])
@staff(Role.TOWNSHIP_ADMIN)
def revoke_grant(grant_id):
    township = current_township()
    grant_row = get_or_404(RoleGrant, grant_id)
    person = grant_row.user
    try:
        revoke(township, grant_row)
    except StaffError as exc:
        flash(str(exc), "error")
    else:
        record(township.id, current_user, "role.revoke", person,
               before={"role": grant_row.role,
                       "centre": grant_row.centre.name if grant_row.centre else None,
                       "village": grant_row.village.name if grant_row.village else None},
               summary=f"取消 {person.name} 的角色：{role_text(grant_row.role)}")
        db.session.commit()
        flash(_("已取消该角色。"), "success")
    if request.form.get("back") == "person" and person.roles_in(township.id):
        return redirect(url_for(".staff_person", user_id=person.id))
    return redirect(url_for(".staff_list"))


def role_text(role: str) -> str:
    try:
        return Role(role).label
    except ValueError:
        return role


# ---------------------------------------------------------------- one staff member


def _person(user_id) -> User:
    user = accounts.staff_member(current_township(), user_id)
    if user is None:
        abort(404)  # not this township's staff (another township's id included)
    return user


def _colleagues(township, user: User) -> list[User]:
    """Who may take over `user`'s work: the township's other active staff."""
    return list(db.session.scalars(
        select(User).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.township_id == township.id, User.id != user.id,
               User.active.is_(True)).distinct().order_by(User.name)))


def _person_page(user: User, *, reset_link=None, error=None, status=200):
    township = current_township()
    grants = db.session.scalars(select(RoleGrant).where(
        RoleGrant.township_id == township.id, RoleGrant.user_id == user.id)).all()
    centres = db.session.scalars(scoped(Centre).order_by(Centre.sort_order, Centre.name)).all()
    grids = db.session.scalars(scoped(Grid).where(Grid.retired_at.is_(None))
                               .order_by(Grid.name)).all()
    villages = db.session.scalars(scoped(Village).order_by(Village.sort_order,
                                                           Village.name)).all()
    return render_template(
        "townships/staff_person.html", township=township, person=user, grants=grants,
        roles=Role.choices(), centres=centres, villages=villages, grids=grids,
        work=accounts.work_of(township, user), colleagues=_colleagues(township, user),
        sign_ins=accounts.recent_sign_ins(user, 10), reset_link=reset_link, error=error,
        locked=user.locked(), role_text=role_text), status


@bp.route("/staff/<uuid:user_id>")
@staff(Role.TOWNSHIP_ADMIN)
def staff_person(user_id):
    """One staff member: roles, whether they can sign in, recent sign-ins, what they answer for
    (to hand over when they leave), and the account's actions."""
    return _person_page(_person(user_id))


@bp.route("/staff/<uuid:user_id>/grant", methods=["POST"])
@staff(Role.TOWNSHIP_ADMIN)
def staff_grant(user_id):
    """Give the person one more role here (centre staff name a centre, assistants a village)."""
    from app.accounts.operations import grant

    township = current_township()
    user = _person(user_id)
    try:
        role = Role(request.form.get("role", ""))
    except ValueError:
        return _person_page(user, error=_("请选择角色。"), status=422)
    centre = get_or_404(Centre, request.form["centre_id"]) if request.form.get(
        "centre_id") else None
    village = get_or_404(Village, request.form["village_id"]) if request.form.get(
        "village_id") else None
    grid = get_or_404(Grid, request.form["grid_id"]) if request.form.get("grid_id") else None
    if grid is not None and role == Role.VILLAGE_ASSISTANT:
        if village is not None and grid.village_id != village.id:
            return _person_page(user, error=_("网格不属于所选的村。"), status=422)
        village = village or get_or_404(Village, grid.village_id)
    if role == Role.CENTRE_STAFF and centre is None:
        return _person_page(user, error=_("窗口/中心工作人员须选择所在中心。"), status=422)
    if role == Role.VILLAGE_ASSISTANT and village is None:
        return _person_page(user, error=_("村级事务助理须选择负责的村。"), status=422)
    assistant = role == Role.VILLAGE_ASSISTANT
    grant(township, user, role, centre=centre if role == Role.CENTRE_STAFF else None,
          village=village if assistant else None, grid=grid if assistant else None)
    record(township.id, current_user, "role.grant", user,
           after={"role": role.value,
                  "centre": centre.name if centre and role == Role.CENTRE_STAFF else None,
                  "village": village.name if village and assistant else None,
                  "grid": grid.name if grid and assistant else None},
           summary=f"授予 {user.name} 角色：{role.label}")
    db.session.commit()
    flash(_("已授予 %(name)s 角色：%(role)s。", name=user.name, role=role.label), "success")
    return redirect(url_for(".staff_person", user_id=user.id))


@bp.route("/staff/<uuid:user_id>/deactivate", methods=["POST"])
@staff(Role.TOWNSHIP_ADMIN)
def staff_deactivate(user_id):
    township = current_township()
    user = _person(user_id)
    try:
        outcome = accounts.deactivate_in_township(township, current_user, user,
                                                  request.form.get("reason", ""))
    except accounts.AccountError as exc:
        return _person_page(user, error=str(exc), status=422)
    db.session.commit()
    if outcome == "revoked":
        flash(_("%(name)s 在其他乡镇或县里还有角色，账号保留；已取消其在本乡镇的全部角色。",
                name=user.name), "success")
        return redirect(url_for(".staff_list"))
    flash(_("已停用 %(name)s 的账号：不能再登录，所有设备上的登录已退出。请把其工作交给他人。",
            name=user.name), "success")
    return redirect(url_for(".staff_person", user_id=user.id))


@bp.route("/staff/<uuid:user_id>/reactivate", methods=["POST"])
@staff(Role.TOWNSHIP_ADMIN)
def staff_reactivate(user_id):
    user = _person(user_id)
    accounts.reactivate_user(current_user, user)
    db.session.commit()
    flash(_("%(name)s 的账号可以再登录了。", name=user.name), "success")
    return redirect(url_for(".staff_person", user_id=user.id))


@bp.route("/staff/<uuid:user_id>/reset", methods=["POST"])
@staff(Role.TOWNSHIP_ADMIN)
def staff_reset(user_id):
    """A one-time link (24 hours) with which the person chooses a new password."""
    township = current_township()
    user = _person(user_id)
    try:
        token = accounts.issue_reset(township, current_user, user)
    except accounts.AccountError as exc:
        return _person_page(user, error=str(exc), status=422)
    db.session.commit()
    return _person_page(user, reset_link=url_for("accounts.reset_password", token=token,
                                                 _external=True))


@bp.route("/staff/<uuid:user_id>/sessions/end", methods=["POST"])
@staff(Role.TOWNSHIP_ADMIN)
def staff_end_sessions(user_id):
    township = current_township()
    user = _person(user_id)
    accounts.end_sessions_by(township, current_user, user)
    db.session.commit()
    if user.id == current_user.id:
        from flask_login import login_user

        login_user(user)  # the administrator's own device stays signed in
    flash(_("已退出 %(name)s 在所有设备上的登录。", name=user.name), "success")
    return redirect(url_for(".staff_person", user_id=user.id))


@bp.route("/staff/<uuid:user_id>/handover", methods=["POST"])
@staff(Role.TOWNSHIP_ADMIN)
def staff_handover(user_id):
    """Hand the person's households and open matters to a colleague, in one step."""
    township = current_township()
    user = _person(user_id)
    to_user = accounts.staff_member(township, request.form.get("to_user_id"))
    if to_user is None:
        return _person_page(user, error=_("请选择接手的工作人员。"), status=422)
    try:
        moved = accounts.hand_over_work(township, current_user, user, to_user,
                                        note=request.form.get("note", ""))
    except (accounts.AccountError, ValueError) as exc:
        db.session.rollback()
        return _person_page(_person(user_id), error=str(exc), status=422)
    db.session.commit()
    flash(_("已交给 %(to)s：联系户 %(h)s 户，事项 %(m)s 件。", to=to_user.name,
            h=moved["households"], m=moved["matters"]), "success")
    return redirect(url_for(".staff_person", user_id=user.id))

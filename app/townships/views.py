"""A township's own pages: its public home, the staff dashboard, and its settings."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.access import has_role, public, staff
from app.accounts.models import Role, RoleGrant, User
from app.accounts.operations import invitation_token
from app.catalogue.models import Centre
from app.extensions import db
from app.households.models import Village
from app.matters.operations import local_today
from app.service_models import REGISTRY, SettingsError, parse_settings
from app.tenancy import TenantBlueprint, current_township, get_or_404, scoped
from app.townships.forms import CalendarDayForm, StaffForm, service_form
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


@bp.route("/dashboard")
@staff()
def dashboard():
    township = current_township()
    tiles = []
    for model in REGISTRY.values():
        if township.service_enabled(model.key) and model.tiles:
            tiles.extend(model.tiles(township))
    return render_template("townships/dashboard.html", township=township, tiles=tiles)


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
                set_service(township, model.key, enabled=form.enabled.data, settings=values)
                db.session.commit()
                flash(_("“%(name)s”设置已保存。", name=model.label), "success")
                return redirect(url_for(".settings"))
    status = 422 if any(f.errors for f in forms.values()) else 200
    return render_template("townships/settings.html", township=township, forms=forms,
                           models=REGISTRY), status


@bp.route("/settings/calendar", methods=["GET", "POST"])
@staff(Role.TOWNSHIP_ADMIN)
def calendar():
    township = current_township()
    form = CalendarDayForm()
    if form.validate_on_submit():
        set_calendar_day(township, form.day.data, is_workday=form.kind.data == "workday",
                         note=form.note.data or "")
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
    for grant_row, user in grants:
        people.setdefault(user.id, {"user": user, "grants": []})["grants"].append(grant_row)
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
    try:
        revoke(township, grant_row)
    except StaffError as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("已取消该角色。"), "success")
    return redirect(url_for(".staff_list"))

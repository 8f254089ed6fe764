"""A township's own pages: its public home, the staff dashboard, and its settings."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.access import has_role, public, staff
from app.accounts.models import Role
from app.extensions import db
from app.matters.operations import local_today
from app.service_models import REGISTRY, SettingsError, parse_settings
from app.tenancy import TenantBlueprint, current_township
from app.townships.forms import CalendarDayForm, service_form
from app.townships.models import CalendarDay
from app.townships.operations import set_calendar_day, set_service
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

"""Signing in and out, and accepting an invitation."""

from __future__ import annotations

from urllib.parse import urlparse

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from app.access import public, signed_in
from app.accounts.forms import ChangePasswordForm, LoginForm, PreferencesForm, SetPasswordForm
from app.accounts.models import RoleGrant, User
from app.accounts.operations import find_user, user_from_invitation
from app.extensions import db, limiter, login_manager
from app.townships.models import Township

bp = Blueprint("accounts", __name__)


@login_manager.user_loader
def load_user(user_id: str):
    import uuid

    try:
        return db.session.get(User, uuid.UUID(user_id))
    except ValueError:
        return None


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/"):
        return None
    return target


def _home_for(user: User) -> str:
    if user.is_operator:
        return url_for("platform.townships")
    slugs = db.session.scalars(
        select(Township.slug)
        .join(RoleGrant, RoleGrant.township_id == Township.id)
        .where(RoleGrant.user_id == user.id)
        .distinct(),
        execution_options={"all_townships": True},
    ).all()
    if len(slugs) == 1:
        return url_for("townships.dashboard", slug=slugs[0])
    from app.counties.models import counties_of

    counties = counties_of(user)
    if not slugs and len(counties) == 1:
        return url_for("counties.county.home", county_slug=counties[0].slug)
    return url_for("accounts.choose")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@public
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = find_user(form.username.data)
        if user is not None and user.is_active and user.check_password(form.password.data):
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")) or _home_for(user))
        flash(_("用户名或密码不正确。"), "error")
    demo_accounts = _demo_accounts() if current_app.config["DEMO_MODE"] else []
    return render_template("accounts/login.html", form=form, demo_accounts=demo_accounts)


def _demo_accounts():
    """Every account of the demo townships with its roles, so visitors can try each."""
    rows = db.session.execute(
        select(User.username, User.name, Township.name, RoleGrant.role)
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .join(Township, Township.id == RoleGrant.township_id)
        .where(Township.is_demo.is_(True))
        .order_by(Township.name, User.username),
        execution_options={"all_townships": True},
    ).all()
    accounts: dict[str, dict] = {}
    for username, name, township, role in rows:
        entry = accounts.setdefault(username, {"username": username, "name": name,
                                               "township": township, "roles": []})
        entry["roles"].append(role)
    from app.counties.models import County, CountyGrant

    demo_counties = select(Township.county_id).where(Township.is_demo.is_(True))
    for username, name, county, role in db.session.execute(
            select(User.username, User.name, County.name, CountyGrant.role)
            .join(CountyGrant, CountyGrant.user_id == User.id)
            .join(County, County.id == CountyGrant.county_id)
            .where(County.id.in_(demo_counties)).order_by(User.username)):
        entry = accounts.setdefault(username, {"username": username, "name": name,
                                               "township": county, "roles": []})
        entry["roles"].append(role)
    operators = db.session.scalars(select(User).where(User.is_operator.is_(True))).all()
    listed = [{"username": u.username, "name": u.name, "township": "", "roles": ["operator"]}
              for u in operators]
    return listed + list(accounts.values())


@bp.route("/logout", methods=["POST"])
@signed_in
def logout():
    logout_user()
    return redirect(url_for("accounts.login"))


@bp.route("/choose")
@signed_in
def choose():
    mine = select(RoleGrant.township_id).where(RoleGrant.user_id == current_user.id)
    townships = db.session.scalars(
        select(Township).where(Township.id.in_(mine)).order_by(Township.name),
        execution_options={"all_townships": True},
    ).all()
    return render_template("accounts/choose.html", townships=townships)


@bp.route("/invite/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str):
    user = user_from_invitation(token)
    if user is None:
        return render_template("accounts/invite_invalid.html"), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        user.set_password(form.password.data)
        db.session.commit()
        login_user(user)
        flash(_("密码已设置，欢迎使用民情。"), "success")
        return redirect(_home_for(user))
    return render_template("accounts/invite.html", form=form, user=user), (
        422 if form.errors else 200
    )


@bp.route("/account", methods=["GET", "POST"])
@signed_in
def account():
    """One's own account: change the password, choose the interface language."""
    password_form = ChangePasswordForm(prefix="pw")
    prefs = PreferencesForm(prefix="pref", locale=current_user.locale or "zh_Hans_CN")
    if request.method == "POST" and request.form.get("form") == "password":
        if password_form.validate_on_submit():
            if current_user.check_password(password_form.current.data):
                current_user.set_password(password_form.password.data)
                db.session.commit()
                flash(_("密码已修改。"), "success")
                return redirect(url_for(".account"))
            password_form.current.errors.append(_("当前密码不正确。"))
    elif request.method == "POST" and prefs.validate_on_submit():
        current_user.locale = prefs.locale.data
        db.session.commit()
        flash(_("已保存。"), "success")
        response = redirect(url_for(".account"))
        response.set_cookie("lang", prefs.locale.data, max_age=365 * 24 * 3600, samesite="Lax")
        return response
    status = 422 if password_form.errors or prefs.errors else 200
    return render_template("accounts/account.html", password_form=password_form,
                           prefs=prefs), status

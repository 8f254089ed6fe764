"""Signing in and out, accepting an invitation or a password-reset link, one's own account."""

from __future__ import annotations

import uuid
from datetime import timedelta
from urllib.parse import urlparse

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from app.access import public, signed_in
from app.accounts import operations as ops
from app.accounts.forms import ChangePasswordForm, LoginForm, PreferencesForm, SetPasswordForm
from app.accounts.models import RoleGrant, User
from app.accounts.operations import user_from_invitation
from app.extensions import db, limiter, login_manager
from app.townships.models import Township

bp = Blueprint("accounts", __name__)


@login_manager.user_loader
def load_user(alternative_id: str):
    """The user of a session or remember cookie, if it was made with their current session
    version (see User.get_id) and the account is still active; otherwise nobody."""
    raw_id, _sep, version = (alternative_id or "").partition(":")
    try:
        user = db.session.get(User, uuid.UUID(raw_id))
        version_number = int(version)
    except ValueError:
        return None
    if user is None or not user.active or version_number != (user.session_version or 1):
        return None
    return user


def _sign_in(user: User, remember: bool = False) -> None:
    login_user(user, remember=remember,
               duration=timedelta(days=ops.remember_days(user)) if remember else None)


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
    status = 200
    if form.validate_on_submit():
        try:
            user = ops.authenticate(form.username.data, form.password.data,
                                    address=request.remote_addr,
                                    user_agent=request.headers.get("User-Agent"))
        except ops.SignInRefused as refused:
            db.session.commit()  # the failed attempt and the count of failures are kept
            status = 422
            if refused.reason == "locked":
                flash(_("密码连续输错 %(n)s 次，账号已锁定 %(m)s 分钟，请稍后再试或联系管理员。",
                        n=ops.LOCK_AFTER, m=ops.LOCK_MINUTES), "error")
            elif refused.reason == "inactive":
                flash(_("该账号已停用，无法登录。如有疑问请联系乡镇管理员。"), "error")
            else:
                flash(_("用户名或密码不正确。"), "error")
        else:
            db.session.commit()
            _sign_in(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")) or _home_for(user))
    demo_accounts = _demo_accounts() if current_app.config["DEMO_MODE"] else []
    return render_template("accounts/login.html", form=form, demo_accounts=demo_accounts,
                           township=_township_of_next()), status


def _township_of_next():
    """The township a /t/<slug>/… `next` points at, so the sign-in page can name it."""
    target = _safe_next(request.args.get("next")) or ""
    parts = target.split("/")
    if len(parts) > 2 and parts[1] == "t":
        return db.session.scalar(select(Township).where(Township.slug == parts[2]))
    return None


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
    """Sign out here and everywhere: every session and remember cookie of the user ends."""
    ops.end_sessions(current_user._get_current_object())
    db.session.commit()
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
    form.user_inputs = (user.username, user.name)
    if form.validate_on_submit():
        ops.change_password(user, form.password.data)
        db.session.commit()
        _sign_in(user)
        flash(_("密码已设置，欢迎使用民情。"), "success")
        return redirect(_home_for(user))
    return render_template("accounts/invite.html", form=form, user=user), (
        422 if form.errors else 200
    )


@bp.route("/account", methods=["GET", "POST"])
@signed_in
def account():
    """One's own account: change the password (which signs out every other device), see the
    recent sign-ins, choose the interface language."""
    password_form = ChangePasswordForm(prefix="pw")
    password_form.user_inputs = (current_user.username, current_user.name)
    prefs = PreferencesForm(prefix="pref", locale=current_user.locale or "zh_Hans_CN")
    if request.method == "POST" and request.form.get("form") == "password":
        if password_form.validate_on_submit():
            if current_user.check_password(password_form.current.data):
                user = current_user._get_current_object()
                ops.change_password(user, password_form.password.data)
                db.session.commit()
                _sign_in(user)  # this device goes on with the new version; the others end
                flash(_("密码已修改，其他设备上的登录已全部退出。"), "success")
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
                           prefs=prefs, sign_ins=ops.recent_sign_ins(current_user)), status


@bp.route("/account/sessions/end", methods=["POST"])
@signed_in
def end_my_sessions():
    """Sign out on every other device (this one stays signed in)."""
    user = current_user._get_current_object()
    ops.end_sessions(user)
    db.session.commit()
    _sign_in(user)
    flash(_("其他设备上的登录已全部退出。"), "success")
    return redirect(url_for(".account"))


@bp.route("/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    """A one-time link from an administrator for choosing a new password."""
    user = ops.user_from_reset(token)
    if user is None:
        return render_template("accounts/invite_invalid.html", reset=True), 404
    form = SetPasswordForm()
    form.user_inputs = (user.username, user.name)
    if form.validate_on_submit():
        ops.change_password(user, form.password.data)
        db.session.commit()
        _sign_in(user)
        flash(_("新密码已设置，其他设备上的登录已全部退出。"), "success")
        return redirect(_home_for(user))
    return render_template("accounts/invite.html", form=form, user=user, reset=True), (
        422 if form.errors else 200)

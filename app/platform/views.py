"""The platform operator's pages, and the health check."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select, text

from app.access import operator, public
from app.accounts.models import Role
from app.accounts.operations import create_user, find_user, grant, invitation_token
from app.extensions import db
from app.platform.forms import InviteAdminForm, TownshipForm
from app.tenancy import bind_township
from app.townships.models import Township
from app.townships.operations import TownshipError, create_township

bp = Blueprint("platform", __name__)


@bp.route("/")
@public
def index():
    townships = db.session.scalars(select(Township).order_by(Township.name)).all()
    return render_template("platform/index.html", townships=townships)


@bp.route("/healthz")
@public
def healthz():
    """Database and job-queue status as JSON; 200 while the database answers."""
    status = {"database": "ok"}
    code = 200
    try:
        db.session.execute(text("select 1"))
    except Exception as exc:  # report, never raise: this is what monitoring reads
        status["database"] = f"error: {type(exc).__name__}"
        code = 503
    from app.jobs import queue_status

    status["jobs"] = queue_status()
    return jsonify(status), code


@bp.route("/platform/townships", methods=["GET", "POST"])
@operator
def townships():
    form = TownshipForm()
    if form.validate_on_submit():
        try:
            township = create_township(slug=form.slug.data, name=form.name.data,
                                       code=form.code.data, county=form.county.data or None)
        except TownshipError as exc:
            form.slug.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("已创建“%(name)s”，请邀请它的第一位管理员。", name=township.name), "success")
            return redirect(url_for(".invite_admin", township_id=township.id))
    rows = db.session.scalars(select(Township).order_by(Township.created_at.desc())).all()
    return render_template("platform/townships.html", form=form, townships=rows), (
        422 if form.errors else 200
    )


@bp.route("/platform/townships/<uuid:township_id>/invite", methods=["GET", "POST"])
@operator
def invite_admin(township_id: uuid.UUID):
    township = db.session.get(Township, township_id)
    if township is None:
        abort(404)
    form = InviteAdminForm()
    link = None
    if form.validate_on_submit():
        if find_user(form.username.data):
            form.username.errors.append(_("该用户名已存在。"))
        else:
            bind_township(db.session, township.id)
            user = create_user(username=form.username.data, name=form.name.data,
                               phone=form.phone.data or None)
            grant(township, user, Role.TOWNSHIP_ADMIN)
            db.session.commit()
            link = url_for("accounts.accept_invitation", token=invitation_token(user),
                           _external=True)
            current_app.logger.info("invitation created for township %s", township.slug)
    return render_template("platform/invite.html", township=township, form=form, link=link), (
        422 if form.errors else 200
    )

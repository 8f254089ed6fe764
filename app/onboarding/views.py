"""Guided onboarding in the browser: a township's place, villages, administrator, centres and
service models, one step per page, each saved as typed and resumable from the list of drafts.

Only the platform operator and county administrators (for their county's townships) run it, and
the person an onboarding link names, for that one township (app.onboarding.access)."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from app.access import public, signed_in
from app.accounts.forms import SetPasswordForm
from app.accounts.operations import change_password, create_user, find_user, invitation_token
from app.divisions import catalog
from app.extensions import db
from app.onboarding import links as link_ops
from app.onboarding import wizard
from app.onboarding.access import division_allowed, may_onboard
from app.onboarding.models import OnboardingDraft, OnboardingLink
from app.service_models import REGISTRY
from app.townships.forms import service_form
from app.townships.models import Township
from app.townships.profiles import ProfileError

bp = Blueprint("onboarding", __name__, url_prefix="/onboarding")

STEP_LABELS = {"place": "地点与名称", "villages": "村（社区）", "admin": "管理员",
               "centres": "服务中心", "services": "服务模式", "review": "核对并建立"}


def _draft(draft_id) -> OnboardingDraft:
    """The signed-in person's own draft (operators may open anyone's); others get a 404."""
    draft = db.session.get(OnboardingDraft, draft_id)
    if draft is None or (draft.owner_id != current_user.id and not current_user.is_operator):
        abort(404)
    if draft.link_id is None and not may_onboard(current_user):
        abort(404)  # open onboarding is gone: a draft without a link needs the right to onboard
    return draft


def _narrow(user, draft, options):
    """The divisions this person may pick from: their county's (a link: its township's)."""
    link = link_ops.draft_link(draft) if draft is not None else None
    if link is not None and link.division_code:
        return [d for d in options if link.division_code.startswith(d.code)]
    return [d for d in options if division_allowed(user, d.code)]


@bp.route("/", methods=["GET", "POST"])
@signed_in
def index():
    """Start a township from scratch or like a profile in tenants/, or resume a draft."""
    error = None
    may_start = may_onboard(current_user)
    if request.method == "POST":
        if not may_start:
            abort(403)
        try:
            draft = wizard.start(current_user, request.form.get("profile") or None)
        except ValueError as exc:
            error = _(str(exc))
        else:
            db.session.commit()
            return redirect(url_for(".step", draft_id=draft.id, step="place"))
    drafts = db.session.scalars(
        select(OnboardingDraft).where(OnboardingDraft.owner_id == current_user.id)
        .order_by(OnboardingDraft.updated_at.desc())).all()
    created = {t.id: t for t in db.session.scalars(select(Township).where(
        Township.id.in_([d.created_township for d in drafts if d.created_township])))}
    return render_template("onboarding/index.html", drafts=drafts, created=created,
                           profiles=wizard.available_profiles(), error=error,
                           labels=STEP_LABELS, may_start=may_start), (422 if error else 200)


@bp.route("/divisions")
@signed_in
def divisions():
    """The divisions under a code, as <option>s (htmx fills the next select)."""
    parent = next((request.args[k] for k in ("parent", "county", "city", "province")
                   if request.args.get(k)), None)
    draft = None
    if request.args.get("draft"):
        try:
            draft = _draft(uuid.UUID(request.args["draft"]))
        except (ValueError, HTTPException):  # not one's own draft: no narrowing by its link
            draft = None
    options = _narrow(current_user, draft, catalog.children(parent)) if parent else []
    return render_template("onboarding/_options.html", options=options)


def _services_forms(draft, formdata=None):
    forms = {}
    for key, model in REGISTRY.items():
        stored = draft.data.get("services", {}).get(key, {})
        defaults = vars(model.default_settings())
        forms[key] = service_form(model)(
            formdata=formdata, prefix=key, meta={"csrf": False},
            data=None if formdata else {"enabled": bool(stored.get("enabled")),
                                        **defaults, **{k: v for k, v in stored.items()
                                                       if k in defaults}})
    return forms


@bp.route("/<uuid:draft_id>/<step>", methods=["GET", "POST"])
@signed_in
def step(draft_id, step):
    draft = _draft(draft_id)
    if step not in wizard.STEPS:
        abort(404)
    if draft.created_township is not None:
        return redirect(url_for(".done", draft_id=draft.id))
    errors: dict = {}
    forms = None
    if request.method == "POST":
        form = request.form
        if step == "place":
            errors = wizard.save_place(draft, form, current_user)
        elif step == "villages":
            errors = wizard.save_villages(draft, form)
        elif step == "admin":
            errors = wizard.save_admin(draft, form, current_user)
        elif step == "centres":
            errors = wizard.save_centres(draft, form)
        elif step == "services":
            forms = _services_forms(draft, form)
            values = {}
            for key, f in forms.items():
                f.validate()
                values[key] = {"enabled": f.enabled.data,
                               **{n: f[n].data for n in f.setting_names
                                  if f[n].data is not None}}
                # A model left off keeps its defaults; only the ones switched on are checked.
                for name in f.setting_names if f.enabled.data else ():
                    if f[name].errors:
                        errors[key] = f"{f[name].label.text}：{f[name].errors[0]}"
            errors = wizard.save_services(draft, values) | errors
        draft.step = step
        db.session.commit()
        # "Save and leave" keeps the draft where it is; the next step otherwise, if all is well.
        if not errors and step != "review":
            if "leave" in form:
                return redirect(url_for(".index"))
            following = wizard.STEPS[wizard.STEPS.index(step) + 1]
            return redirect(url_for(".step", draft_id=draft.id, step=following))
    context = {"draft": draft, "data": draft.data, "step": step, "steps": wizard.STEPS,
               "labels": STEP_LABELS, "errors": errors, "link": link_ops.draft_link(draft)}
    if step == "place":
        place = draft.data.get("place", {})
        context["levels"] = [(level, _narrow(current_user, draft, options)) for level, options in [
            ("province", catalog.children(None)),
            ("city", catalog.children(place.get("province")) if place.get("province") else []),
            ("county", catalog.children(place.get("city")) if place.get("city") else []),
            ("township", catalog.children(place.get("county")) if place.get("county") else []),
        ]]
        context["link"] = link_ops.draft_link(draft)
        context["catalog_ready"] = catalog.available()
    if step == "services":
        context["forms"] = forms or _services_forms(draft)
        context["models"] = REGISTRY
    if step == "review":
        context["problems"] = wizard.check_all(draft, current_user)
        context["profile"] = wizard.as_profile(draft) if not context["problems"] else None
        context["models"] = REGISTRY
    return render_template(f"onboarding/{step}.html", **context), (422 if errors else 200)


@bp.route("/<uuid:draft_id>/finish", methods=["POST"])
@signed_in
def finish(draft_id):
    draft = _draft(draft_id)
    try:
        wizard.finish(draft, current_user)
    except ProfileError as exc:
        db.session.rollback()
        draft = _draft(draft_id)
        return render_template("onboarding/review.html", draft=draft, data=draft.data,
                               step="review", steps=wizard.STEPS, labels=STEP_LABELS,
                               errors={"finish": str(exc)},
                               problems=wizard.check_all(draft, current_user),
                               profile=None, models=REGISTRY), 422
    db.session.commit()
    return redirect(url_for(".done", draft_id=draft.id))


@bp.route("/<uuid:draft_id>/done")
@signed_in
def done(draft_id):
    from app.accounts.operations import find_user

    draft = _draft(draft_id)
    if draft.created_township is None:
        return redirect(url_for(".step", draft_id=draft.id, step=draft.step))
    township = db.session.get(Township, draft.created_township)
    admin = find_user(draft.data["admin"]["username"])
    link = None
    if admin is not None and not admin.password_hash:
        link = url_for("accounts.accept_invitation", token=invitation_token(admin),
                       _external=True)
    return render_template("onboarding/done.html", township=None, created=township,
                           admin=admin, link=link)


# ---------------------------------------------------------------- onboarding links

@bp.route("/links", methods=["GET", "POST"])
@signed_in
def links():
    """Links for a township's first administrator: issued, listed and withdrawn by the operator
    (all of them) and county administrators (their county's). Others: 404."""
    if not may_onboard(current_user):
        abort(404)
    error, shown = None, None
    form = {}
    if request.method == "POST":
        form = {k: (request.form.get(k) or "").strip() for k in
                ("division_code", "township_name", "person_name", "username", "phone")}
        try:
            link, token = link_ops.issue_link(current_user, **form)
        except link_ops.LinkError as exc:
            error = str(exc)
        else:
            db.session.commit()
            shown = (link, url_for(".open_link", token=token, _external=True))
            form = {}
    return render_template("onboarding/links.html", links=link_ops.links_visible_to(current_user),
                           error=error, shown=shown, form=form, days=link_ops.LINK_DAYS), (
        422 if error else 200)


@bp.route("/links/<uuid:link_id>/withdraw", methods=["POST"])
@signed_in
def withdraw_link(link_id):
    link = db.session.get(OnboardingLink, link_id)
    if link is None or not may_onboard(current_user) or not link_ops.may_manage(current_user,
                                                                               link):
        abort(404)
    link_ops.withdraw(link)
    db.session.commit()
    flash(_("链接已撤回。"), "success")
    return redirect(url_for(".links"))


@bp.route("/link/<token>", methods=["GET", "POST"])
@public
def open_link(token):
    """The person an onboarding link names opens it: signing in (an existing account) or
    setting a password for a new one, then the wizard for that one township."""
    link = link_ops.link_for(token)
    if link is None or link.status() != "open":
        if (link is not None and link.status() == "used" and current_user.is_authenticated
                and link.used_by_id == current_user.id):
            draft = db.session.scalar(select(OnboardingDraft).where(
                OnboardingDraft.link_id == link.id))
            if draft is not None:
                return redirect(url_for(".step", draft_id=draft.id, step=draft.step
                                        if draft.step in wizard.STEPS else "place"))
        return render_template("onboarding/link_invalid.html",
                               status=link.status() if link else None), 404
    account = find_user(link.username)
    if current_user.is_authenticated:
        if current_user.username != link.username:
            return render_template("onboarding/link_other.html", link=link), 403
        draft = link_ops.open_link(link, current_user)
        db.session.commit()
        return redirect(url_for(".step", draft_id=draft.id, step="place"))
    if account is not None and account.password_hash:
        # An existing account signs in first and comes back here.
        return redirect(url_for("accounts.login", next=url_for(".open_link", token=token)))
    form = SetPasswordForm()
    form.user_inputs = (link.username, link.person_name)
    if form.validate_on_submit():
        user = account or create_user(username=link.username, name=link.person_name,
                                      phone=link.phone)
        change_password(user, form.password.data)
        draft = link_ops.open_link(link, user)
        db.session.commit()
        login_user(user)
        return redirect(url_for(".step", draft_id=draft.id, step="place"))
    return render_template("onboarding/link_open.html", link=link, form=form), (
        422 if form.errors else 200)

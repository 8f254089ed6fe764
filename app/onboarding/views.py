"""Guided onboarding in the browser: a township's place, villages, administrator, centres and
service models, one step per page, each saved as typed and resumable from the list of drafts."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.access import signed_in
from app.accounts.operations import invitation_token
from app.divisions import catalog
from app.extensions import db
from app.onboarding import wizard
from app.onboarding.models import OnboardingDraft
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
    return draft


@bp.route("/", methods=["GET", "POST"])
@signed_in
def index():
    """Start a township from scratch or like a profile in tenants/, or resume a draft."""
    error = None
    if request.method == "POST":
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
                           labels=STEP_LABELS), (422 if error else 200)


@bp.route("/divisions")
@signed_in
def divisions():
    """The divisions under a code, as <option>s (htmx fills the next select)."""
    parent = next((request.args[k] for k in ("parent", "county", "city", "province")
                   if request.args.get(k)), None)
    return render_template("onboarding/_options.html",
                           options=catalog.children(parent) if parent else [])


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
            errors = wizard.save_place(draft, form)
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
               "labels": STEP_LABELS, "errors": errors}
    if step == "place":
        place = draft.data.get("place", {})
        context["levels"] = [
            ("province", catalog.children(None)),
            ("city", catalog.children(place.get("province")) if place.get("province") else []),
            ("county", catalog.children(place.get("city")) if place.get("city") else []),
            ("township", catalog.children(place.get("county")) if place.get("county") else []),
        ]
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

"""The township's service catalogue (服务事项) and its centres, for the administrator.

One catalogue per township, whichever service model uses it: the hall takes its items in at the
window, the proxy model's village assistants carry its 代办 items. The pages answer for a township
that has either switched on (404 otherwise), at /catalogue and at the hall's old address
/hall/catalogue. Every change leaves an audit event.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from app.access import staff
from app.accounts.models import Role
from app.audit.operations import changed, record, snapshot
from app.catalogue.forms import CentreForm, ServiceItemForm, lines
from app.catalogue.models import Centre, ServiceItem
from app.catalogue.questions import QuestionError, parse_questions, questions_text
from app.extensions import db
from app.tenancy import TenantBlueprint, current_township, get_or_404, scoped

bp = TenantBlueprint("catalogue", __name__)
# The service models that take the catalogue's items in; the pages exist while one of them is on.
SERVICE_MODELS = ("one_stop", "proxy")
bp.service_models = SERVICE_MODELS
ADMIN = (Role.TOWNSHIP_ADMIN,)
ITEM_FIELDS = ("name", "centre_id", "description", "materials", "steps", "questions",
               "promised_workdays", "on_the_spot", "proxiable", "bookable", "active")


def catalogue_in_use(township) -> bool:
    return any(township.service_enabled(key) for key in SERVICE_MODELS)


@bp.before_request
def _require_a_service_model():
    if not catalogue_in_use(current_township()):
        abort(404)


def _page_context(township) -> dict:
    return {"hall_on": township.service_enabled("one_stop"),
            "proxy_on": township.service_enabled("proxy")}


# The hall's old address first, so url_for builds the new one (the decorator applied last).
@bp.route("/hall/catalogue", methods=["GET", "POST"])
@bp.route("/catalogue", methods=["GET", "POST"])
@staff(*ADMIN)
def index():
    """Centres and their items; a new centre."""
    township = current_township()
    form = CentreForm(prefix="c")
    if form.validate_on_submit():
        exists = db.session.scalar(scoped(Centre).where(Centre.name == form.name.data.strip()))
        if exists is not None:
            form.name.errors = [_("已有同名中心。")]
        else:
            count = db.session.scalar(select(func.count()).select_from(Centre).where(
                Centre.township_id == township.id))
            centre = Centre(township_id=township.id, name=form.name.data.strip(),
                            description=(form.description.data or "").strip(), sort_order=count)
            db.session.add(centre)
            db.session.flush()
            record(township.id, current_user, "catalogue.centre_add", centre,
                   after=snapshot(centre, ("name", "description")),
                   summary=f"添加中心“{centre.name}”")
            db.session.commit()
            flash(_("已添加中心。"), "success")
            return redirect(url_for("catalogue.index"))
    centres = list(db.session.scalars(scoped(Centre).order_by(Centre.sort_order, Centre.name)))
    items = list(db.session.scalars(scoped(ServiceItem).order_by(ServiceItem.name)))
    return render_template("catalogue/index.html", form=form, centres=centres, items=items,
                           **_page_context(township)), (422 if form.errors else 200)


def _options():
    rows = db.session.scalars(scoped(Centre).order_by(Centre.sort_order, Centre.name))
    return [("", _("请选择"))] + [(str(c.id), c.name) for c in rows]


def _item_form(item: ServiceItem | None) -> ServiceItemForm:
    form = ServiceItemForm(obj=None if request.method == "POST" else item)
    form.centre_id.choices = _options()
    if request.method == "GET" and item is not None:
        form.centre_id.data = str(item.centre_id)
        form.materials.data = "\n".join(materials_of(item))
        form.steps.data = "\n".join(item.steps or [])
        form.questions.data = questions_text(item.questions)
    return form


def materials_of(item: ServiceItem) -> list[str]:
    return [m["name"] if isinstance(m, dict) else str(m) for m in (item.materials or [])]


def _save_item(item: ServiceItem | None):
    township = current_township()
    form = _item_form(item)
    if form.validate_on_submit():
        centre = get_or_404(Centre, form.centre_id.data)
        name = form.name.data.strip()
        clash = db.session.scalar(scoped(ServiceItem).where(
            ServiceItem.name == name, *((ServiceItem.id != item.id,) if item else ())))
        try:
            questions = parse_questions(form.questions.data)
        except QuestionError as exc:
            form.questions.errors = [str(exc)]
            questions = None
        if clash is not None:
            form.name.errors = [_("已有同名事项。")]
        elif questions is not None:
            is_new = item is None
            if item is None:
                item = ServiceItem(township_id=township.id)
                db.session.add(item)
            before = {} if is_new else snapshot(item, ITEM_FIELDS)
            old = {m["name"]: m for m in (item.materials or []) if isinstance(m, dict)}
            item.name, item.centre_id = name, centre.id
            item.description = (form.description.data or "").strip()
            item.materials = [old.get(n, {"name": n, "original": True, "copies": 1})
                              for n in lines(form.materials.data)]
            item.steps = lines(form.steps.data)
            item.questions = questions
            item.promised_workdays = form.promised_workdays.data
            item.on_the_spot, item.proxiable = form.on_the_spot.data, form.proxiable.data
            item.bookable, item.active = form.bookable.data, form.active.data
            db.session.flush()
            was, now = changed(before, snapshot(item, ITEM_FIELDS))
            if was or now or is_new:
                record(township.id, current_user,
                       "catalogue.item_add" if is_new else "catalogue.item_edit", item,
                       before=was, after=now,
                       summary=("添加服务事项“%s”" if is_new else "修改服务事项“%s”") % item.name)
            db.session.commit()
            flash(_("已保存“%(name)s”。", name=item.name), "success")
            return redirect(url_for("catalogue.index"))
    return render_template("catalogue/item.html", form=form, item=item,
                           **_page_context(township)), (422 if form.errors else 200)


@bp.route("/hall/catalogue/items/new", methods=["GET", "POST"])
@bp.route("/catalogue/items/new", methods=["GET", "POST"])
@staff(*ADMIN)
def new_item():
    return _save_item(None)


@bp.route("/hall/catalogue/items/<uuid:item_id>", methods=["GET", "POST"])
@bp.route("/catalogue/items/<uuid:item_id>", methods=["GET", "POST"])
@staff(*ADMIN)
def edit_item(item_id):
    return _save_item(get_or_404(ServiceItem, item_id))

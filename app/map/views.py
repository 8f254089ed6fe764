"""民情地图: a village's own map with its households on it, for the staff who visit them.

A township puts up each village's drawn, scanned or photographed map (or a blank sheet), and its
cadres drag every household's pin to its door, on a phone or a PC. Layers colour the pins by the
last visit, open and overdue matters, tags or contact cadre; a pin opens the household's card and
the one-minute visit form. When a village's contact cadre changes, the households, open matters,
upcoming revisits and the map pass to the new one in one recorded step, with a printed pack.

Everything works without JavaScript (the card has a small position form, the plain view shows the
numbered pins); app/static/map.js with the vendored Leaflet makes it a map.
"""

from __future__ import annotations

import json
import uuid

from flask import abort, flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from app.access import staff
from app.accounts.models import Role, RoleGrant, User
from app.extensions import db
from app.households.models import FindingKind, Household, HouseholdTag, Resident, Village
from app.map import layers
from app.map import operations as ops
from app.map.forms import HandoverForm, PositionForm, SheetForm, UnplaceForm
from app.map.models import Handover
from app.matters.operations import TransitionError, is_overdue, local_today
from app.tenancy import TenantBlueprint, current_township, get_or_404, scoped
from app.visits import operations as visits
from app.visits.forms import FINDING_FIELDS, VisitForm

bp = TenantBlueprint("map", __name__, url_prefix="/map")

MAP_ROLES = (Role.TOWNSHIP_ADMIN, Role.LEADER, Role.CADRE)
SHEET_ROLES = (Role.TOWNSHIP_ADMIN, Role.LEADER)
HANDOVER_ROLES = (Role.TOWNSHIP_ADMIN, Role.LEADER)
# Who may take over a village's households (the same people households are linked to).
CONTACT_ROLES = (Role.CADRE, Role.PARTY_REP, Role.VILLAGE_ASSISTANT, Role.LEADER)
UNPLACED_SHOWN = 200


def _fragment() -> bool:
    return bool(request.htmx) and not request.htmx.boosted  # a boosted page wants it all


def _stale_days(township) -> int:
    from app.notices.reminders import stale_visit_days

    return stale_visit_days(township)


def _cadre_index(village) -> tuple[dict, list]:
    """The village's contact cadres, numbered for the cadre layer's colours (by name)."""
    counts = dict(ops.village_cadres(village))
    people = db.session.scalars(select(User).where(User.id.in_(list(counts)))
                                .order_by(User.name)).all() if counts else []
    index = {u.id: i for i, u in enumerate(people)}
    legend = [(layers.CADRE_COLOURS[i % len(layers.CADRE_COLOURS)], u.name, counts[u.id])
              for i, u in enumerate(people)]
    return index, legend


def _layer() -> str:
    layer = request.args.get("layer", "visits")
    return layer if layer in layers.LAYERS else "visits"


def _tag() -> str:
    tag = request.args.get("tag", "")
    return tag if tag in {t.value for t in HouseholdTag} else ""


@bp.route("/")
@staff(*MAP_ROLES)
def index():
    """The township's villages: how many households each has and how many are on its map."""
    villages = db.session.scalars(scoped(Village).where(
        Village.retired_at.is_(None)).order_by(Village.sort_order, Village.name)).all()
    stats = ops.village_stats(current_township())
    return render_template("map/index.html", villages=villages, stats=stats)


def _map_context(village):
    township = current_township()
    today = local_today(township)
    stale = _stale_days(township)
    spots = ops.spots(village, today)
    cadres, cadre_legend = _cadre_index(village)
    words = request.args.get("q", "").strip()
    found = set(ops.search(village, words)) if words else set()
    return dict(
        village=village, sheet=ops.map_of(village), spots=spots, today=today, stale=stale,
        layer=_layer(), tag=_tag(), words=words,
        found=[s for s in spots if s.household.id in found],
        unplaced=[s for s in spots if not s.placed],
        placed=sum(1 for s in spots if s.placed),
        cadres=cadres, cadre_legend=cadre_legend,
        layer_labels=layers.layer_labels(), visit_legend=layers.visit_legend(stale),
        matter_legend=layers.matter_legend(), tag_legend=layers.tag_legend(),
        tags=[t.value for t in HouseholdTag], unplaced_shown=UNPLACED_SHOWN,
    )


def _script_json(value) -> Markup:
    """JSON to place inside <script type="application/json">: no "</script>" can close it,
    whatever a household's name or address says. UTF-8 kept (lighter than \\u escapes)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


@bp.route("/<uuid:village_id>")
@staff(*MAP_ROLES)
def village(village_id):
    """The village's map: pins, layers, search, the households not yet placed."""
    village = get_or_404(Village, village_id)
    context = _map_context(village)
    context["data"] = _script_json({
        "households": layers.payload(context["spots"], today=context["today"],
                                     stale_days=context["stale"], cadres=context["cadres"]),
        "legend": {
            "visits": context["visit_legend"], "matters": context["matter_legend"],
            "tags": context["tag_legend"],
            "cadre": [(c, n) for c, n, _count in context["cadre_legend"]],
        },
        "grey": layers.GREY,
    })
    return render_template("map/village.html", **context)


@bp.route("/<uuid:village_id>/plain")
@staff(*MAP_ROLES)
def plain(village_id):
    """The map without JavaScript: the sheet with numbered pins coloured by the chosen layer,
    and every household in number order, each a link to its card."""
    village = get_or_404(Village, village_id)
    context = _map_context(village)
    colour = {s.household.id: layers.colour(s, context["layer"], today=context["today"],
                                            stale_days=context["stale"],
                                            cadres=context["cadres"], tag=context["tag"])
              for s in context["spots"]}
    return render_template("map/plain.html", colour=colour, **context)


@bp.route("/<uuid:village_id>/sheet", methods=["GET", "POST"])
@staff(*SHEET_ROLES)
def sheet(village_id):
    """Put up the village's map: upload a drawing, scan or photo, or start from a blank sheet."""
    township = current_township()
    village = get_or_404(Village, village_id)
    form = SheetForm()
    if form.validate_on_submit():
        upload = form.image.data
        if not upload and not form.blank.data:
            form.image.errors = [*form.image.errors, _("请选择地图图片，或勾选使用空白图纸。")]
        else:
            try:
                _sheet, old_key = ops.set_sheet(township, current_user, village,
                                                image=upload.read() if upload else None)
            except ops.MapError as error:
                db.session.rollback()
                village = get_or_404(Village, village_id)
                form.image.errors = [*form.image.errors, str(error)]
            else:
                db.session.commit()
                if old_key:
                    from app.notices.storage import storage

                    storage().delete(old_key)
                flash(_("地图已更新，请把各户拖到自家门口。"), "success")
                return redirect(url_for("map.village", village_id=village.id))
    status = 422 if request.method == "POST" else 200
    return render_template("map/sheet.html", form=form, village=village,
                           sheet=ops.map_of(village)), status


@bp.route("/<uuid:village_id>/image")
@staff(*MAP_ROLES)
def image(village_id):
    """The map image, from the document storage. Cached: its URL changes with the image."""
    from app.notices.storage import storage

    village = get_or_404(Village, village_id)
    sheet = ops.map_of(village)
    if sheet is None or not sheet.image_key:
        abort(404)
    try:
        data = storage().get(sheet.image_key)
    except FileNotFoundError:
        abort(404)
    response = make_response(data)
    response.headers["Content-Type"] = sheet.image_type or "image/jpeg"
    if request.args.get("v") == sheet.version:
        response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    else:
        response.headers["Cache-Control"] = "private, no-cache"
    return response


# ---------------------------------------------------------------- one household


def _household(village_id, household_id) -> tuple[Village, Household]:
    village = get_or_404(Village, village_id)
    household = get_or_404(Household, household_id)
    if household.village_id != village.id:
        abort(404)
    return village, household


def _visit_form(household, township, data=None) -> VisitForm:
    form = VisitForm(formdata=data)  # None: a fresh form, also after a visit was saved
    form.household_id.choices = [(str(household.id), household.head_name)]
    if data is None:
        form.household_id.data = str(household.id)
        form.visited_on.data = local_today(township)
        form.kind.data = visits.default_visit_kind(current_user, township)
    return form


def _card(village, household, status: int = 200, **forms):
    township = current_township()
    today = local_today(township)
    forms.setdefault("visit_form", _visit_form(household, township))
    pin = ops.pin_of(household)
    if "position_form" not in forms:
        forms["position_form"] = PositionForm(prefix="pos", formdata=None)
        if pin is not None:
            forms["position_form"].x.data = round(pin.x * 100, 1)
            forms["position_form"].y.data = round(pin.y * 100, 1)
    forms.setdefault("unplace_form", UnplaceForm(prefix="unplace"))
    members = db.session.scalars(scoped(Resident).where(
        Resident.household_id == household.id).order_by(Resident.created_at)).all()
    open_matters = ops.open_matters_of(household)
    template = "map/_card.html" if _fragment() else "map/card.html"
    return render_template(
        template, village=village, household=household, pin=pin, members=members,
        visits=visits.visits_of(household, limit=3), open_matters=open_matters,
        overdue={m.id for m in open_matters if is_overdue(m, today)},
        revisits=ops.upcoming_revisits_of(household), today=today, findings=FINDING_FIELDS,
        FindingKind=FindingKind, **forms), status


@bp.route("/<uuid:village_id>/households/<uuid:household_id>")
@staff(*MAP_ROLES)
def card(village_id, household_id):
    """A household's card: members, contact cadre, last visits, open matters, visit form."""
    return _card(*_household(village_id, household_id))


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.route("/<uuid:village_id>/households/<uuid:household_id>/position", methods=["POST"])
@staff(*MAP_ROLES)
def position(village_id, household_id):
    """Put the household's pin at (x %, y %) of the sheet: the dragged pin's save, or the form."""
    township = current_township()
    village, household = _household(village_id, household_id)
    form = PositionForm(prefix="pos")
    if form.validate_on_submit():
        try:
            pin = ops.place(township, current_user, household, float(form.x.data) / 100,
                            float(form.y.data) / 100)
        except ops.MapError as error:
            db.session.rollback()
            form.x.errors = [*form.x.errors, str(error)]
        else:
            db.session.commit()
            if _wants_json():
                return jsonify(id=str(household.id), x=pin.x, y=pin.y)
            flash(_("位置已保存。"), "success")
            return redirect(url_for("map.card", village_id=village.id,
                                    household_id=household.id))
    if _wants_json():
        return jsonify(errors=[str(e) for e in form.x.errors + form.y.errors]), 422
    return _card(village, household, 422, position_form=form)


@bp.route("/<uuid:village_id>/households/<uuid:household_id>/unplace", methods=["POST"])
@staff(*MAP_ROLES)
def unplace(village_id, household_id):
    """Take the pin off the map: the household goes back to the not-yet-placed list."""
    village, household = _household(village_id, household_id)
    form = UnplaceForm(prefix="unplace")
    if not form.validate_on_submit():
        abort(400)
    ops.unplace(household)
    db.session.commit()
    flash(_("已从地图上取下，该户回到“未标注”名单。"), "success")
    return redirect(url_for("map.village", village_id=village.id))


@bp.route("/<uuid:village_id>/households/<uuid:household_id>/visit", methods=["POST"])
@staff(*MAP_ROLES)
def visit(village_id, household_id):
    """The one-minute visit form on the card (民情日记's form and operation)."""
    township = current_township()
    village, household = _household(village_id, household_id)
    form = _visit_form(household, township, request.form)
    if form.validate_on_submit():
        try:
            visits.record_visit(
                township, current_user, household=household, visited_on=form.visited_on.data,
                method=form.method.data, notes=form.notes.data or "", kind=form.kind.data,
                findings={k: getattr(form, k).data for k in FINDING_FIELDS})
        except TransitionError as error:
            db.session.rollback()
            form.visited_on.errors = [*form.visited_on.errors, str(error)]
        else:
            db.session.commit()
            if _fragment():
                response, status = _card(village, household, visit_saved=True)
                days = (local_today(township) - form.visited_on.data).days
                stale = _stale_days(township)
                category = layers.visit_category(
                    ops.Spot(household, 0, None, None, form.visited_on.data, 0, 0),
                    local_today(township), stale)
                # The page's script recolours the pin (only if this visit is the latest).
                headers = {"HX-Trigger": json.dumps(
                    {"map:visited": {"id": str(household.id), "days": days,
                                     "category": category}})}
                return response, status, headers
            flash(_("走访已记录。"), "success")
            return redirect(url_for("map.card", village_id=village.id,
                                    household_id=household.id))
    return _card(village, household, 422, visit_form=form)


# ---------------------------------------------------------------- hand-over


def _handover_choices(form: HandoverForm, village) -> None:
    township = current_township()
    counts = dict(ops.village_cadres(village))
    leaving = db.session.scalars(select(User).where(User.id.in_(list(counts)))
                                 .order_by(User.name)).all() if counts else []
    form.from_cadre.choices = [("", _("请选择"))] + [
        (str(u.id), _("%(name)s（联系 %(n)s 户）", name=u.name, n=counts[u.id])) for u in leaving]
    people = db.session.execute(
        select(User.id, User.name).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.township_id == township.id, RoleGrant.role.in_(CONTACT_ROLES),
               User.active.is_(True))
        .distinct().order_by(User.name)).all()
    form.to_cadre.choices = [("", _("请选择"))] + [(str(i), n) for i, n in people]


def _township_user(user_id) -> User:
    """A user holding a role in this township (another township's people are not found)."""
    try:
        user = db.session.get(User, uuid.UUID(str(user_id))) if user_id else None
    except (ValueError, TypeError):
        user = None
    if user is None or not user.roles_in(current_township().id):
        abort(404)
    return user


@bp.route("/<uuid:village_id>/handover", methods=["GET", "POST"])
@staff(*HANDOVER_ROLES)
def handover(village_id):
    """Hand a village's households over from the leaving contact cadre to the new one."""
    township = current_township()
    village = get_or_404(Village, village_id)
    form = HandoverForm()
    _handover_choices(form, village)
    if request.method == "GET" and request.args.get("from_cadre"):
        form.from_cadre.data = request.args["from_cadre"]
    plan = None
    if form.from_cadre.data and form.from_cadre.data in dict(form.from_cadre.choices):
        plan = ops.plan_handover(village, _township_user(form.from_cadre.data))
    if form.validate_on_submit():
        leaving = _township_user(form.from_cadre.data)
        taking = _township_user(form.to_cadre.data)
        try:
            record = ops.hand_over(township, current_user, village=village, from_cadre=leaving,
                                   to_cadre=taking, note=form.note.data or "")
        except ops.MapError as error:
            db.session.rollback()
            village = get_or_404(Village, village_id)
            form.to_cadre.errors = [*form.to_cadre.errors, str(error)]
        else:
            from app.notices.reminders import notify

            notify(township, taking.id, occasion=f"map-handover:{record.id}",
                   message=_("您已接手%(v)s的联系户（%(n)s 户，由%(who)s交出），请查看交接资料。",
                             v=village.name, n=len(record.moved["households"]),
                             who=leaving.name),
                   link=url_for("map.handover_record", handover_id=record.id))
            db.session.commit()
            flash(_("交接已完成并记录，请打印交接资料交给接手的干部。"), "success")
            return redirect(url_for("map.handover_record", handover_id=record.id))
    status = 422 if request.method == "POST" else 200
    return render_template("map/handover.html", form=form, village=village, plan=plan,
                           today=local_today(township),
                           history=ops.handovers_of(village)), status


@bp.route("/handovers/<uuid:handover_id>")
@staff(*MAP_ROLES)
def handover_record(handover_id):
    """What one hand-over passed on, and its printable pack."""
    record = get_or_404(Handover, handover_id)
    return render_template("map/handover_record.html", record=record,
                           counts={k: len(v) if isinstance(v, list) else v
                                   for k, v in (record.moved or {}).items()})


@bp.route("/handovers/<uuid:handover_id>/pack.pdf")
@staff(*MAP_ROLES)
def handover_pack(handover_id):
    """The hand-over pack: the map with numbered pins, and the households with what is open."""
    from app.notices.pdf import render_pdf

    township = current_township()
    record = get_or_404(Handover, handover_id)
    context = ops.pack_context(record, local_today(township))
    pdf = render_pdf("map_handover.html", township=township, record=record, **context)
    return pdf, 200, {"Content-Type": "application/pdf",
                      "Content-Disposition": f'inline; filename="handover-{record.id}.pdf"'}

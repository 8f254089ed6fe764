"""The registry for staff: search, one household's page and its corrections, villages and grids,
the household import (a job with a progress bar) and the Excel exports.

A village assistant sees only the households of their own villages: another village's household
answers 404, as another township's does.
"""

from __future__ import annotations

import uuid
from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select, text

from app.access import staff, user_roles
from app.accounts.models import Role, RoleGrant, User
from app.clock import township_today
from app.extensions import db
from app.households import importer
from app.households import operations as ops
from app.households.models import (
    Grid,
    Household,
    HouseholdStatus,
    HouseholdTag,
    ImportBatch,
    ImportState,
    Resident,
    ResidentStatus,
    Village,
)
from app.matters.models import Matter
from app.spreadsheets import SheetWriter
from app.tenancy import TenantBlueprint, current_township, get_or_404, scoped

bp = TenantBlueprint("households", __name__, url_prefix="/households")
PER_PAGE = 30
EDITORS = (Role.TOWNSHIP_ADMIN, Role.VILLAGE_ASSISTANT)
MAX_PAGE = 100_000


# ---------------------------------------------------------------- who sees which village

def village_scope(township) -> set[uuid.UUID] | None:
    """None: every village. A village assistant (holding no other role here): their villages."""
    roles = user_roles(current_user, township)
    if not roles or roles - {Role.VILLAGE_ASSISTANT}:
        return None
    return set(db.session.scalars(select(RoleGrant.village_id).where(
        RoleGrant.township_id == township.id, RoleGrant.user_id == current_user.id,
        RoleGrant.role == Role.VILLAGE_ASSISTANT, RoleGrant.village_id.is_not(None))))


def grid_scope(township) -> dict[uuid.UUID, set[uuid.UUID]]:
    """{village id: grid ids} for the villages where a village assistant (holding no other role
    here) is limited to some grids (网格员): every grant of theirs in that village names a grid."""
    roles = user_roles(current_user, township)
    if not roles or roles - {Role.VILLAGE_ASSISTANT}:
        return {}
    grants = db.session.execute(select(RoleGrant.village_id, RoleGrant.grid_id).where(
        RoleGrant.township_id == township.id, RoleGrant.user_id == current_user.id,
        RoleGrant.role == Role.VILLAGE_ASSISTANT, RoleGrant.village_id.is_not(None))).all()
    whole = {v for v, g in grants if g is None}
    limits: dict[uuid.UUID, set[uuid.UUID]] = {}
    for village_id, grid_id in grants:
        if grid_id is not None and village_id not in whole:
            limits.setdefault(village_id, set()).add(grid_id)
    return limits


def load_household(household_id) -> Household:
    household = get_or_404(Household, household_id)
    township = current_township()
    scope = village_scope(township)
    if scope is not None and household.village_id not in scope:
        abort(404)
    grids = grid_scope(township).get(household.village_id)
    if grids is not None and household.grid_id not in grids:
        abort(404)
    return household


def load_village(village_id) -> Village:
    village = get_or_404(Village, village_id)
    scope = village_scope(current_township())
    if scope is not None and village.id not in scope:
        abort(404)
    return village


def _is_admin(township) -> bool:
    return Role.TOWNSHIP_ADMIN in user_roles(current_user, township)


def _uuid_or_none(value):
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------- lists and exports

def _filtered(township):
    """The households list's query for the request's filters, and the villages offered."""
    scope = village_scope(township)
    villages = ops.active_villages(township)
    if scope is not None:
        villages = [v for v in villages if v.id in scope]
    query = scoped(Household)
    status = request.args.get("status", "active")
    if status == "inactive":
        query = query.where(Household.active.is_(False))
    elif status != "all":
        query = query.where(Household.active.is_(True))
    if scope is not None:
        query = query.where(Household.village_id.in_(scope or {uuid.uuid4()}))
    for village_id, grids in grid_scope(township).items():  # a 网格员: their grids only there
        query = query.where(or_(Household.village_id != village_id, Household.grid_id.in_(grids)))
    grid = _uuid_or_none(request.args.get("grid", ""))
    if grid is not None:
        query = query.where(Household.grid_id == grid)
    words = request.args.get("q", "").strip()
    if words:
        if words.isdigit() and len(words) == 4:
            query = query.where(Household.phone_tail == words)
        else:
            members = select(Resident.household_id).where(
                Resident.township_id == township.id, Resident.name == words)
            query = query.where(or_(Household.head_name == words, Household.id.in_(members),
                                    Household.household_number == words,
                                    Household.address.contains(words)))
    village = _uuid_or_none(request.args.get("village", ""))
    if village is not None and village in {v.id for v in villages}:
        query = query.where(Household.village_id == village)
    tag = request.args.get("tag", "")
    if tag in {t.value for t in HouseholdTag}:
        if db.engine.dialect.name == "postgresql":
            from sqlalchemy import type_coerce
            from sqlalchemy.dialects.postgresql import JSONB

            query = query.where(type_coerce(Household.tags, JSONB).contains([tag]))  # @>
        else:
            query = query.where(text("EXISTS (SELECT 1 FROM json_each(households.tags) "
                                     "WHERE json_each.value = :tag)").bindparams(tag=tag))
    if request.args.get("uncovered") == "1":
        query = query.where(Household.contact_cadre_id.is_(None))
    return query, villages


def _filters() -> dict:
    return {k: v for k, v in request.args.items() if k != "page" and v}


@bp.route("/")
@staff()
def index():
    """Villages with their household counts, and a search by name, address or phone digits."""
    township = current_township()
    query, villages = _filtered(township)
    counts = dict(db.session.execute(
        select(Household.village_id, func.count()).where(
            Household.township_id == township.id, Household.active.is_(True))
        .group_by(Household.village_id)).all())
    page_no = min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)
    page = db.paginate(query.order_by(Household.village_id, Household.address, Household.id),
                       page=page_no, per_page=PER_PAGE, error_out=False)
    people = db.session.execute(
        select(User.id, User.name).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.township_id == township.id,
               RoleGrant.role.in_([Role.CADRE, Role.PARTY_REP, Role.VILLAGE_ASSISTANT,
                                   Role.LEADER]))
        .distinct().order_by(User.name)).all()
    linked = dict(db.session.execute(
        select(Household.contact_cadre_id, func.count()).where(
            Household.township_id == township.id, Household.contact_cadre_id.is_not(None))
        .group_by(Household.contact_cadre_id)).all())
    village_ids = {v.id for v in villages}
    grids = [g for g in ops.active_grids(township) if g.village_id in village_ids]
    return render_template("households/index.html", township=township, villages=villages,
                           grids=grids, people=people, linked=linked, tags=list(HouseholdTag),
                           counts=counts, page=page, args=request.args,
                           names={v.id: v.name for v in db.session.scalars(scoped(Village))},
                           filters=_filters())


@bp.route("/export.xlsx")
@staff()
def export_households():
    """The households of the list's filters as Excel, Chinese headers."""
    township = current_township()
    query, _villages = _filtered(township)
    names = {v.id: v.name for v in db.session.scalars(scoped(Village))}
    grids = {g.id: g.name for g in db.session.scalars(scoped(Grid))}
    users = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(
        select(RoleGrant.user_id).where(RoleGrant.township_id == township.id)))).all())
    writer = SheetWriter().add_sheet(_("农户"), [
        _("户号"), _("村（社区）"), _("网格"), _("户主姓名"), _("地址"), _("手机号"), _("标签"),
        _("联户干部"), _("联户党员"), _("状态"), _("状态日期")])
    for h in db.session.scalars(query.order_by(Household.village_id, Household.address)
                                .execution_options(yield_per=2000)):
        writer.append([h.household_number, names.get(h.village_id), grids.get(h.grid_id),
                       h.head_name, h.address, h.phone, "、".join(h.tags),
                       users.get(h.contact_cadre_id), users.get(h.party_member_id),
                       HouseholdStatus(h.status).label, h.status_on])
    return writer.response(f"households-{township.slug}-{township_today(township)}.xlsx")


@bp.route("/residents.xlsx")
@staff()
def export_residents():
    """The members of the list's households as Excel."""
    township = current_township()
    query, _villages = _filtered(township)
    ids = query.with_only_columns(Household.id).scalar_subquery()
    names = {v.id: v.name for v in db.session.scalars(scoped(Village))}
    heads = dict(db.session.execute(select(Household.id, Household.head_name).where(
        Household.township_id == township.id, Household.id.in_(ids))).all())
    writer = SheetWriter().add_sheet(_("居民"), [
        _("村（社区）"), _("户主"), _("姓名"), _("与户主关系"), _("手机号"), _("身份证尾号"),
        _("性别"), _("出生年份"), _("状态")])
    for r in db.session.scalars(scoped(Resident).where(Resident.household_id.in_(ids))
                                .order_by(Resident.household_id, Resident.created_at)
                                .execution_options(yield_per=2000)):
        writer.append([names.get(r.village_id), heads.get(r.household_id), r.name, r.relation,
                       r.phone, r.id_tail, r.gender, r.birth_year,
                       ResidentStatus(r.status).label])
    return writer.response(f"residents-{township.slug}-{township_today(township)}.xlsx")


@bp.route("/links.xlsx")
@staff()
def export_links():
    """Cadre links: each contact cadre and party member with their households (联户)."""
    township = current_township()
    query, _villages = _filtered(township)
    names = {v.id: v.name for v in db.session.scalars(scoped(Village))}
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(
        select(RoleGrant.user_id).where(RoleGrant.township_id == township.id))))}
    writer = SheetWriter().add_sheet(_("联户关系"), [
        _("联系人"), _("类别"), _("联系人电话"), _("村（社区）"), _("户主"), _("地址")])
    for h in db.session.scalars(query.where(or_(Household.contact_cadre_id.is_not(None),
                                                Household.party_member_id.is_not(None)))
                                .order_by(Household.contact_cadre_id, Household.address)):
        for user_id, kind in ((h.contact_cadre_id, _("联户干部")),
                              (h.party_member_id, _("联户党员"))):
            user = users.get(user_id)
            if user is not None:
                writer.append([user.name, kind, user.phone, names.get(h.village_id),
                               h.head_name, h.address])
    return writer.response(f"links-{township.slug}-{township_today(township)}.xlsx")


# ---------------------------------------------------------------- one household

def _detail_context(household, errors=None, values=None):
    township = current_township()
    members = db.session.scalars(scoped(Resident).where(
        Resident.household_id == household.id).order_by(Resident.created_at)).all()
    matters = db.session.scalars(scoped(Matter).where(Matter.household_id == household.id)
                                 .order_by(Matter.received_at.desc()).limit(50)).all()
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(
        [i for i in (household.contact_cadre_id, household.party_member_id) if i])))}
    from app.visits.operations import visits_of

    users = {}
    events = ops.history(township, household)
    actor_ids = {e.actor_id for e in events if e.actor_id}
    if actor_ids:
        users = dict(db.session.execute(select(User.id, User.name).where(
            User.id.in_(actor_ids))).all())
    survivor = db.session.get(Household, (township.id, household.merged_into_id)) \
        if household.merged_into_id else None
    return dict(township=township, household=household, members=members, matters=matters,
                visits=visits_of(household), cadre=people.get(household.contact_cadre_id),
                member=people.get(household.party_member_id), events=events, actors=users,
                can_edit=bool(user_roles(current_user, township) & set(EDITORS)),
                statuses=[s for s in HouseholdStatus if s != HouseholdStatus.MERGED],
                resident_statuses=list(ResidentStatus), survivor=survivor,
                today=township_today(township), errors=errors or {}, values=values or {})


@bp.route("/<uuid:household_id>")
@staff()
def detail(household_id):
    """Members, tags, contact cadre and party member, visits, matters, and its history."""
    household = load_household(household_id)
    return render_template("households/detail.html", **_detail_context(household))


def _edit_context(township, household, values, errors):
    scope = village_scope(township)
    villages = [v for v in ops.active_villages(township) if scope is None or v.id in scope]
    return dict(township=township, household=household, villages=villages,
                grids=ops.active_grids(township), tags=list(HouseholdTag), values=values,
                errors=errors)


@bp.route("/<uuid:household_id>/edit", methods=["GET", "POST"])
@staff(*EDITORS)
def edit(household_id):
    """Head, phone, address, tags, household number; village and grid (moving it)."""
    township = current_township()
    household = load_household(household_id)
    if request.method == "GET":
        values = {"head_name": household.head_name, "address": household.address,
                  "phone": household.phone or "", "tags": household.tags,
                  "household_number": household.household_number or "",
                  "notes": household.notes, "village_id": str(household.village_id),
                  "grid_id": str(household.grid_id or "")}
        return render_template("households/edit.html",
                               **_edit_context(township, household, values, {}))
    form = request.form
    values = {**form.to_dict(), "tags": form.getlist("tags")}
    errors = {}
    head = form.get("head_name", "").strip()
    limits = importer.column_limits()
    if not head:
        errors["head_name"] = _("请填写户主姓名。")
    elif len(head) > limits["head"]:
        errors["head_name"] = _("户主姓名最多 %(n)s 个字。", n=limits["head"])
    if len(form.get("address", "")) > limits["address"]:
        errors["address"] = _("地址最多 %(n)s 个字。", n=limits["address"])
    phone = form.get("phone", "").replace(" ", "").replace("-", "")
    if phone and not importer.MOBILE.match(phone):
        errors["phone"] = _("请填写11位手机号。")
    number = form.get("household_number", "").strip()
    if len(number) > limits["household_number"]:
        errors["household_number"] = _("户号最多 %(n)s 个字。", n=limits["household_number"])
    village_id = _uuid_or_none(form.get("village_id"))
    scope = village_scope(township)
    if village_id is None or (scope is not None and village_id not in scope):
        errors["village_id"] = _("请选择村（社区）。")
    if not errors:
        try:
            ops.edit_household(township, current_user, household, head_name=head,
                               address=form.get("address", ""), phone=phone or None,
                               tags=form.getlist("tags"), household_number=number or None,
                               notes=form.get("notes", "")[:5000], village_id=village_id,
                               grid_id=_uuid_or_none(form.get("grid_id")))
        except ops.RegistryError as exc:
            errors["form"] = str(exc)
    if errors:
        db.session.rollback()
        return render_template("households/edit.html",
                               **_edit_context(township, household, values, errors)), 422
    db.session.commit()
    flash(_("已保存。"), "success")
    return redirect(url_for(".detail", household_id=household.id))


def _date_from(form, township) -> date | None:
    raw = form.get("on", "").strip()
    if not raw:
        return township_today(township)
    try:
        on = date.fromisoformat(raw)
    except ValueError:
        return None
    if on.year < 1900 or on > township_today(township):
        return None
    return on


@bp.route("/<uuid:household_id>/status", methods=["POST"])
@staff(*EDITORS)
def set_status(household_id):
    """Moved away, deceased, dissolved (never deleted), or back in the registry."""
    township = current_township()
    household = load_household(household_id)
    status = request.form.get("status", "")
    on = _date_from(request.form, township)
    errors = {}
    if status not in {s.value for s in HouseholdStatus} or status == HouseholdStatus.MERGED:
        errors["status"] = _("请选择状态。")
    if on is None:
        errors["on"] = _("请填写正确的日期（不晚于今天）。")
    if not errors:
        try:
            ops.set_household_status(township, current_user, household, status, on,
                                     note=request.form.get("note", "")[:200])
        except ops.RegistryError as exc:
            errors["status"] = str(exc)
    if errors:
        db.session.rollback()
        return render_template("households/detail.html", **_detail_context(
            household, errors=errors, values=request.form.to_dict())), 422
    db.session.commit()
    flash(_("已更新状态。"), "success")
    return redirect(url_for(".detail", household_id=household.id))


@bp.route("/<uuid:household_id>/merge", methods=["GET", "POST"])
@staff(*EDITORS)
def merge(household_id):
    """Merge this household (a duplicate) into another: search, choose, confirm."""
    township = current_township()
    duplicate = load_household(household_id)
    errors = {}
    words = (request.values.get("q") or duplicate.head_name).strip()
    scope = village_scope(township)
    candidates = scoped(Household).where(Household.active.is_(True),
                                         Household.id != duplicate.id)
    if scope is not None:
        candidates = candidates.where(Household.village_id.in_(scope or {uuid.uuid4()}))
    if words.isdigit() and len(words) == 4:
        candidates = candidates.where(Household.phone_tail == words)
    else:
        candidates = candidates.where(or_(Household.head_name == words,
                                          Household.household_number == words))
    candidates = db.session.scalars(candidates.limit(30)).all()
    if request.method == "POST":
        survivor_id = _uuid_or_none(request.form.get("survivor_id"))
        if survivor_id is None:
            errors["survivor_id"] = _("请选择要保留的一户。")
        else:
            survivor = load_household(survivor_id)
            try:
                ops.merge_households(township, current_user, duplicate, survivor)
            except ops.RegistryError as exc:
                errors["survivor_id"] = str(exc)
            else:
                db.session.commit()
                flash(_("已合并，记录都转到了保留的一户。"), "success")
                return redirect(url_for(".detail", household_id=survivor.id))
        db.session.rollback()
    names = {v.id: v.name for v in db.session.scalars(scoped(Village))}
    return render_template("households/merge.html", township=township, household=duplicate,
                           candidates=candidates, q=words, names=names,
                           errors=errors), 422 if errors else 200


@bp.route("/<uuid:household_id>/members", methods=["POST"])
@staff(*EDITORS)
def add_member(household_id):
    township = current_township()
    household = load_household(household_id)
    name = request.form.get("name", "").strip()
    phone = request.form.get("phone", "").replace(" ", "")
    errors = {}
    if not name or len(name) > importer.column_limits()["member_name"]:
        errors["name"] = _("请填写姓名（不超过40个字）。")
    if phone and not importer.MOBILE.match(phone):
        errors["phone"] = _("请填写11位手机号。")
    if len(request.form.get("relation", "")) > 20:
        errors["relation"] = _("关系最多20个字。")
    if errors:
        return render_template("households/detail.html", **_detail_context(
            household, errors=errors, values=request.form.to_dict())), 422
    ops.add_member(township, current_user, household, name=name,
                   relation=request.form.get("relation", ""), phone=phone or None)
    db.session.commit()
    flash(_("已添加成员。"), "success")
    return redirect(url_for(".detail", household_id=household.id))


def _member(household, resident_id) -> Resident:
    resident = get_or_404(Resident, resident_id)
    if resident.household_id != household.id:
        abort(404)
    return resident


@bp.route("/<uuid:household_id>/members/<uuid:resident_id>", methods=["GET", "POST"])
@staff(*EDITORS)
def member(household_id, resident_id):
    """Edit a member; mark them moved away or deceased (a head hands headship on)."""
    township = current_township()
    household = load_household(household_id)
    resident = _member(household, resident_id)
    others = [m for m in db.session.scalars(scoped(Resident).where(
        Resident.household_id == household.id, Resident.id != resident.id,
        Resident.status == ResidentStatus.ACTIVE))]
    errors, values = {}, request.form.to_dict() if request.method == "POST" else {
        "name": resident.name, "relation": resident.relation or "", "phone": resident.phone or "",
        "status": resident.status}
    if request.method == "POST":
        name = request.form.get("name", "").strip()
        phone = request.form.get("phone", "").replace(" ", "")
        status = request.form.get("status", resident.status)
        on = _date_from(request.form, township)
        if not name or len(name) > importer.column_limits()["member_name"]:
            errors["name"] = _("请填写姓名（不超过40个字）。")
        if phone and not importer.MOBILE.match(phone):
            errors["phone"] = _("请填写11位手机号。")
        if status not in {s.value for s in ResidentStatus} or status == ResidentStatus.MERGED:
            errors["status"] = _("请选择状态。")
        if on is None:
            errors["on"] = _("请填写正确的日期（不晚于今天）。")
        if not errors:
            try:
                ops.edit_member(township, current_user, resident, name=name,
                                relation=request.form.get("relation",
                                                          resident.relation or "")[:20],
                                phone=phone or None)
                if status != resident.status:
                    new_head = next((m for m in others if str(m.id) ==
                                     request.form.get("new_head_id")), None)
                    ops.set_resident_status(township, current_user, resident, status, on,
                                            new_head=new_head)
                if request.form.get("make_head") == "1" and resident.relation != "户主":
                    ops.hand_headship(township, current_user, household, resident)
            except ops.RegistryError as exc:
                errors["status"] = str(exc)
        if not errors:
            db.session.commit()
            flash(_("已保存。"), "success")
            return redirect(url_for(".detail", household_id=household.id))
        db.session.rollback()
    return render_template("households/member.html", township=township, household=household,
                           resident=resident, others=others, values=values, errors=errors,
                           statuses=[s for s in ResidentStatus if s != ResidentStatus.MERGED],
                           today=township_today(township)), 422 if errors else 200


# ---------------------------------------------------------------- villages and grids

def _villages_context(errors=None, values=None):
    township = current_township()
    scope = village_scope(township)
    villages = db.session.scalars(scoped(Village).order_by(
        Village.retired_at.is_not(None), Village.sort_order, Village.name)).all()
    if scope is not None:
        villages = [v for v in villages if v.id in scope]
    grids: dict = {}
    for g in db.session.scalars(scoped(Grid).order_by(Grid.name)):
        grids.setdefault(g.village_id, []).append(g)
    counts = dict(db.session.execute(
        select(Household.village_id, func.count()).where(
            Household.township_id == township.id, Household.active.is_(True))
        .group_by(Household.village_id)).all())
    return dict(township=township, villages=villages, grids=grids, counts=counts,
                is_admin=_is_admin(township), errors=errors or {}, values=values or {},
                active=[v for v in villages if v.active])


@bp.route("/villages")
@staff(*EDITORS)
def villages():
    """Villages and communities with their grids (a village assistant: their own)."""
    return render_template("households/villages.html", **_villages_context())


def _villages_answer(errors: dict, done: str):
    """After a change on the villages page: with errors, nothing is kept and the page comes back
    with them (422); else the change is committed and the page says `done`."""
    if errors:
        db.session.rollback()
        return render_template("households/villages.html", **_villages_context(
            errors, request.form.to_dict())), 422
    db.session.commit()
    flash(done, "success")
    return redirect(url_for(".villages"))


@bp.route("/villages/add", methods=["POST"])
@staff(Role.TOWNSHIP_ADMIN)
def add_village():
    """A township administrator adds a village or community."""
    township = current_township()
    name = request.form.get("name", "").strip()
    errors = {}
    if not name or len(name) > importer.column_limits()["village"]:
        errors["name"] = _("请填写名称（不超过60个字）。")
    else:
        try:
            ops.add_village(township, current_user, name=name,
                            is_community=request.form.get("is_community") == "1")
        except ops.RegistryError as exc:
            errors["name"] = str(exc)
    return _villages_answer(errors, _("已新增。"))


@bp.route("/villages/<uuid:village_id>", methods=["POST"])
@staff(*EDITORS)
def village(village_id):
    """One village: rename / 村改居 (action=edit), add a grid (action=grid), retire (admin),
    merge into another (admin)."""
    township = current_township()
    village = load_village(village_id)
    action = request.form.get("action", "")
    errors = {}
    try:
        if action == "edit":
            name = request.form.get("name", "").strip()
            if not name or len(name) > importer.column_limits()["village"]:
                raise ops.RegistryError(_("请填写名称（不超过60个字）。"))
            ops.edit_village(township, current_user, village, name=name,
                             is_community=request.form.get("is_community") == "1")
        elif action == "grid":
            name = request.form.get("grid_name", "").strip()
            if len(name) > importer.column_limits()["grid"]:
                raise ops.RegistryError(_("网格名称最多60个字。"))
            ops.add_grid(township, current_user, village, name)
        elif action in ("retire", "merge"):
            if not _is_admin(township):
                abort(403)
            if action == "retire":
                ops.retire_village(township, current_user, village)
            else:
                survivor = get_or_404(Village, request.form.get("into_id"))
                community = request.form.get("becomes_community")
                ops.merge_villages(township, current_user, village, survivor,
                                   becomes_community=True if community == "1" else None)
        else:
            abort(400)
    except ops.RegistryError as exc:
        errors[str(village.id)] = str(exc)
    return _villages_answer(errors, _("已保存。"))


@bp.route("/grids/<uuid:grid_id>", methods=["POST"])
@staff(*EDITORS)
def grid(grid_id):
    """One grid: rename (action=edit), retire, or merge into another grid."""
    township = current_township()
    grid = get_or_404(Grid, grid_id)
    load_village(grid.village_id)
    action = request.form.get("action", "")
    errors = {}
    try:
        if action == "edit":
            name = request.form.get("name", "").strip()
            if len(name) > importer.column_limits()["grid"]:
                raise ops.RegistryError(_("网格名称最多60个字。"))
            ops.rename_grid(township, current_user, grid, name)
        elif action == "retire":
            ops.retire_grid(township, current_user, grid)
        elif action == "merge":
            survivor = get_or_404(Grid, request.form.get("into_id"))
            load_village(survivor.village_id)
            ops.merge_grids(township, current_user, grid, survivor)
        else:
            abort(400)
    except ops.RegistryError as exc:
        errors[str(grid.village_id)] = str(exc)
    return _villages_answer(errors, _("已保存。"))


# ---------------------------------------------------------------- import from CSV / XLSX

def _forget_old_uploads(township, max_age_seconds: int = 24 * 3600) -> None:
    """A sheet checked but never confirmed is forgotten after a day (its batch cancelled)."""
    from datetime import timedelta

    from app.models import utcnow

    for batch in db.session.scalars(scoped(ImportBatch).where(
            ImportBatch.state == ImportState.CHECKED,
            ImportBatch.checked_at < utcnow() - timedelta(seconds=max_age_seconds))):
        batch.state = ImportState.CANCELLED
        importer.forget_files(batch)


@bp.route("/import", methods=["GET", "POST"])
@staff(Role.TOWNSHIP_ADMIN)
def import_households():
    """Upload → checked as a job (progress bar) → preview → confirm → imported as a job."""
    township = current_township()
    recent = db.session.scalars(scoped(ImportBatch).order_by(ImportBatch.created_at.desc())
                                .limit(10)).all()
    if request.method == "GET":
        return render_template("households/import.html", township=township, recent=recent)
    upload = request.files.get("file")
    if not upload or not upload.filename:
        return render_template("households/import.html", township=township, recent=recent,
                               error=_("请选择要导入的文件。")), 422
    if not upload.filename.lower().endswith((".xlsx", ".csv")):
        return render_template("households/import.html", township=township, recent=recent,
                               error=_("请上传 Excel（.xlsx）或 CSV 文件。")), 422
    _forget_old_uploads(township)
    batch = importer.start(township, current_user, upload.filename, upload.stream)
    db.session.commit()
    return redirect(url_for(".import_batch", batch_id=batch.id))


def _job_of(batch):
    from app.notices.models import JobRecord

    for job in db.session.scalars(scoped(JobRecord).where(
            JobRecord.func.like("app.households.importer.%"),
            JobRecord.created_at >= batch.created_at).order_by(JobRecord.created_at.desc())
            .limit(20)):
        if job.args and job.args[0] == str(batch.id):
            return job
    return None


@bp.route("/import/<uuid:batch_id>")
@staff(Role.TOWNSHIP_ADMIN)
def import_batch(batch_id):
    """The batch's progress while it is checked or imported, then its preview or result."""
    township = current_township()
    batch = get_or_404(ImportBatch, batch_id)
    ctx = dict(township=township, batch=batch, job=_job_of(batch),
               bad_shown=batch.bad_rows[:500])
    if request.headers.get("HX-Request") and not request.headers.get("HX-Boosted"):
        return render_template("households/_import_batch.html", **ctx)
    return render_template("households/import_batch.html", **ctx)


@bp.route("/import/<uuid:batch_id>/confirm", methods=["POST"])
@staff(Role.TOWNSHIP_ADMIN)
def import_confirm(batch_id):
    """Confirming twice imports once: only a checked batch moves on."""
    township = current_township()
    batch = get_or_404(ImportBatch, batch_id)
    if importer.confirm(township, current_user, batch):
        db.session.commit()
    else:
        flash(_("这批数据已确认过或不能导入，没有重复导入。"))
    return redirect(url_for(".import_batch", batch_id=batch.id))


@bp.route("/import/<uuid:batch_id>/cancel", methods=["POST"])
@staff(Role.TOWNSHIP_ADMIN)
def import_cancel(batch_id):
    township = current_township()
    batch = get_or_404(ImportBatch, batch_id)
    if importer.cancel(township, current_user, batch):
        db.session.commit()
        flash(_("已取消，上传的数据已删除。"))
    return redirect(url_for(".import_households"))


@bp.route("/import/<uuid:batch_id>/problems.xlsx")
@staff(Role.TOWNSHIP_ADMIN)
def import_problems(batch_id):
    """Every bad row of a refused sheet, with its line number, as Excel."""
    batch = get_or_404(ImportBatch, batch_id)
    writer = SheetWriter().add_sheet(_("问题行"), [_("行号"), _("户主"), _("问题")])
    for problem in batch.file_problems:
        writer.append(["", "", problem])
    writer.extend(batch.bad_rows)
    return writer.response(f"import-problems-{batch.id}.xlsx")


# ---------------------------------------------------------------- cadre links

@bp.route("/assign", methods=["POST"])
@staff(Role.TOWNSHIP_ADMIN, Role.LEADER)
def assign_links():
    """Link the ticked households to a contact cadre (~30 each) or a party member (~10)."""
    from app.audit.operations import record

    township = current_township()
    which = request.form.get("link")
    person_id = request.form.get("person_id", "")
    ids = request.form.getlist("household_ids")
    grant = db.session.scalar(select(RoleGrant).where(
        RoleGrant.township_id == township.id, RoleGrant.user_id == _uuid_or_none(person_id)))
    back = request.form.get("back") or ""
    back = back if back.startswith("/t/") else url_for(".index")
    if which not in ("contact_cadre", "party_member") or grant is None or not ids:
        flash(_("请勾选农户，并选择联户干部或党员。"), "error")
        return redirect(back)
    households = [load_household(i) for i in ids]
    for household in households:
        before = getattr(household, f"{which}_id")
        setattr(household, f"{which}_id", grant.user_id)
        if before != grant.user_id:
            record(township.id, current_user, "household.link", household,
                   before={f"{which}_id": before}, after={f"{which}_id": grant.user_id},
                   summary="设置联户干部" if which == "contact_cadre" else "设置联户党员")
    db.session.commit()
    flash(_("已为 %(n)s 户设置联系人。", n=len(households)), "success")
    return redirect(back)


from app.households import picker as _picker  # noqa: E402,F401  (the resident picker views)

"""The registry of villages and households, for staff: search, and one household's page."""

from __future__ import annotations

import re
import secrets

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from app.access import staff
from app.accounts.models import Role, RoleGrant, User
from app.extensions import db
from app.households import importer
from app.households.models import Household, Resident, Village
from app.matters.models import Matter
from app.tenancy import TenantBlueprint, current_township, get_or_404, scoped

bp = TenantBlueprint("households", __name__, url_prefix="/households")
PER_PAGE = 30


@bp.route("/")
@staff()
def index():
    """Villages with their household counts, and a search by name, address or phone digits."""
    township = current_township()
    counts = dict(db.session.execute(
        select(Household.village_id, func.count()).where(
            Household.township_id == township.id, Household.active.is_(True))
        .group_by(Household.village_id)).all())
    villages = db.session.scalars(scoped(Village).order_by(Village.sort_order, Village.name)).all()
    query = scoped(Household).where(Household.active.is_(True))
    words = request.args.get("q", "").strip()
    if words:
        if words.isdigit() and len(words) == 4:
            query = query.where(Household.phone_tail == words)
        else:
            members = select(Resident.household_id).where(
                Resident.township_id == township.id, Resident.name == words)
            query = query.where(or_(Household.head_name == words, Household.id.in_(members),
                                    Household.address.contains(words)))
    village = request.args.get("village", "")
    if village in {str(v.id) for v in villages}:
        query = query.where(Household.village_id == next(
            v.id for v in villages if str(v.id) == village))
    page = db.paginate(query.order_by(Household.village_id, Household.address),
                       page=request.args.get("page", 1, type=int), per_page=PER_PAGE,
                       error_out=False)
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
    return render_template("households/index.html", township=township, villages=villages,
                           people=people, linked=linked,
                           counts=counts, page=page, args=request.args,
                           names={v.id: v.name for v in villages},
                           filters={k: v for k, v in request.args.items() if k != "page"})


@bp.route("/<uuid:household_id>")
@staff()
def detail(household_id):
    """Members, tags, contact cadre and party member, visits, matters."""
    township = current_township()
    household = get_or_404(Household, household_id)
    members = db.session.scalars(scoped(Resident).where(
        Resident.household_id == household.id).order_by(Resident.created_at)).all()
    matters = db.session.scalars(scoped(Matter).where(Matter.household_id == household.id)
                                 .order_by(Matter.received_at.desc()).limit(50)).all()
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(
        [i for i in (household.contact_cadre_id, household.party_member_id) if i])))}
    from app.visits.operations import visits_of

    return render_template("households/detail.html", township=township, household=household,
                           members=members, matters=matters, visits=visits_of(household),
                           cadre=people.get(household.contact_cadre_id),
                           member=people.get(household.party_member_id))


# ---------------------------------------------------------------- import from CSV / XLSX

def _upload_path(token: str, suffix: str):
    from pathlib import Path

    from flask import current_app

    if not re.fullmatch(r"[A-Za-z0-9_-]{16,64}", token) or suffix not in (".csv", ".xlsx"):
        abort(404)
    folder = Path(current_app.config["VAR_DIR"]) / "imports" / str(current_township().id)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{token}{suffix}"


def _forget_old_uploads(max_age_seconds: int = 24 * 3600) -> None:
    """Uploaded files hold ID numbers: a preview never confirmed is deleted after a day."""
    import time

    folder = _upload_path("x" * 16, ".csv").parent
    for path in folder.iterdir():
        if time.time() - path.stat().st_mtime > max_age_seconds:
            path.unlink(missing_ok=True)


@bp.route("/import", methods=["GET", "POST"])
@staff(Role.TOWNSHIP_ADMIN)
def import_households():
    """Upload → every row checked and listed → confirm → all rows go in, or none."""
    township = current_township()
    if request.method == "GET":
        return render_template("households/import.html", township=township, result=None)
    token, suffix = request.form.get("token", ""), request.form.get("suffix", "")
    upload = request.files.get("file")
    if upload and upload.filename:
        _forget_old_uploads()
        suffix = ".xlsx" if upload.filename.lower().endswith(".xlsx") else ".csv"
        token = secrets.token_urlsafe(16)
        _upload_path(token, suffix).write_bytes(upload.read())
    elif not token:
        return render_template("households/import.html", township=township, result=None,
                               error=_("请选择要导入的文件。")), 422
    path = _upload_path(token, suffix)
    if not path.exists():
        abort(404)
    result = importer.preview(township, path.name, path.read_bytes())
    if request.form.get("confirm") == "yes" and result.ok:
        count = importer.import_rows(township, result)
        db.session.commit()
        path.unlink(missing_ok=True)
        flash(_("已导入 %(n)s 户。", n=count), "success")
        return redirect(url_for(".index"))
    return render_template("households/import.html", township=township, result=result,
                           token=token, suffix=suffix), (200 if result.ok else 422)


@bp.route("/assign", methods=["POST"])
@staff(Role.TOWNSHIP_ADMIN, Role.LEADER)
def assign_links():
    """Link the ticked households to a contact cadre (~30 each) or a party member (~10)."""
    township = current_township()
    which = request.form.get("link")
    person_id = request.form.get("person_id", "")
    ids = request.form.getlist("household_ids")
    grant = db.session.scalar(select(RoleGrant).where(
        RoleGrant.township_id == township.id, RoleGrant.user_id == _uuid_or_none(person_id)))
    if which not in ("contact_cadre", "party_member") or grant is None or not ids:
        flash(_("请勾选农户，并选择联户干部或党员。"), "error")
        return redirect(request.form.get("back") or url_for(".index"))
    households = [get_or_404(Household, i) for i in ids]
    for household in households:
        setattr(household, f"{which}_id", grant.user_id)
    db.session.commit()
    flash(_("已为 %(n)s 户设置联系人。", n=len(households)), "success")
    return redirect(request.form.get("back") or url_for(".index"))


def _uuid_or_none(value):
    import uuid

    try:
        return uuid.UUID(value)
    except ValueError:
        return None
from app.households import picker as _picker  # noqa: E402,F401  (the resident picker views)

"""County cadres (县直联户干部) and 双覆盖: a county official is the contact cadre of households in
any township of the county. The link is the household's own `contact_cadre_id`, so the visits
they record count in that township's figures as any cadre's do, and in the county's figures for
the cadre (app.counties.figures, by="cadre"). Every link is recorded in the township's audit log.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from app.accounts.models import User
from app.audit.operations import record
from app.counties.models import County, CountyGrant, CountyRole
from app.extensions import db
from app.households.models import Household
from app.tenancy import bind_township
from app.townships.models import Township


class LinkError(ValueError):
    """A link refused, with a message for people."""


def county_cadres(county: County) -> list[User]:
    return list(db.session.scalars(
        select(User).join(CountyGrant, CountyGrant.user_id == User.id)
        .where(CountyGrant.county_id == county.id,
               CountyGrant.role == CountyRole.COUNTY_CADRE.value)
        .distinct().order_by(User.name)))


def is_county_cadre(county: County, user_id) -> bool:
    return bool(db.session.scalar(select(CountyGrant.id).where(
        CountyGrant.county_id == county.id, CountyGrant.user_id == user_id,
        CountyGrant.role == CountyRole.COUNTY_CADRE.value)))


def find_household(township: Township, head_name: str, address: str = "") -> Household:
    """The one active household of the township with this head (and address, when given)."""
    query = select(Household).where(Household.township_id == township.id,
                                    Household.active.is_(True),
                                    Household.head_name == head_name.strip())
    if address.strip():
        query = query.where(Household.address == address.strip())
    found = db.session.scalars(query.limit(2), execution_options={"all_townships": True}).all()
    if not found:
        raise LinkError(f"{township.name}没有户主为“{head_name.strip()}”的农户。")
    if len(found) > 1:
        raise LinkError(f"{township.name}有多户户主为“{head_name.strip()}”，请填写地址。")
    return found[0]


def link_household(county: County, cadre: User, household: Household, actor) -> bool:
    """Make `cadre` (a county cadre) the contact cadre of `household` (a township of the county).
    Returns False when it already was. The caller commits."""
    if not is_county_cadre(county, cadre.id):
        raise LinkError(f"“{cadre.name}”不是本县的县直联户干部。")
    township = db.session.get(Township, household.township_id)
    if township is None or township.county_id != county.id:
        raise LinkError("该农户不在本县。")
    if household.contact_cadre_id == cadre.id:
        return False
    bind_township(db.session, household.township_id)
    before = str(household.contact_cadre_id) if household.contact_cadre_id else None
    household.contact_cadre_id = cadre.id
    record(household.township_id, actor, "household.contact_cadre", household,
           before={"contact_cadre": before}, after={"contact_cadre": str(cadre.id)},
           actor_kind="county", summary=f"{county.name}县直干部{cadre.name}联系本户")
    db.session.flush()
    bind_township(db.session, None)
    return True


@dataclass
class SheetResult:
    linked: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


SHEET_HEADERS = ("干部用户名", "乡镇", "户主姓名", "地址")


def link_from_sheet(county: County, stream, actor) -> SheetResult:
    """Bulk links from an Excel sheet with the columns 干部用户名 | 乡镇 (name or division code) |
    户主姓名 | 地址 (optional). Rows that fail are reported by row number; the others are linked.
    The caller commits."""
    from openpyxl import load_workbook

    result = SheetResult()
    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # not a workbook: say so, do not crash
        raise LinkError("无法读取文件，请上传 .xlsx 表格。") from exc
    towns = {}
    for t in db.session.scalars(select(Township).where(Township.county_id == county.id)):
        towns[t.name] = t
        if t.division_code:
            towns[t.division_code] = t
    cadres = {u.username: u for u in county_cadres(county)}
    for number, row in enumerate(book.active.iter_rows(min_row=2, values_only=True), start=2):
        cells = [str(c).strip() if c is not None else "" for c in (row or ())][:4]
        cells += [""] * (4 - len(cells))
        username, town_name, head, address = cells
        if not any(cells):
            continue
        cadre, township = cadres.get(username), towns.get(town_name)
        if cadre is None:
            result.errors.append((number, f"“{username}”不是本县的县直联户干部。"))
            continue
        if township is None:
            result.errors.append((number, f"本县没有乡镇“{town_name}”。"))
            continue
        try:
            household = find_household(township, head, address)
            changed = link_household(county, cadre, household, actor)
        except LinkError as exc:
            result.errors.append((number, str(exc)))
            continue
        if changed:
            result.linked += 1
        else:
            result.unchanged += 1
    return result


def households_of(county: County, cadre_id, township_ids) -> list[tuple[Household, str]]:
    """The cadre's households in the county's townships, with the township's name."""
    if not township_ids:
        return []
    return list(db.session.execute(
        select(Household, Township.name).join(Township, Township.id == Household.township_id)
        .where(Household.township_id.in_(list(township_ids)),
               Household.contact_cadre_id == cadre_id, Household.active.is_(True))
        .order_by(Township.name, Household.address), execution_options={"all_townships": True}
    ).tuples())


def loads(county: County, township_ids) -> dict:
    """{cadre id: {township id: households}} for the county's cadres."""
    ids = [u.id for u in county_cadres(county)]
    out: dict = {uid: {} for uid in ids}
    if not ids or not township_ids:
        return out
    for uid, tid, n in db.session.execute(
            select(Household.contact_cadre_id, Household.township_id, func.count())
            .where(Household.township_id.in_(list(township_ids)),
                   Household.contact_cadre_id.in_(ids), Household.active.is_(True))
            .group_by(Household.contact_cadre_id, Household.township_id),
            execution_options={"all_townships": True}):
        out[uid][tid] = n
    return out

"""Township profiles: declarative TOML files in tenants/ describing a township's setup.

The format is documented in tenants/README.md. Loading is all-or-nothing: everything goes in one
transaction and the caller commits only if no error was raised; an error names the table entry and,
when the profile came from a file, its line. `export_profile` writes a township's setup back out.
"""

from __future__ import annotations

import re
import tomllib
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import tomli_w
from sqlalchemy import select

from app.accounts.models import Role, RoleGrant, User, hash_password
from app.accounts.operations import create_user, find_user, grant
from app.catalogue.models import Centre, ServiceItem
from app.extensions import db
from app.households.models import Grid, Household, Resident, Village
from app.service_models import REGISTRY, SettingsError
from app.tenancy import bind_township
from app.townships.operations import TownshipError, create_township, set_service

PROFILE_DIR = Path(__file__).resolve().parent.parent.parent / "tenants"


class ProfileError(ValueError):
    """A profile that cannot be loaded; `where` is (table, index) when known, `line` the line."""

    def __init__(self, message: str, where: tuple[str, int | str] | None = None,
                 line: int | None = None):
        super().__init__(message)
        self.message, self.where, self.line = message, where, line

    def __str__(self) -> str:
        place = ""
        if self.line:
            place = f"第 {self.line} 行"
        elif self.where:
            table, index = self.where
            place = f"[{table}]" if isinstance(index, str) else f"[[{table}]] 第 {index + 1} 项"
        return f"{place}：{self.message}" if place else self.message


def read_profile(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:  # its message already names the line
        raise ProfileError(f"{path.name}: {exc}") from exc


def line_of(text: str, where: tuple[str, int | str]) -> int | None:
    """The line where a table entry starts: the n-th [[table]], or [table.key]."""
    table, index = where
    if isinstance(index, str):
        pattern = re.compile(rf"^\s*\[{re.escape(table)}\.{re.escape(index)}\]\s*$")
        return next((n for n, line in enumerate(text.splitlines(), 1) if pattern.match(line)),
                    None)
    pattern = re.compile(rf"^\s*\[\[{re.escape(table)}\]\]\s*$")
    starts = [n for n, line in enumerate(text.splitlines(), 1) if pattern.match(line)]
    return starts[index] if index < len(starts) else None


def load_profile_file(path: Path, **kwargs):
    """load_profile for a file, with errors that name the line."""
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(str(exc)) from exc
    try:
        return load_profile(data, **kwargs)
    except ProfileError as exc:
        if exc.where and not exc.line:
            exc.line = line_of(text, exc.where)
        raise


@contextmanager
def _at(table: str, index: int | str):
    try:
        yield
    except ProfileError as exc:
        exc.where = exc.where or (table, index)
        raise
    except KeyError as exc:
        raise ProfileError(f"缺少“{exc.args[0]}”", (table, index)) from exc
    except (SettingsError, TownshipError, ValueError, TypeError) as exc:
        raise ProfileError(str(exc), (table, index)) from exc


def load_profile(data: dict[str, Any], *, slug: str | None = None, name: str | None = None,
                 code: str | None = None, is_demo: bool = False, password: str | None = None,
                 with_people: bool = True):
    """Create a township from a parsed profile. Staff get `password` (demo) or no password."""
    info = data.get("township") or {}
    with _at("township", "info"):
        township = create_township(
            slug=slug or info.get("slug", ""), name=name or info["name"],
            code=code or info.get("code", ""), division_code=info.get("division_code"),
            county=info.get("county"), phone=info.get("phone"), address=info.get("address"),
            is_demo=is_demo)
    township.settings = dict(data.get("settings") or {})
    bind_township(db.session, township.id)

    for key, values in (data.get("services") or {}).items():
        with _at("services", key):
            if key not in REGISTRY:
                raise ProfileError("没有这种服务模式")
            values = dict(values)
            set_service(township, key, enabled=bool(values.pop("enabled", True)),
                        settings=values)

    centres: dict[str, Centre] = {}
    for order, row in enumerate(data.get("centres") or []):
        with _at("centres", order):
            centre = Centre(township_id=township.id, name=row["name"],
                            description=row.get("description", ""), sort_order=order)
            db.session.add(centre)
            centres[centre.name] = centre

    for index, row in enumerate(data.get("service_items") or []):
        with _at("service_items", index):
            centre = centres.get(row.get("centre", ""))
            if centre is None:
                raise ProfileError(f"中心“{row.get('centre')}”不存在")
            db.session.add(ServiceItem(
                township_id=township.id, centre_id=centre.id, name=row["name"],
                description=row.get("description", ""), materials=row.get("materials", []),
                steps=row.get("steps", []),
                # The item's own intake questions, one line each as on the catalogue page.
                questions=_questions(row.get("questions", [])),
                promised_workdays=int(row.get("promised_workdays", 5)),
                on_the_spot=bool(row.get("on_the_spot", False)),
                proxiable=bool(row.get("proxiable", False)),
                bookable=bool(row.get("bookable", False))))

    villages: dict[str, Village] = {}
    grids: dict[tuple[str, str], Grid] = {}
    for order, row in enumerate(data.get("villages") or []):
        with _at("villages", order):
            village = Village(township_id=township.id, name=row["name"],
                              division_code=row.get("division_code"),
                              is_community=bool(row.get("is_community", False)),
                              sort_order=order)
            db.session.add(village)
            villages[village.name] = village
            for grid_name in row.get("grids", []):
                grid = Grid(township_id=township.id, village_id=village.id, name=grid_name)
                db.session.add(grid)
                grids[(village.name, grid_name)] = grid
    db.session.flush()
    if not with_people:
        return township

    users = {}
    # One hash for the staff's common password (the demo's): hashing is slow on purpose, and
    # a profile's accounts all start with the same password anyway.
    digest = hash_password(password) if password else None
    for index, row in enumerate(data.get("staff") or []):
        with _at("staff", index):
            user = find_user(row["username"]) or create_user(
                username=row["username"], name=row["name"], phone=row.get("phone"),
                post=row.get("post"), badge_no=row.get("badge_no"), password_hash=digest)
            users[row["username"]] = user
            for role in row.get("roles", []):
                if role not in Role._value2member_map_:
                    raise ProfileError(f"没有“{role}”这种角色")
                grant(township, user, role,
                      centre=centres.get(row["centre"]) if row.get("centre") else None,
                      village=villages.get(row["village"]) if row.get("village") else None)

    for index, row in enumerate(data.get("households") or []):
        with _at("households", index):
            _load_household(township, row, villages, grids, users)
    db.session.flush()
    return township


def _load_household(township, row, villages, grids, users) -> None:
    village = villages.get(row.get("village", ""))
    if village is None:
        raise ProfileError(f"村“{row.get('village')}”不存在")
    grid = grids.get((village.name, row["grid"])) if row.get("grid") else None
    phone = row.get("phone")
    for who in ("contact_cadre", "party_member"):
        if row.get(who) and row[who] not in users:
            raise ProfileError(f"工作人员“{row[who]}”不在 [[staff]] 中")
    household = Household(
        township_id=township.id, village_id=village.id, grid_id=getattr(grid, "id", None),
        head_name=row["head"], address=row.get("address", ""), phone=phone,
        phone_tail=phone[-4:] if phone else None, tags=row.get("tags", []),
        contact_cadre_id=getattr(users.get(row.get("contact_cadre", "")), "id", None),
        party_member_id=getattr(users.get(row.get("party_member", "")), "id", None))
    db.session.add(household)
    for member in [{"name": row["head"], "relation": "户主", "phone": phone}] + row.get(
            "members", []):
        resident = Resident(township_id=township.id, name=member["name"],
                            household_id=household.id, village_id=village.id,
                            relation=member.get("relation"))
        resident.set_phone(member.get("phone"))
        db.session.add(resident)


def export_profile(township, *, with_people: bool = False) -> str:
    """The township's setup as a profile (without passwords; people only when asked)."""
    tid = township.id
    info = {k: v for k, v in {
        "name": township.name, "slug": township.slug, "code": township.code,
        "county": township.county, "division_code": township.division_code,
        "phone": township.phone, "address": township.address}.items() if v}
    data: dict[str, Any] = {"township": info}
    if township.settings:
        data["settings"] = township.settings
    data["services"] = {s.key: {"enabled": s.enabled, **(s.settings or {})}
                        for s in township.services}
    centres = db.session.scalars(select(Centre).where(Centre.township_id == tid)
                                 .order_by(Centre.sort_order)).all()
    names = {c.id: c.name for c in centres}
    data["centres"] = [{"name": c.name, "description": c.description} for c in centres]
    data["service_items"] = [{
        "name": i.name, "centre": names[i.centre_id], "description": i.description,
        "materials": i.materials, "steps": i.steps, "promised_workdays": i.promised_workdays,
        "on_the_spot": i.on_the_spot, "proxiable": i.proxiable, "bookable": i.bookable,
        **({"questions": _question_lines(i.questions)} if i.questions else {})}
        for i in db.session.scalars(select(ServiceItem).where(ServiceItem.township_id == tid)
                                    .order_by(ServiceItem.name))]
    villages = db.session.scalars(select(Village).where(Village.township_id == tid)
                                  .order_by(Village.sort_order)).all()
    grids: dict = {}
    for g in db.session.scalars(select(Grid).where(Grid.township_id == tid).order_by(Grid.name)):
        grids.setdefault(g.village_id, []).append(g.name)
    data["villages"] = [{k: v for k, v in {
        "name": v.name, "division_code": v.division_code, "is_community": v.is_community,
        "grids": grids.get(v.id)}.items() if v is not None} for v in villages]
    if with_people:
        staff: dict = {}
        for g, u in db.session.execute(select(RoleGrant, User).join(
                User, User.id == RoleGrant.user_id).where(RoleGrant.township_id == tid)):
            entry = staff.setdefault(u.username, {k: v for k, v in {
                "username": u.username, "name": u.name, "post": u.post, "phone": u.phone,
                "badge_no": u.badge_no}.items() if v} | {"roles": []})
            entry["roles"].append(g.role)
            if g.centre_id:
                entry["centre"] = names[g.centre_id]
        data["staff"] = list(staff.values())
    return tomli_w.dumps(data)


def demo_profiles() -> list[Path]:
    return sorted(PROFILE_DIR.glob("*.toml"))


def _questions(lines) -> list[dict]:
    """A profile's questions (lines `标签|类型|必填|选项`) as the catalogue keeps them."""
    from app.catalogue.questions import QuestionError, parse_questions

    try:
        return parse_questions("\n".join(str(line) for line in lines or []))
    except QuestionError as exc:
        raise ProfileError(str(exc)) from exc


def _question_lines(questions) -> list[str]:
    from app.catalogue.questions import questions_text

    return questions_text(questions).splitlines()

"""Township profiles: declarative TOML files in tenants/ describing a township's setup.

The format is documented in tenants/README.md. Loading is all-or-nothing: everything goes in one
transaction, and the caller commits only if no error was raised.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from app.accounts.models import Role
from app.accounts.operations import create_user, find_user, grant
from app.catalogue.models import Centre, ServiceItem
from app.extensions import db
from app.households.models import Grid, Household, Resident, Village
from app.service_models import REGISTRY, SettingsError
from app.tenancy import bind_township
from app.townships.operations import create_township, set_service

PROFILE_DIR = Path(__file__).resolve().parent.parent.parent / "tenants"


class ProfileError(ValueError):
    pass


def read_profile(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path.name}: {exc}") from exc


def load_profile(data: dict[str, Any], *, slug: str | None = None, name: str | None = None,
                 code: str | None = None, is_demo: bool = False, password: str | None = None,
                 with_people: bool = True):
    """Create a township from a parsed profile. Staff get `password` (demo) or no password."""
    info = data.get("township") or {}
    township = create_township(
        slug=slug or info.get("slug", ""),
        name=name or info.get("name", ""),
        code=code or info.get("code", ""),
        division_code=info.get("division_code"),
        county=info.get("county"),
        phone=info.get("phone"),
        address=info.get("address"),
        is_demo=is_demo,
    )
    township.settings = dict(data.get("settings") or {})
    bind_township(db.session, township.id)

    for key, values in (data.get("services") or {}).items():
        if key not in REGISTRY:
            raise ProfileError(f"[services.{key}]: 没有这种服务模式")
        values = dict(values)
        enabled = bool(values.pop("enabled", True))
        try:
            set_service(township, key, enabled=enabled, settings=values)
        except SettingsError as exc:
            raise ProfileError(f"[services.{key}]: {exc}") from exc

    centres: dict[str, Centre] = {}
    for order, row in enumerate(data.get("centres") or []):
        centre = Centre(township_id=township.id, name=row["name"],
                        description=row.get("description", ""), sort_order=order)
        db.session.add(centre)
        centres[centre.name] = centre

    for row in data.get("service_items") or []:
        centre = centres.get(row.get("centre", ""))
        if centre is None:
            raise ProfileError(f"服务事项“{row.get('name')}”的中心“{row.get('centre')}”不存在")
        db.session.add(ServiceItem(
            township_id=township.id, centre_id=centre.id, name=row["name"],
            description=row.get("description", ""), materials=row.get("materials", []),
            steps=row.get("steps", []), promised_workdays=int(row.get("promised_workdays", 5)),
            on_the_spot=bool(row.get("on_the_spot", False)),
            proxiable=bool(row.get("proxiable", False)), bookable=bool(row.get("bookable", False)),
        ))

    villages: dict[str, Village] = {}
    grids: dict[tuple[str, str], Grid] = {}
    for order, row in enumerate(data.get("villages") or []):
        village = Village(township_id=township.id, name=row["name"],
                          division_code=row.get("division_code"),
                          is_community=bool(row.get("is_community", False)), sort_order=order)
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
    for row in data.get("staff") or []:
        user = find_user(row["username"])
        if user is None:
            user = create_user(username=row["username"], name=row["name"],
                               phone=row.get("phone"), post=row.get("post"),
                               badge_no=row.get("badge_no"), password=password)
        users[row["username"]] = user
        for role in row.get("roles", []):
            try:
                Role(role)
            except ValueError as exc:
                raise ProfileError(f"工作人员 {row['username']}：没有“{role}”这种角色") from exc
            centre = centres.get(row["centre"]) if row.get("centre") else None
            village = villages.get(row["village"]) if row.get("village") else None
            grant(township, user, role, centre=centre, village=village)

    for row in data.get("households") or []:
        village = villages.get(row.get("village", ""))
        if village is None:
            raise ProfileError(f"农户“{row.get('head')}”的村“{row.get('village')}”不存在")
        grid = grids.get((village.name, row["grid"])) if row.get("grid") else None
        phone = row.get("phone")
        household = Household(
            township_id=township.id, village_id=village.id, grid_id=getattr(grid, "id", None),
            head_name=row["head"], address=row.get("address", ""), phone=phone,
            phone_tail=phone[-4:] if phone else None, tags=row.get("tags", []),
            contact_cadre_id=getattr(users.get(row.get("contact_cadre", "")), "id", None),
            party_member_id=getattr(users.get(row.get("party_member", "")), "id", None),
        )
        db.session.add(household)
        db.session.flush()
        for member in [{"name": row["head"], "relation": "户主", "phone": phone}] + row.get(
            "members", []
        ):
            resident = Resident(township_id=township.id, name=member["name"],
                                household_id=household.id, village_id=village.id,
                                relation=member.get("relation"))
            resident.set_phone(member.get("phone"))
            db.session.add(resident)
    db.session.flush()
    return township


def demo_profiles() -> list[Path]:
    return sorted(PROFILE_DIR.glob("*.toml"))

"""Creating townships and switching their service models."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from app.service_models import REGISTRY, SERVICE_MODEL_KEYS, parse_settings, settings_to_dict
from app.tenancy import bind_township
from app.townships.models import CalendarDay, Township, TownshipService

SLUG_RE = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")


class TownshipError(ValueError):
    pass


def create_township(*, slug: str, name: str, code: str, division_code: str | None = None,
                    county: str | None = None, is_demo: bool = False, **fields) -> Township:
    """A new tenant with every service model present and switched off.

    The session is bound to the new township afterwards: what follows is its setting-up.
    """
    slug = slug.strip().lower()
    if not SLUG_RE.match(slug):
        raise TownshipError("网址代码须为 3–40 位小写字母、数字或连字符，以字母开头。")
    if db.session.scalar(select(Township.id).where(Township.slug == slug)):
        raise TownshipError("该网址代码已被使用。")
    code = code.strip().upper()
    if not re.fullmatch(r"[A-Z]{2,8}", code):
        raise TownshipError("编号前缀须为 2–8 位大写字母，如 HGZ。")
    division_code = (division_code or "").strip() or None
    if division_code:
        owner = db.session.scalar(select(Township.name).where(
            Township.division_code == division_code))
        if owner:
            raise TownshipError(f"区划代码 {division_code} 已属于{owner}，一个乡镇只能开通一次。")
    township = Township(slug=slug, name=name.strip(), code=code, division_code=division_code,
                        county=county, is_demo=is_demo, settings={}, **fields)
    db.session.add(township)
    db.session.flush()
    bind_township(db.session, township.id)
    for key in SERVICE_MODEL_KEYS:
        db.session.add(TownshipService(township_id=township.id, key=key, enabled=False,
                                       settings={}))
    db.session.flush()
    db.session.refresh(township)
    return township


def set_service(township: Township, key: str, *, enabled: bool,
                settings: dict | None = None) -> TownshipService:
    """Switch a service model on or off and store its (validated) settings."""
    model = REGISTRY[key]
    entry = township.service(key)
    if entry is None:
        entry = TownshipService(township_id=township.id, key=key, enabled=False, settings={})
        db.session.add(entry)
        township.services.append(entry)
    entry.enabled = enabled
    if settings is not None:
        entry.settings = settings_to_dict(parse_settings(model.settings_class, settings))
    return entry


def set_calendar_day(township: Township, day, *, is_workday: bool, note: str = "") -> CalendarDay:
    row = db.session.scalar(
        select(CalendarDay).where(CalendarDay.township_id == township.id, CalendarDay.day == day)
    )
    if row is None:
        row = CalendarDay(township_id=township.id, day=day, is_workday=is_workday, note=note)
        db.session.add(row)
    else:
        row.is_workday = is_workday
        row.note = note
    return row


class StaffError(ValueError):
    pass


def add_staff(township: Township, *, username: str, name: str, roles, centre=None, village=None,
              **fields):
    """Add a staff member with roles; they set their password through an invitation link."""
    from app.accounts.models import Role
    from app.accounts.operations import create_user, find_user, grant

    if find_user(username):
        raise StaffError("该用户名已存在。")
    roles = [Role(r) for r in roles]
    if Role.CENTRE_STAFF in roles and centre is None:
        raise StaffError("窗口/中心工作人员须选择所在中心。")
    if Role.VILLAGE_ASSISTANT in roles and village is None:
        raise StaffError("村级事务助理须选择负责的村。")
    user = create_user(username=username, name=name, **fields)
    for role in roles:
        grant(township, user, role,
              centre=centre if role == Role.CENTRE_STAFF else None,
              village=village if role == Role.VILLAGE_ASSISTANT else None)
    return user


def revoke(township: Township, grant_row) -> None:
    """Take a role away; the township always keeps at least one administrator."""
    from sqlalchemy import func

    from app.accounts.models import Role, RoleGrant

    if grant_row.role == Role.TOWNSHIP_ADMIN:
        admins = db.session.scalar(
            select(func.count()).select_from(RoleGrant).where(
                RoleGrant.township_id == township.id, RoleGrant.role == Role.TOWNSHIP_ADMIN
            )
        )
        if admins <= 1:
            raise StaffError("乡镇至少要保留一名管理员。")
    db.session.delete(grant_row)

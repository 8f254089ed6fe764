"""Jinja helpers: local times, masking of personal data, navigation by role and service model."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.privacy import mask_name, mask_phone, mask_text
from app.service_models import REGISTRY, NavEntry

# Pages every township has, whatever service models it runs (staff side).
CORE_NAV = (
    NavEntry(_l("工作台"), "townships.dashboard"),
    NavEntry(_l("台账"), "matters.index"),
    NavEntry(_l("村居与农户"), "households.index"),
    NavEntry(_l("民情日记"), "visits.index"),
    NavEntry(_l("民情地图"), "map.index"),
    NavEntry(_l("文书"), "notices.index"),
    NavEntry(_l("干部履职"), "cadres.index"),
    NavEntry(_l("工作人员"), "townships.staff_list"),
    NavEntry(_l("乡镇设置"), "townships.settings"),
)


def local_dt(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    township = g.get("township")
    zone = ZoneInfo(township.timezone if township else "Asia/Shanghai")
    return value.astimezone(zone).strftime(fmt)


def cn_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return local_dt(value, "%Y年%m月%d日")
    return f"{value.year}年{value.month:02d}月{value.day:02d}日"


def allowed(endpoint: str) -> bool:
    """Whether the current user may open `endpoint` here (same rule the view enforces)."""
    view = current_app.view_functions.get(endpoint)
    rule = getattr(view, "access", None)
    if rule is None:
        return False
    blueprint = current_app.blueprints.get(endpoint.split(".", 1)[0])
    township = g.get("township")
    service_model = getattr(blueprint, "service_model", None)
    if service_model and (township is None or not township.service_enabled(service_model)):
        return False
    return rule.allows(current_user, township)


def staff_nav():
    """Navigation for the signed-in user: core pages, then the township's service models."""
    township = g.get("township")
    if township is None or not current_user.is_authenticated:
        return []
    entries = list(CORE_NAV)
    for model in REGISTRY.values():
        if township.service_enabled(model.key):
            entries.extend(model.nav)
    return [
        (e.label, url_for(e.endpoint))
        for e in entries
        if e.endpoint in current_app.view_functions and allowed(e.endpoint)
    ]


def role_label(role: str) -> str:
    from app.accounts.models import Role

    if role == "operator":
        return str(_l("平台运维"))
    try:
        return Role(role).label
    except ValueError:
        from app.counties.models import CountyRole

        try:
            return CountyRole(role).label
        except ValueError:
            return role


def register(app: Flask) -> None:
    app.jinja_env.filters.update(
        mask_name=mask_name, mask_phone=mask_phone, mask_text=mask_text, local_dt=local_dt,
        cn_date=cn_date,
    )
    app.jinja_env.globals.update(allowed=allowed, staff_nav=staff_nav, service_models=REGISTRY,
                           role_label=role_label)

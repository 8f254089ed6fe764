"""一村一站一助理 / 农事村办: village assistants carry villagers' errands; household visits."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.service_models import NavEntry, ServiceModel, Tile, add_overview_page, register, setting
from app.tenancy import TenantBlueprint

bp = TenantBlueprint("proxy", __name__, url_prefix="/proxy", service_model="proxy")


@dataclass(frozen=True)
class ProxySettings:
    visits_per_year: int = setting(2, _l("每户每年至少走访次数"), 1, 52)
    small_village_target_pct: int = setting(100, _l("小村走访覆盖目标（%）"), 0, 100)
    large_village_target_pct: int = setting(80, _l("大村走访覆盖目标（%）"), 0, 100)
    large_village_households: int = setting(300, _l("大村户数标准（户）"), 1, 100000)
    households_per_cadre: int = setting(30, _l("每名联户干部联系户数"), 1, 500)
    stale_visit_days: int = setting(180, _l("多少天未走访即提醒"), 7, 730)


add_overview_page(bp, "proxy")


def _errand_tiles(township) -> list[Tile]:
    """The dashboard tile: open errands, leading to the errands (not the ledger)."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.matters.models import OPEN_STATES, Matter

    count = db.session.scalar(select(func.count()).select_from(Matter).where(
        Matter.township_id == township.id, Matter.channel == "proxy",
        Matter.state.in_([s.value for s in OPEN_STATES])))
    return [Tile(label=_l("代办在办事项"), value=str(count or 0), endpoint="proxy.errands")]


MODEL = register(
    ServiceModel(
        key="proxy",
        label=_l("村级代办"),
        description=_l("一村一站一助理：群众动嘴、干部跑腿，村级事务助理免费代办，并记录民情日记。"),
        blueprint=bp,
        settings_class=ProxySettings,
        nav=(NavEntry(_l("村级代办"), "proxy.errands"),),
        tiles=lambda township: _errand_tiles(township),
    )
)


# Errand pages live in their own module (a `views` module would be registered a second time).
from app.proxy import errand_views as _errand_views  # noqa: E402,F401

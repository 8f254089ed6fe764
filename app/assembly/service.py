"""有奖批评: a public assembly; teams criticise, a jury scores, every criticism is answered."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.service_models import (
    NavEntry,
    ServiceModel,
    Tile,
    add_overview_page,
    register,
    setting,
)
from app.service_tiles import open_matters_tile
from app.tenancy import TenantBlueprint

bp = TenantBlueprint("assembly", __name__, url_prefix="/assembly", service_model="assembly")


@dataclass(frozen=True)
class AssemblySettings:
    announce_lead_days: int = setting(7, _l("提前公告天数"), 1, 60)
    reply_workdays: int = setting(15, _l("批评答复时限（工作日）"), 1, 60)
    revisit_after_days: int = setting(30, _l("答复后回访间隔（工作日）"), 1, 180)
    jury_size: int = setting(10, _l("评审团人数"), 3, 50)
    drop_extremes: bool = setting(False, _l("去掉最高分和最低分后取平均"))


add_overview_page(bp, "assembly")


def _tiles(township) -> list[Tile]:
    """Open criticisms, and those whose reply is overdue (for the leaders to chase)."""
    from app.assembly.operations import overdue
    from app.matters.operations import local_today

    late = len(overdue(township, local_today(township)))
    return [*open_matters_tile(_l("批评在办事项"), "assembly")(township),
            Tile(label=_l("批评逾期未答复"), value=str(late), endpoint="assembly.overdue")]


MODEL = register(
    ServiceModel(
        key="assembly",
        label=_l("有奖批评"),
        description=_l("每半年召开有奖批评大会，评审团匿名打分，每条批评限期答复、满意方销号。"),
        blueprint=bp,
        settings_class=AssemblySettings,
        nav=(NavEntry(_l("有奖批评"), "assembly.assemblies"),),
        public_nav=(NavEntry(_l("有奖批评大会"), "assembly_public.index"),),
        tiles=_tiles,
    )
)


# Staff pages live in their own module (the `views` module is the public blueprint, registered
# apart).
from app.assembly import staff_views as _staff_views  # noqa: E402,F401

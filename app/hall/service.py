"""一站三中心: one window, three centres, appointments, rating on the spot."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.service_models import NavEntry, ServiceModel, add_overview_page, register, setting
from app.service_tiles import open_matters_tile
from app.tenancy import TenantBlueprint

bp = TenantBlueprint("hall", __name__, url_prefix="/hall", service_model="one_stop")


@dataclass(frozen=True)
class HallSettings:
    booking_horizon_days: int = setting(14, _l("可提前预约天数"), 1, 90)
    booking_cutoff_hours: int = setting(2, _l("预约截止（提前小时数）"), 0, 72)
    rating_on_spot: bool = setting(True, _l("办结后请群众现场评价"))


add_overview_page(bp, "one_stop")


MODEL = register(
    ServiceModel(
        key="one_stop",
        label=_l("一站三中心"),
        description=_l("一个窗口受理、三个中心办理，能当场办结的当场办结，节假日可预约，群众现场评价。"),
        blueprint=bp,
        settings_class=HallSettings,
        nav=(NavEntry(_l("便民服务大厅"), "hall.index"),),
        tiles=open_matters_tile(_l("窗口在办事项"), "hall"),
    )
)

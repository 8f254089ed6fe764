"""一站三中心: one window, three centres, appointments, rating on the spot."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.service_models import NavEntry, ServiceModel, register, setting
from app.service_tiles import open_matters_tile
from app.tenancy import TenantBlueprint

bp = TenantBlueprint("hall", __name__, url_prefix="/hall", service_model="one_stop")


@dataclass(frozen=True)
class HallSettings:
    booking_horizon_days: int = setting(14, _l("可提前预约天数"), 1, 90)
    booking_cutoff_hours: int = setting(2, _l("预约截止（提前小时数）"), 0, 72)
    rating_on_spot: bool = setting(True, _l("办结后请群众现场评价"))



MODEL = register(
    ServiceModel(
        key="one_stop",
        label=_l("一站三中心"),
        description=_l("一个窗口受理、三个中心办理，能当场办结的当场办结，节假日可预约，群众现场评价。"),
        blueprint=bp,
        settings_class=HallSettings,
        nav=(NavEntry(_l("窗口受理"), "hall.index"), NavEntry(_l("中心办件"), "hall.queue"),
             NavEntry(_l("预约"), "hall.bookings")),
        public_nav=(NavEntry(_l("办事指南"), "hall_public.services"),
                    NavEntry(_l("网上预约"), "hall_public.book")),
        tiles=open_matters_tile(_l("窗口在办事项"), "hall"),
    )
)


# Staff pages live in their own module (a `views` module is the public blueprint, registered apart).
from app.hall import desk_views as _desk_views  # noqa: E402,F401

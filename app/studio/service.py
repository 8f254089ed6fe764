"""党代表工作室: representatives on a duty rota receive visitors; suggestions are answered."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.service_models import NavEntry, ServiceModel, register, setting
from app.service_tiles import open_matters_tile
from app.tenancy import TenantBlueprint

bp = TenantBlueprint("studio", __name__, url_prefix="/studio", service_model="studio")


@dataclass(frozen=True)
class StudioSettings:
    reply_workdays: int = setting(15, _l("建议答复时限（工作日）"), 1, 60)
    reps_per_session: int = setting(2, _l("每次接待值班代表人数"), 1, 10)
    skip_holidays: bool = setting(True, _l("法定节假日不排班"))



MODEL = register(
    ServiceModel(
        key="studio",
        label=_l("党代表工作室"),
        description=_l("党代表轮流值班接待群众，建议登记、转办、答复，答复率公开。"),
        blueprint=bp,
        settings_class=StudioSettings,
        nav=(NavEntry(_l("党代表工作室"), "studio.index"),),
        public_nav=(NavEntry(_l("党代表工作室"), "studio_public.studios"),),
        tiles=open_matters_tile(_l("工作室在办建议"), "studio"),
    )
)


# Staff pages live in their own module (a `views` module is the public blueprint, registered apart).
from app.studio import staff_views as _staff_views  # noqa: E402,F401

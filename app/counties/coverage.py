"""双覆盖 across the county: every household has a contact cadre, every cadre about the county's
norm of households (County.households_per_cadre, about 30). Counted in SQL per township and
village, and per cadre across all the county's townships (a county cadre's households may lie in
several)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from app.accounts.models import User
from app.counties.models import CountyGrant, CountyRole
from app.extensions import db
from app.households.models import Village
from app.spreadsheets import SheetWriter
from app.tenancy import across_townships
from app.townships.models import Township

FAR_BELOW, FAR_ABOVE = 0.5, 1.5  # of the norm


@dataclass
class Place:
    township_id: object
    township: str
    village_id: object
    village: str
    households: int
    covered: int

    @property
    def uncovered(self) -> int:
        return self.households - self.covered


@dataclass
class CadreLoad:
    user_id: object
    name: str
    county_cadre: bool
    households: int
    townships: int

    def flag(self, norm: int) -> str | None:
        if self.households < norm * FAR_BELOW:
            return "below"
        if self.households > norm * FAR_ABOVE:
            return "above"
        return None


@dataclass
class Coverage:
    norm: int
    places: list[Place]
    cadres: list[CadreLoad]

    @property
    def households(self) -> int:
        return sum(p.households for p in self.places)

    @property
    def uncovered(self) -> int:
        return sum(p.uncovered for p in self.places)

    def flagged(self) -> list[CadreLoad]:
        return [c for c in self.cadres if c.flag(self.norm)]


def coverage(county, township_ids) -> Coverage:
    """Read from the county's kept counts (app.counties.summary): households and those with a
    contact cadre per village, and per (township, contact cadre)."""
    from app.counties import summary as county_summary
    from app.counties.models import NO_CADRE
    from app.counties.models import CountyHouseholdCount as kept

    ids = list(township_ids)
    if county_summary.pending():
        county_summary.apply_pending(db.session())
    places = []
    if ids:
        for tid, town, vid, vname, n, covered in across_townships(
                select(kept.township_id, Township.name, kept.group_id, Village.name,
                       kept.households, kept.covered)
                .join(Township, Township.id == kept.township_id)
                .join(Village, (Village.township_id == kept.township_id)
                      & (Village.id == kept.group_id))
                .where(kept.township_id.in_(ids), kept.dim == "v", kept.households > 0)):
            places.append(Place(tid, town, vid, vname, n, covered))
    places.sort(key=lambda p: (p.township, p.village))
    granted = select(CountyGrant.user_id).where(
        CountyGrant.county_id == county.id, CountyGrant.role == CountyRole.COUNTY_CADRE.value)
    loads = (select(kept.group_id.label("user_id"), func.sum(kept.households).label("n"),
                    func.count().label("spread"))
             .where(kept.township_id.in_(ids), kept.dim == "c",
                    kept.group_id != NO_CADRE, kept.households > 0)
             .group_by(kept.group_id).subquery())
    cadres = [CadreLoad(uid, name or "", bool(county_cadre), int(n or 0), int(spread or 0))
              for uid, name, county_cadre, n, spread in across_townships(
                  select(User.id, User.name, User.id.in_(granted), loads.c.n, loads.c.spread)
                  .outerjoin(loads, loads.c.user_id == User.id)
                  .where(loads.c.user_id.is_not(None) | User.id.in_(granted)))]
    cadres.sort(key=lambda c: (-abs(c.households - county.households_per_cadre), c.name))
    return Coverage(county.households_per_cadre, places, cadres)


def workbook(county, data: Coverage) -> SheetWriter:
    """The coverage report as Excel: places without full coverage, then cadres off the norm."""
    from flask_babel import gettext as _

    writer = SheetWriter().add_sheet(_("户覆盖"), [_("乡镇"), _("村"), _("户数"), _("有联户干部"),
                                                 _("无联户干部")])
    for p in data.places:
        writer.append([p.township, p.village, p.households, p.covered, p.uncovered])
    writer.add_sheet(_("干部联户数"), [_("干部"), _("县直干部"), _("联系户数"), _("涉及乡镇数"),
                                   _("与标准（%(n)s户）相比", n=data.norm)])
    for c in data.cadres:
        flag = c.flag(data.norm)
        writer.append([c.name, _("是") if c.county_cadre else "", c.households, c.townships,
                       {"below": _("远低于"), "above": _("远高于")}.get(flag, "")])
    return writer

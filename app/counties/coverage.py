"""双覆盖 across the county: every household has a contact cadre, every cadre about the county's
norm of households (County.households_per_cadre, about 30). Counted in SQL per township and
village, and per cadre across all the county's townships (a county cadre's households may lie in
several)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select

from app.accounts.models import User
from app.counties.models import CountyGrant, CountyRole
from app.extensions import db
from app.households.models import Household, Village
from app.spreadsheets import SheetWriter
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
    ids = list(township_ids)
    towns = dict(db.session.execute(select(Township.id, Township.name)
                                    .where(Township.id.in_(ids))).all()) if ids else {}
    places = []
    if ids:
        for tid, vid, vname, n, covered in db.session.execute(
                select(Household.township_id, Household.village_id, Village.name, func.count(),
                       func.sum(case((Household.contact_cadre_id.is_not(None), 1), else_=0)))
                .join(Village, (Village.township_id == Household.township_id)
                      & (Village.id == Household.village_id))
                .where(Household.township_id.in_(ids), Household.active.is_(True))
                .group_by(Household.township_id, Household.village_id, Village.name),
                execution_options={"all_townships": True}):
            places.append(Place(tid, towns.get(tid, ""), vid, vname, n, int(covered or 0)))
    places.sort(key=lambda p: (p.township, p.village))
    county_cadres = set(db.session.scalars(select(CountyGrant.user_id).where(
        CountyGrant.county_id == county.id, CountyGrant.role == CountyRole.COUNTY_CADRE.value)))
    loads: dict = {}
    if ids:
        for uid, n, spread in db.session.execute(
                select(Household.contact_cadre_id, func.count(),
                       func.count(func.distinct(Household.township_id)))
                .where(Household.township_id.in_(ids), Household.active.is_(True),
                       Household.contact_cadre_id.is_not(None))
                .group_by(Household.contact_cadre_id), execution_options={"all_townships": True}):
            loads[uid] = (n, spread)
    people = set(loads) | county_cadres
    names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(people))).all()
                 ) if people else {}
    cadres = [CadreLoad(uid, names.get(uid, ""), uid in county_cadres, *loads.get(uid, (0, 0)))
              for uid in people]
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

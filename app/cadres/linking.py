"""双覆盖: every household linked to a contact cadre, about 30 each (shared/seeds/001).

Linking in bulk (a filtered list of households to one cadre, or a village split evenly among its
cadres, neighbours kept together), and the coverage report: households with no contact cadre,
and cadres far above or below the norm. Every link is an audit event on the household.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import func, select

from app.accounts.models import Role, RoleGrant, User
from app.audit.operations import record
from app.extensions import db
from app.households.models import Household, Village

NORM = 30  # households per contact cadre (Yishui: ~30)
# Far from the norm: more than half again, or fewer than half.
HIGH, LOW = 1.5, 0.5


class LinkError(ValueError):
    pass


def _link(township, actor, household: Household, cadre: User) -> bool:
    if household.contact_cadre_id == cadre.id:
        return False
    before = str(household.contact_cadre_id) if household.contact_cadre_id else None
    household.contact_cadre_id = cadre.id
    record(township.id, actor, "household.link_cadre", household,
           before={"contact_cadre_id": before}, after={"contact_cadre_id": str(cadre.id)},
           summary=f"联户干部：{cadre.name}")
    return True


def link_households(township, actor, households: list[Household], cadre: User) -> int:
    """Link every household of `households` to `cadre`. Returns how many changed."""
    if not households:
        raise LinkError("没有选中任何农户。")
    changed = sum(_link(township, actor, h, cadre) for h in households)
    db.session.flush()
    return changed


def split_evenly(township, actor, households: list[Household],
                 cadres: list[User]) -> dict[uuid.UUID, int]:
    """Share `households` among `cadres` in near-equal, contiguous blocks in address order, so
    each cadre's households are neighbours. Returns {cadre id: households}."""
    if not cadres:
        raise LinkError("请至少选择一名联户干部。")
    if not households:
        raise LinkError("没有选中任何农户。")
    ordered = sorted(households, key=lambda h: (h.address or "", h.head_name))
    size, extra = divmod(len(ordered), len(cadres))
    shares, start = {}, 0
    for n, cadre in enumerate(cadres):
        end = start + size + (1 if n < extra else 0)
        for h in ordered[start:end]:
            _link(township, actor, h, cadre)
        shares[cadre.id] = end - start
        start = end
    db.session.flush()
    return shares


def cadre_choices(township) -> list[User]:
    """Who can be a contact cadre: the township's staff and cadres (active accounts)."""
    return list(db.session.scalars(
        select(User).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.township_id == township.id, User.active.is_(True),
               RoleGrant.role.in_([Role.CADRE, Role.LEADER, Role.VILLAGE_ASSISTANT,
                                   Role.CENTRE_STAFF, Role.PARTY_REP, Role.TOWNSHIP_ADMIN]))
        .distinct().order_by(User.name)))


@dataclass
class CadreLoad:
    cadre: User
    households: int

    @property
    def flag(self) -> str | None:
        if self.households > NORM * HIGH:
            return "high"
        if self.households < NORM * LOW:
            return "low"
        return None


@dataclass
class Coverage:
    active: int = 0
    covered: int = 0
    uncovered: dict = field(default_factory=dict)  # village name -> [households]
    loads: list = field(default_factory=list)  # CadreLoad, most households first

    @property
    def rate(self) -> float | None:
        return self.covered / self.active if self.active else None


def coverage(township, village_id=None) -> Coverage:
    """Households without a contact cadre (per village) and each cadre's load against the norm."""
    result = Coverage()
    base = select(Household).where(Household.township_id == township.id,
                                   Household.active.is_(True))
    if village_id:
        base = base.where(Household.village_id == village_id)
    villages = dict(db.session.execute(select(Village.id, Village.name).where(
        Village.township_id == township.id)).all())
    result.active = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    uncovered = db.session.scalars(base.where(Household.contact_cadre_id.is_(None))
                                   .order_by(Household.village_id, Household.address,
                                             Household.head_name)).all()
    result.covered = result.active - len(uncovered)
    for h in uncovered:
        result.uncovered.setdefault(villages.get(h.village_id, ""), []).append(h)
    counts = dict(db.session.execute(
        select(Household.contact_cadre_id, func.count()).where(
            Household.township_id == township.id, Household.active.is_(True),
            Household.contact_cadre_id.is_not(None)).group_by(Household.contact_cadre_id)).all())
    # Everyone who holds households, and every cadre, even with none (a load of 0 is news).
    cadre_ids = set(db.session.scalars(select(RoleGrant.user_id).where(
        RoleGrant.township_id == township.id, RoleGrant.role == Role.CADRE)))
    wanted = cadre_ids | set(counts)
    users = db.session.scalars(select(User).where(User.id.in_(list(wanted)))) if wanted else []
    result.loads = sorted((CadreLoad(u, counts.get(u.id, 0)) for u in users),
                          key=lambda c: (-c.households, c.cadre.name))
    return result

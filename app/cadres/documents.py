"""民情表: one household's sheet (五个一, shared/seeds/001) — who lives there, who answers for
them, what was heard on visits, what they raised and how it stands. A staff document kept in the
village's file or carried on a visit; phone numbers on it are masked like staff lists."""

from __future__ import annotations

import uuid

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db
from app.households.models import Household, HouseholdTag, Resident, Visit
from app.matters.models import Matter
from app.notices.documents import ANY_STAFF
from app.notices.kinds import register
from app.tenancy import get_scoped

RECENT = 12  # visits and matters shown on the sheet


def household_sheet_context(township, subject_id, progress=None) -> dict:
    """subject_id: a household id."""
    household = get_scoped(Household, uuid.UUID(str(subject_id)), township.id)
    if household is None:
        raise LookupError("household not found")
    members = db.session.scalars(select(Resident).where(
        Resident.township_id == township.id, Resident.household_id == household.id)
        .order_by(Resident.created_at)).all()
    visits = db.session.scalars(select(Visit).where(
        Visit.township_id == township.id, Visit.household_id == household.id)
        .order_by(Visit.visited_on.desc()).limit(RECENT)).all()
    matters = db.session.scalars(select(Matter).where(
        Matter.township_id == township.id, Matter.household_id == household.id)
        .order_by(Matter.received_at.desc()).limit(RECENT)).all()
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(
        [i for i in (household.contact_cadre_id, household.party_member_id,
                     *(v.visitor_id for v in visits)) if i])))}
    tags = [HouseholdTag(t).label if t in HouseholdTag._value2member_map_ else t
            for t in household.tags or []]
    return {"household": household, "members": members, "visits": visits, "matters": matters,
            "people": people, "tags": tags, "number": None,
            "source": {"household": str(household.id), "visits": len(visits),
                       "matters": len(matters)}}


register("household_sheet", template="household_sheet.html",
         build_context=household_sheet_context, permission=ANY_STAFF.allows,
         label=_l("民情表"))

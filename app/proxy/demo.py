"""Demo errands for townships that use village assistants: one at the centre, one closed."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import Role, RoleGrant, User
from app.catalogue.models import ServiceItem
from app.extensions import db
from app.households.models import Household, Resident
from app.proxy import operations as ops
from app.proxy.models import Errand


def seed(township) -> None:
    if not township.service_enabled("proxy"):
        return
    if db.session.scalar(select(Errand.id).where(Errand.township_id == township.id).limit(1)):
        return  # seeded already
    grant = db.session.scalar(select(RoleGrant).where(
        RoleGrant.township_id == township.id, RoleGrant.role == Role.VILLAGE_ASSISTANT.value,
        RoleGrant.village_id.is_not(None)).limit(1))
    items = db.session.scalars(select(ServiceItem).where(
        ServiceItem.township_id == township.id, ServiceItem.proxiable.is_(True))
        .order_by(ServiceItem.name)).all()
    if grant is None or not items:
        return
    assistant = db.session.get(User, grant.user_id)
    residents = db.session.scalars(
        select(Resident).join(Household, (Household.township_id == Resident.township_id)
                              & (Household.id == Resident.household_id))
        .where(Resident.township_id == township.id, Household.village_id == grant.village_id)
        .order_by(Resident.name).limit(3)).all()
    if len(residents) < 2:
        return
    at_centre = ops.open_errand(township, assistant, item=items[0], resident=residents[0],
                                documents=[ops.DocumentIn("身份证"), ops.DocumentIn("户口簿"),
                                           ops.DocumentIn("银行卡复印件", False, 1)],
                                description="老人行动不便，委托代办。")
    ops.hand_to_centre(at_centre, assistant, received_by="窗口工作人员")
    done = ops.open_errand(township, assistant, item=items[-1], resident=residents[1],
                           documents=[ops.DocumentIn("身份证")])
    ops.hand_to_centre(done, assistant, received_by="窗口工作人员")
    ops.return_to_assistant(done, assistant, result="已办理完毕。")
    ops.return_to_resident(done, assistant, confirmed=True)
    ops.close_errand(done, assistant, township)
    ops.open_errand(township, assistant, item=items[0], resident=residents[-1],
                    documents=[ops.DocumentIn("户口簿")])

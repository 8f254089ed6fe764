"""Demo activity for documents and reminders: a receipt, a village's board poster and contact
cards queued (the embedded mode renders them on the first pages opened), and today's reminders."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import Role, RoleGrant, User
from app.extensions import db
from app.households.models import Village
from app.matters.models import Matter
from app.matters.operations import local_today
from app.notices import operations as ops
from app.notices import reminders


def seed(township) -> None:
    admin = db.session.scalar(
        select(User).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.township_id == township.id, RoleGrant.role == Role.TOWNSHIP_ADMIN))
    if admin is None:
        return
    today = local_today(township)
    matter = db.session.scalar(select(Matter).where(Matter.township_id == township.id)
                               .order_by(Matter.received_at.desc()).limit(1))
    if matter is not None:
        ops.request_document(township, kind="matter_receipt", subject_id=matter.id, actor=admin)
    village = db.session.scalar(select(Village).where(Village.township_id == township.id)
                                .order_by(Village.sort_order, Village.name).limit(1))
    if village is not None:
        ops.request_document(township, kind="board_poster",
                             subject_id=f"{village.id}:{today:%Y-%m}", actor=admin)
        ops.request_document(township, kind="contact_cards", subject_id=village.id, actor=admin)
    # Today's reminders, as the 07:00 sweep would send them (notify is idempotent).
    for sweep in reminders.CORE_SWEEPS:
        sweep(township, today)
    db.session.flush()

"""Demo activity for townships with a service hall: hours, windows on duty, bookings, a morning's
intake (one finished on the spot and rated at the window, one short of a material, one queued)."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import Role, RoleGrant, User
from app.catalogue.models import Centre, ServiceItem
from app.extensions import db
from app.hall import operations as ops
from app.hall.models import OpeningMode, WindowDuty
from app.hall.service import MODEL
from app.households.models import Resident
from app.matters.operations import local_today

BOOKERS = (("孙丽娟", "13702218845"), ("周海涛", "13820117302"), ("吴桂芝", "15122346610"))


def seed(township) -> None:
    if not township.service_enabled("one_stop"):
        return
    if db.session.scalar(select(OpeningMode.id).where(OpeningMode.township_id == township.id)
                         .limit(1)):
        return  # seeded already
    ops.add_standard_schedule(township, MODEL.settings_for(township).booking_cutoff_hours)
    centres = db.session.scalars(select(Centre).where(Centre.township_id == township.id)
                                 .order_by(Centre.sort_order, Centre.name)).all()
    clerks = db.session.scalars(
        select(User).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.township_id == township.id,
               RoleGrant.role == Role.CENTRE_STAFF.value).order_by(User.username)).all()
    today = local_today(township)
    windows = [ops.new_window(township, f"{n}号窗口", centre)
               for n, centre in enumerate(centres, start=1)]
    for n, (window, clerk) in enumerate(zip(windows, clerks, strict=False), start=1):
        db.session.add(WindowDuty(township_id=township.id, window_id=window.id, day=today,
                                  user_id=clerk.id, badge_number=f"BM-{n:03d}"))
    items = db.session.scalars(select(ServiceItem).where(
        ServiceItem.township_id == township.id, ServiceItem.active.is_(True))
        .order_by(ServiceItem.name)).all()
    bookable = [i for i in items if i.bookable]
    days = [d for d, _kind in ops.bookable_days(township, 7, today) if d > today]
    for (name, phone), item, day in zip(BOOKERS, bookable * 3, days * 3, strict=False):
        free = [s for s in ops.slots_on(township, day) if not s.closed and s.free]
        if free:
            ops.book(township, item=item, slot_key=free[len(name) % len(free)].key, day=day,
                     name=name, phone=phone)
    residents = db.session.scalars(select(Resident).where(Resident.township_id == township.id)
                                   .order_by(Resident.name).limit(3)).all()
    if not clerks or len(residents) < 3 or not items:
        return
    clerk = clerks[0]
    spot = next((i for i in items if i.on_the_spot), None)
    longer = next((i for i in items if not i.on_the_spot and i.materials), None)
    if spot is not None:
        done = ops.take_in(township, clerk, item=spot, resident=residents[0],
                           received=ops.materials_of(spot))
        ops.finish_on_the_spot(done, clerk, township, "已当场办结，凭证已交群众。")
        if windows:
            ops.push_to_tablet(windows[0], done, clerk)
            ops.rate_on_tablet(windows[0], rating="very_satisfied", comment="一次就办好了",
                               township=township)
    if longer is not None:
        names = ops.materials_of(longer)
        ops.take_in(township, clerk, item=longer, resident=residents[1], received=names[:-1],
                    description="材料不全，已一次性告知。")
        ops.take_in(township, clerk, item=longer, resident=residents[2], received=names)

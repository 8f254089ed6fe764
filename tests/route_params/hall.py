"""The service hall: an opening mode, a booking and a window in both townships."""

from datetime import date, time


def extend(town):
    from app.extensions import db
    from app.hall import operations as ops
    from app.hall.models import Booking, OpeningMode

    o = town.objects
    o.mode = OpeningMode(township_id=town.township.id, name="工作日上午", day_type="workday",
                         opens=time(9), closes=time(12))
    db.session.add(o.mode)
    db.session.flush()
    o.booking = Booking(township_id=town.township.id, code=f"TEST{town.township.slug[:4].upper()}",
                        mode_id=o.mode.id, service_item_id=o.service_item.id,
                        day=date(2026, 11, 24), starts_at=time(9), name="张三",
                        phone="13900001111")
    db.session.add(o.booking)
    o.window = ops.new_window(town.township, "1号窗口", o.centre)


PARAMS = {
    "mode_id": lambda town: town.objects.mode.id,
    "booking_id": lambda town: town.objects.booking.id,
    "code": lambda town: town.objects.booking.code,
}

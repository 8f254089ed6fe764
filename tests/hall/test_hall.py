"""The service hall: slots and bookings on the Chinese calendar, one-window intake with missing
materials, finishing on the spot, transfers, the rating tablet and the figures it feeds."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import db
from app.hall import operations as ops
from app.hall.models import Booking, DayType, OpeningMode, SlotCount
from app.matters import operations as ledger
from app.matters.models import Evaluation, MatterEvent
from app.tenancy import bind_township
from app.townships.workdays import WorkCalendar
from tests import factories

BEFORE_NATIONAL_DAY = datetime(2026, 9, 25, 2, 0, tzinfo=UTC)


@pytest.fixture
def hall(ctx):
    t = factories.township()
    bind_township(db.session, t.id)
    social = factories.centre(t, "社会事务服务中心")
    economy = factories.centre(t, "经济发展服务中心")
    clerk = factories.user(t, Role.CENTRE_STAFF, name="张芳", centre=social)
    insurance = factories.service_item(
        t, social, name="医保参保登记", on_the_spot=True, bookable=True, promised_workdays=1,
        materials=[{"name": "户口簿", "original": True, "copies": 1},
                   {"name": "身份证", "original": True, "copies": 1}])
    subsidy = factories.service_item(t, social, name="低保申请", promised_workdays=20,
                                     bookable=True)
    resident = factories.resident_of(factories.household(t, head="王秀英"))
    holiday = OpeningMode(township_id=t.id, name="国庆假期预约服务", day_type="holiday",
                          opens=time(9), closes=time(10), slot_minutes=30, capacity=1,
                          cutoff_hours=2)
    db.session.add(holiday)
    db.session.flush()
    return t, clerk, social, economy, insurance, subsidy, resident, holiday


def test_day_types_follow_the_chinese_calendar(hall):
    t = hall[0]
    calendar = WorkCalendar.for_township(t.id)
    assert ops.day_type(calendar, date(2026, 10, 1)) == DayType.HOLIDAY      # 国庆
    assert ops.day_type(calendar, date(2026, 11, 21)) == DayType.WEEKEND     # a Saturday
    assert ops.day_type(calendar, date(2026, 11, 23)) == DayType.WORKDAY
    assert ops.day_type(calendar, date(2026, 9, 20)) == DayType.WORKDAY      # 调休 Sunday
    # Years the library lacks: the township's own record of New Year's Day makes it a holiday.
    from app.townships.models import CalendarDay

    db.session.add(CalendarDay(township_id=t.id, day=date(2027, 1, 1), is_workday=False,
                               note="元旦"))
    db.session.flush()
    calendar = WorkCalendar.for_township(t.id)
    assert ops.day_type(calendar, date(2027, 1, 1)) == DayType.HOLIDAY
    assert ops.day_type(calendar, date(2027, 1, 2)) == DayType.WEEKEND


def test_holiday_slots_and_the_last_place_goes_to_one_person(hall):
    t, _clerk, _s, _e, insurance, _sub, _r, holiday = hall
    slots = ops.slots_on(t, date(2026, 10, 1), now=BEFORE_NATIONAL_DAY)
    assert [(s.starts_at, s.free) for s in slots] == [(time(9), 1), (time(9, 30), 1)]
    assert ops.slots_on(t, date(2026, 10, 9), now=BEFORE_NATIONAL_DAY) == []  # a workday
    key = slots[0].key
    first = ops.book(t, item=insurance, slot_key=key, day=date(2026, 10, 1), name="李桂兰",
                     phone="13912345678", now=BEFORE_NATIONAL_DAY)
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{8}", first.code)
    with pytest.raises(ops.BookingError, match="约满"):
        ops.book(t, item=insurance, slot_key=key, day=date(2026, 10, 1), name="赵四",
                 phone="13912340000", now=BEFORE_NATIONAL_DAY)
    assert db.session.scalar(select(SlotCount.taken)) == 1
    # Cancelling gives the place back.
    ops.cancel(t, first)
    with pytest.raises(ops.BookingError, match="已取消"):
        ops.cancel(t, first)
    again = ops.book(t, item=insurance, slot_key=key, day=date(2026, 10, 1), name="赵四",
                     phone="13912340000", now=BEFORE_NATIONAL_DAY)
    assert again.code != first.code


def test_booking_refuses_past_the_cut_off_and_items_not_bookable(hall):
    t, _clerk, _s, _e, insurance, subsidy, _r, _holiday = hall
    late = datetime(2026, 9, 30, 23, 15, tzinfo=UTC)  # 07:15 in Beijing: 9:00 is within 2 hours
    slots = ops.slots_on(t, date(2026, 10, 1), now=late)
    assert [s.closed for s in slots] == [True, False]
    with pytest.raises(ops.BookingError, match="停止预约"):
        ops.book(t, item=insurance, slot_key=slots[0].key, day=date(2026, 10, 1), name="甲",
                 phone="13900000000", now=late)
    subsidy.bookable = False
    with pytest.raises(ops.BookingError, match="不接受网上预约"):
        ops.book(t, item=subsidy, slot_key=slots[1].key, day=date(2026, 10, 1), name="甲",
                 phone="13900000000", now=late)


def test_intake_records_missing_materials_and_refuses_to_finish_until_brought(hall):
    t, clerk, social, _e, insurance, _sub, resident, _h = hall
    matter = ops.take_in(t, clerk, item=insurance, resident=resident, received=["户口簿"])
    assert matter.channel == "hall" and matter.centre_id == social.id
    assert matter.extra["materials_received"] == ["户口簿"]
    assert matter.extra["materials_missing"] == ["身份证"]
    assert matter.due_on == WorkCalendar.for_township(t.id).add_workdays(
        ledger.local_today(t), 1)
    with pytest.raises(ledger.TransitionError, match="尚缺材料（身份证）"):
        ops.finish_on_the_spot(matter, clerk, t)
    assert matter.state == "received"
    ops.bring_materials(matter, clerk, ["身份证"])
    assert ops.missing_materials(matter) == []
    ops.finish_on_the_spot(matter, clerk, t, "已出具参保凭证")
    assert matter.state == "closed"
    kinds = [e.kind for e in db.session.scalars(
        select(MatterEvent).where(MatterEvent.matter_id == matter.id).order_by(MatterEvent.seq))]
    assert kinds == ["created", "materials", "replied", "closed"]


def test_items_that_take_days_go_to_the_centre_queue_and_can_be_transferred(hall):
    t, clerk, social, economy, _i, subsidy, resident, _h = hall
    matter = ops.take_in(t, clerk, item=subsidy, resident=resident, received=["户口簿"])
    with pytest.raises(ledger.TransitionError, match="不能当场办结"):
        ops.finish_on_the_spot(matter, clerk, t)
    assert ops.queue(t, social) == [matter]
    with pytest.raises(ledger.TransitionError, match="原因"):
        ledger.transfer(matter, clerk, centre=economy, reason=" ")
    ledger.transfer(matter, clerk, centre=economy, reason="涉及土地承包，属经济发展中心")
    assert ops.queue(t, social) == [] and ops.queue(t, economy) == [matter]
    event = db.session.scalar(select(MatterEvent).where(MatterEvent.kind == "transferred"))
    assert event.data["reason"] == "涉及土地承包，属经济发展中心"
    assert event.data["centre_name"] == "经济发展服务中心"


def test_intake_refuses_materials_not_on_the_items_list(hall):
    t, clerk, _s, _e, insurance, _sub, resident, _h = hall
    with pytest.raises(ledger.TransitionError, match="材料清单已变化"):
        ops.take_in(t, clerk, item=insurance, resident=resident, received=["结婚证"])


def test_tablet_rating_feeds_the_centre_and_the_clerk(hall, app):
    t, clerk, social, _e, insurance, _sub, resident, _h = hall
    window = ops.new_window(t, "1号窗口", social)
    matter = ops.take_in(t, clerk, item=insurance, resident=resident, received=["户口簿", "身份证"])
    with pytest.raises(ledger.TransitionError, match="办结或答复后"):
        ops.push_to_tablet(window, matter, clerk)
    ops.finish_on_the_spot(matter, clerk, t)
    ops.push_to_tablet(window, matter, clerk)
    assert ops.pending_on_tablet(window) is matter
    evaluation = ops.rate_on_tablet(window, rating="very_satisfied", township=t)
    assert (evaluation.source, evaluation.staff_id, evaluation.centre_id) == (
        "window", clerk.id, social.id)
    assert ops.pending_on_tablet(window) is None  # one rating per push
    with pytest.raises(ledger.TransitionError, match="没有待评价"):
        ops.rate_on_tablet(window, rating="dissatisfied", township=t)
    today = ledger.local_today(t)
    start, end = today.replace(day=1), date(today.year + (today.month == 12),
                                            today.month % 12 + 1, 1)
    row = {f.name: f for f in ops.centre_figures(t, start, end)}["社会事务服务中心"]
    assert (row.received, row.finished, row.on_the_spot, row.on_time) == (1, 1, 1, 1)
    assert (row.rated, row.satisfaction_rate) == (1, 1.0)
    people = ops.staff_figures(t, start, end)
    assert [(p.name, p.rated, p.satisfaction_rate) for p in people] == [("张芳", 1, 1.0)]
    assert db.session.scalar(select(Evaluation.rating)) == "very_satisfied"


def test_two_people_racing_for_the_last_place(app):
    """Two bookers in separate transactions at once: one gets the place, the other a clear no."""
    import threading

    with app.app_context():
        t = factories.township()
        bind_township(db.session, t.id)
        item = factories.service_item(t, name="医保参保登记", bookable=True)
        db.session.add(OpeningMode(township_id=t.id, name="国庆", day_type="holiday",
                                   opens=time(9), closes=time(9, 30), capacity=1))
        db.session.commit()
        tid, item_id = t.id, item.id
        key = ops.slots_on(t, date(2026, 10, 1), now=BEFORE_NATIONAL_DAY)[0].key
        db.session.remove()

    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(name):
        with app.app_context():
            from app.catalogue.models import ServiceItem
            from app.townships.models import Township

            bind_township(db.session, tid)
            town = db.session.get(Township, tid)
            it = db.session.get(ServiceItem, (tid, item_id))
            barrier.wait()
            try:
                ops.book(town, item=it, slot_key=key, day=date(2026, 10, 1), name=name,
                         phone="13900000000", now=BEFORE_NATIONAL_DAY)
                db.session.commit()
                outcomes.append("booked")
            except ops.BookingError:
                db.session.rollback()
                outcomes.append("full")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in ("甲", "乙")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["booked", "full"]
    with app.app_context():
        bind_township(db.session, tid)
        assert db.session.scalar(select(SlotCount.taken)) == 1
        assert len(db.session.scalars(select(Booking)).all()) == 1
        db.session.remove()


def test_the_receipt_tells_the_resident_once_what_to_bring(hall):
    import io

    from pypdf import PdfReader

    from app.notices import kinds
    from app.notices.pdf import render_pdf

    t, clerk, _s, _e, insurance, _sub, resident, _h = hall
    matter = ops.take_in(t, clerk, item=insurance, resident=resident, received=["户口簿"])
    entry = kinds.get("matter_receipt")
    pdf = render_pdf(entry.template, township=t, **entry.build_context(t, matter.id))
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert matter.number in text
    assert "尚缺材料" in text and "身份证" in text and "一次性告知" in text

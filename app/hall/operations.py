"""The service hall's business: slots and bookings, one-window intake, the rating tablet, figures.

Explicit arguments, no request state; the caller commits.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.catalogue.models import Centre, ServiceItem
from app.clock import at_local
from app.extensions import db
from app.hall.models import Booking, BookingState, DayType, OpeningMode, SlotCount, Window
from app.households.models import Resident
from app.matters import operations as ledger
from app.matters.models import SATISFIED_RATINGS, Channel, Evaluation, Matter, State
from app.matters.operations import CLOSE_GUARDS, TransitionError
from app.models import utcnow
from app.townships.workdays import WorkCalendar

# Letters and digits that cannot be mistaken for each other when read out at the window.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
TABLET_WAIT = timedelta(minutes=15)  # a pushed matter waits this long for the resident's rating


class BookingError(ValueError):
    """A booking that cannot be made or changed; the message is for the resident."""


# ---------------------------------------------------------------- the calendar of the hall

def day_type(calendar: WorkCalendar, day: date) -> DayType:
    """Working day, ordinary day off, or public holiday (the township's own entries win)."""
    if calendar.is_workday(day):
        return DayType.WORKDAY
    return DayType.HOLIDAY if calendar.is_public_holiday(day) else DayType.WEEKEND


def modes_on(township, day: date, calendar: WorkCalendar | None = None) -> list[OpeningMode]:
    calendar = calendar or WorkCalendar.for_township(township.id)
    kind = day_type(calendar, day)
    return list(db.session.scalars(
        select(OpeningMode).where(OpeningMode.township_id == township.id,
                                  OpeningMode.active.is_(True),
                                  OpeningMode.day_type == kind.value)
        .order_by(OpeningMode.opens)))


STANDARD_SCHEDULE = (
    # name, day type, opens, closes, slot minutes, capacity
    ("工作日上午", DayType.WORKDAY, time(8, 30), time(12, 0), 30, 6),
    ("午间延时服务", DayType.WORKDAY, time(12, 0), time(14, 0), 30, 2),
    ("工作日下午", DayType.WORKDAY, time(14, 0), time(17, 30), 30, 6),
    ("晚间延时服务", DayType.WORKDAY, time(17, 30), time(19, 30), 30, 2),
    ("周末预约服务", DayType.WEEKEND, time(9, 0), time(12, 0), 30, 3),
    ("节假日预约服务", DayType.HOLIDAY, time(9, 0), time(11, 30), 30, 2),
)


def add_standard_schedule(township, cutoff_hours: int = 2) -> list[OpeningMode]:
    """The usual hours of a township hall with extended modes, as a starting point to edit."""
    modes = [OpeningMode(township_id=township.id, name=name, day_type=kind.value, opens=opens,
                         closes=closes, slot_minutes=minutes, capacity=capacity,
                         cutoff_hours=cutoff_hours)
             for name, kind, opens, closes, minutes, capacity in STANDARD_SCHEDULE]
    db.session.add_all(modes)
    db.session.flush()
    return modes


def check_mode(mode: OpeningMode) -> None:
    if mode.closes <= mode.opens:
        raise BookingError("结束时间须晚于开始时间。")
    if mode.slot_minutes < 5 or mode.capacity < 1:
        raise BookingError("时段长度至少 5 分钟，每时段至少 1 人。")


# ---------------------------------------------------------------- slots and bookings

@dataclass(frozen=True)
class Slot:
    mode: OpeningMode
    day: date
    starts_at: time
    ends_at: time
    taken: int
    closed: bool  # past the booking cut-off

    @property
    def free(self) -> int:
        return max(self.mode.capacity - self.taken, 0)

    @property
    def key(self) -> str:
        return f"{self.mode.id}/{self.starts_at:%H:%M}"


def _local(township, day: date, at: time) -> datetime:
    return at_local(township, day, at)


def slots_on(township, day: date, now: datetime | None = None) -> list[Slot]:
    """Every bookable slot of the day, with places taken and whether booking has closed."""
    now = now or utcnow()
    modes = modes_on(township, day)
    if not modes:
        return []
    taken = {
        (mode_id, starts_at): count for mode_id, starts_at, count in db.session.execute(
            select(SlotCount.mode_id, SlotCount.starts_at, SlotCount.taken).where(
                SlotCount.township_id == township.id, SlotCount.day == day))
    }
    slots = []
    for mode in modes:
        start = _local(township, day, mode.opens)
        end = _local(township, day, mode.closes)
        step = timedelta(minutes=mode.slot_minutes)
        while start + step <= end:
            slots.append(Slot(mode, day, start.time(), (start + step).time(),
                              taken.get((mode.id, start.time()), 0),
                              closed=start - timedelta(hours=mode.cutoff_hours) < now))
            start += step
    return slots


def bookable_days(township, horizon_days: int, today: date) -> list[tuple[date, DayType]]:
    """The days from today within the horizon on which the hall has opening modes."""
    calendar = WorkCalendar.for_township(township.id)
    kinds = set(db.session.scalars(
        select(OpeningMode.day_type).where(OpeningMode.township_id == township.id,
                                           OpeningMode.active.is_(True))))
    days = []
    for offset in range(horizon_days + 1):
        day = today + timedelta(days=offset)
        kind = day_type(calendar, day)
        if kind.value in kinds:
            days.append((day, kind))
    return days


def _new_code(township) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
        if not db.session.scalar(select(Booking.id).where(Booking.township_id == township.id,
                                                          Booking.code == code)):
            return code


def _take_place(township, mode: OpeningMode, day: date, starts_at: time) -> None:
    """Take one place of the slot, or refuse: one UPDATE guarded by `taken < capacity`.

    On PostgreSQL the row lock makes the second of two simultaneous bookers re-check the
    condition after the first commits; SQLite serialises writers. Either way the last place
    goes to one person only.
    """
    table = SlotCount.__table__
    dialect = db.session.get_bind().dialect.name
    upsert = (pg_insert if dialect == "postgresql" else sqlite_insert)(table).values(
        township_id=township.id, mode_id=mode.id, day=day, starts_at=starts_at, taken=0,
    ).on_conflict_do_nothing(index_elements=["township_id", "mode_id", "day", "starts_at"])
    db.session.execute(upsert)
    won = db.session.execute(
        update(table)
        .where(table.c.township_id == township.id, table.c.mode_id == mode.id,
               table.c.day == day, table.c.starts_at == starts_at,
               table.c.taken < mode.capacity)
        .values(taken=table.c.taken + 1)
        .returning(table.c.taken)
    ).first()
    if won is None:
        raise BookingError("该时段已约满，请选择其他时段。")


def book(township, *, item: ServiceItem, slot_key: str, day: date, name: str, phone: str,
         now: datetime | None = None, answers: list[dict] | None = None,
         notify_consent: bool = False) -> Booking:
    """A resident's booking of one place in one slot, with the item's questions answered."""
    if not item.bookable or not item.active:
        raise BookingError("该事项不接受网上预约。")
    slot = next((s for s in slots_on(township, day, now) if s.key == slot_key), None)
    if slot is None:
        raise BookingError("所选时段不存在，请重新选择。")
    if slot.closed:
        raise BookingError("该时段已停止预约，请选择更晚的时段。")
    _take_place(township, slot.mode, day, slot.starts_at)
    booking = Booking(township_id=township.id, code=_new_code(township), mode_id=slot.mode.id,
                      service_item_id=item.id, day=day, starts_at=slot.starts_at,
                      name=name.strip(), phone=phone.strip(), answers=list(answers or []),
                      notify_consent=bool(notify_consent))
    db.session.add(booking)
    db.session.flush()
    return booking


def find_booking(township, code: str) -> Booking | None:
    code = (code or "").strip().upper().replace(" ", "")
    if not code:
        return None
    return db.session.scalar(select(Booking).where(Booking.township_id == township.id,
                                                   Booking.code == code))


def cancel(township, booking: Booking) -> None:
    if booking.state != BookingState.BOOKED:
        raise BookingError("该预约已取消或已办理，无需再取消。")
    booking.state = BookingState.CANCELLED.value
    booking.cancelled_at = utcnow()
    table = SlotCount.__table__
    db.session.execute(
        update(table)
        .where(table.c.township_id == township.id, table.c.mode_id == booking.mode_id,
               table.c.day == booking.day, table.c.starts_at == booking.starts_at,
               table.c.taken > 0)
        .values(taken=table.c.taken - 1))


def bookings_on(township, day: date) -> list[Booking]:
    return list(db.session.scalars(
        select(Booking).where(Booking.township_id == township.id, Booking.day == day)
        .order_by(Booking.starts_at, Booking.created_at)))


# ---------------------------------------------------------------- one-window intake

def materials_of(item: ServiceItem) -> list[str]:
    return [m["name"] if isinstance(m, dict) else str(m) for m in (item.materials or [])]


def missing_materials(matter: Matter) -> list[str]:
    return list((matter.extra or {}).get("materials_missing") or [])


def _missing_guard(matter: Matter) -> str | None:
    missing = missing_materials(matter)
    if matter.channel == Channel.HALL and missing:
        return f"尚缺材料（{'、'.join(missing)}），补齐后方可办结。"
    return None


CLOSE_GUARDS.append(_missing_guard)


def register_resident(township, *, name: str, phone: str, village=None) -> Resident:
    phone = phone.strip()
    resident = Resident(township_id=township.id, name=name.strip(), phone=phone or None,
                        phone_tail=phone[-4:] if phone else None,
                        village_id=getattr(village, "id", None))
    db.session.add(resident)
    db.session.flush()
    return resident


def take_in(township, actor, *, item: ServiceItem, resident: Resident, received: list[str],
            description: str = "", booking: Booking | None = None,
            now: datetime | None = None, answers: list[dict] | None = None,
            notify_consent: bool = False, is_public: bool | None = None) -> Matter:
    """Accept a resident's business at the window: a hall matter routed to the item's centre.

    Materials not ticked are recorded as missing; the receipt tells the resident what to bring
    (一次性告知), and the matter cannot be finished until they are brought. `answers` are the
    item's own questions answered (app.catalogue.questions.read_answers); `notify_consent` says
    the resident agreed to be told (app.notices.residents: the steps of the matter, and the
    reminder to bring what is missing).
    """
    from app.catalogue.questions import store_answers

    required = materials_of(item)
    unknown = [name for name in received if name not in required]
    if unknown:
        raise TransitionError("材料清单已变化，请重新勾选。")
    missing = [name for name in required if name not in received]
    matter = ledger.create_matter(
        township, channel=Channel.HALL, title=item.name, actor=actor,
        description=description, service_item=item, resident=resident, now=now,
        is_public=is_public,
        extra=store_answers({
            "materials_received": [n for n in required if n in received],
            "materials_missing": missing,
            **({"booking_code": booking.code} if booking is not None else {})}, answers or []),
    )
    if booking is not None:
        if booking.state != BookingState.BOOKED:
            raise TransitionError("该预约已取消或已办理。")
        booking.state = BookingState.ARRIVED.value
        booking.matter_id = matter.id
    if notify_consent or (booking is not None and booking.notify_consent):
        from app.notices import residents

        residents.agree(township, matter, given_at=Channel.HALL.value, actor=actor)
    return matter


def bring_materials(matter: Matter, actor, names: list[str]) -> None:
    """The resident came back with (some of) the missing materials."""
    missing = missing_materials(matter)
    brought = [n for n in (names or []) if n in missing]
    if not brought:
        raise TransitionError("请勾选补交的材料。")
    extra = dict(matter.extra or {})
    extra["materials_missing"] = [n for n in missing if n not in brought]
    extra["materials_received"] = list(extra.get("materials_received") or []) + brought
    matter.extra = extra
    ledger._record(matter, "materials", actor, brought=brought,
                   still_missing=extra["materials_missing"])


def finish_on_the_spot(matter: Matter, actor, township, text: str = "") -> None:
    """Done in this visit: answered and closed at once (当场办结)."""
    item = db.session.get(ServiceItem, (matter.township_id, matter.service_item_id)) \
        if matter.service_item_id else None
    if item is None or not item.on_the_spot:
        raise TransitionError("该事项不能当场办结，已进入中心办理队列。")
    if refusal := _missing_guard(matter):
        raise TransitionError(refusal)
    ledger.reply(matter, actor, public_text=text.strip() or "已当场办结。", township=township)
    if matter.state != State.CLOSED:
        ledger.close(matter, actor, township)


def queue(township, centre: Centre, visible=None) -> list[Matter]:
    """The centre's open matters, the earliest due first (whatever channel brought them: a
    village assistant's errand for one of the centre's items is the centre's work too).

    `visible`, a SQL condition, keeps only the matters the viewer may open (the ledger's rule),
    so nothing in the queue leads to a page that is not found.
    """
    open_states = [s.value for s in State if s not in (State.CLOSED, *ledger.TERMINAL)]
    query = select(Matter).where(Matter.township_id == township.id, Matter.centre_id == centre.id,
                                 Matter.state.in_(open_states))
    if visible is not None:
        query = query.where(visible)
    return list(db.session.scalars(query.order_by(Matter.due_on, Matter.received_at)))


def open_matters_of(township, residents: list[Resident]) -> dict:
    """Each resident's open matters (any channel), the ones waiting for documents first."""
    from app.matters.models import OPEN_STATES

    ids = [r.id for r in residents]
    if not ids:
        return {}
    rows = db.session.scalars(
        select(Matter).where(Matter.township_id == township.id, Matter.resident_id.in_(ids),
                             Matter.state.in_([s.value for s in OPEN_STATES]))
        .order_by(Matter.received_at.desc()))
    out: dict = {}
    for m in rows:
        out.setdefault(m.resident_id, []).append(m)
    for matters in out.values():
        matters.sort(key=lambda m: not missing_materials(m))
    return out


# ---------------------------------------------------------------- the rating tablet

def new_window(township, name: str, centre=None) -> Window:
    window = Window(township_id=township.id, name=name.strip(),
                    centre_id=getattr(centre, "id", None), tablet_token=secrets.token_urlsafe(24))
    db.session.add(window)
    db.session.flush()
    return window


def push_to_tablet(window: Window, matter: Matter, staff) -> None:
    """Ask the resident in front of the window to rate the service just given."""
    if matter.state not in (State.REPLIED, State.CLOSED):
        raise TransitionError("事项办结或答复后才能请群众评价。")
    window.pending_matter_id = matter.id
    window.pending_staff_id = staff.id
    window.pending_since = utcnow()


def pending_on_tablet(window: Window, now: datetime | None = None) -> Matter | None:
    if window.pending_matter_id is None or window.pending_since is None:
        return None
    if (now or utcnow()) - window.pending_since > TABLET_WAIT:
        return None
    return window.pending_matter


def rate_on_tablet(window: Window, *, rating: str, comment: str = "", township=None) -> Evaluation:
    matter = pending_on_tablet(window)
    if matter is None:
        raise TransitionError("当前没有待评价的服务。")
    evaluation = ledger.evaluate(matter, rating=rating, source="window", comment=comment,
                                 staff_id=window.pending_staff_id, how=window.name,
                                 township=township)
    window.pending_matter_id = None
    window.pending_staff_id = None
    window.pending_since = None
    return evaluation


# ---------------------------------------------------------------- figures

@dataclass(frozen=True)
class Figures:
    key: object
    name: str
    received: int
    finished: int
    on_the_spot: int
    on_time: int
    rated: int
    satisfied: int

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.finished if self.finished else None

    @property
    def satisfaction_rate(self) -> float | None:
        return self.satisfied / self.rated if self.rated else None


def _rating_counts(township, column, start: date, end: date) -> dict:
    satisfied = [r.value for r in SATISFIED_RATINGS]
    rows = db.session.execute(
        select(column, func.count(),
               func.sum(case((Evaluation.rating.in_(satisfied), 1), else_=0)))
        .where(Evaluation.township_id == township.id, Evaluation.residents_own(),
               Evaluation.created_at >= _local(township, start, time()),
               Evaluation.created_at < _local(township, end, time()))
        .group_by(column))
    return {key: (int(n), int(s or 0)) for key, n, s in rows}


def centre_figures(township, start: date, end: date) -> list[Figures]:
    """Per centre over [start, end): hall matters received and finished, on time, ratings."""
    begin, stop = _local(township, start, time()), _local(township, end, time())
    rows = {key: row for key, *row in db.session.execute(
        select(Matter.centre_id, func.count(),
               func.sum(case((Matter.state == State.CLOSED.value, 1), else_=0)),
               # Finished in the same visit: closed on the day it was received.
               func.sum(case((and_(Matter.state == State.CLOSED.value,
                                   func.date(Matter.closed_at) == func.date(Matter.received_at)),
                              1), else_=0)),
               func.sum(case((and_(Matter.state == State.CLOSED.value,
                                   func.date(Matter.closed_at) <= Matter.due_on), 1), else_=0)))
        .where(Matter.township_id == township.id, Matter.channel == Channel.HALL.value,
               Matter.received_at >= begin, Matter.received_at < stop)
        .group_by(Matter.centre_id))}
    ratings = _rating_counts(township, Evaluation.centre_id, start, end)
    result = []
    for centre in db.session.scalars(select(Centre).where(Centre.township_id == township.id)
                                     .order_by(Centre.sort_order, Centre.name)):
        received, finished, spot, on_time = (int(v or 0) for v in rows.get(centre.id, (0,) * 4))
        rated, satisfied = ratings.get(centre.id, (0, 0))
        result.append(Figures(centre.id, centre.name, received, finished, spot, on_time, rated,
                              satisfied))
    return result


def staff_figures(township, start: date, end: date) -> list[Figures]:
    """Per staff member: the ratings residents gave their service."""
    from app.accounts.models import User

    ratings = _rating_counts(township, Evaluation.staff_id, start, end)
    ids = [key for key in ratings if key is not None]
    names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()) \
        if ids else {}
    return sorted(
        (Figures(key, names.get(key, "—"), 0, 0, 0, 0, n, s) for key, (n, s) in ratings.items()
         if key is not None),
        key=lambda f: (-(f.satisfaction_rate or 0), -f.rated))



# ---------------------------------------------------------------- the printed guide

def modes_summary(township) -> list[OpeningMode]:
    """The hall's active opening modes, for guides and the public pages."""
    return list(db.session.scalars(
        select(OpeningMode).where(OpeningMode.township_id == township.id,
                                  OpeningMode.active.is_(True))
        .order_by(OpeningMode.day_type.desc(), OpeningMode.opens)))


_GUIDE_CACHE: dict[str, bytes] = {}


def guide_pdf(context: dict) -> bytes:
    """An item's guide (办事指南) as PDF, cached while the item and the hours are unchanged."""
    import hashlib
    import json

    from flask_babel import get_locale

    from app.notices.pdf import render_pdf

    item, township = context["item"], context["township"]
    key = hashlib.sha256(json.dumps([
        str(get_locale()), township.name, township.address, township.phone, item.name,
        item.description, item.materials, item.steps, item.promised_workdays, item.on_the_spot,
        item.bookable, item.centre.name,
        [(m.name, m.day_type, str(m.opens), str(m.closes)) for m in context["modes"]],
    ], default=str, ensure_ascii=False).encode()).hexdigest()
    # The QR opens the guide's page on a resident's phone; its host is part of the key.
    from flask import url_for

    from app.notices.pdf import qr_data_uri

    guide_url = url_for("hall_public.guide", slug=township.slug, item_id=item.id, _external=True)
    key = hashlib.sha256((key + guide_url).encode()).hexdigest()
    if key not in _GUIDE_CACHE:
        if len(_GUIDE_CACHE) > 256:
            _GUIDE_CACHE.clear()
        _GUIDE_CACHE[key] = render_pdf("hall_guide.html", guide_url=guide_url,
                                       qr=qr_data_uri(guide_url), **context)
    return _GUIDE_CACHE[key]

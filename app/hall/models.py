"""The service hall: opening modes and bookings, windows and who is on duty at them."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Time,
    UniqueConstraint,
    Uuid,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models import (
    JSONDoc,
    LabelledEnum,
    TenantScoped,
    Timestamped,
    UTCDateTime,
    tenant_fk,
    tenant_relationship,
    township_fk,
)


class DayType(LabelledEnum):
    """Which days an opening mode applies to, on the Chinese calendar."""

    WORKDAY = "workday"  # working days, make-up Saturdays (调休) included
    WEEKEND = "weekend"  # ordinary days off
    HOLIDAY = "holiday"  # statutory public holidays (春节, 国庆 …)

    @classmethod
    def labels(cls) -> dict[str, str]:
        from flask_babel import gettext as _

        return {"workday": _("工作日"), "weekend": _("周末休息日"), "holiday": _("法定节假日")}


class OpeningMode(TenantScoped, Timestamped, db.Model):
    """A block of opening hours on one type of day, with its booking slots (e.g. 工作日午间延时)."""

    __tablename__ = "hall_opening_modes"
    __table_args__ = (township_fk(),)

    name: Mapped[str] = mapped_column(String(40), nullable=False)
    day_type: Mapped[str] = mapped_column(String(10), nullable=False)
    opens: Mapped[time] = mapped_column(Time, nullable=False)
    closes: Mapped[time] = mapped_column(Time, nullable=False)
    slot_minutes: Mapped[int] = mapped_column(Integer, default=30, nullable=False)
    capacity: Mapped[int] = mapped_column(Integer, default=4, nullable=False)  # people per slot
    cutoff_hours: Mapped[int] = mapped_column(Integer, default=2, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)


class SlotCount(TenantScoped, db.Model):
    """How many places of one slot are taken: the row two bookers race for, updated atomically."""

    __tablename__ = "hall_slot_counts"
    __table_args__ = (
        township_fk(),
        tenant_fk("mode_id", "hall_opening_modes", ondelete="CASCADE"),
        UniqueConstraint("township_id", "mode_id", "day", "starts_at",
                         name="uq_hall_slot_counts_slot"),
    )

    mode_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    starts_at: Mapped[time] = mapped_column(Time, nullable=False)
    taken: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


class BookingState(LabelledEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    ARRIVED = "arrived"

    @classmethod
    def labels(cls) -> dict[str, str]:
        from flask_babel import gettext as _

        return {"booked": _("已预约"), "cancelled": _("已取消"), "arrived": _("已到厅办理")}


class Booking(TenantScoped, Timestamped, db.Model):
    """A resident's appointment, made without an account; the code is its only key."""

    __tablename__ = "hall_bookings"
    __table_args__ = (
        township_fk(),
        tenant_fk("mode_id", "hall_opening_modes"),
        tenant_fk("service_item_id", "service_items"),
        tenant_fk("matter_id", "matters"),
        UniqueConstraint("township_id", "code", name="uq_hall_bookings_code"),
        Index("ix_hall_bookings_township_day", "township_id", "day"),
    )

    code: Mapped[str] = mapped_column(String(12), nullable=False)
    mode_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    service_item_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    starts_at: Mapped[time] = mapped_column(Time, nullable=False)
    name: Mapped[str] = mapped_column(String(40), nullable=False)
    phone: Mapped[str] = mapped_column(String(20), nullable=False)
    # Agreed online to be told of the matter's steps (app.notices.residents), once it is one.
    notify_consent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(),
                                                 nullable=False)
    state: Mapped[str] = mapped_column(String(10), default=BookingState.BOOKED, nullable=False)
    matter_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The item's own questions answered online (app.catalogue.questions), carried to the desk.
    answers: Mapped[list[dict]] = mapped_column(JSONDoc, default=list, server_default="[]",
                                                nullable=False)

    mode = tenant_relationship("Booking", "OpeningMode", "mode_id")
    service_item = tenant_relationship("Booking", "ServiceItem", "service_item_id")
    matter = tenant_relationship("Booking", "Matter", "matter_id")


class Window(TenantScoped, Timestamped, db.Model):
    """A window of the hall, with the rating tablet that stands at it.

    Staff push the matter they have just served to the tablet; only the tablet (opened by its
    unguessable address, never from a signed-in session) records the resident's rating.
    """

    __tablename__ = "hall_windows"
    __table_args__ = (
        township_fk(),
        tenant_fk("centre_id", "centres"),
        tenant_fk("pending_matter_id", "matters"),
        ForeignKeyConstraint(["pending_staff_id"], ["users.id"], ondelete="SET NULL"),
        UniqueConstraint("township_id", "name", name="uq_hall_windows_name"),
        UniqueConstraint("township_id", "tablet_token", name="uq_hall_windows_tablet_token"),
    )

    name: Mapped[str] = mapped_column(String(30), nullable=False)
    centre_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    sort_order: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    tablet_token: Mapped[str] = mapped_column(String(40), nullable=False)
    pending_matter_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    pending_staff_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    pending_since: Mapped[datetime | None] = mapped_column(UTCDateTime)

    centre = tenant_relationship("Window", "Centre", "centre_id")
    pending_matter = tenant_relationship("Window", "Matter", "pending_matter_id")


class WindowDuty(TenantScoped, Timestamped, db.Model):
    """Who sits at which window on one day, with the badge number they wear (挂牌上岗)."""

    __tablename__ = "hall_window_duties"
    __table_args__ = (
        township_fk(),
        tenant_fk("window_id", "hall_windows", ondelete="CASCADE"),
        ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        UniqueConstraint("township_id", "window_id", "day", name="uq_hall_window_duties_day"),
    )

    window_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    badge_number: Mapped[str] = mapped_column(String(20), default="", nullable=False)

    window = tenant_relationship("WindowDuty", "Window", "window_id")
    user = relationship("User", foreign_keys=[user_id])

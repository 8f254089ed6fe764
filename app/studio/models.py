"""Party representative studios: representatives, the duty rota, receptions and their cases."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    Uuid,
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
    utcnow,
)


class HolidayRule(LabelledEnum):
    SKIP = "skip"
    NEXT_WORKDAY = "next_workday"

    @classmethod
    def labels(cls) -> dict[str, str]:
        from flask_babel import gettext as _

        return {"skip": _("遇法定节假日停开"), "next_workday": _("顺延到下一个工作日")}


class Studio(TenantScoped, Timestamped, db.Model):
    """A studio set where people live or do business, open on a fixed pattern."""

    __tablename__ = "studios"
    __table_args__ = (township_fk(),
                      UniqueConstraint("township_id", "name", name="uq_studios_name"))

    name: Mapped[str] = mapped_column(String(60), nullable=False)
    place: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    phone: Mapped[str] = mapped_column(String(40), default="", nullable=False)
    # [{"weekday": 5, "start": "09:00", "end": "11:30"}, ...]  (Monday is 0)
    pattern: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list, nullable=False)
    holiday_rule: Mapped[str] = mapped_column(String(14), default=HolidayRule.SKIP,
                                              nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)


class RepLevel(LabelledEnum):
    TOWNSHIP = "township"
    COUNTY = "county"
    CITY = "city"
    PROVINCE = "province"

    @classmethod
    def labels(cls) -> dict[str, str]:
        from flask_babel import gettext as _

        return {"township": _("镇党代表"), "county": _("县（区）党代表"), "city": _("市党代表"),
                "province": _("省党代表")}


class MemberKind(LabelledEnum):
    REPRESENTATIVE = "rep"
    LIAISON = "liaison"
    VOLUNTEER = "volunteer"

    @classmethod
    def labels(cls) -> dict[str, str]:
        from flask_babel import gettext as _

        return {"rep": _("党代表"), "liaison": _("联络员"), "volunteer": _("志愿者")}


class Representative(TenantScoped, Timestamped, db.Model):
    """A representative (or liaison, volunteer) attached to a studio; an account is optional."""

    __tablename__ = "studio_members"
    __table_args__ = (
        township_fk(),
        tenant_fk("studio_id", "studios", ondelete="CASCADE"),
        ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="SET NULL"),
        Index("ix_studio_members_studio", "township_id", "studio_id"),
    )

    studio_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    kind: Mapped[str] = mapped_column(String(10), default=MemberKind.REPRESENTATIVE,
                                      nullable=False)
    name: Mapped[str] = mapped_column(String(40), nullable=False)
    level: Mapped[str] = mapped_column(String(10), default=RepLevel.TOWNSHIP, nullable=False)
    phone: Mapped[str] = mapped_column(String(20), default="", nullable=False)
    intro: Mapped[str] = mapped_column(Text, default="", nullable=False)
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)

    studio = tenant_relationship("Representative", "Studio", "studio_id")


class DutySession(TenantScoped, Timestamped, db.Model):
    """One opening of a studio, with the representatives on duty."""

    __tablename__ = "studio_sessions"
    __table_args__ = (
        township_fk(),
        tenant_fk("studio_id", "studios", ondelete="CASCADE"),
        UniqueConstraint("township_id", "studio_id", "day", "starts_at",
                         name="uq_studio_sessions_slot"),
    )

    studio_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    starts_at: Mapped[time] = mapped_column(Time, nullable=False)
    ends_at: Mapped[time] = mapped_column(Time, nullable=False)
    moved_from: Mapped[date | None] = mapped_column(Date)  # a holiday it was moved away from

    studio = tenant_relationship("DutySession", "Studio", "studio_id")
    assignments: Mapped[list[DutyAssignment]] = relationship(
        "DutyAssignment",
        primaryjoin="and_(DutyAssignment.township_id == DutySession.township_id, "
                    "foreign(DutyAssignment.session_id) == DutySession.id)",
        viewonly=True, order_by="DutyAssignment.position")


class DutyAssignment(TenantScoped, Timestamped, db.Model):
    """A representative on duty at a session; a swap keeps who was on the rota before."""

    __tablename__ = "studio_duties"
    __table_args__ = (
        township_fk(),
        tenant_fk("session_id", "studio_sessions", ondelete="CASCADE"),
        tenant_fk("member_id", "studio_members"),
        tenant_fk("swapped_from_id", "studio_members"),
        UniqueConstraint("township_id", "session_id", "position", name="uq_studio_duties_pos"),
    )

    session_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    position: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    member_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    swapped_from_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    swap_note: Mapped[str] = mapped_column(String(200), default="", nullable=False)

    member = tenant_relationship("DutyAssignment", "Representative", "member_id")
    swapped_from = tenant_relationship("DutyAssignment", "Representative", "swapped_from_id")
    session = tenant_relationship("DutyAssignment", "DutySession", "session_id")


class ReceptionChannel(LabelledEnum):
    SESSION = "session"
    PHONE = "phone"
    ONLINE = "online"

    @classmethod
    def labels(cls) -> dict[str, str]:
        from flask_babel import gettext as _

        return {"session": _("现场接待"), "phone": _("电话"), "online": _("网上工作室")}


class Reception(TenantScoped, Timestamped, db.Model):
    """A visitor received (at a session, by phone or online): who, about what, what they said."""

    __tablename__ = "studio_receptions"
    __table_args__ = (
        township_fk(),
        tenant_fk("studio_id", "studios", ondelete="CASCADE"),
        tenant_fk("session_id", "studio_sessions"),
        tenant_fk("member_id", "studio_members"),
        Index("ix_studio_receptions_studio", "township_id", "studio_id"),
    )

    studio_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    session_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    member_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # who received them
    channel: Mapped[str] = mapped_column(String(10), nullable=False)
    visitor_name: Mapped[str | None] = mapped_column(String(40))  # None: anonymous
    visitor_phone: Mapped[str | None] = mapped_column(String(20))
    topic: Mapped[str] = mapped_column(String(120), nullable=False)
    said: Mapped[str] = mapped_column(Text, default="", nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    studio = tenant_relationship("Reception", "Studio", "studio_id")
    member = tenant_relationship("Reception", "Representative", "member_id")


class StudioCase(TenantScoped, Timestamped, db.Model):
    """One suggestion or request of a reception, followed as a matter of channel `studio`."""

    __tablename__ = "studio_cases"
    __table_args__ = (
        township_fk(),
        tenant_fk("reception_id", "studio_receptions", ondelete="CASCADE"),
        tenant_fk("matter_id", "matters"),
        tenant_fk("member_id", "studio_members"),
        UniqueConstraint("township_id", "matter_id", name="uq_studio_cases_matter"),
    )

    reception_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    matter_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    member_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # The suggestion as the visitor gave it, whole (the matter's title is its first 120 characters).
    text: Mapped[str] = mapped_column(Text, default="", nullable=False)
    referred_to: Mapped[str | None] = mapped_column(String(80))
    referral_due: Mapped[date | None] = mapped_column(Date)
    good_example: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    example_note: Mapped[str] = mapped_column(Text, default="", nullable=False)

    reception = tenant_relationship("StudioCase", "Reception", "reception_id")
    matter = tenant_relationship("StudioCase", "Matter", "matter_id")
    member = tenant_relationship("StudioCase", "Representative", "member_id")

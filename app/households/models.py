"""The township's registry: villages, grids, households, residents, contact links and visits."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
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


class HouseholdTag(LabelledEnum):
    LOW_INCOME = "低保"
    FIVE_GUARANTEES = "五保"
    ELDERLY_ALONE = "独居老人"
    LEFT_BEHIND_CHILD = "留守儿童"
    DISABILITY = "残疾"
    VETERAN = "退役军人"


class FindingKind(LabelledEnum):
    """The five must-record headings of a visit (五必记); also the categories of a matter."""

    HARDSHIP = "hardship"
    PROSPERITY = "prosperity"
    DISPUTE = "dispute"
    SUGGESTION = "suggestion"
    PETITION = "petition"

    @classmethod
    def labels(cls) -> dict[str, str]:
        from flask_babel import gettext as _

        return {
            "hardship": _("生活困难"),
            "prosperity": _("致富难题"),
            "dispute": _("邻里纠纷"),
            "suggestion": _("意见建议"),
            "petition": _("信访问题"),
        }


class Village(TenantScoped, Timestamped, db.Model):
    """A village or urban community."""

    __tablename__ = "villages"
    __table_args__ = (
        township_fk(),
        UniqueConstraint("township_id", "name", name="uq_villages_township_name"),
    )

    name: Mapped[str] = mapped_column(String(60), nullable=False)
    division_code: Mapped[str | None] = mapped_column(String(12))  # 12-digit NBS code
    is_community: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    sort_order: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


class Grid(TenantScoped, Timestamped, db.Model):
    """An optional grouping of households inside a village."""

    __tablename__ = "grids"
    __table_args__ = (
        township_fk(),
        tenant_fk("village_id", "villages", ondelete="CASCADE"),
        UniqueConstraint("township_id", "village_id", "name", name="uq_grids_village_name"),
    )

    village_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    name: Mapped[str] = mapped_column(String(60), nullable=False)

    village = tenant_relationship("Grid", "Village", "village_id")


class Household(TenantScoped, Timestamped, db.Model):
    """A household: head, members, address, phone, tags, and who answers for it."""

    __tablename__ = "households"
    __table_args__ = (
        township_fk(),
        tenant_fk("village_id", "villages"),
        tenant_fk("grid_id", "grids"),
        ForeignKeyConstraint(["contact_cadre_id"], ["users.id"], ondelete="SET NULL"),
        ForeignKeyConstraint(["party_member_id"], ["users.id"], ondelete="SET NULL"),
        Index("ix_households_township_village", "township_id", "village_id"),
        Index("ix_households_township_head", "township_id", "head_name"),
        Index("ix_households_township_phone_tail", "township_id", "phone_tail"),
    )

    village_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    grid_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    head_name: Mapped[str] = mapped_column(String(40), nullable=False)
    address: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    phone: Mapped[str | None] = mapped_column(String(20))
    # Last four digits of the phone, kept apart so search by phone digits uses an index.
    phone_tail: Mapped[str | None] = mapped_column(String(4))
    tags: Mapped[list[str]] = mapped_column(JSONDoc, default=list, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    contact_cadre_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # ~30 households each
    party_member_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # ~10 households each
    notes: Mapped[str] = mapped_column(Text, default="", nullable=False)

    village = tenant_relationship("Household", "Village", "village_id")
    grid = tenant_relationship("Household", "Grid", "grid_id")
    contact_cadre = relationship("User", foreign_keys=[contact_cadre_id])
    party_member = relationship("User", foreign_keys=[party_member_id])
    members: Mapped[list[Resident]] = relationship(
        primaryjoin="and_(Resident.township_id == Household.township_id, "
        "foreign(Resident.household_id) == Household.id)",
        viewonly=True,
        order_by="Resident.created_at",
    )


class Resident(TenantScoped, Timestamped, db.Model):
    """A person known to the township. The ID-card number is kept only as its last four digits."""

    __tablename__ = "residents"
    __table_args__ = (
        township_fk(),
        tenant_fk("household_id", "households", ondelete="SET NULL"),
        tenant_fk("village_id", "villages"),
        Index("ix_residents_township_name", "township_id", "name"),
        Index("ix_residents_township_phone_tail", "township_id", "phone_tail"),
    )

    name: Mapped[str] = mapped_column(String(40), nullable=False)
    household_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    village_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    relation: Mapped[str | None] = mapped_column(String(20))  # 户主, 配偶, 子女 ...
    phone: Mapped[str | None] = mapped_column(String(20))
    phone_tail: Mapped[str | None] = mapped_column(String(4))
    id_tail: Mapped[str | None] = mapped_column(String(4))
    gender: Mapped[str | None] = mapped_column(String(4))
    birth_year: Mapped[int | None] = mapped_column(Integer)

    household = tenant_relationship("Resident", "Household", "household_id")
    village = tenant_relationship("Resident", "Village", "village_id")

    def set_phone(self, phone: str | None) -> None:
        self.phone = phone or None
        self.phone_tail = phone[-4:] if phone else None


class VisitMethod(LabelledEnum):
    IN_PERSON = "in_person"
    PHONE = "phone"
    MESSAGE = "message"

    @classmethod
    def labels(cls) -> dict[str, str]:
        from flask_babel import gettext as _

        return {"in_person": _("入户"), "phone": _("电话"), "message": _("微信/短信")}


class VisitKind(LabelledEnum):
    """走访 by grassroots members, 下访 by leaders at their contact points, 接访 receptions."""

    ROUND = "zoufang"
    DOWN = "xiafang"
    RECEIVE = "jiefang"

    @classmethod
    def labels(cls) -> dict[str, str]:
        from flask_babel import gettext as _

        return {"zoufang": _("走访"), "xiafang": _("下访"), "jiefang": _("接访")}


class Visit(TenantScoped, Timestamped, db.Model):
    """A household visit (民情日记) with what was heard under the five must-record headings."""

    __tablename__ = "visits"
    __table_args__ = (
        township_fk(),
        tenant_fk("household_id", "households", ondelete="CASCADE"),
        ForeignKeyConstraint(["visitor_id"], ["users.id"]),
        Index("ix_visits_township_household_date", "township_id", "household_id", "visited_on"),
        Index("ix_visits_township_date", "township_id", "visited_on"),
    )

    household_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    visitor_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    visited_on: Mapped[date] = mapped_column(Date, nullable=False)
    method: Mapped[str] = mapped_column(String(12), default=VisitMethod.IN_PERSON, nullable=False)
    kind: Mapped[str] = mapped_column(String(12), default=VisitKind.ROUND, nullable=False)
    notes: Mapped[str] = mapped_column(Text, default="", nullable=False)
    # {FindingKind value: what was heard}; only the headings that had something.
    findings: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict, nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    household = tenant_relationship("Visit", "Household", "household_id")
    visitor = relationship("User", foreign_keys=[visitor_id])

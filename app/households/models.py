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


class HouseholdStatus(LabelledEnum):
    """Why a household is no longer active (it is never deleted: matters and visits keep it)."""

    ACTIVE = "active"
    MOVED_AWAY = "moved_away"
    DECEASED = "deceased"
    DISSOLVED = "dissolved"
    MERGED = "merged"

    @classmethod
    def labels(cls) -> dict[str, str]:
        from flask_babel import gettext as _

        return {"active": _("在册"), "moved_away": _("已迁出"), "deceased": _("已故"),
                "dissolved": _("已销户"), "merged": _("已合并")}


class ResidentStatus(LabelledEnum):
    ACTIVE = "active"
    MOVED_AWAY = "moved_away"
    DECEASED = "deceased"
    MERGED = "merged"

    @classmethod
    def labels(cls) -> dict[str, str]:
        from flask_babel import gettext as _

        return {"active": _("在册"), "moved_away": _("已迁出"), "deceased": _("已故"),
                "merged": _("已合并")}


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
    # Retired (or merged into another): kept with its history, gone from pickers and lists.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    @property
    def active(self) -> bool:
        return self.retired_at is None


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
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    village = tenant_relationship("Grid", "Village", "village_id")

    @property
    def active(self) -> bool:
        return self.retired_at is None


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
        Index("ix_households_township_cadre", "township_id", "contact_cadre_id"),
        Index("ix_households_township_head", "township_id", "head_name"),
        Index("ix_households_township_phone_tail", "township_id", "phone_tail"),
        Index("ix_households_township_number", "township_id", "household_number"),
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
    # The township's own household number (户号), when its sheets have one: re-imports match on it.
    household_number: Mapped[str | None] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(12), default=HouseholdStatus.ACTIVE,
                                        nullable=False)
    status_on: Mapped[date | None] = mapped_column(Date)  # when it moved away, died out...
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
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

    @property
    def status_label(self) -> str:
        return HouseholdStatus(self.status).label


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
    status: Mapped[str] = mapped_column(String(12), default=ResidentStatus.ACTIVE,
                                        nullable=False)
    status_on: Mapped[date | None] = mapped_column(Date)

    household = tenant_relationship("Resident", "Household", "household_id")
    village = tenant_relationship("Resident", "Village", "village_id")

    @property
    def status_label(self) -> str:
        return ResidentStatus(self.status).label

    def set_phone(self, phone: str | None) -> None:
        self.phone = phone or None
        self.phone_tail = phone[-4:] if phone else None


class ImportState(LabelledEnum):
    CHECKING = "checking"
    CHECKED = "checked"
    REFUSED = "refused"
    IMPORTING = "importing"
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"

    @classmethod
    def labels(cls) -> dict[str, str]:
        from flask_babel import gettext as _

        return {"checking": _("正在检查"), "checked": _("检查通过，待确认"),
                "refused": _("有问题，未导入"), "importing": _("正在导入"), "done": _("已导入"),
                "cancelled": _("已取消"), "failed": _("导入失败")}


class ImportBatch(TenantScoped, Timestamped, db.Model):
    """One uploaded household sheet, from its check to its import (its id is the idempotency key:
    confirming twice imports once). The uploaded file is deleted once checked; what the import
    needs waits in a normalised file without full ID numbers, deleted once imported or cancelled."""

    __tablename__ = "import_batches"
    __table_args__ = (
        township_fk(),
        ForeignKeyConstraint(["created_by_id"], ["users.id"], ondelete="SET NULL"),
        ForeignKeyConstraint(["confirmed_by_id"], ["users.id"], ondelete="SET NULL"),
        Index("ix_import_batches_township_created", "township_id", "created_at"),
    )

    created_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    filename: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    suffix: Mapped[str] = mapped_column(String(8), default=".csv", nullable=False)
    state: Mapped[str] = mapped_column(String(12), default=ImportState.CHECKING, nullable=False)
    progress: Mapped[int] = mapped_column(Integer, default=0, nullable=False)  # 0..100
    progress_note: Mapped[str] = mapped_column(String(120), default="", nullable=False)
    total_rows: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    # {"new": n, "changed": n, "unchanged": n, "missing": n, "bad": n, "imported": n}
    counts: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict, nullable=False)
    # Problems of the whole file, then every bad row: [[line, head, "problem；problem"], ...]
    file_problems: Mapped[list[Any]] = mapped_column(JSONDoc, default=list, nullable=False)
    bad_rows: Mapped[list[Any]] = mapped_column(JSONDoc, default=list, nullable=False)
    # The first rows that would change: [{"line", "household_id", "head", "changes": {...}}]
    changes: Mapped[list[Any]] = mapped_column(JSONDoc, default=list, nullable=False)
    # The first households of the registry the sheet does not mention: [[id, head, village]]
    missing: Mapped[list[Any]] = mapped_column(JSONDoc, default=list, nullable=False)
    error: Mapped[str] = mapped_column(Text, default="", nullable=False)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def state_label(self) -> str:
        return ImportState(self.state).label

    @property
    def running(self) -> bool:
        return self.state in (ImportState.CHECKING, ImportState.IMPORTING)


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

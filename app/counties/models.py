"""Counties, their departments and the roles people hold in a county.

These are platform tables, like `townships` and `users`: a county is not a tenant. What a county
reads of its townships goes through `app.counties.scope` (its own townships only, recorded when it
opens residents' data); a township's rows stay township-scoped as ever.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models import (
    JSONDoc,
    LabelledEnum,
    TenantScoped,
    Timestamped,
    UTCDateTime,
    new_id,
    tenant_fk,
    tenant_relationship,
    township_fk,
    utcnow,
)
from app.notices.models import DocumentState


class CountyRole(LabelledEnum):
    COUNTY_ADMIN = "county_admin"
    COUNTY_LEADER = "county_leader"
    COUNTY_SUPERVISOR = "county_supervisor"
    DEPARTMENT_STAFF = "department_staff"
    COUNTY_CADRE = "county_cadre"

    @classmethod
    def labels(cls) -> dict[str, str]:
        from flask_babel import gettext as _

        return {
            "county_admin": _("县级管理员"),
            "county_leader": _("县领导"),
            "county_supervisor": _("县督查室"),
            "department_staff": _("县直部门工作人员"),
            "county_cadre": _("县直联户干部"),
        }


class County(db.Model):
    """A county or district (区县), identified by its 6-digit division code."""

    __tablename__ = "counties"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(6), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(80), nullable=False)
    slug: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # The county's deadline for answering an escalated matter, in working days.
    escalation_workdays: Mapped[int] = mapped_column(Integer, default=10, server_default="10",
                                                     nullable=False)
    # How many households a contact cadre is expected to hold (双覆盖: about 30).
    households_per_cadre: Mapped[int] = mapped_column(Integer, default=30, server_default="30",
                                                      nullable=False)

    departments: Mapped[list[Department]] = relationship(
        back_populates="county", order_by="Department.name"
    )

    def township_ids(self) -> list[uuid.UUID]:
        """Ids of the townships that belong to this county."""
        from app.townships.models import Township

        return list(db.session.scalars(select(Township.id).where(Township.county_id == self.id)))

    def __repr__(self) -> str:
        return f"<County {self.code}>"


class Department(db.Model):
    """A county department (县直部门: 民政局, 人社局 …) that answers escalated matters."""

    __tablename__ = "departments"
    __table_args__ = (
        ForeignKeyConstraint(["county_id"], ["counties.id"], ondelete="CASCADE"),
        UniqueConstraint("county_id", "name", name="uq_departments_county_name"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    county_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(60), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)

    county: Mapped[County] = relationship(back_populates="departments")


class CountyGrant(db.Model):
    """A role held by a user in a county; department staff name their department."""

    __tablename__ = "county_grants"
    __table_args__ = (
        ForeignKeyConstraint(["county_id"], ["counties.id"], ondelete="CASCADE"),
        ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        ForeignKeyConstraint(["department_id"], ["departments.id"]),
        UniqueConstraint("county_id", "user_id", "role", "department_id",
                         name="uq_county_grants_scope"),
        Index("ix_county_grants_user", "user_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    county_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    department_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    county: Mapped[County] = relationship()
    department: Mapped[Department | None] = relationship()
    user = relationship("User")


def county_roles(user, county_id: uuid.UUID) -> set[CountyRole]:
    """The roles `user` holds in one county."""
    if not getattr(user, "is_authenticated", False):
        return set()
    rows = db.session.scalars(select(CountyGrant.role).where(
        CountyGrant.county_id == county_id, CountyGrant.user_id == user.id))
    return {CountyRole(r) for r in rows}


def counties_of(user, *roles: CountyRole | str) -> list[County]:
    """The counties in which `user` holds one of `roles` (any role when none is named)."""
    if not getattr(user, "is_authenticated", False):
        return []
    query = select(County).join(CountyGrant, CountyGrant.county_id == County.id).where(
        CountyGrant.user_id == user.id)
    if roles:
        query = query.where(CountyGrant.role.in_([str(r) for r in roles]))
    return list(db.session.scalars(query.distinct().order_by(County.code)))


# ---------------------------------------------------------------- escalation to the county

class EscalationState(LabelledEnum):
    WAITING = "waiting"  # escalated without a department: the supervisor dispatches it
    OPEN = "open"  # with a department, not yet answered
    REPLIED = "replied"
    RETURNED = "returned"  # handed back to the township with reasons

    @classmethod
    def labels(cls) -> dict[str, str]:
        from flask_babel import gettext as _

        return {"waiting": _("待分派"), "open": _("办理中"), "replied": _("已答复"),
                "returned": _("已退回乡镇")}


class CountyEscalation(TenantScoped, Timestamped, db.Model):
    """A township's matter handed up to the county (四级联动).

    The matter stays one matter in its township's ledger, with one timeline; this row says which
    county and department hold it, and by when the county answers (the county's working days).
    It is a township row (the township's data, distributed with it); the county reads it across
    its townships through app.counties.scope.
    """

    __tablename__ = "county_escalations"
    __table_args__ = (
        township_fk(),
        tenant_fk("matter_id", "matters", ondelete="CASCADE"),
        ForeignKeyConstraint(["county_id"], ["counties.id"]),
        ForeignKeyConstraint(["department_id"], ["departments.id"]),
        ForeignKeyConstraint(["escalated_by_id"], ["users.id"]),
        ForeignKeyConstraint(["answered_by_id"], ["users.id"]),
        Index("ix_county_escalations_township_matter", "township_id", "matter_id"),
        Index("ix_county_escalations_county_state", "county_id", "state", "due_on"),
        Index("ix_county_escalations_department", "department_id", "state"),
    )

    matter_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    county_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    department_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    state: Mapped[str] = mapped_column(String(10), default=EscalationState.OPEN, nullable=False)
    reason: Mapped[str] = mapped_column(Text, default="", nullable=False)
    escalated_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    escalated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    workdays: Mapped[int] = mapped_column(Integer, nullable=False)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    returned_reason: Mapped[str] = mapped_column(Text, default="", nullable=False)
    reminded_on: Mapped[date | None] = mapped_column(Date)

    matter = tenant_relationship("CountyEscalation", "Matter", "matter_id")
    department: Mapped[Department | None] = relationship(foreign_keys=[department_id])
    county: Mapped[County] = relationship(foreign_keys=[county_id])

    @property
    def state_label(self) -> str:
        return EscalationState(self.state).label

    @property
    def is_open(self) -> bool:
        return self.state in (EscalationState.WAITING, EscalationState.OPEN)


# ---------------------------------------------------------------- spot-checks and reports

class CountySpotCheck(db.Model):
    """A county supervisor's sample across the county's townships (县级抽查).

    The sample itself is the townships' own spot-checks (app.matters.spotchecks, one SpotCheck
    per township drawn from), so the answers and mismatches count against each township and its
    cadres exactly as the township's own checks do; this row groups them."""

    __tablename__ = "county_spot_checks"
    __table_args__ = (
        ForeignKeyConstraint(["county_id"], ["counties.id"], ondelete="CASCADE"),
        ForeignKeyConstraint(["supervisor_id"], ["users.id"]),
        Index("ix_county_spot_checks_county", "county_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    county_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    supervisor_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    period_end: Mapped[date] = mapped_column(Date, nullable=False)  # exclusive
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    # [{"township_id": ..., "spot_check_id": ...}]: the townships' spot-checks of this sample.
    parts: Mapped[list] = mapped_column(JSONDoc, default=list, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


# A county report goes through the same states as any generated document.
ReportState = DocumentState


class CountyReport(db.Model):
    """The quarterly county 民情地图 meeting report (县级民情地图工作例会), a PDF made by a job."""

    __tablename__ = "county_reports"
    __table_args__ = (
        ForeignKeyConstraint(["county_id"], ["counties.id"], ondelete="CASCADE"),
        ForeignKeyConstraint(["requested_by_id"], ["users.id"]),
        Index("ix_county_reports_county_quarter", "county_id", "quarter"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    county_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    quarter: Mapped[str] = mapped_column(String(7), nullable=False)  # "2026Q3"
    state: Mapped[str] = mapped_column(String(10), default=ReportState.QUEUED, nullable=False)
    progress: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    progress_note: Mapped[str] = mapped_column(String(120), default="", nullable=False)
    storage_key: Mapped[str | None] = mapped_column(String(200))
    size: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(Text, default="", nullable=False)
    requested_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def state_label(self) -> str:
        return ReportState(self.state).label


NO_CADRE = uuid.UUID(int=0)  # the key of households without a contact cadre


class CountyHouseholdCount(db.Model):
    """Active households of one village (`dim` "v", `group_id` the village) or one contact cadre
    (`dim` "c", `group_id` the cadre, NO_CADRE for none) of a township, and those of them with a
    contact cadre, for the county's figures (app.counties.summary): kept exact with the
    households in the same transaction."""

    __tablename__ = "county_household_counts"
    __table_args__ = (
        township_fk(),
        PrimaryKeyConstraint("township_id", "dim", "group_id",
                             name="pk_county_household_counts"),
    )

    township_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    dim: Mapped[str] = mapped_column(String(1))
    group_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    households: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    covered: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


class CountyVisitCount(db.Model):
    """For one village or contact cadre of a township (as CountyHouseholdCount) and one standard
    period (a calendar month, quarter, half-year or year, `kind` m/q/h/y starting on `start`):
    its active households visited at least once in it and the visits made in it to its
    households (active or not). Visited households are not additive over months, so each
    standard period is kept."""

    __tablename__ = "county_visit_counts"
    __table_args__ = (
        township_fk(),
        PrimaryKeyConstraint("township_id", "kind", "start", "dim", "group_id",
                             name="pk_county_visit_counts"),
    )

    township_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    kind: Mapped[str] = mapped_column(String(1))
    start: Mapped[date] = mapped_column(Date)
    dim: Mapped[str] = mapped_column(String(1))
    group_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    visited: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    visits: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

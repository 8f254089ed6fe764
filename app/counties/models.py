"""Counties, their departments and the roles people hold in a county.

These are platform tables, like `townships` and `users`: a county is not a tenant. What a county
reads of its townships goes through `app.counties.scope` (its own townships only, recorded when it
opens residents' data); a township's rows stay township-scoped as ever.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKeyConstraint, Index, String, UniqueConstraint, Uuid, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models import LabelledEnum, UTCDateTime, new_id, utcnow


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

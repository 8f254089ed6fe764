"""Townships (the tenants) and the service models each one switches on."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models import JSONDoc, TenantScoped, UTCDateTime, new_id, township_fk, utcnow


class Township(db.Model):
    """A township or sub-district: the tenant. A platform table (not tenant-owned)."""

    __tablename__ = "townships"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(80), nullable=False)
    # Short code used in tracking numbers, e.g. HGZ in HGZ-2026-000123.
    code: Mapped[str] = mapped_column(String(8), nullable=False)
    # National Bureau of Statistics division code (9 digits for a township), when known.
    # A division code belongs to at most one township (unique; NULL for none known).
    division_code: Mapped[str | None] = mapped_column(String(12), unique=True)
    # A free-text label kept from before counties were organisations; `county_id` is the link.
    county: Mapped[str | None] = mapped_column(String(80))
    county_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("counties.id", name="fk_townships_county_id"), index=True)
    timezone: Mapped[str] = mapped_column(String(40), default="Asia/Shanghai", nullable=False)
    phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(200))
    # Settings shared by every feature (close-out rules, targets, ...), validated by their owners.
    settings: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict, nullable=False)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    services: Mapped[list[TownshipService]] = relationship(
        back_populates="township", cascade="all, delete-orphan", lazy="selectin"
    )

    def service(self, key: str) -> TownshipService | None:
        return next((s for s in self.services if s.key == key), None)

    def service_enabled(self, key: str) -> bool:
        entry = self.service(key)
        return bool(entry and entry.enabled)

    def __repr__(self) -> str:  # never personal data here: townships are public
        return f"<Township {self.slug}>"


class TownshipService(TenantScoped, db.Model):
    """One service model's switch and settings for one township."""

    __tablename__ = "township_services"
    __table_args__ = (
        township_fk(),
        UniqueConstraint("township_id", "key", name="uq_township_services_township_key"),
    )

    key: Mapped[str] = mapped_column(String(20), nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict, nullable=False)

    township: Mapped[Township] = relationship(back_populates="services")


class CalendarDay(TenantScoped, db.Model):
    """A township's own holiday or make-up working day (调休), for years the library lacks."""

    __tablename__ = "calendar_days"
    __table_args__ = (
        township_fk(),
        UniqueConstraint("township_id", "day", name="uq_calendar_days_township_day"),
    )

    day: Mapped[date] = mapped_column(Date, nullable=False)
    is_workday: Mapped[bool] = mapped_column(Boolean, nullable=False)
    note: Mapped[str] = mapped_column(String(60), default="", nullable=False)

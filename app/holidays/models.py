"""The national schedule: which years are entered, and their holidays and make-up working days.

Platform tables (no township): one schedule holds for every township.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models import UTCDateTime, utcnow


class NationalYear(db.Model):
    """A year whose national schedule has been entered (its days are in NationalDay)."""

    __tablename__ = "national_calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    entered_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))


class NationalDay(db.Model):
    """One day of a national schedule: a holiday (休) or a make-up working day (班)."""

    __tablename__ = "national_calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    year: Mapped[int] = mapped_column(
        ForeignKey("national_calendar_years.year", ondelete="CASCADE"), index=True,
        nullable=False)
    is_workday: Mapped[bool] = mapped_column(Boolean, nullable=False)
    name: Mapped[str] = mapped_column(String(40), default="", nullable=False)

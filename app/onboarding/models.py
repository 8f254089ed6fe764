"""Onboarding drafts: a township being set up in the browser, step by step, resumable."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models import JSONDoc, UTCDateTime, new_id, utcnow


class OnboardingDraft(db.Model):
    """Everything typed so far, kept as it was typed (valid or not), until the township exists.

    Platform-wide, not a tenant row: the township does not exist until the last step.
    """

    __tablename__ = "onboarding_drafts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    owner_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    step: Mapped[str] = mapped_column(String(20), default="place", nullable=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict, nullable=False)
    # Set when the draft was started from an onboarding link: it may make that township only.
    link_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("onboarding_links.id", ondelete="SET NULL"))
    created_township: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("townships.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow,
                                                 nullable=False)


class OnboardingLink(db.Model):
    """A one-time, expiring link with which one named person sets up one township and becomes
    its first administrator. Issued by the platform operator, or by a county administrator for a
    township of its county. The link's secret is kept only as a hash."""

    __tablename__ = "onboarding_links"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    # The township to be: its 9-digit division code, or only a name without the division list.
    division_code: Mapped[str | None] = mapped_column(String(12))
    township_name: Mapped[str] = mapped_column(String(80), nullable=False)
    # Its first administrator: who the link is for (the account is made or found on opening).
    person_name: Mapped[str] = mapped_column(String(40), nullable=False)
    username: Mapped[str] = mapped_column(String(60), nullable=False)
    phone: Mapped[str | None] = mapped_column(String(20))
    issued_by_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    county_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("counties.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_by_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    issued_by = relationship("User", foreign_keys=[issued_by_id])
    used_by = relationship("User", foreign_keys=[used_by_id])
    county = relationship("County")

    def status(self, now: datetime | None = None) -> str:
        """"withdrawn", "used", "expired" or "open"."""
        if self.withdrawn_at is not None:
            return "withdrawn"
        if self.used_at is not None:
            return "used"
        if self.expires_at <= (now or utcnow()):
            return "expired"
        return "open"

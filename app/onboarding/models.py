"""Onboarding drafts: a township being set up in the browser, step by step, resumable."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

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
    created_township: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("townships.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow,
                                                 nullable=False)

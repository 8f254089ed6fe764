"""API keys of the systems that send requests to a township through Open311."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models import TenantScoped, Timestamped, UTCDateTime, township_fk


class ApiKey(TenantScoped, Timestamped, db.Model):
    """One sending system's key: stored as a SHA-256 hash, shown once when issued; revoked,
    never deleted (the matters it sent keep naming it)."""

    __tablename__ = "api_keys"
    __table_args__ = (
        township_fk(),
        ForeignKeyConstraint(["created_by_id"], ["users.id"]),
        Index("ix_api_keys_township_hash", "township_id", "key_hash", unique=True),
    )

    name: Mapped[str] = mapped_column(String(80), nullable=False)  # the sending system
    key_prefix: Mapped[str] = mapped_column(String(8), nullable=False)  # shown to tell keys apart
    key_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def active(self) -> bool:
        return self.revoked_at is None

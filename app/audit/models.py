"""Audit events (DESIGN §4 extended beyond matters): one append-only row per change.

A matter keeps its own timeline (`MatterEvent`); everything else a township changes (the registry,
accounts and roles, service-model settings, channel rules, the calendar, the catalogue, publication
decisions, a staff member's "show the full phone number") is recorded here.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKeyConstraint, Index, String, Uuid, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models import JSONDoc, TenantScoped, UTCDateTime, township_fk, utcnow


class AuditEvent(TenantScoped, db.Model):
    """One change to a township's data. Never updated, never deleted."""

    __tablename__ = "audit_events"
    __table_args__ = (
        township_fk(),
        ForeignKeyConstraint(["actor_id"], ["users.id"], ondelete="SET NULL"),
        Index("ix_audit_events_township_at", "township_id", "at"),
        Index("ix_audit_events_township_target", "township_id", "target_type", "target_id"),
        Index("ix_audit_events_township_actor_at", "township_id", "actor_id", "at"),
    )

    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # Who acted when it was not a signed-in user: "system", "import", "county" ...
    actor_kind: Mapped[str] = mapped_column(String(12), default="user", nullable=False)
    # What was done, as "<area>.<verb>": "household.edit", "account.deactivate", "phone.show" ...
    action: Mapped[str] = mapped_column(String(60), nullable=False)
    # What it was done to: a model's table name and the row's id (as text: any key fits).
    target_type: Mapped[str | None] = mapped_column(String(40))
    target_id: Mapped[str | None] = mapped_column(String(64))
    # A short line for people, in the township's language, masked like everything here.
    summary: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)

    actor = relationship("User", foreign_keys=[actor_id])


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _audit_is_append_only(mapper, connection, target):
    raise RuntimeError("audit events are append-only")

"""The hotline (便民热线): a log of the calls it takes, and the township's response templates."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKeyConstraint, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models import (
    LabelledEnum,
    TenantScoped,
    Timestamped,
    UTCDateTime,
    tenant_fk,
    tenant_relationship,
    township_fk,
)


class CallOutcome(LabelledEnum):
    """What became of a call."""

    NEW_MATTER = "new_matter"  # registered as a new matter of the ledger
    EXISTING = "existing"  # about a matter already in the ledger (its number recorded)
    ADVICE = "advice"  # answered on the phone; nothing to follow up

    @classmethod
    def labels(cls) -> dict[str, str]:
        from flask_babel import gettext as _

        return {"new_matter": _("登记为新事项"), "existing": _("已有事项（查询/催办）"),
                "advice": _("当场解答")}


class HotlineCall(TenantScoped, Timestamped, db.Model):
    """One call taken on the hotline: when, from which number, who took it, what became of it."""

    __tablename__ = "hotline_calls"
    __table_args__ = (
        township_fk(),
        tenant_fk("matter_id", "matters"),
        ForeignKeyConstraint(["taken_by_id"], ["users.id"]),
        Index("ix_hotline_calls_township_called_at", "township_id", "called_at"),
        Index("ix_hotline_calls_township_tail", "township_id", "number_tail"),
    )

    called_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    number: Mapped[str] = mapped_column(String(20), nullable=False)  # as app.validation stores it
    number_tail: Mapped[str] = mapped_column(String(4), nullable=False)
    taken_by_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    outcome: Mapped[str] = mapped_column(String(12), nullable=False)
    matter_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    category: Mapped[str | None] = mapped_column(String(20))
    caller_name: Mapped[str] = mapped_column(String(40), default="", nullable=False)
    summary: Mapped[str] = mapped_column(Text, default="", nullable=False)
    reply: Mapped[str] = mapped_column(Text, default="", nullable=False)  # the advice given

    taken_by = relationship("User", foreign_keys=[taken_by_id])
    matter = tenant_relationship("HotlineCall", "Matter", "matter_id")


class ResponseTemplate(TenantScoped, Timestamped, db.Model):
    """A reply text staff pick for a category and edit before sending; retired, never deleted."""

    __tablename__ = "response_templates"
    __table_args__ = (
        township_fk(),
        Index("ix_response_templates_township_category", "township_id", "category"),
    )

    category: Mapped[str] = mapped_column(String(20), nullable=False)  # a FindingKind value
    title: Mapped[str] = mapped_column(String(60), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    sort_order: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

"""Errands (代办) carried by village assistants, and the custody of the documents they carry."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKeyConstraint, Index, Integer, String, Uuid
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


class Holder(LabelledEnum):
    """Where a document is: the four hand-overs of an errand move it along this list; a document
    may instead end kept by the office (who keeps it and why) or used up (photos for the new card).
    A document the office issued (the new card) starts with the assistant and ends, signed for,
    with the resident."""

    ASSISTANT = "assistant"  # received from the resident
    CENTRE = "centre"  # handed to the centre
    RETURNED_TO_ASSISTANT = "back"  # the centre gave it back
    RESIDENT = "resident"  # returned to its owner, who confirmed
    KEPT = "kept"  # kept by the office (holder_name: who; note: why)
    USED = "used"  # used up in the handling (photos stuck on the new card, a form filed)

    @classmethod
    def labels(cls) -> dict[str, str]:
        from flask_babel import gettext as _

        return {
            "assistant": _("在代办员手中"),
            "centre": _("在中心"),
            "back": _("已退回代办员"),
            "resident": _("已归还群众"),
            "kept": _("乡镇留存"),
            "used": _("办理中已用掉"),
        }


FINAL_HOLDERS = frozenset({Holder.RESIDENT, Holder.KEPT, Holder.USED})


class Errand(TenantScoped, Timestamped, db.Model):
    """An errand: a matter of channel `proxy` carried by a village assistant."""

    __tablename__ = "errands"
    __table_args__ = (
        township_fk(),
        tenant_fk("matter_id", "matters", ondelete="CASCADE"),
        ForeignKeyConstraint(["assistant_id"], ["users.id"]),
        Index("ix_errands_township_assistant", "township_id", "assistant_id"),
        Index("ix_errands_township_matter", "township_id", "matter_id", unique=True),
    )

    matter_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    assistant_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)

    matter = tenant_relationship("Errand", "Matter", "matter_id")
    assistant = relationship("User", foreign_keys=[assistant_id])
    documents: Mapped[list[ErrandDocument]] = relationship(
        primaryjoin="and_(ErrandDocument.township_id == Errand.township_id, "
        "foreign(ErrandDocument.errand_id) == Errand.id)",
        viewonly=True,
        order_by="ErrandDocument.position",
    )


class ErrandDocument(TenantScoped, Timestamped, db.Model):
    """One document handed over for an errand, and who holds it now."""

    __tablename__ = "errand_documents"
    __table_args__ = (
        township_fk(),
        tenant_fk("errand_id", "errands", ondelete="CASCADE"),
        Index("ix_errand_documents_township_errand", "township_id", "errand_id"),
    )

    errand_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    position: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    name: Mapped[str] = mapped_column(String(60), nullable=False)
    is_original: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    copies: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    holder: Mapped[str] = mapped_column(String(12), default=Holder.ASSISTANT, nullable=False)
    # The person holding it now (the assistant, or who received it at the centre).
    holder_name: Mapped[str] = mapped_column(String(40), default="", nullable=False)
    moved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A document the office issued for the resident (the new card), not one taken from them.
    issued: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # Why the office keeps it, or what it was used for.
    note: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    # Who signed for it when it was handed back (the resident, or the family member who took it).
    signed_by: Mapped[str | None] = mapped_column(String(40))
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_final(self) -> bool:
        return Holder(self.holder) in FINAL_HOLDERS

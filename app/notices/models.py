"""Jobs (a transactional outbox), stored documents and in-app notifications (DESIGN §7).

A job row is written in the same transaction as the change that asks for it: a rollback drops
it, a commit never loses it. It is handed to RQ (or run in-process) only after the commit; the
row then records attempts, the last error and when to try again.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Date,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models import (
    JSONDoc,
    LabelledEnum,
    TenantScoped,
    UTCDateTime,
    tenant_fk,
    township_fk,
    utcnow,
)


class JobState(LabelledEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @classmethod
    def labels(cls) -> dict[str, str]:
        from flask_babel import gettext as _

        return {"pending": _("排队中"), "running": _("运行中"), "done": _("已完成"),
                "failed": _("失败")}


class JobRecord(TenantScoped, db.Model):
    """One job to run: `func(township_id, *args)`; ids only, so a retry sees current data."""

    __tablename__ = "job_records"
    __table_args__ = (
        township_fk(),
        Index("ix_job_records_state_next", "state", "next_attempt_at"),
    )

    func: Mapped[str] = mapped_column(String(120), nullable=False)
    args: Mapped[list[Any]] = mapped_column(JSONDoc, default=list, nullable=False)
    state: Mapped[str] = mapped_column(String(10), default=JobState.PENDING, nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    max_attempts: Mapped[int] = mapped_column(Integer, default=4, nullable=False)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # When it was last handed to Redis; a pending row not handed over for a while is pushed again.
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str] = mapped_column(Text, default="", nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # When a worker claimed it; a row "running" far longer than a job may is a lost worker's.
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DocumentState(LabelledEnum):
    QUEUED = "queued"
    RENDERING = "rendering"
    READY = "ready"
    FAILED = "failed"

    @classmethod
    def labels(cls) -> dict[str, str]:
        from flask_babel import gettext as _

        return {"queued": _("排队中"), "rendering": _("生成中"), "ready": _("已生成"),
                "failed": _("生成失败")}


class Document(TenantScoped, db.Model):
    """A generated PDF: who asked, which kind, about what, and where the file is.

    A batch (app.notices.batches) is a document whose parts are documents too: each part has
    `batch_id` (its batch) and `position`, is rendered by its own job and downloaded on its own;
    the batch's file is the parts merged, made once the last part is ready.
    """

    __tablename__ = "documents"
    __table_args__ = (
        township_fk(),
        ForeignKeyConstraint(["requested_by_id"], ["users.id"], ondelete="SET NULL"),
        tenant_fk("batch_id", "documents", ondelete="CASCADE"),
        Index("ix_documents_township_kind_subject", "township_id", "kind", "subject_id"),
        Index("ix_documents_township_batch", "township_id", "batch_id", "position"),
    )

    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    subject_id: Mapped[str] = mapped_column(String(80), nullable=False)
    title: Mapped[str] = mapped_column(String(160), default="", nullable=False)
    requested_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    state: Mapped[str] = mapped_column(String(10), default=DocumentState.QUEUED, nullable=False)
    progress: Mapped[int] = mapped_column(Integer, default=0, nullable=False)  # 0..100
    progress_note: Mapped[str] = mapped_column(String(120), default="", nullable=False)
    # What it was made from (e.g. the matter's number and state at the time), for the record.
    source: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict, nullable=False)
    storage_key: Mapped[str | None] = mapped_column(String(200))
    size: Mapped[int | None] = mapped_column(Integer)
    pages: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(Text, default="", nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    batch_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    position: Mapped[int | None] = mapped_column(Integer)

    @property
    def state_label(self) -> str:
        return DocumentState(self.state).label

    @property
    def download_name(self) -> str:
        return f"{self.title or self.kind}-{self.created_at:%Y%m%d}.pdf"


class Notification(TenantScoped, db.Model):
    """A reminder to one person. `occasion` is unique per person: a sweep run twice sends once."""

    __tablename__ = "notifications"
    __table_args__ = (
        township_fk(),
        ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        UniqueConstraint("township_id", "user_id", "occasion", name="uq_notifications_occasion"),
        Index("ix_notifications_user_unread", "township_id", "user_id", "read_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    occasion: Mapped[str] = mapped_column(String(160), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    link: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emailed_on: Mapped[date | None] = mapped_column(Date)


class ResidentConsent(TenantScoped, db.Model):
    """A resident agreed, at intake, to be told about their own matter (告知同意).

    One row per matter, whatever the channel: when and where they agreed, who recorded it, the
    phone and e-mail to reach them, and the token of the link that stops the messages (no
    sign-in). Stopping keeps the row (`stopped_at`), so the agreement's history stays. The
    hall's reminder to bring missing documents is sent under the same agreement.
    """

    __tablename__ = "resident_consents"
    __table_args__ = (
        township_fk(),
        ForeignKeyConstraint(["township_id", "matter_id"], ["matters.township_id", "matters.id"],
                             ondelete="CASCADE"),
        ForeignKeyConstraint(["recorded_by_id"], ["users.id"]),
        UniqueConstraint("township_id", "matter_id", name="uq_resident_consents_matter"),
        UniqueConstraint("township_id", "token", name="uq_resident_consents_token"),
    )

    matter_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(120))
    # The channel where they agreed (a Channel value: hall, proxy, online, phone ...).
    given_at: Mapped[str] = mapped_column(String(12), nullable=False)
    agreed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    token: Mapped[str] = mapped_column(String(43), nullable=False)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def active(self) -> bool:
        return self.stopped_at is None


class ResidentMessage(TenantScoped, db.Model):
    """One message to a resident about one public step of their matter, on one channel.

    Unique per matter, step and channel: a step recorded twice, or a job run twice, sends once.
    `recipient` is masked (never the full phone); `state` is pending, sent (the gateway
    accepted it), failed (it refused; retried) or stopped (they unsubscribed before it left).
    """

    __tablename__ = "resident_messages"
    __table_args__ = (
        township_fk(),
        ForeignKeyConstraint(["township_id", "matter_id"], ["matters.township_id", "matters.id"],
                             ondelete="CASCADE"),
        UniqueConstraint("township_id", "matter_id", "step", "channel",
                         name="uq_resident_messages_step"),
        Index("ix_resident_messages_township_matter", "township_id", "matter_id", "created_at"),
    )

    matter_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    # received, referred, replied, closed, or revisit:<revisit id>; with the stage when reopened.
    step: Mapped[str] = mapped_column(String(60), nullable=False)
    channel: Mapped[str] = mapped_column(String(8), nullable=False)  # sms | email
    recipient: Mapped[str] = mapped_column(String(120), nullable=False)  # masked
    text: Mapped[str] = mapped_column(Text, nullable=False)
    state: Mapped[str] = mapped_column(String(10), default="pending", nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    error: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

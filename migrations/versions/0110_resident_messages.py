"""notices: residents' agreement to be told about their matter, and the messages sent to them

The hall's consent to SMS reminders (matters.extra["notify_consent"]) becomes a consent row of
its own, so every channel records the agreement the same way.

Revision ID: 0110_resident_messages
Revises: 0120_rls_setting_once
"""
import json
import secrets

from alembic import op
import sqlalchemy as sa

import app.models
from app.migration_helpers import disable_tenant_rls, enable_tenant_rls

revision = "0110_resident_messages"
down_revision = "0120_rls_setting_once"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "resident_consents",
        sa.Column("matter_id", sa.Uuid(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=120), nullable=True),
        sa.Column("given_at", sa.String(length=12), nullable=False),
        sa.Column("agreed_at", app.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=True),
        sa.Column("token", sa.String(length=43), nullable=False),
        sa.Column("stopped_at", app.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("township_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"],
                                name=op.f("fk_resident_consents_recorded_by_id_users")),
        sa.ForeignKeyConstraint(["township_id", "matter_id"],
                                ["matters.township_id", "matters.id"],
                                name=op.f("fk_resident_consents_township_id_matters"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["township_id"], ["townships.id"],
                                name=op.f("fk_resident_consents_township_id_townships"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("township_id", "id", name=op.f("pk_resident_consents")),
        sa.UniqueConstraint("township_id", "matter_id", name="uq_resident_consents_matter"),
        sa.UniqueConstraint("township_id", "token", name="uq_resident_consents_token"),
    )
    enable_tenant_rls(op, "resident_consents")
    op.create_table(
        "resident_messages",
        sa.Column("matter_id", sa.Uuid(), nullable=False),
        sa.Column("step", sa.String(length=60), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("recipient", sa.String(length=120), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=200), nullable=False),
        sa.Column("created_at", app.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", app.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("township_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["township_id", "matter_id"],
                                ["matters.township_id", "matters.id"],
                                name=op.f("fk_resident_messages_township_id_matters"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["township_id"], ["townships.id"],
                                name=op.f("fk_resident_messages_township_id_townships"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("township_id", "id", name=op.f("pk_resident_messages")),
        sa.UniqueConstraint("township_id", "matter_id", "step", "channel",
                            name="uq_resident_messages_step"),
    )
    op.create_index("ix_resident_messages_township_matter", "resident_messages",
                    ["township_id", "matter_id", "created_at"])
    enable_tenant_rls(op, "resident_messages")
    _fold_hall_consent()


def _fold_hall_consent():
    """Hall matters whose resident agreed to SMS reminders keep that agreement as a row."""
    import uuid
    from datetime import datetime

    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT township_id, id, contact_phone, extra, created_by_id, received_at FROM matters "
        "WHERE channel = 'hall'")).all()
    consents = sa.table(
        "resident_consents", sa.column("township_id", sa.Uuid()), sa.column("id", sa.Uuid()),
        sa.column("matter_id", sa.Uuid()), sa.column("phone", sa.String()),
        sa.column("given_at", sa.String()),
        sa.column("agreed_at", app.models.UTCDateTime(timezone=True)),
        sa.column("recorded_by_id", sa.Uuid()), sa.column("token", sa.String()))
    values = []
    for township_id, matter_id, phone, extra, created_by, received_at in rows:
        extra = json.loads(extra) if isinstance(extra, str) else (extra or {})
        if not extra.get("notify_consent"):
            continue
        if isinstance(received_at, str):
            received_at = datetime.fromisoformat(received_at)
        values.append({"township_id": township_id, "id": uuid.uuid4(), "matter_id": matter_id,
                       "phone": phone, "given_at": "hall", "recorded_by_id": created_by,
                       "agreed_at": received_at,
                       "token": secrets.token_urlsafe(24)})
    if values:
        op.bulk_insert(consents, values)


def downgrade():
    disable_tenant_rls(op, "resident_messages")
    op.drop_index("ix_resident_messages_township_matter", table_name="resident_messages")
    op.drop_table("resident_messages")
    disable_tenant_rls(op, "resident_consents")
    op.drop_table("resident_consents")

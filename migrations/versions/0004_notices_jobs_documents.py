"""notices: job outbox, stored documents, notifications

Revision ID: 0004_notices_jobs_documents
Revises: 0001_base
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from app.migration_helpers import disable_tenant_rls, enable_tenant_rls

revision = "0004_notices_jobs_documents"
down_revision = "0001_base"
branch_labels = None
depends_on = None

JSONDoc = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
TABLES = ("job_records", "documents", "notifications")


def _tenant_columns():
    return [sa.Column("township_id", sa.Uuid(), nullable=False),
            sa.Column("id", sa.Uuid(), nullable=False)]


def upgrade():
    op.create_table(
        "job_records",
        sa.Column("func", sa.String(length=120), nullable=False),
        sa.Column("args", JSONDoc, nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        *_tenant_columns(),
        sa.ForeignKeyConstraint(["township_id"], ["townships.id"],
                                name=op.f("fk_job_records_township_id_townships"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("township_id", "id", name=op.f("pk_job_records")),
    )
    op.create_index("ix_job_records_state_next", "job_records", ["state", "next_attempt_at"])
    op.create_table(
        "documents",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=160), nullable=False),
        sa.Column("requested_by_id", sa.Uuid(), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("progress_note", sa.String(length=120), nullable=False),
        sa.Column("source", JSONDoc, nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        *_tenant_columns(),
        sa.ForeignKeyConstraint(["requested_by_id"], ["users.id"],
                                name=op.f("fk_documents_requested_by_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["township_id"], ["townships.id"],
                                name=op.f("fk_documents_township_id_townships"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("township_id", "id", name=op.f("pk_documents")),
    )
    op.create_index("ix_documents_township_kind_subject", "documents",
                    ["township_id", "kind", "subject_id"])
    op.create_table(
        "notifications",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("occasion", sa.String(length=160), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("emailed_on", sa.Date(), nullable=True),
        *_tenant_columns(),
        sa.ForeignKeyConstraint(["township_id"], ["townships.id"],
                                name=op.f("fk_notifications_township_id_townships"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_notifications_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("township_id", "id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("township_id", "user_id", "occasion",
                            name="uq_notifications_occasion"),
    )
    op.create_index("ix_notifications_user_unread", "notifications",
                    ["township_id", "user_id", "read_at"])
    for table in TABLES:
        enable_tenant_rls(op, table)


def downgrade():
    for table in TABLES:
        disable_tenant_rls(op, table)
    op.drop_table("notifications")
    op.drop_table("documents")
    op.drop_table("job_records")

"""cadres: minutes with attendance (会议纪要) for assemblies and studio sessions

Revision ID: 0093_cadres_meeting_minutes
Revises: 0092_assembly_withdrawn
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import app.models
from app.migration_helpers import disable_tenant_rls, enable_tenant_rls

revision = "0093_cadres_meeting_minutes"
down_revision = "0092_assembly_withdrawn"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "meeting_minutes",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("place", sa.String(length=120), nullable=False),
        sa.Column("chair", sa.String(length=40), nullable=False),
        sa.Column("attendance", sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()),
                                                       "postgresql"), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("decisions", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=True),
        sa.Column("township_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", app.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"],
                                name=op.f("fk_meeting_minutes_recorded_by_id_users")),
        sa.ForeignKeyConstraint(["township_id"], ["townships.id"],
                                name=op.f("fk_meeting_minutes_township_id_townships"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("township_id", "id", name=op.f("pk_meeting_minutes")),
        sa.UniqueConstraint("township_id", "kind", "subject_id",
                            name="uq_meeting_minutes_subject"),
    )
    enable_tenant_rls(op, "meeting_minutes")


def downgrade():
    disable_tenant_rls(op, "meeting_minutes")
    op.drop_table("meeting_minutes")

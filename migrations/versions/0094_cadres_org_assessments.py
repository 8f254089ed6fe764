"""cadres: the organisation's yearly score of a cadre (组织评价), beside residents' rounds

Revision ID: 0094_cadres_org_assessments
Revises: 0093_cadres_meeting_minutes
"""
from alembic import op
import sqlalchemy as sa

import app.models
from app.migration_helpers import disable_tenant_rls, enable_tenant_rls

revision = "0094_cadres_org_assessments"
down_revision = "0093_cadres_meeting_minutes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "org_assessments",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("cadre_id", sa.Uuid(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("assessor_id", sa.Uuid(), nullable=True),
        sa.Column("township_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", app.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["assessor_id"], ["users.id"],
                                name=op.f("fk_org_assessments_assessor_id_users")),
        sa.ForeignKeyConstraint(["cadre_id"], ["users.id"],
                                name=op.f("fk_org_assessments_cadre_id_users")),
        sa.ForeignKeyConstraint(["township_id"], ["townships.id"],
                                name=op.f("fk_org_assessments_township_id_townships"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("township_id", "id", name=op.f("pk_org_assessments")),
        sa.UniqueConstraint("township_id", "year", "cadre_id",
                            name="uq_org_assessments_cadre_year"),
    )
    enable_tenant_rls(op, "org_assessments")


def downgrade():
    disable_tenant_rls(op, "org_assessments")
    op.drop_table("org_assessments")

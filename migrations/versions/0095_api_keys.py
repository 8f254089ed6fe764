"""api: the keys of systems that send requests through Open311 (hashed, revoked not deleted)

Revision ID: 0095_api_keys
Revises: 0094_cadres_org_assessments
"""
from alembic import op
import sqlalchemy as sa

import app.models
from app.migration_helpers import disable_tenant_rls, enable_tenant_rls

revision = "0095_api_keys"
down_revision = "0094_cadres_org_assessments"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "api_keys",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("key_prefix", sa.String(length=8), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("revoked_at", app.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", app.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("township_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", app.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_api_keys_created_by_id_users")),
        sa.ForeignKeyConstraint(["township_id"], ["townships.id"],
                                name=op.f("fk_api_keys_township_id_townships"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("township_id", "id", name=op.f("pk_api_keys")),
    )
    op.create_index("ix_api_keys_township_hash", "api_keys", ["township_id", "key_hash"],
                    unique=True)
    enable_tenant_rls(op, "api_keys")


def downgrade():
    disable_tenant_rls(op, "api_keys")
    op.drop_index("ix_api_keys_township_hash", table_name="api_keys")
    op.drop_table("api_keys")

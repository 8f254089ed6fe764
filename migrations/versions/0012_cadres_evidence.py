"""cadres: a photo or scan attached as evidence to a required action's occurrence

Revision ID: 0012_cadres_evidence
Revises: 0011_cadres_units
"""
from alembic import op
import sqlalchemy as sa

revision = "0012_cadres_evidence"
down_revision = "0011_cadres_units"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("action_occurrences") as batch_op:
        batch_op.add_column(sa.Column("attachment_key", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("attachment_name", sa.String(length=120), nullable=True))


def downgrade():
    with op.batch_alter_table("action_occurrences") as batch_op:
        batch_op.drop_column("attachment_name")
        batch_op.drop_column("attachment_key")

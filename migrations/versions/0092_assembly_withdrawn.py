"""assembly: a criticism withdrawn before it is scored, kept with its reason

Revision ID: 0092_assembly_withdrawn
Revises: 0091_studio_case_text
"""
from alembic import op
import sqlalchemy as sa

import app.models

revision = "0092_assembly_withdrawn"
down_revision = "0091_studio_case_text"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("criticisms") as batch_op:
        batch_op.add_column(sa.Column("withdrawn_at", app.models.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column("withdrawn_reason", sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table("criticisms") as batch_op:
        batch_op.drop_column("withdrawn_reason")
        batch_op.drop_column("withdrawn_at")

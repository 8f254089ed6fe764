"""ledger: the rates' counts per village and local month (rate_summaries), kept with the rows,
and an index of revisits by matter (the summary finds a matter's revisits)

Revision ID: 0124_rate_summaries
Revises: 0121_document_batches
"""
from alembic import op
import sqlalchemy as sa

from app.migration_helpers import disable_tenant_rls, enable_tenant_rls

revision = "0124_rate_summaries"
down_revision = "0121_document_batches"
branch_labels = None
depends_on = None

COUNTS = ("received", "resolved", "on_time", "responded", "rated", "satisfied", "revisits_due",
          "revisits_done")


def upgrade():
    op.create_table(
        "rate_summaries",
        sa.Column("township_id", sa.Uuid(), nullable=False),
        sa.Column("village_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
        sa.ForeignKeyConstraint(["township_id"], ["townships.id"],
                                name=op.f("fk_rate_summaries_township_id_townships"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("township_id", "village_id", "month", name="pk_rate_summaries"),
    )
    enable_tenant_rls(op, "rate_summaries")
    op.create_index("ix_revisits_township_matter", "revisits", ["township_id", "matter_id"])
    # Filled from the rows by `minqing migrate` (app.cli.migrate_database) once this has run.


def downgrade():
    op.drop_index("ix_revisits_township_matter", table_name="revisits")
    disable_tenant_rls(op, "rate_summaries")
    op.drop_table("rate_summaries")

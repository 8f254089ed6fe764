"""ledger: an index in the list's default order (due date, then received)

Revision ID: 0013_ledger_due_order
Revises: 0002_ledger_spot_checks
"""
from alembic import op

revision = "0013_ledger_due_order"
down_revision = "0002_ledger_spot_checks"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_matters_township_due_received", "matters",
                    ["township_id", "due_on", "received_at"], unique=False)


def downgrade():
    op.drop_index("ix_matters_township_due_received", table_name="matters")

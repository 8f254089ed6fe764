"""hall, assembly: the resident's agreement to be told, given before their matter exists

A booking made online and a criticism collected before the assembly become matters later (at the
window, after the scoring); until then the agreement waits on the booking or the criticism.

Revision ID: 0111_intake_consent
Revises: 0110_resident_messages
"""
from alembic import op
import sqlalchemy as sa

revision = "0111_intake_consent"
down_revision = "0110_resident_messages"
branch_labels = None
depends_on = None


def upgrade():
    for table in ("hall_bookings", "criticisms"):
        op.add_column(table, sa.Column("notify_consent", sa.Boolean(), nullable=False,
                                       server_default=sa.false()))


def downgrade():
    for table in ("hall_bookings", "criticisms"):
        op.drop_column(table, "notify_consent")

"""assembly: the day it was actually held (opened), and the reason when it opened before its
announced day

Revision ID: 0021_assembly_started_on
Revises: 0020_holidays_national_calendar
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0021_assembly_started_on'
down_revision = '0020_holidays_national_calendar'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('assemblies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('started_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('early_start_reason', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('assemblies', schema=None) as batch_op:
        batch_op.drop_column('early_start_reason')
        batch_op.drop_column('started_on')

"""national calendar: the State Council's holidays and make-up working days (放假安排), entered by
the platform operator once for every township, for years the calendar library does not know

Revision ID: 0020_holidays_national_calendar
Revises: 0016_audit_counties
"""
from alembic import op
import sqlalchemy as sa

import app.models

# revision identifiers, used by Alembic.
revision = '0020_holidays_national_calendar'
down_revision = '0016_audit_counties'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('national_calendar_years',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('entered_at', app.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('entered_by_id', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['entered_by_id'], ['users.id'], name=op.f('fk_national_calendar_years_entered_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_national_calendar_years'))
    )
    op.create_table('national_calendar_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('is_workday', sa.Boolean(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['year'], ['national_calendar_years.year'], name=op.f('fk_national_calendar_days_year_national_calendar_years'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_national_calendar_days'))
    )
    with op.batch_alter_table('national_calendar_days', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_national_calendar_days_year'), ['year'], unique=False)


def downgrade():
    with op.batch_alter_table('national_calendar_days', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_national_calendar_days_year'))
    op.drop_table('national_calendar_days')
    op.drop_table('national_calendar_years')

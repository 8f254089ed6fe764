"""counties: a county supervisor's spot-check across its townships (grouping the townships' own
spot-checks) and the quarterly county 民情地图 meeting reports (PDFs made by a job)

Revision ID: 0081_counties_checks_reports
Revises: 0080_counties_escalations
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import app.models

# revision identifiers, used by Alembic.
revision = '0081_counties_checks_reports'
down_revision = '0080_counties_escalations'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('county_reports',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('county_id', sa.Uuid(), nullable=False),
    sa.Column('quarter', sa.String(length=7), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('progress_note', sa.String(length=120), nullable=False),
    sa.Column('storage_key', sa.String(length=200), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('requested_by_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', app.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', app.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['county_id'], ['counties.id'], name=op.f('fk_county_reports_county_id_counties'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_county_reports_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_county_reports'))
    )
    with op.batch_alter_table('county_reports', schema=None) as batch_op:
        batch_op.create_index('ix_county_reports_county_quarter', ['county_id', 'quarter'], unique=False)

    op.create_table('county_spot_checks',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('county_id', sa.Uuid(), nullable=False),
    sa.Column('supervisor_id', sa.Uuid(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('parts', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', app.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['county_id'], ['counties.id'], name=op.f('fk_county_spot_checks_county_id_counties'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['supervisor_id'], ['users.id'], name=op.f('fk_county_spot_checks_supervisor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_county_spot_checks'))
    )
    with op.batch_alter_table('county_spot_checks', schema=None) as batch_op:
        batch_op.create_index('ix_county_spot_checks_county', ['county_id', 'created_at'], unique=False)



def downgrade():
    with op.batch_alter_table('county_spot_checks', schema=None) as batch_op:
        batch_op.drop_index('ix_county_spot_checks_county')

    op.drop_table('county_spot_checks')
    with op.batch_alter_table('county_reports', schema=None) as batch_op:
        batch_op.drop_index('ix_county_reports_county_quarter')

    op.drop_table('county_reports')

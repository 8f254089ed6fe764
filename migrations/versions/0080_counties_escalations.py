"""counties: matters escalated to a county department (四级联动), the county's answering deadline
in working days and its norm of households per contact cadre

Revision ID: 0080_counties_escalations
Revises: 0066_hotline_calls_templates
"""
from alembic import op
import sqlalchemy as sa

import app.models
from app.migration_helpers import disable_tenant_rls, enable_tenant_rls


# revision identifiers, used by Alembic.
revision = '0080_counties_escalations'
down_revision = "0066_hotline_calls_templates"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('county_escalations',
    sa.Column('matter_id', sa.Uuid(), nullable=False),
    sa.Column('county_id', sa.Uuid(), nullable=False),
    sa.Column('department_id', sa.Uuid(), nullable=True),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('escalated_by_id', sa.Uuid(), nullable=True),
    sa.Column('escalated_at', app.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('workdays', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('answered_at', app.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_by_id', sa.Uuid(), nullable=True),
    sa.Column('returned_reason', sa.Text(), nullable=False),
    sa.Column('reminded_on', sa.Date(), nullable=True),
    sa.Column('township_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', app.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_county_escalations_answered_by_id_users')),
    sa.ForeignKeyConstraint(['county_id'], ['counties.id'], name=op.f('fk_county_escalations_county_id_counties')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_county_escalations_department_id_departments')),
    sa.ForeignKeyConstraint(['escalated_by_id'], ['users.id'], name=op.f('fk_county_escalations_escalated_by_id_users')),
    sa.ForeignKeyConstraint(['township_id', 'matter_id'], ['matters.township_id', 'matters.id'], name=op.f('fk_county_escalations_township_id_matter_id_matters'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_county_escalations_township_id_townships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('township_id', 'id', name=op.f('pk_county_escalations'))
    )
    with op.batch_alter_table('county_escalations', schema=None) as batch_op:
        batch_op.create_index('ix_county_escalations_county_state', ['county_id', 'state', 'due_on'], unique=False)
        batch_op.create_index('ix_county_escalations_department', ['department_id', 'state'], unique=False)
        batch_op.create_index('ix_county_escalations_township_matter', ['township_id', 'matter_id'], unique=False)
    enable_tenant_rls(op, "county_escalations")

    with op.batch_alter_table('counties', schema=None) as batch_op:
        batch_op.add_column(sa.Column('escalation_workdays', sa.Integer(), server_default='10', nullable=False))
        batch_op.add_column(sa.Column('households_per_cadre', sa.Integer(), server_default='30', nullable=False))



def downgrade():
    with op.batch_alter_table('counties', schema=None) as batch_op:
        batch_op.drop_column('households_per_cadre')
        batch_op.drop_column('escalation_workdays')

    with op.batch_alter_table('county_escalations', schema=None) as batch_op:
        batch_op.drop_index('ix_county_escalations_township_matter')
        batch_op.drop_index('ix_county_escalations_department')
        batch_op.drop_index('ix_county_escalations_county_state')

    disable_tenant_rls(op, "county_escalations")
    op.drop_table('county_escalations')

"""ledger: spot-checks (抽查) of recorded matters and visits

Revision ID: 0002_ledger_spot_checks
Revises: 0001_base
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from app.migration_helpers import disable_tenant_rls, enable_tenant_rls

JSONDoc = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
TABLES = ("spot_checks", "spot_check_items")

revision = "0002_ledger_spot_checks"
down_revision = "0001_base"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('spot_checks',
    sa.Column('supervisor_id', sa.Uuid(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('rule', JSONDoc, nullable=False),
    sa.Column('township_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['supervisor_id'], ['users.id'], name=op.f('fk_spot_checks_supervisor_id_users')),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_spot_checks_township_id_townships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('township_id', 'id', name=op.f('pk_spot_checks'))
    )
    op.create_table('spot_check_items',
    sa.Column('spot_check_id', sa.Uuid(), nullable=False),
    sa.Column('matter_id', sa.Uuid(), nullable=True),
    sa.Column('visit_id', sa.Uuid(), nullable=True),
    sa.Column('responsible_id', sa.Uuid(), nullable=True),
    sa.Column('confirmed', sa.Boolean(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('called_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('called_by_id', sa.Uuid(), nullable=True),
    sa.Column('township_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['called_by_id'], ['users.id'], name=op.f('fk_spot_check_items_called_by_id_users')),
    sa.ForeignKeyConstraint(['responsible_id'], ['users.id'], name=op.f('fk_spot_check_items_responsible_id_users')),
    sa.ForeignKeyConstraint(['township_id', 'matter_id'], ['matters.township_id', 'matters.id'], name=op.f('fk_spot_check_items_township_id_matter_id_matters'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['township_id', 'spot_check_id'], ['spot_checks.township_id', 'spot_checks.id'], name=op.f('fk_spot_check_items_township_id_spot_check_id_spot_checks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['township_id', 'visit_id'], ['visits.township_id', 'visits.id'], name=op.f('fk_spot_check_items_township_id_visit_id_visits'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_spot_check_items_township_id_townships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('township_id', 'id', name=op.f('pk_spot_check_items'))
    )
    op.create_index('ix_spot_check_items_township_responsible', 'spot_check_items', ['township_id', 'responsible_id'], unique=False)
    for table in TABLES:
        enable_tenant_rls(op, table)


def downgrade():
    for table in TABLES:
        disable_tenant_rls(op, table)
    op.drop_index('ix_spot_check_items_township_responsible', table_name='spot_check_items')
    op.drop_table('spot_check_items')
    op.drop_table('spot_checks')

"""cadres: leaders' contact points, units in classes and their targets

Revision ID: 0011_cadres_units
Revises: 0010_cadres
"""
from alembic import op
import sqlalchemy as sa

from app.migration_helpers import disable_tenant_rls, enable_tenant_rls

TABLES = ("contact_points", "units", "class_targets")

revision = "0011_cadres_units"
down_revision = "0010_cadres"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('class_targets',
    sa.Column('unit_class', sa.String(length=2), nullable=False),
    sa.Column('resolution_pct', sa.Integer(), nullable=False),
    sa.Column('on_time_pct', sa.Integer(), nullable=False),
    sa.Column('satisfaction_pct', sa.Integer(), nullable=False),
    sa.Column('township_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_class_targets_township_id_townships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('township_id', 'id', name=op.f('pk_class_targets')),
    sa.UniqueConstraint('township_id', 'unit_class', name='uq_class_targets_class')
    )
    op.create_table('contact_points',
    sa.Column('leader_id', sa.Uuid(), nullable=False),
    sa.Column('village_id', sa.Uuid(), nullable=False),
    sa.Column('monthly_target', sa.Integer(), nullable=False),
    sa.Column('township_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['leader_id'], ['users.id'], name=op.f('fk_contact_points_leader_id_users')),
    sa.ForeignKeyConstraint(['township_id', 'village_id'], ['villages.township_id', 'villages.id'], name=op.f('fk_contact_points_township_id_village_id_villages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_contact_points_township_id_townships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('township_id', 'id', name=op.f('pk_contact_points')),
    sa.UniqueConstraint('township_id', 'leader_id', 'village_id', name='uq_contact_points_leader_village')
    )
    op.create_table('units',
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('unit_class', sa.String(length=2), nullable=False),
    sa.Column('centre_id', sa.Uuid(), nullable=True),
    sa.Column('village_id', sa.Uuid(), nullable=True),
    sa.Column('township_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['township_id', 'centre_id'], ['centres.township_id', 'centres.id'], name=op.f('fk_units_township_id_centre_id_centres'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['township_id', 'village_id'], ['villages.township_id', 'villages.id'], name=op.f('fk_units_township_id_village_id_villages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_units_township_id_townships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('township_id', 'id', name=op.f('pk_units')),
    sa.UniqueConstraint('township_id', 'name', name='uq_units_township_name')
    )
    for table in TABLES:
        enable_tenant_rls(op, table)


def downgrade():
    for table in TABLES:
        disable_tenant_rls(op, table)
    op.drop_table('units')
    op.drop_table('contact_points')
    op.drop_table('class_targets')

"""audit log and counties: the township's audit events; counties, their departments and roles;
a township's county and a division code that belongs to one township only

Revision ID: 0016_audit_counties
Revises: 0015_merge_heads
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import app.models
from app.migration_helpers import disable_tenant_rls, enable_tenant_rls

# revision identifiers, used by Alembic.
revision = '0016_audit_counties'
down_revision = '0015_merge_heads'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('counties',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=6), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('slug', sa.String(length=40), nullable=False),
    sa.Column('created_at', app.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_counties')),
    sa.UniqueConstraint('code', name=op.f('uq_counties_code')),
    sa.UniqueConstraint('slug', name=op.f('uq_counties_slug'))
    )
    op.create_table('departments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('county_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['county_id'], ['counties.id'], name=op.f('fk_departments_county_id_counties'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_departments')),
    sa.UniqueConstraint('county_id', 'name', name='uq_departments_county_name')
    )
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_departments_county_id'), ['county_id'], unique=False)

    op.create_table('audit_events',
    sa.Column('at', app.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('actor_kind', sa.String(length=12), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('target_type', sa.String(length=40), nullable=True),
    sa.Column('target_id', sa.String(length=64), nullable=True),
    sa.Column('summary', sa.String(length=200), nullable=False),
    sa.Column('before', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True),
    sa.Column('after', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True),
    sa.Column('township_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_audit_events_township_id_townships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('township_id', 'id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_township_actor_at', ['township_id', 'actor_id', 'at'], unique=False)
        batch_op.create_index('ix_audit_events_township_at', ['township_id', 'at'], unique=False)
        batch_op.create_index('ix_audit_events_township_target', ['township_id', 'target_type', 'target_id'], unique=False)
    enable_tenant_rls(op, "audit_events")

    op.create_table('county_grants',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('county_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('department_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', app.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['county_id'], ['counties.id'], name=op.f('fk_county_grants_county_id_counties'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_county_grants_department_id_departments')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_county_grants_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_county_grants')),
    sa.UniqueConstraint('county_id', 'user_id', 'role', 'department_id', name='uq_county_grants_scope')
    )
    with op.batch_alter_table('county_grants', schema=None) as batch_op:
        batch_op.create_index('ix_county_grants_user', ['user_id'], unique=False)

    with op.batch_alter_table('townships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('county_id', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_townships_county_id'), ['county_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_townships_division_code'), ['division_code'])
        batch_op.create_foreign_key('fk_townships_county_id', 'counties', ['county_id'], ['id'])



def downgrade():
    with op.batch_alter_table('townships', schema=None) as batch_op:
        batch_op.drop_constraint('fk_townships_county_id', type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_townships_division_code'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_townships_county_id'))
        batch_op.drop_column('county_id')

    with op.batch_alter_table('county_grants', schema=None) as batch_op:
        batch_op.drop_index('ix_county_grants_user')

    op.drop_table('county_grants')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_township_target')
        batch_op.drop_index('ix_audit_events_township_at')
        batch_op.drop_index('ix_audit_events_township_actor_at')

    disable_tenant_rls(op, "audit_events")
    op.drop_table('audit_events')
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_departments_county_id'))

    op.drop_table('departments')
    op.drop_table('counties')

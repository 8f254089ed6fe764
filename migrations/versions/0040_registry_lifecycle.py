"""registry lifecycle: villages and grids retired or merged, households and residents with a
status (moved away, deceased, dissolved, merged) and a household number, import batches (an
uploaded sheet from its check to its import, the idempotency key of the import)

Revision ID: 0040_registry_lifecycle
Revises: 0030_accounts_lifecycle
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import app.models
from app.migration_helpers import disable_tenant_rls, enable_tenant_rls

# revision identifiers, used by Alembic.
revision = '0040_registry_lifecycle'
down_revision = "0030_accounts_lifecycle"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('import_batches',
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('suffix', sa.String(length=8), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('progress_note', sa.String(length=120), nullable=False),
    sa.Column('total_rows', sa.Integer(), nullable=False),
    sa.Column('counts', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('file_problems', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('bad_rows', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('changes', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('missing', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('checked_at', app.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('confirmed_by_id', sa.Uuid(), nullable=True),
    sa.Column('finished_at', app.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('township_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', app.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'], name=op.f('fk_import_batches_confirmed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_import_batches_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_import_batches_township_id_townships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('township_id', 'id', name=op.f('pk_import_batches'))
    )
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.create_index('ix_import_batches_township_created', ['township_id', 'created_at'], unique=False)
    enable_tenant_rls(op, 'import_batches')

    with op.batch_alter_table('grids', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retired_at', app.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('merged_into_id', sa.Uuid(), nullable=True))

    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.add_column(sa.Column('household_number', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('status', sa.String(length=12), nullable=False, server_default='active'))
        batch_op.add_column(sa.Column('status_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('merged_into_id', sa.Uuid(), nullable=True))
        batch_op.create_index('ix_households_township_number', ['township_id', 'household_number'], unique=False)

    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=12), nullable=False, server_default='active'))
        batch_op.add_column(sa.Column('status_on', sa.Date(), nullable=True))

    with op.batch_alter_table('villages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retired_at', app.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('merged_into_id', sa.Uuid(), nullable=True))



    # Households already inactive before statuses existed: say so.
    op.execute("UPDATE households SET status = 'dissolved' WHERE active = false")


def downgrade():
    with op.batch_alter_table('villages', schema=None) as batch_op:
        batch_op.drop_column('merged_into_id')
        batch_op.drop_column('retired_at')

    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.drop_column('status_on')
        batch_op.drop_column('status')

    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.drop_index('ix_households_township_number')
        batch_op.drop_column('merged_into_id')
        batch_op.drop_column('status_on')
        batch_op.drop_column('status')
        batch_op.drop_column('household_number')

    with op.batch_alter_table('grids', schema=None) as batch_op:
        batch_op.drop_column('merged_into_id')
        batch_op.drop_column('retired_at')

    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.drop_index('ix_import_batches_township_created')

    disable_tenant_rls(op, 'import_batches')
    op.drop_table('import_batches')

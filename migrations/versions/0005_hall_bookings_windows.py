"""hall: opening modes, bookings, windows, duty

Revision ID: 0005_hall_bookings_windows
Revises: 0001_base
"""
from alembic import op
import sqlalchemy as sa

from app.migration_helpers import disable_tenant_rls, enable_tenant_rls


# revision identifiers, used by Alembic.
revision = '0005_hall_bookings_windows'
down_revision = '0001_base'
branch_labels = None
depends_on = None

TABLES = ("hall_opening_modes", "hall_slot_counts", "hall_bookings", "hall_windows",
          "hall_window_duties")


def upgrade():
    op.create_table('hall_opening_modes',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('day_type', sa.String(length=10), nullable=False),
    sa.Column('opens', sa.Time(), nullable=False),
    sa.Column('closes', sa.Time(), nullable=False),
    sa.Column('slot_minutes', sa.Integer(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('cutoff_hours', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('township_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_hall_opening_modes_township_id_townships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('township_id', 'id', name=op.f('pk_hall_opening_modes'))
    )
    op.create_table('hall_slot_counts',
    sa.Column('mode_id', sa.Uuid(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('starts_at', sa.Time(), nullable=False),
    sa.Column('taken', sa.Integer(), nullable=False),
    sa.Column('township_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['township_id', 'mode_id'], ['hall_opening_modes.township_id', 'hall_opening_modes.id'], name=op.f('fk_hall_slot_counts_township_id_mode_id_hall_opening_modes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_hall_slot_counts_township_id_townships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('township_id', 'id', name=op.f('pk_hall_slot_counts')),
    sa.UniqueConstraint('township_id', 'mode_id', 'day', 'starts_at', name='uq_hall_slot_counts_slot')
    )
    op.create_table('hall_bookings',
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('mode_id', sa.Uuid(), nullable=False),
    sa.Column('service_item_id', sa.Uuid(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('starts_at', sa.Time(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('matter_id', sa.Uuid(), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('township_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['township_id', 'matter_id'], ['matters.township_id', 'matters.id'], name=op.f('fk_hall_bookings_township_id_matter_id_matters')),
    sa.ForeignKeyConstraint(['township_id', 'mode_id'], ['hall_opening_modes.township_id', 'hall_opening_modes.id'], name=op.f('fk_hall_bookings_township_id_mode_id_hall_opening_modes')),
    sa.ForeignKeyConstraint(['township_id', 'service_item_id'], ['service_items.township_id', 'service_items.id'], name=op.f('fk_hall_bookings_township_id_service_item_id_service_items')),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_hall_bookings_township_id_townships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('township_id', 'id', name=op.f('pk_hall_bookings')),
    sa.UniqueConstraint('township_id', 'code', name='uq_hall_bookings_code')
    )
    with op.batch_alter_table('hall_bookings', schema=None) as batch_op:
        batch_op.create_index('ix_hall_bookings_township_day', ['township_id', 'day'], unique=False)

    op.create_table('hall_windows',
    sa.Column('name', sa.String(length=30), nullable=False),
    sa.Column('centre_id', sa.Uuid(), nullable=True),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('tablet_token', sa.String(length=40), nullable=False),
    sa.Column('pending_matter_id', sa.Uuid(), nullable=True),
    sa.Column('pending_staff_id', sa.Uuid(), nullable=True),
    sa.Column('pending_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('township_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['pending_staff_id'], ['users.id'], name=op.f('fk_hall_windows_pending_staff_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['township_id', 'centre_id'], ['centres.township_id', 'centres.id'], name=op.f('fk_hall_windows_township_id_centre_id_centres')),
    sa.ForeignKeyConstraint(['township_id', 'pending_matter_id'], ['matters.township_id', 'matters.id'], name=op.f('fk_hall_windows_township_id_pending_matter_id_matters')),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_hall_windows_township_id_townships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('township_id', 'id', name=op.f('pk_hall_windows')),
    sa.UniqueConstraint('township_id', 'tablet_token', name='uq_hall_windows_tablet_token'),
    sa.UniqueConstraint('township_id', 'name', name='uq_hall_windows_name')
    )
    op.create_table('hall_window_duties',
    sa.Column('window_id', sa.Uuid(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('badge_number', sa.String(length=20), nullable=False),
    sa.Column('township_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['township_id', 'window_id'], ['hall_windows.township_id', 'hall_windows.id'], name=op.f('fk_hall_window_duties_township_id_window_id_hall_windows'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_hall_window_duties_township_id_townships'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_hall_window_duties_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('township_id', 'id', name=op.f('pk_hall_window_duties')),
    sa.UniqueConstraint('township_id', 'window_id', 'day', name='uq_hall_window_duties_day')
    )
    for table in TABLES:
        enable_tenant_rls(op, table)


def downgrade():
    for table in reversed(TABLES):
        disable_tenant_rls(op, table)
    op.drop_table('hall_window_duties')
    op.drop_table('hall_windows')
    with op.batch_alter_table('hall_bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_hall_bookings_township_day')

    op.drop_table('hall_bookings')
    op.drop_table('hall_slot_counts')
    op.drop_table('hall_opening_modes')

"""onboarding: resumable drafts of townships being set up

Revision ID: 0003_onboarding_drafts
Revises: 0001_base
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0003_onboarding_drafts'
down_revision = '0001_base'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('onboarding_drafts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=False),
    sa.Column('step', sa.String(length=20), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_township', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_township'], ['townships.id'], name=op.f('fk_onboarding_drafts_created_township_townships'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_onboarding_drafts_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_onboarding_drafts'))
    )
    with op.batch_alter_table('onboarding_drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_onboarding_drafts_owner_id'), ['owner_id'], unique=False)



def downgrade():
    with op.batch_alter_table('onboarding_drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_onboarding_drafts_owner_id'))

    op.drop_table('onboarding_drafts')

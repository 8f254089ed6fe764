"""proxy: errands and the custody of their documents

Revision ID: 0006_proxy_errands
Revises: 0001_base
"""
from alembic import op
import sqlalchemy as sa

from app.migration_helpers import disable_tenant_rls, enable_tenant_rls

revision = "0006_proxy_errands"
down_revision = "0001_base"
branch_labels = None
depends_on = None

TABLES = ("errands", "errand_documents")


def upgrade():
    op.create_table('errands',
    sa.Column('matter_id', sa.Uuid(), nullable=False),
    sa.Column('assistant_id', sa.Uuid(), nullable=False),
    sa.Column('township_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assistant_id'], ['users.id'], name=op.f('fk_errands_assistant_id_users')),
    sa.ForeignKeyConstraint(['township_id', 'matter_id'], ['matters.township_id', 'matters.id'], name=op.f('fk_errands_township_id_matter_id_matters'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_errands_township_id_townships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('township_id', 'id', name=op.f('pk_errands'))
    )
    op.create_index('ix_errands_township_assistant', 'errands', ['township_id', 'assistant_id'], unique=False)
    op.create_index('ix_errands_township_matter', 'errands', ['township_id', 'matter_id'], unique=True)
    op.create_table('errand_documents',
    sa.Column('errand_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('is_original', sa.Boolean(), nullable=False),
    sa.Column('copies', sa.Integer(), nullable=False),
    sa.Column('holder', sa.String(length=12), nullable=False),
    sa.Column('holder_name', sa.String(length=40), nullable=False),
    sa.Column('moved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('township_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['township_id', 'errand_id'], ['errands.township_id', 'errands.id'], name=op.f('fk_errand_documents_township_id_errand_id_errands'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_errand_documents_township_id_townships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('township_id', 'id', name=op.f('pk_errand_documents'))
    )
    op.create_index('ix_errand_documents_township_errand', 'errand_documents', ['township_id', 'errand_id'], unique=False)
    for table in TABLES:
        enable_tenant_rls(op, table)


def downgrade():
    for table in reversed(TABLES):
        disable_tenant_rls(op, table)
    op.drop_table('errand_documents')
    op.drop_table('errands')

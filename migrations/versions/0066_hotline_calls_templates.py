"""hotline: the call log (time, number, who took it, what became of it) and the township's
response templates per category

Revision ID: 0066_hotline_calls_templates
Revises: 0065_proxy_document_custody
"""
from alembic import op
import sqlalchemy as sa

import app.models
from app.migration_helpers import disable_tenant_rls, enable_tenant_rls

# revision identifiers, used by Alembic.
revision = '0066_hotline_calls_templates'
down_revision = '0065_proxy_document_custody'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('hotline_calls',
    sa.Column('called_at', app.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('number_tail', sa.String(length=4), nullable=False),
    sa.Column('taken_by_id', sa.Uuid(), nullable=False),
    sa.Column('outcome', sa.String(length=12), nullable=False),
    sa.Column('matter_id', sa.Uuid(), nullable=True),
    sa.Column('category', sa.String(length=20), nullable=True),
    sa.Column('caller_name', sa.String(length=40), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('reply', sa.Text(), nullable=False),
    sa.Column('township_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', app.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['taken_by_id'], ['users.id'], name=op.f('fk_hotline_calls_taken_by_id_users')),
    sa.ForeignKeyConstraint(['township_id', 'matter_id'], ['matters.township_id', 'matters.id'], name=op.f('fk_hotline_calls_township_id_matter_id_matters')),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_hotline_calls_township_id_townships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('township_id', 'id', name=op.f('pk_hotline_calls'))
    )
    op.create_index('ix_hotline_calls_township_called_at', 'hotline_calls', ['township_id', 'called_at'], unique=False)
    op.create_index('ix_hotline_calls_township_tail', 'hotline_calls', ['township_id', 'number_tail'], unique=False)
    op.create_table('response_templates',
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=60), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('township_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', app.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_response_templates_township_id_townships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('township_id', 'id', name=op.f('pk_response_templates'))
    )
    op.create_index('ix_response_templates_township_category', 'response_templates', ['township_id', 'category'], unique=False)
    enable_tenant_rls(op, 'hotline_calls')
    enable_tenant_rls(op, 'response_templates')


def downgrade():
    disable_tenant_rls(op, 'response_templates')
    disable_tenant_rls(op, 'hotline_calls')
    op.drop_index('ix_response_templates_township_category', table_name='response_templates')
    op.drop_table('response_templates')
    op.drop_index('ix_hotline_calls_township_tail', table_name='hotline_calls')
    op.drop_index('ix_hotline_calls_township_called_at', table_name='hotline_calls')
    op.drop_table('hotline_calls')

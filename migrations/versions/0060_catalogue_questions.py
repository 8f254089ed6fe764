"""catalogue: a service item's own intake questions (typed, required or not)

Revision ID: 0060_catalogue_questions
Revises: 0050_privacy_publication
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0060_catalogue_questions'
down_revision = "0050_privacy_publication"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('service_items') as batch_op:
        batch_op.add_column(sa.Column(
            'questions', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()),
                                                'postgresql'),
            nullable=False, server_default='[]'))


def downgrade():
    with op.batch_alter_table('service_items') as batch_op:
        batch_op.drop_column('questions')

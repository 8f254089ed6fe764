"""hall: the answers a resident gave online to the service item's own questions, on the booking

Revision ID: 0061_hall_booking_answers
Revises: 0060_catalogue_questions
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0061_hall_booking_answers'
down_revision = '0060_catalogue_questions'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('hall_bookings') as batch_op:
        batch_op.add_column(sa.Column(
            'answers', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()),
                                              'postgresql'),
            nullable=False, server_default='[]'))


def downgrade():
    with op.batch_alter_table('hall_bookings') as batch_op:
        batch_op.drop_column('answers')

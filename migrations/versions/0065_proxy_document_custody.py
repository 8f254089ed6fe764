"""proxy: custody per document: kept by the office (who, why), used up, issued by the office
(the new card), and who signed for it when handed back

Revision ID: 0065_proxy_document_custody
Revises: 0061_hall_booking_answers
"""
from alembic import op
import sqlalchemy as sa

import app.models

# revision identifiers, used by Alembic.
revision = '0065_proxy_document_custody'
down_revision = "0061_hall_booking_answers"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('errand_documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('issued', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('note', sa.String(length=200), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('signed_by', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('signed_at', app.models.UTCDateTime(timezone=True),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('errand_documents', schema=None) as batch_op:
        batch_op.drop_column('signed_at')
        batch_op.drop_column('signed_by')
        batch_op.drop_column('note')
        batch_op.drop_column('issued')

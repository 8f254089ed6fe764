"""notices: a document batch made of part documents (a township's contact cards by village)

Revision ID: 0121_document_batches
Revises: 0111_intake_consent
"""
from alembic import op
import sqlalchemy as sa

revision = "0121_document_batches"
down_revision = "0111_intake_consent"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("documents") as batch_op:
        batch_op.add_column(sa.Column("batch_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("position", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_documents_township_id_batch_id_documents", "documents",
                                    ["township_id", "batch_id"], ["township_id", "id"],
                                    ondelete="CASCADE")
        batch_op.create_index("ix_documents_township_batch",
                              ["township_id", "batch_id", "position"])


def downgrade():
    with op.batch_alter_table("documents") as batch_op:
        batch_op.drop_index("ix_documents_township_batch")
        batch_op.drop_constraint("fk_documents_township_id_batch_id_documents", type_="foreignkey")
        batch_op.drop_column("position")
        batch_op.drop_column("batch_id")

"""studio: a suggestion's whole text kept on its case (the matter's title is only a headline)

Revision ID: 0091_studio_case_text
Revises: 0090_cadres_commitment_rater
"""
from alembic import op
import sqlalchemy as sa

revision = "0091_studio_case_text"
down_revision = "0090_cadres_commitment_rater"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("studio_cases") as batch_op:
        batch_op.add_column(sa.Column("text", sa.Text(), nullable=False, server_default=""))
    # What earlier receptions kept of each suggestion: the matter's title.
    op.execute("UPDATE studio_cases SET text = (SELECT m.title FROM matters m "
               "WHERE m.township_id = studio_cases.township_id AND m.id = studio_cases.matter_id)")
    with op.batch_alter_table("studio_cases") as batch_op:
        batch_op.alter_column("text", server_default=None)


def downgrade():
    with op.batch_alter_table("studio_cases") as batch_op:
        batch_op.drop_column("text")

"""cadres: one 评诺 rating per resident per commitment (a keyed hash of the registered phone)

Revision ID: 0090_cadres_commitment_rater
Revises: 0081_counties_checks_reports
"""
from alembic import op
import sqlalchemy as sa

revision = "0090_cadres_commitment_rater"
down_revision = "0081_counties_checks_reports"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("commitment_ratings") as batch_op:
        batch_op.add_column(sa.Column("rater_key", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            "uq_commitment_ratings_rater", ["township_id", "commitment_id", "rater_key"])


def downgrade():
    with op.batch_alter_table("commitment_ratings") as batch_op:
        batch_op.drop_constraint("uq_commitment_ratings_rater", type_="unique")
        batch_op.drop_column("rater_key")

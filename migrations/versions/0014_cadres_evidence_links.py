"""cadres: a studio reception or an assembly as the evidence of a required action

Revision ID: 0014_cadres_evidence_links
Revises: 0012_cadres_evidence, 0007_studio, 0008_assembly
"""
from alembic import op
import sqlalchemy as sa

revision = "0014_cadres_evidence_links"
down_revision = ("0012_cadres_evidence", "0007_studio", "0008_assembly")
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("action_occurrences") as batch_op:
        batch_op.add_column(sa.Column("reception_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("assembly_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            "fk_action_occurrences_reception",
            "studio_receptions", ["township_id", "reception_id"], ["township_id", "id"])
        batch_op.create_foreign_key(
            "fk_action_occurrences_assembly",
            "assemblies", ["township_id", "assembly_id"], ["township_id", "id"])


def downgrade():
    with op.batch_alter_table("action_occurrences") as batch_op:
        batch_op.drop_constraint("fk_action_occurrences_assembly",
                                 type_="foreignkey")
        batch_op.drop_constraint("fk_action_occurrences_reception", type_="foreignkey")
        batch_op.drop_column("assembly_id")
        batch_op.drop_column("reception_id")

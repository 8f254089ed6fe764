"""accounts: a village assistant's role limited to one grid of the village (网格员)

Revision ID: 0096_role_grants_grid
Revises: 0095_api_keys
"""
from alembic import op
import sqlalchemy as sa

revision = "0096_role_grants_grid"
down_revision = "0095_api_keys"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("role_grants") as batch_op:
        batch_op.add_column(sa.Column("grid_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key("fk_role_grants_township_id_grids", "grids",
                                    ["township_id", "grid_id"], ["township_id", "id"])


def downgrade():
    with op.batch_alter_table("role_grants") as batch_op:
        batch_op.drop_constraint("fk_role_grants_township_id_grids", type_="foreignkey")
        batch_op.drop_column("grid_id")

"""map: village map sheets, household pins and recorded hand-overs (issue 11)

Revision ID: 0009_map
Revises: 0011_cadres_units
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from app.migration_helpers import disable_tenant_rls, enable_tenant_rls

revision = "0009_map"
down_revision = "0011_cadres_units"
branch_labels = None
depends_on = None

JSONDoc = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
TABLES = ("village_maps", "household_pins", "map_handovers")


def upgrade():
    op.create_table(
        "village_maps",
        sa.Column("village_id", sa.Uuid(), nullable=False),
        sa.Column("image_key", sa.String(length=200), nullable=True),
        sa.Column("image_type", sa.String(length=40), nullable=True),
        sa.Column("image_bytes", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("keeper_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Uuid(), nullable=True),
        sa.Column("township_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["keeper_id"], ["users.id"],
                                name=op.f("fk_village_maps_keeper_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"],
                                name=op.f("fk_village_maps_updated_by_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["township_id", "village_id"],
                                ["villages.township_id", "villages.id"],
                                name=op.f("fk_village_maps_township_id_village_id_villages"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["township_id"], ["townships.id"],
                                name=op.f("fk_village_maps_township_id_townships"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("township_id", "id", name=op.f("pk_village_maps")),
    )
    op.create_index("ix_village_maps_township_village", "village_maps",
                    ["township_id", "village_id"], unique=True)

    op.create_table(
        "household_pins",
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("x", sa.Float(), nullable=False),
        sa.Column("y", sa.Float(), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("placed_by_id", sa.Uuid(), nullable=True),
        sa.Column("township_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["placed_by_id"], ["users.id"],
                                name=op.f("fk_household_pins_placed_by_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["township_id", "household_id"],
                                ["households.township_id", "households.id"],
                                name=op.f("fk_household_pins_township_id_household_id_households"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["township_id"], ["townships.id"],
                                name=op.f("fk_household_pins_township_id_townships"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("township_id", "id", name=op.f("pk_household_pins")),
    )
    op.create_index("ix_household_pins_township_household", "household_pins",
                    ["township_id", "household_id"], unique=True)

    op.create_table(
        "map_handovers",
        sa.Column("village_id", sa.Uuid(), nullable=False),
        sa.Column("from_cadre_id", sa.Uuid(), nullable=False),
        sa.Column("to_cadre_id", sa.Uuid(), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("moved", JSONDoc, nullable=False),
        sa.Column("township_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"],
                                name=op.f("fk_map_handovers_actor_id_users")),
        sa.ForeignKeyConstraint(["from_cadre_id"], ["users.id"],
                                name=op.f("fk_map_handovers_from_cadre_id_users")),
        sa.ForeignKeyConstraint(["to_cadre_id"], ["users.id"],
                                name=op.f("fk_map_handovers_to_cadre_id_users")),
        sa.ForeignKeyConstraint(["township_id", "village_id"],
                                ["villages.township_id", "villages.id"],
                                name=op.f("fk_map_handovers_township_id_village_id_villages"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["township_id"], ["townships.id"],
                                name=op.f("fk_map_handovers_township_id_townships"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("township_id", "id", name=op.f("pk_map_handovers")),
    )
    op.create_index("ix_map_handovers_township_village", "map_handovers",
                    ["township_id", "village_id", "created_at"], unique=False)
    for table in TABLES:
        enable_tenant_rls(op, table)


def downgrade():
    for table in reversed(TABLES):
        disable_tenant_rls(op, table)
    op.drop_table("map_handovers")
    op.drop_table("household_pins")
    op.drop_table("village_maps")

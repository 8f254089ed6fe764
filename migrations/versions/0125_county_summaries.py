"""counties: active households and visited households per village and per contact cadre of
each township, the latter for each standard period (month, quarter, half-year, year), kept with
the rows

Revision ID: 0125_county_summaries
Revises: 0124_rate_summaries
"""
from alembic import op
import sqlalchemy as sa

from app.migration_helpers import disable_tenant_rls, enable_tenant_rls

revision = "0125_county_summaries"
down_revision = "0124_rate_summaries"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "county_household_counts",
        sa.Column("township_id", sa.Uuid(), nullable=False),
        sa.Column("dim", sa.String(1), nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column("covered", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["township_id"], ["townships.id"],
                                name=op.f("fk_county_household_counts_township_id_townships"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("township_id", "dim", "group_id",
                                name="pk_county_household_counts"),
    )
    op.create_table(
        "county_visit_counts",
        sa.Column("township_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(1), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("dim", sa.String(1), nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.Column("visited", sa.Integer(), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["township_id"], ["townships.id"],
                                name=op.f("fk_county_visit_counts_township_id_townships"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("township_id", "kind", "start", "dim", "group_id",
                                name="pk_county_visit_counts"),
    )
    enable_tenant_rls(op, "county_household_counts")
    enable_tenant_rls(op, "county_visit_counts")
    # The summary counts a cadre's households.
    op.create_index("ix_households_township_cadre", "households",
                    ["township_id", "contact_cadre_id"])
    # Filled from the rows by `minqing migrate` (app.cli.migrate_database) once this has run.


def downgrade():
    op.drop_index("ix_households_township_cadre", table_name="households")
    disable_tenant_rls(op, "county_visit_counts")
    disable_tenant_rls(op, "county_household_counts")
    op.drop_table("county_visit_counts")
    op.drop_table("county_household_counts")

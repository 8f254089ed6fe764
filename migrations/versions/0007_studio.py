"""studio: studios, members, duty rota, receptions and their cases

Revision ID: 0007_studio
Revises: 0001_base
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from app.migration_helpers import disable_tenant_rls, enable_tenant_rls

# revision identifiers, used by Alembic.
revision = "0007_studio"
down_revision = "0001_base"
branch_labels = None
depends_on = None

TABLES = (
    "studios",
    "studio_members",
    "studio_sessions",
    "studio_duties",
    "studio_receptions",
    "studio_cases",
)


def upgrade():
    op.create_table(
        "studios",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column(
            "pattern",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("holiday_rule", sa.String(length=14), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("township_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["township_id"],
            ["townships.id"],
            name=op.f("fk_studios_township_id_townships"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("township_id", "id", name=op.f("pk_studios")),
        sa.UniqueConstraint("township_id", "name", name="uq_studios_name"),
    )
    op.create_table(
        "studio_members",
        sa.Column("studio_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("intro", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("township_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["township_id", "studio_id"],
            ["studios.township_id", "studios.id"],
            name=op.f("fk_studio_members_township_id_studio_id_studios"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["township_id"],
            ["townships.id"],
            name=op.f("fk_studio_members_township_id_townships"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_studio_members_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("township_id", "id", name=op.f("pk_studio_members")),
    )
    with op.batch_alter_table("studio_members", schema=None) as batch_op:
        batch_op.create_index(
            "ix_studio_members_studio", ["township_id", "studio_id"], unique=False
        )

    op.create_table(
        "studio_sessions",
        sa.Column("studio_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("starts_at", sa.Time(), nullable=False),
        sa.Column("ends_at", sa.Time(), nullable=False),
        sa.Column("moved_from", sa.Date(), nullable=True),
        sa.Column("township_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["township_id", "studio_id"],
            ["studios.township_id", "studios.id"],
            name=op.f("fk_studio_sessions_township_id_studio_id_studios"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["township_id"],
            ["townships.id"],
            name=op.f("fk_studio_sessions_township_id_townships"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("township_id", "id", name=op.f("pk_studio_sessions")),
        sa.UniqueConstraint(
            "township_id", "studio_id", "day", "starts_at", name="uq_studio_sessions_slot"
        ),
    )
    op.create_table(
        "studio_duties",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("swapped_from_id", sa.Uuid(), nullable=True),
        sa.Column("swap_note", sa.String(length=200), nullable=False),
        sa.Column("township_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["township_id", "member_id"],
            ["studio_members.township_id", "studio_members.id"],
            name=op.f("fk_studio_duties_township_id_member_id_studio_members"),
        ),
        sa.ForeignKeyConstraint(
            ["township_id", "session_id"],
            ["studio_sessions.township_id", "studio_sessions.id"],
            name=op.f("fk_studio_duties_township_id_session_id_studio_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["township_id", "swapped_from_id"],
            ["studio_members.township_id", "studio_members.id"],
            name=op.f("fk_studio_duties_township_id_swapped_from_id_studio_members"),
        ),
        sa.ForeignKeyConstraint(
            ["township_id"],
            ["townships.id"],
            name=op.f("fk_studio_duties_township_id_townships"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("township_id", "id", name=op.f("pk_studio_duties")),
        sa.UniqueConstraint("township_id", "session_id", "position", name="uq_studio_duties_pos"),
    )
    op.create_table(
        "studio_receptions",
        sa.Column("studio_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=True),
        sa.Column("member_id", sa.Uuid(), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("visitor_name", sa.String(length=40), nullable=True),
        sa.Column("visitor_phone", sa.String(length=20), nullable=True),
        sa.Column("topic", sa.String(length=120), nullable=False),
        sa.Column("said", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("township_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["township_id", "member_id"],
            ["studio_members.township_id", "studio_members.id"],
            name=op.f("fk_studio_receptions_township_id_member_id_studio_members"),
        ),
        sa.ForeignKeyConstraint(
            ["township_id", "session_id"],
            ["studio_sessions.township_id", "studio_sessions.id"],
            name=op.f("fk_studio_receptions_township_id_session_id_studio_sessions"),
        ),
        sa.ForeignKeyConstraint(
            ["township_id", "studio_id"],
            ["studios.township_id", "studios.id"],
            name=op.f("fk_studio_receptions_township_id_studio_id_studios"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["township_id"],
            ["townships.id"],
            name=op.f("fk_studio_receptions_township_id_townships"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("township_id", "id", name=op.f("pk_studio_receptions")),
    )
    with op.batch_alter_table("studio_receptions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_studio_receptions_studio", ["township_id", "studio_id"], unique=False
        )

    op.create_table(
        "studio_cases",
        sa.Column("reception_id", sa.Uuid(), nullable=False),
        sa.Column("matter_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=True),
        sa.Column("referred_to", sa.String(length=80), nullable=True),
        sa.Column("referral_due", sa.Date(), nullable=True),
        sa.Column("good_example", sa.Boolean(), nullable=False),
        sa.Column("example_note", sa.Text(), nullable=False),
        sa.Column("township_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["township_id", "matter_id"],
            ["matters.township_id", "matters.id"],
            name=op.f("fk_studio_cases_township_id_matter_id_matters"),
        ),
        sa.ForeignKeyConstraint(
            ["township_id", "member_id"],
            ["studio_members.township_id", "studio_members.id"],
            name=op.f("fk_studio_cases_township_id_member_id_studio_members"),
        ),
        sa.ForeignKeyConstraint(
            ["township_id", "reception_id"],
            ["studio_receptions.township_id", "studio_receptions.id"],
            name=op.f("fk_studio_cases_township_id_reception_id_studio_receptions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["township_id"],
            ["townships.id"],
            name=op.f("fk_studio_cases_township_id_townships"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("township_id", "id", name=op.f("pk_studio_cases")),
        sa.UniqueConstraint("township_id", "matter_id", name="uq_studio_cases_matter"),
    )
    for table in TABLES:
        enable_tenant_rls(op, table)


def downgrade():
    for table in reversed(TABLES):
        disable_tenant_rls(op, table)
    op.drop_table("studio_cases")
    with op.batch_alter_table("studio_receptions", schema=None) as batch_op:
        batch_op.drop_index("ix_studio_receptions_studio")

    op.drop_table("studio_receptions")
    op.drop_table("studio_duties")
    op.drop_table("studio_sessions")
    with op.batch_alter_table("studio_members", schema=None) as batch_op:
        batch_op.drop_index("ix_studio_members_studio")

    op.drop_table("studio_members")
    op.drop_table("studios")

"""assembly: rewarded-criticism assemblies, their teams, supervisors, jury, criticisms and scores

Revision ID: 0008_assembly
Revises: 0001_base
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from app.migration_helpers import disable_tenant_rls, enable_tenant_rls

revision = "0008_assembly"
down_revision = "0001_base"
branch_labels = None
depends_on = None

JSONDoc = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

TABLES = ("assemblies", "assembly_supervisors", "critic_teams", "jurors", "criticisms",
          "assembly_score_marks", "assembly_scores")


def upgrade():
    op.create_table('assemblies',
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('starts_at', sa.String(length=5), nullable=False),
    sa.Column('venue', sa.String(length=120), nullable=False),
    sa.Column('rules', sa.Text(), nullable=False),
    sa.Column('criteria', JSONDoc, nullable=False),
    sa.Column('prizes', JSONDoc, nullable=False),
    sa.Column('state', sa.String(length=14), nullable=False),
    sa.Column('announced_on', sa.Date(), nullable=True),
    sa.Column('combine', sa.String(length=10), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('township_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_assemblies_created_by_id_users')),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_assemblies_township_id_townships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('township_id', 'id', name=op.f('pk_assemblies'))
    )
    op.create_index('ix_assemblies_township_held', 'assemblies', ['township_id', 'held_on'], unique=False)
    op.create_table('assembly_supervisors',
    sa.Column('assembly_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('unit', sa.String(length=80), nullable=False),
    sa.Column('township_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['township_id', 'assembly_id'], ['assemblies.township_id', 'assemblies.id'], name=op.f('fk_assembly_supervisors_township_id_assembly_id_assemblies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_assembly_supervisors_township_id_townships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('township_id', 'id', name=op.f('pk_assembly_supervisors'))
    )
    op.create_index('ix_assembly_supervisors_township_assembly', 'assembly_supervisors', ['township_id', 'assembly_id'], unique=False)
    op.create_table('critic_teams',
    sa.Column('assembly_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('branch', sa.String(length=80), nullable=False),
    sa.Column('leader', sa.String(length=40), nullable=False),
    sa.Column('members', JSONDoc, nullable=False),
    sa.Column('township_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['township_id', 'assembly_id'], ['assemblies.township_id', 'assemblies.id'], name=op.f('fk_critic_teams_township_id_assembly_id_assemblies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_critic_teams_township_id_townships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('township_id', 'id', name=op.f('pk_critic_teams'))
    )
    op.create_index('ix_critic_teams_township_assembly', 'critic_teams', ['township_id', 'assembly_id'], unique=False)
    op.create_table('jurors',
    sa.Column('assembly_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('drawn', sa.Boolean(), nullable=False),
    sa.Column('drawn_by', sa.String(length=8), nullable=True),
    sa.Column('token', sa.String(length=43), nullable=True),
    sa.Column('present', sa.Boolean(), nullable=False),
    sa.Column('on_paper', sa.Boolean(), nullable=False),
    sa.Column('township_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['township_id', 'assembly_id'], ['assemblies.township_id', 'assemblies.id'], name=op.f('fk_jurors_township_id_assembly_id_assemblies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_jurors_township_id_townships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('township_id', 'id', name=op.f('pk_jurors')),
    sa.UniqueConstraint('township_id', 'token', name='uq_jurors_township_token')
    )
    op.create_index('ix_jurors_township_assembly', 'jurors', ['township_id', 'assembly_id'], unique=False)
    op.create_table('criticisms',
    sa.Column('assembly_id', sa.Uuid(), nullable=False),
    sa.Column('team_id', sa.Uuid(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=14), nullable=False),
    sa.Column('raised_by', sa.String(length=40), nullable=False),
    sa.Column('contact_phone', sa.String(length=20), nullable=True),
    sa.Column('target_unit', sa.String(length=80), nullable=False),
    sa.Column('responsible_id', sa.Uuid(), nullable=True),
    sa.Column('round_state', sa.String(length=8), nullable=False),
    sa.Column('paper_sheets', sa.Integer(), nullable=False),
    sa.Column('pending', JSONDoc, nullable=False),
    sa.Column('final_score', sa.Float(), nullable=True),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.Column('prize', sa.String(length=40), nullable=True),
    sa.Column('prize_amount', sa.Integer(), nullable=True),
    sa.Column('matter_id', sa.Uuid(), nullable=True),
    sa.Column('township_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['responsible_id'], ['users.id'], name=op.f('fk_criticisms_responsible_id_users')),
    sa.ForeignKeyConstraint(['township_id', 'assembly_id'], ['assemblies.township_id', 'assemblies.id'], name=op.f('fk_criticisms_township_id_assembly_id_assemblies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['township_id', 'matter_id'], ['matters.township_id', 'matters.id'], name=op.f('fk_criticisms_township_id_matter_id_matters')),
    sa.ForeignKeyConstraint(['township_id', 'team_id'], ['critic_teams.township_id', 'critic_teams.id'], name=op.f('fk_criticisms_township_id_team_id_critic_teams'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_criticisms_township_id_townships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('township_id', 'id', name=op.f('pk_criticisms'))
    )
    op.create_index('ix_criticisms_township_assembly', 'criticisms', ['township_id', 'assembly_id', 'position'], unique=False)
    op.create_table('assembly_score_marks',
    sa.Column('criticism_id', sa.Uuid(), nullable=False),
    sa.Column('juror_id', sa.Uuid(), nullable=False),
    sa.Column('township_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['township_id', 'criticism_id'], ['criticisms.township_id', 'criticisms.id'], name=op.f('fk_assembly_score_marks_township_id_criticism_id_criticisms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['township_id', 'juror_id'], ['jurors.township_id', 'jurors.id'], name=op.f('fk_assembly_score_marks_township_id_juror_id_jurors'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_assembly_score_marks_township_id_townships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('township_id', 'id', name=op.f('pk_assembly_score_marks')),
    sa.UniqueConstraint('township_id', 'criticism_id', 'juror_id', name='uq_assembly_score_marks_once')
    )
    op.create_table('assembly_scores',
    sa.Column('criticism_id', sa.Uuid(), nullable=False),
    sa.Column('values', JSONDoc, nullable=False),
    sa.Column('total', sa.Float(), nullable=False),
    sa.Column('township_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['township_id', 'criticism_id'], ['criticisms.township_id', 'criticisms.id'], name=op.f('fk_assembly_scores_township_id_criticism_id_criticisms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_assembly_scores_township_id_townships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('township_id', 'id', name=op.f('pk_assembly_scores'))
    )
    op.create_index('ix_assembly_scores_township_criticism', 'assembly_scores', ['township_id', 'criticism_id'], unique=False)

    for table in TABLES:
        enable_tenant_rls(op, table)


def downgrade():
    for table in reversed(TABLES):
        disable_tenant_rls(op, table)
    for table in reversed(TABLES):
        op.drop_table(table)

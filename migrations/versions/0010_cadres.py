"""cadres: required actions, commitments, evaluation rounds, cases, knowledge test, duties

Revision ID: 0010_cadres
Revises: 0001_base
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from app.migration_helpers import disable_tenant_rls, enable_tenant_rls

JSONDoc = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

TABLES = (
    "required_actions",
    "action_occurrences",
    "commitments",
    "commitment_ratings",
    "evaluation_rounds",
    "round_participants",
    "round_ratings",
    "case_write_ups",
    "questions",
    "test_attempts",
    "duty_records",
)

revision = "0010_cadres"
down_revision = "0001_base"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('case_write_ups',
    sa.Column('author_id', sa.Uuid(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('matter_id', sa.Uuid(), nullable=True),
    sa.Column('visit_id', sa.Uuid(), nullable=True),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('approved_by_id', sa.Uuid(), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('township_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_case_write_ups_approved_by_id_users')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_case_write_ups_author_id_users')),
    sa.ForeignKeyConstraint(['township_id', 'matter_id'], ['matters.township_id', 'matters.id'], name=op.f('fk_case_write_ups_township_id_matter_id_matters')),
    sa.ForeignKeyConstraint(['township_id', 'visit_id'], ['visits.township_id', 'visits.id'], name=op.f('fk_case_write_ups_township_id_visit_id_visits')),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_case_write_ups_township_id_townships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('township_id', 'id', name=op.f('pk_case_write_ups'))
    )
    op.create_table('commitments',
    sa.Column('cadre_id', sa.Uuid(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('matter_id', sa.Uuid(), nullable=True),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rating_token', sa.String(length=32), nullable=False),
    sa.Column('township_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cadre_id'], ['users.id'], name=op.f('fk_commitments_cadre_id_users')),
    sa.ForeignKeyConstraint(['township_id', 'matter_id'], ['matters.township_id', 'matters.id'], name=op.f('fk_commitments_township_id_matter_id_matters')),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_commitments_township_id_townships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('township_id', 'id', name=op.f('pk_commitments')),
    sa.UniqueConstraint('township_id', 'rating_token', name='uq_commitments_rating_token')
    )
    op.create_index('ix_commitments_township_cadre', 'commitments', ['township_id', 'cadre_id'], unique=False)
    op.create_table('duty_records',
    sa.Column('household_id', sa.Uuid(), nullable=False),
    sa.Column('member_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('on_date', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('township_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['users.id'], name=op.f('fk_duty_records_member_id_users')),
    sa.ForeignKeyConstraint(['township_id', 'household_id'], ['households.township_id', 'households.id'], name=op.f('fk_duty_records_township_id_household_id_households'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_duty_records_township_id_townships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('township_id', 'id', name=op.f('pk_duty_records'))
    )
    op.create_index('ix_duty_records_township_member', 'duty_records', ['township_id', 'member_id', 'on_date'], unique=False)
    op.create_table('evaluation_rounds',
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('min_participants', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('results_public', sa.Boolean(), nullable=False),
    sa.Column('cadre_ids', JSONDoc, nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('township_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_evaluation_rounds_township_id_townships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('township_id', 'id', name=op.f('pk_evaluation_rounds'))
    )
    op.create_table('questions',
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('options', JSONDoc, nullable=False),
    sa.Column('answer', JSONDoc, nullable=False),
    sa.Column('tags', JSONDoc, nullable=False),
    sa.Column('study_note', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('township_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_questions_township_id_townships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('township_id', 'id', name=op.f('pk_questions'))
    )
    op.create_table('required_actions',
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('frequency', sa.String(length=12), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=False),
    sa.Column('unit_name', sa.String(length=80), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('township_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_required_actions_owner_id_users')),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_required_actions_township_id_townships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('township_id', 'id', name=op.f('pk_required_actions')),
    sa.UniqueConstraint('township_id', 'name', 'owner_id', name='uq_required_actions_name_owner')
    )
    op.create_table('test_attempts',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('question_ids', JSONDoc, nullable=False),
    sa.Column('answers', JSONDoc, nullable=False),
    sa.Column('time_limit_minutes', sa.Integer(), nullable=False),
    sa.Column('deadline', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('wrong_ids', JSONDoc, nullable=False),
    sa.Column('township_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_test_attempts_township_id_townships'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_test_attempts_user_id_users')),
    sa.PrimaryKeyConstraint('township_id', 'id', name=op.f('pk_test_attempts'))
    )
    op.create_index('ix_test_attempts_township_user', 'test_attempts', ['township_id', 'user_id'], unique=False)
    op.create_table('action_occurrences',
    sa.Column('action_id', sa.Uuid(), nullable=False),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('visit_id', sa.Uuid(), nullable=True),
    sa.Column('matter_id', sa.Uuid(), nullable=True),
    sa.Column('recorded_by_id', sa.Uuid(), nullable=False),
    sa.Column('township_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_action_occurrences_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['township_id', 'action_id'], ['required_actions.township_id', 'required_actions.id'], name=op.f('fk_action_occurrences_township_id_action_id_required_actions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['township_id', 'matter_id'], ['matters.township_id', 'matters.id'], name=op.f('fk_action_occurrences_township_id_matter_id_matters')),
    sa.ForeignKeyConstraint(['township_id', 'visit_id'], ['visits.township_id', 'visits.id'], name=op.f('fk_action_occurrences_township_id_visit_id_visits')),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_action_occurrences_township_id_townships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('township_id', 'id', name=op.f('pk_action_occurrences')),
    sa.UniqueConstraint('township_id', 'action_id', 'period', name='uq_action_occurrences_period')
    )
    op.create_table('commitment_ratings',
    sa.Column('commitment_id', sa.Uuid(), nullable=False),
    sa.Column('rating', sa.String(length=20), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('township_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['township_id', 'commitment_id'], ['commitments.township_id', 'commitments.id'], name=op.f('fk_commitment_ratings_township_id_commitment_id_commitments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_commitment_ratings_township_id_townships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('township_id', 'id', name=op.f('pk_commitment_ratings'))
    )
    op.create_index(op.f('ix_commitment_ratings_commitment_id'), 'commitment_ratings', ['commitment_id'], unique=False)
    op.create_table('round_participants',
    sa.Column('round_id', sa.Uuid(), nullable=False),
    sa.Column('label', sa.String(length=40), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('rated_cadre_ids', JSONDoc, nullable=False),
    sa.Column('paper', sa.Boolean(), nullable=False),
    sa.Column('township_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['township_id', 'round_id'], ['evaluation_rounds.township_id', 'evaluation_rounds.id'], name=op.f('fk_round_participants_township_id_round_id_evaluation_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_round_participants_township_id_townships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('township_id', 'id', name=op.f('pk_round_participants')),
    sa.UniqueConstraint('township_id', 'token_hash', name='uq_round_participants_token')
    )
    op.create_index(op.f('ix_round_participants_round_id'), 'round_participants', ['round_id'], unique=False)
    op.create_table('round_ratings',
    sa.Column('round_id', sa.Uuid(), nullable=False),
    sa.Column('cadre_id', sa.Uuid(), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('rating', sa.String(length=20), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('township_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['cadre_id'], ['users.id'], name=op.f('fk_round_ratings_cadre_id_users')),
    sa.ForeignKeyConstraint(['township_id', 'round_id'], ['evaluation_rounds.township_id', 'evaluation_rounds.id'], name=op.f('fk_round_ratings_township_id_round_id_evaluation_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_round_ratings_township_id_townships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('township_id', 'id', name=op.f('pk_round_ratings'))
    )
    op.create_index('ix_round_ratings_township_round_cadre', 'round_ratings', ['township_id', 'round_id', 'cadre_id'], unique=False)
    for table in TABLES:
        enable_tenant_rls(op, table)


def downgrade():
    for table in TABLES:
        disable_tenant_rls(op, table)
    op.drop_index('ix_round_ratings_township_round_cadre', table_name='round_ratings')
    op.drop_table('round_ratings')
    op.drop_index(op.f('ix_round_participants_round_id'), table_name='round_participants')
    op.drop_table('round_participants')
    op.drop_index(op.f('ix_commitment_ratings_commitment_id'), table_name='commitment_ratings')
    op.drop_table('commitment_ratings')
    op.drop_table('action_occurrences')
    op.drop_index('ix_test_attempts_township_user', table_name='test_attempts')
    op.drop_table('test_attempts')
    op.drop_table('required_actions')
    op.drop_table('questions')
    op.drop_table('evaluation_rounds')
    op.drop_index('ix_duty_records_township_member', table_name='duty_records')
    op.drop_table('duty_records')
    op.drop_index('ix_commitments_township_cadre', table_name='commitments')
    op.drop_table('commitments')
    op.drop_table('case_write_ups')

"""notices: when a worker claimed a job (to recover jobs of lost workers)

Revision ID: 0004_notices_job_started
Revises: 0004_notices_jobs_documents
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_notices_job_started"
down_revision = "0004_notices_jobs_documents"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("job_records",
                  sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    op.drop_column("job_records", "started_at")

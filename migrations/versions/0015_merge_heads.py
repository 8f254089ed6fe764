"""one line of migrations again: the feature branches (onboarding, notices, hall, proxy, map,
ledger, cadres) meet here, so `flask db upgrade` and `minqing migrate` mean the same

Revision ID: 0015_merge_heads
Revises: the seven earlier heads
"""

revision = "0015_merge_heads"
down_revision = (
    "0003_onboarding_drafts",
    "0004_notices_job_started",
    "0005_hall_bookings_windows",
    "0006_proxy_errands",
    "0009_map",
    "0013_ledger_due_order",
    "0014_cadres_evidence_links",
)
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

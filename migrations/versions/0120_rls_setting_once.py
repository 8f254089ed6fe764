"""tenancy: row-level security reads the township setting once per statement and compares uuids
(it cast every row's township to text and read the setting for each row)

Revision ID: 0120_rls_setting_once
Revises: 0096_role_grants_grid
"""
from alembic import op

from app.migration_helpers import POLICY, RULE, RULE_0001

revision = "0120_rls_setting_once"
down_revision = "0096_role_grants_grid"
branch_labels = None
depends_on = None


def _tables():
    return [row[0] for row in op.get_bind().exec_driver_sql(
        "SELECT c.relname FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid "
        f"WHERE p.polname = '{POLICY}' ORDER BY 1")]


def _set(rule: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _tables():
        op.execute(f'ALTER POLICY {POLICY} ON "{table}" USING ({rule}) WITH CHECK ({rule})')


def upgrade():
    _set(RULE)


def downgrade():
    _set(RULE_0001)

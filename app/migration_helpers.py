"""Statements that migrations share. Kept small and stable: old migrations import them."""

from __future__ import annotations

POLICY = "township_isolation"
# The setting is read once per statement (each sub-select is an InitPlan), and the row's own uuid
# compared with it, not cast to text row by row: counting 30,000 households costs the same with
# row-level security as without. Anything but '*' or a uuid (not set: '') matches no row.
RULE = ("(SELECT current_setting('app.township', true) = '*') OR township_id = "
        "(SELECT CASE WHEN current_setting('app.township', true) ~ "
        "'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' "
        "THEN current_setting('app.township', true)::uuid END)")
# Before 0120_rls_setting_once.
RULE_0001 = ("current_setting('app.township', true) = '*' "
             "OR township_id::text = current_setting('app.township', true)")


def enable_tenant_rls(op, table: str) -> None:
    """PostgreSQL row-level security for a tenant-owned table (DESIGN §4, STACK.md).

    Rows are visible only when `app.township` (set per transaction by the application) is the row's
    township, or '*' for platform-wide work. FORCE makes it apply to the table owner too; only a
    superuser or a BYPASSRLS role is exempt, so production connects as an ordinary role.
    """
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
    op.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
    op.execute(f'CREATE POLICY {POLICY} ON "{table}" USING ({RULE}) WITH CHECK ({RULE})')


def disable_tenant_rls(op, table: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f'DROP POLICY IF EXISTS {POLICY} ON "{table}"')
    op.execute(f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY')
    op.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')

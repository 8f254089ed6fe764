"""Statements that migrations share. Kept small and stable: old migrations import them."""

from __future__ import annotations

POLICY = "township_isolation"


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
    op.execute(
        f'CREATE POLICY {POLICY} ON "{table}" '
        "USING (current_setting('app.township', true) = '*' "
        "OR township_id::text = current_setting('app.township', true)) "
        "WITH CHECK (current_setting('app.township', true) = '*' "
        "OR township_id::text = current_setting('app.township', true))"
    )


def disable_tenant_rls(op, table: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f'DROP POLICY IF EXISTS {POLICY} ON "{table}"')
    op.execute(f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY')
    op.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')

"""The schema: migrations match the models, and tenant tables keep township_id in their keys."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from app.extensions import db

# Platform-wide tables (no township yet, or across townships): reference tables on Citus.
PLATFORM_TABLES = {"townships", "users", "alembic_version", "onboarding_drafts", "counties",
                   "departments", "county_grants", "county_spot_checks", "county_reports"}


def test_migrations_form_one_line():
    """One head, so the standard `flask db upgrade` works; a second head fails here."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from app import ROOT

    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"migrations have {len(heads)} heads: {sorted(heads)}; merge them"


def test_migrations_build_exactly_the_models(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_every_tenant_table_has_township_id_first_in_its_keys(app):
    """DESIGN §4/§9: the database refuses cross-township references; Citus can distribute."""
    problems = []
    for table in db.metadata.sorted_tables:
        if table.name in PLATFORM_TABLES:
            continue
        pk = [c.name for c in table.primary_key.columns]
        if not pk or pk[0] != "township_id":
            problems.append(f"{table.name}: primary key {pk}")
        for fk in table.foreign_key_constraints:
            target = fk.referred_table.name
            if target in PLATFORM_TABLES:
                continue
            local = [c.name for c in fk.columns]
            if local[0] != "township_id":
                problems.append(f"{table.name}: foreign key {local} -> {target}")
        for uc in table.constraints:
            if uc.__class__.__name__ == "UniqueConstraint":
                cols = [c.name for c in uc.columns]
                if cols[0] != "township_id":
                    problems.append(f"{table.name}: unique {cols}")
    assert problems == []


def test_row_level_security_is_on_for_every_tenant_table(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("row-level security is PostgreSQL's; SQLite runs without it")
        rows = db.session.execute(text(
            "select c.relname, c.relrowsecurity, c.relforcerowsecurity "
            "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname = 'public' and c.relkind = 'r'"
        )).all()
    flags = {name: (enabled, forced) for name, enabled, forced in rows}
    tenant_tables = {t.name for t in db.metadata.sorted_tables} - PLATFORM_TABLES
    assert {t: flags[t] for t in tenant_tables} == {t: (True, True) for t in tenant_tables}

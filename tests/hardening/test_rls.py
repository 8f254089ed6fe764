"""Row-level security that really applies: the app connects as a role that owns nothing and is no
superuser (tests/conftest.py, deploy/roles.sql), so raw SQL through the app's own connection with
township A bound cannot read township B's rows, and with no township set reads nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.extensions import db
from app.tenancy import bind_township
from tests import factories


@pytest.fixture
def two(app):
    with app.app_context():
        db.session().expire_on_commit = False
        if db.engine.dialect.name != "postgresql":
            pytest.skip("row-level security is PostgreSQL's (CI runs this on PostgreSQL)")
        a, b = factories.township("rlsa", code="RA"), factories.township("rlsb", code="RB")
        for t in (a, b):
            bind_township(db.session, t.id)
            factories.matter(t, title=f"{t.slug}的事")
            db.session.commit()
        bind_township(db.session, None)
        return a, b


def test_the_app_role_owns_nothing_and_cannot_bypass(app, two):
    with app.app_context():
        role = db.session.execute(text(
            "select rolsuper, rolbypassrls from pg_roles where rolname = current_user")).one()
        assert tuple(role) == (False, False)
        owned = db.session.scalar(text(
            "select count(*) from pg_tables where schemaname = 'public' "
            "and tableowner = current_user"))
        assert owned == 0


def test_raw_sql_sees_only_the_bound_township(app, two):
    a, b = two
    with app.app_context():
        bind_township(db.session, a.id)
        titles = db.session.execute(text("select title, township_id from matters")).all()
        assert [r.title for r in titles] == ["rlsa的事"]
        assert {r.township_id for r in titles} == {a.id}
        # Writing B's row through raw SQL is refused too (the policy's WITH CHECK / USING).
        changed = db.session.execute(text("update matters set title = 'x' where township_id = :b"),
                                     {"b": b.id}).rowcount
        assert changed == 0
        db.session.rollback()


def test_raw_sql_with_no_township_set_reads_nothing(app, two):
    with app.app_context(), db.engine.connect() as conn:
        assert conn.execute(text("select count(*) from matters")).scalar() == 0
        assert conn.execute(text("select count(*) from households")).scalar() == 0


def test_platform_wide_work_still_sees_every_township(app, two):
    with app.app_context():
        bind_township(db.session, None)  # operators, sweeps: app.township = '*'
        assert db.session.scalar(text("select count(*) from matters")) == 2

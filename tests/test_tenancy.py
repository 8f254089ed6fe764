"""Tenant isolation below the views: the session guard, the scoped helpers, and PostgreSQL RLS."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import NotFound

from app.extensions import db
from app.households.models import Household, Village
from app.matters.models import Matter
from app.tenancy import CrossTownshipWrite, bind_township, get_or_404, get_scoped
from tests import factories


@pytest.fixture
def two(ctx):
    # The objects stay readable after commit: with row-level security applying (the app's role),
    # refreshing township B's household while A is bound finds no row.
    db.session().expire_on_commit = False
    a = factories.township("one")
    b = factories.township("two")
    bind_township(db.session, a.id)
    va = factories.village(a, "甲村")
    ha = factories.household(a, va, head="张三")
    bind_township(db.session, b.id)
    vb = factories.village(b, "乙村")
    hb = factories.household(b, vb, head="李四")
    db.session.commit()
    return a, b, ha, hb


def test_queries_see_only_the_bound_township(two):
    a, b, ha, hb = two
    bind_township(db.session, a.id)
    db.session.expire_all()
    names = db.session.scalars(select(Household.head_name)).all()
    assert names == ["张三"]
    bind_township(db.session, b.id)
    assert db.session.scalars(select(Household.head_name)).all() == ["李四"]


def test_relationship_loads_are_scoped_too(two):
    a, b, ha, hb = two
    bind_township(db.session, a.id)
    db.session.expire_all()
    village = db.session.scalars(select(Village)).one()
    assert village.name == "甲村"


def test_get_or_404_refuses_another_townships_id(two, app):
    a, b, ha, hb = two
    from flask import g

    g.township = a
    bind_township(db.session, a.id)
    assert get_or_404(Household, ha.id).head_name == "张三"
    with pytest.raises(NotFound):
        get_or_404(Household, hb.id)
    with pytest.raises(NotFound):
        get_or_404(Household, "not-a-uuid")
    assert get_scoped(Household, hb.id, a.id) is None


def test_writing_a_row_for_another_township_raises(two):
    a, b, ha, hb = two
    bind_township(db.session, a.id)
    db.session.add(Village(township_id=b.id, name="混入村"))
    with pytest.raises(CrossTownshipWrite):
        db.session.flush()
    db.session.rollback()


def test_new_rows_are_stamped_with_the_bound_township(two):
    a, b, ha, hb = two
    bind_township(db.session, a.id)
    v = Village(name="新村")
    db.session.add(v)
    db.session.flush()
    assert v.township_id == a.id


def test_database_refuses_a_reference_across_townships(two):
    """The composite foreign key: a matter of A cannot point at B's household."""
    a, b, ha, hb = two
    bind_township(db.session, a.id)
    matter = Matter(township_id=a.id, number="X-1", channel="phone", category="suggestion",
                    title="t", household_id=hb.id, promised_workdays=1,
                    due_on=date(2026, 1, 5), rating_token="tok")
    db.session.add(matter)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_row_level_security_hides_other_townships_from_raw_sql(two):
    a, b, ha, hb = two
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row-level security is PostgreSQL's")
    bind_township(db.session, None)
    db.session.commit()
    # The app's own connection: a role that owns nothing and is no superuser (tests/conftest.py,
    # deploy/roles.sql), so no SET ROLE is needed for row-level security to apply.
    with db.engine.connect() as conn:
        assert not conn.execute(text("select rolsuper or rolbypassrls from pg_roles "
                                     "where rolname = current_user")).scalar()
        conn.rollback()
        with conn.begin():
            conn.execute(text("select set_config('app.township', :t, true)"), {"t": str(a.id)})
            names = conn.execute(text("select head_name from households")).scalars().all()
            assert names == ["张三"]
        with conn.begin():
            # Nothing set (a new transaction on a pooled connection): nothing visible.
            assert conn.execute(text("select count(*) from households")).scalar() == 0


def test_platform_wide_session_sees_all(two):
    bind_township(db.session, None)
    assert db.session.scalar(select(func.count()).select_from(Household)) == 2

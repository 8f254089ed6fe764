"""Tracking numbers: unique and in order, and (on PostgreSQL) taken without holding the counter
row until the intake commits, so desks taking in at once do not wait for one another."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import OperationalError

from app.extensions import db
from app.matters import operations as ops
from app.matters.models import Matter
from app.tenancy import bind_township
from tests import factories


def test_a_township_made_in_the_same_transaction_numbers_its_matters_in_order(ctx):
    t = factories.township("numbers", code="NUM")
    bind_township(db.session, t.id)
    first = factories.matter(t, title="一")
    second = factories.matter(t, title="二")
    db.session.commit()
    year = first.number.split("-")[1]
    assert (first.number, second.number) == (f"NUM-{year}-000001", f"NUM-{year}-000002")
    third = factories.matter(t, title="三")
    db.session.commit()
    assert third.number == f"NUM-{year}-000003"
    assert len(set(db.session.scalars(select(Matter.number)))) == 3


def test_an_intake_in_progress_does_not_hold_the_counter_row(ctx, app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the counter is taken apart on PostgreSQL only (SQLite has one writer)")
    t = factories.township("desks", code="DSK")
    db.session.commit()
    bind_township(db.session, t.id)
    first = factories.matter(t, title="一号窗口")  # not committed: the intake goes on
    other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with other.begin() as conn:
            conn.execute(text("select set_config('app.township', :t, true), "
                              "set_config('lock_timeout', '200ms', true)"), {"t": str(t.id)})
            # Another desk's transaction can take the row at once (it waited before, until the
            # first intake's commit).
            try:
                last = conn.execute(text(
                    "SELECT last FROM matter_counters WHERE township_id = :t FOR UPDATE"),
                    {"t": t.id}).scalar_one()
            except OperationalError:
                pytest.fail("the counter row is still locked by the intake in progress")
        assert first.number.endswith(f"-{last:06d}")
        second = factories.matter(t, title="一号窗口又一件")
        db.session.commit()
        assert int(second.number[-6:]) == last + 1
    finally:
        other.dispose()


def test_a_failed_intake_leaves_its_number_unused_and_the_next_one_goes_on(ctx):
    t = factories.township("gaps", code="GAP")
    db.session.commit()
    bind_township(db.session, t.id)
    kept = factories.matter(t, title="留")
    db.session.commit()
    factories.matter(t, title="撤")
    db.session.rollback()
    after = factories.matter(t, title="后")
    db.session.commit()
    numbers = [int(n[-6:]) for n in db.session.scalars(
        select(Matter.number).where(Matter.township_id == t.id).order_by(Matter.number))]
    assert numbers[0] == int(kept.number[-6:]) and numbers[-1] == int(after.number[-6:])
    assert len(numbers) == len(set(numbers)) == 2 and numbers[1] > numbers[0]
    assert ops.next_number(t, 2030).endswith("2030-000001")

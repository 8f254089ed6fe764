"""Spot-checks: random samples of recorded work, confirmed or flagged by residents."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

import pytest

from app.accounts.models import Role
from app.extensions import db
from app.households.models import Visit
from app.matters import operations as ops
from app.matters import spotchecks
from app.tenancy import bind_township
from tests import factories

NOV = (date(2026, 11, 1), date(2026, 12, 1))


@pytest.fixture
def town(ctx):
    t = factories.township()
    bind_township(db.session, t.id)
    leader = factories.user(t, Role.LEADER)
    zhang = factories.user(t, Role.CADRE, name="张卫东")
    h = factories.household(t)
    for n in range(4):
        m = ops.create_matter(t, channel="phone", title=f"事{n}", household=h, actor=zhang,
                              now=datetime(2026, 11, 2, 2, tzinfo=UTC))
        ops.assign(m, leader, assignee=zhang)
        ops.reply(m, zhang, public_text="已办")
        m.replied_at = datetime(2026, 11, 3, 2, tzinfo=UTC)
    ops.create_matter(t, channel="phone", title="未答复", household=h, actor=zhang)
    for day in (5, 6):
        db.session.add(Visit(township_id=t.id, household_id=h.id, visitor_id=zhang.id,
                             visited_on=date(2026, 11, day)))
    db.session.flush()
    return t, leader, zhang


def test_sample_by_size_or_percent_from_replied_matters_and_visits(town):
    t, leader, zhang = town
    check = spotchecks.draw(t, leader, start=NOV[0], end=NOV[1], size=3, rng=random.Random(3))
    items = db.session.scalars(db.select(spotchecks.SpotCheckItem)).all()
    assert len(items) == 3 and all(i.responsible_id == zhang.id for i in items)
    titles = {db.session.get(ops.Matter, (t.id, i.matter_id)).title for i in items
              if i.matter_id}
    assert "未答复" not in titles
    by_percent = spotchecks.draw(t, leader, start=NOV[0], end=NOV[1], percent=50)
    assert by_percent.rule == {"percent": 50}
    assert db.session.query(spotchecks.SpotCheckItem).filter_by(
        spot_check_id=by_percent.id).count() == 3  # half of 6, rounded up
    with pytest.raises(ops.TransitionError):
        spotchecks.draw(t, leader, start=date(2026, 1, 1), end=date(2026, 2, 1), size=2)
    assert check.id != by_percent.id


def test_a_resident_who_does_not_confirm_flags_the_responsible_person(town):
    t, leader, zhang = town
    spotchecks.draw(t, leader, start=NOV[0], end=NOV[1], size=2)
    first, second = db.session.scalars(db.select(spotchecks.SpotCheckItem)).all()
    with pytest.raises(ops.TransitionError, match="怎么说"):
        spotchecks.record_call(first, leader, confirmed=False)
    spotchecks.record_call(first, leader, confirmed=False, note="群众说没人来过")
    spotchecks.record_call(second, leader, confirmed=True)
    with pytest.raises(ops.TransitionError):
        spotchecks.record_call(second, leader, confirmed=False, note="改口")
    assert spotchecks.mismatches(t.id) == {zhang.id: 1}
    assert spotchecks.mismatches(t.id, date(2026, 12, 1), date(2027, 1, 1)) == {}

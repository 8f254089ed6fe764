"""The rates of DESIGN §6, pinned on hand-made data, edge cases included."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from app.accounts.models import Role
from app.extensions import db
from app.households.models import Household, Visit
from app.matters import operations as ops
from app.matters.models import State
from app.matters.rates import Figure, compute_rates, quarter_period
from app.tenancy import bind_township
from tests import factories

NOV = (date(2026, 11, 1), date(2026, 12, 1))
# Monday 2 November 2026, 10:00 in Beijing.
MON = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
def town(ctx):
    t = factories.township()
    bind_township(db.session, t.id)
    staff = factories.user(t, Role.CENTRE_STAFF)
    east, west = factories.village(t, "东村"), factories.village(t, "西村")
    return t, staff, east, west


def test_nothing_recorded_gives_no_rates_rather_than_zero(town):
    t, staff, east, west = town
    rates = compute_rates(t.id, *NOV)
    assert rates.received == 0
    assert rates.visit_rate == Figure(0, 0) and rates.visit_rate.value is None
    assert rates.resolution_rate.value is None and rates.satisfaction_rate.percent is None


def test_visit_rate_counts_active_households_visited_in_the_period(town):
    t, staff, east, west = town
    h1, h2, h3 = (factories.household(t, east, head=n) for n in ("甲", "乙", "丙"))
    gone = factories.household(t, east, head="丁")
    gone.active = False
    other = factories.household(t, west, head="戊")
    for h, day in ((h1, date(2026, 11, 5)), (h1, date(2026, 11, 6)), (h2, date(2026, 10, 31)),
                   (gone, date(2026, 11, 5)), (other, date(2026, 11, 30))):
        db.session.add(Visit(township_id=t.id, household_id=h.id, visitor_id=staff.id,
                             visited_on=day))
    db.session.flush()
    assert compute_rates(t.id, *NOV, village_id=east.id).visit_rate == Figure(1, 3)
    assert compute_rates(t.id, *NOV).visit_rate == Figure(2, 4)
    assert h3 is not None


def test_resolution_leaves_out_withdrawn_and_duplicate_and_reopened_work(town):
    t, staff, east, west = town
    make = lambda title: ops.create_matter(t, channel="phone", title=title,  # noqa: E731
                                           village=east, actor=staff, now=MON)
    replied, closed, open_, withdrawn, duplicate, reopened, refused = (
        make(n) for n in ("答复", "办结", "在办", "撤回", "重复", "重办", "非职责"))
    ops.reply(replied, staff, public_text="已答复")
    ops.reply(closed, staff, public_text="已办结")
    ops.close(closed, staff)
    ops.end_without_resolution(withdrawn, staff, to=State.WITHDRAWN, reason="撤回")
    ops.end_without_resolution(duplicate, staff, to=State.DUPLICATE, reason="重复")
    ops.end_without_resolution(refused, staff, to=State.NOT_RESPONSIBLE, reason="县里管")
    ops.reply(reopened, staff, public_text="第一次答复")
    ops.evaluate(reopened, rating="dissatisfied", source="resident_link")
    rates = compute_rates(t.id, *NOV)
    # Counted: replied, closed, open, reopened, not responsible → 2 of 5 resolved.
    assert rates.received == 5
    assert rates.resolution_rate == Figure(2, 5)
    assert open_.state == State.RECEIVED
    # Other periods and villages see none of it.
    assert compute_rates(t.id, date(2026, 10, 1), date(2026, 11, 1)).received == 0
    assert compute_rates(t.id, *NOV, village_id=west.id).received == 0


@time_machine.travel(MON + timedelta(hours=1), tick=True)  # rated in 2026, counted in 2026
def test_satisfaction_counts_the_three_satisfied_levels(town):
    t, staff, east, west = town
    ratings = ["very_satisfied", "satisfied", "basically_satisfied", "dissatisfied",
               "very_dissatisfied"]
    for rating in ratings:
        m = ops.create_matter(t, channel="phone", title=rating, village=east, actor=staff,
                              now=MON)
        ops.reply(m, staff, public_text="答复")
        ops.evaluate(m, rating=rating, source="resident_link")
    rates = compute_rates(t.id, date(2026, 1, 1), date(2027, 1, 1))
    assert rates.satisfaction_rate == Figure(3, 5)
    assert rates.as_percentages()["satisfaction_rate"] == 60.0


def test_on_time_and_response_follow_the_working_day_calendar(town):
    t, staff, east, west = town
    quick = ops.create_matter(t, channel="phone", title="快", actor=staff, workdays=2, now=MON)
    slow = ops.create_matter(t, channel="phone", title="慢", actor=staff, workdays=2, now=MON)
    ops.assign(quick, staff, assignee=staff)
    ops.reply(quick, staff, public_text="答复")
    quick.first_response_at = MON + timedelta(hours=3)
    quick.replied_at = MON + timedelta(days=1)
    ops.assign(slow, staff, assignee=staff)
    slow.first_response_at = MON + timedelta(days=3)  # Thursday: more than 1 working day
    ops.reply(slow, staff, public_text="答复")
    slow.replied_at = MON + timedelta(days=5)  # Saturday, after the promised Wednesday
    db.session.flush()
    rates = compute_rates(t.id, *NOV)
    assert rates.on_time_rate == Figure(1, 2)
    assert rates.response_rate == Figure(1, 2)


def test_revisit_rate_and_scopes_by_cadre_and_centre(town):
    t, staff, east, west = town
    centre = factories.centre(t)
    m = ops.create_matter(t, channel="assembly", title="批评", actor=staff, centre=centre,
                          now=MON)
    ops.assign(m, staff, assignee=staff)
    ops.reply(m, staff, public_text="整改")
    revisit = m_revisit = db.session.scalars(db.select(ops.Revisit)).one()
    rates = compute_rates(t.id, revisit.due_on, revisit.due_on + timedelta(days=1))
    assert rates.revisit_rate == Figure(0, 1)
    ops.record_revisit(m_revisit, staff, method="phone", outcome="满意")
    assert compute_rates(t.id, revisit.due_on,
                         revisit.due_on + timedelta(days=1)).revisit_rate == Figure(1, 1)
    by_centre = compute_rates(t.id, *NOV, centre_id=centre.id)
    assert by_centre.received == 1 and by_centre.visit_rate is None
    assert compute_rates(t.id, *NOV, cadre_id=staff.id).resolution_rate == Figure(1, 1)


def test_grid_scope_and_quarters(town):
    t, staff, east, west = town
    assert quarter_period(date(2026, 11, 23)) == (date(2026, 10, 1), date(2027, 1, 1))
    assert quarter_period(date(2026, 2, 1)) == (date(2026, 1, 1), date(2026, 4, 1))
    from app.households.models import Grid

    grid = Grid(township_id=t.id, village_id=east.id, name="一网格")
    db.session.add(grid)
    db.session.flush()
    inside = factories.household(t, east, head="网格户")
    inside.grid_id = grid.id
    factories.household(t, east, head="网格外")
    db.session.flush()
    ops.create_matter(t, channel="phone", title="网格", household=inside, actor=staff, now=MON)
    rates = compute_rates(t.id, *NOV, grid_id=grid.id)
    assert rates.received == 1 and rates.visit_rate == Figure(0, 1)
    assert isinstance(inside, Household)


def test_the_grouped_computation_agrees_with_one_scope_at_a_time(town):
    from app.matters.rates import rates_by_village

    t, staff, east, west = town
    for village, n in ((east, 3), (west, 2)):
        h = factories.household(t, village)
        db.session.add(Visit(township_id=t.id, household_id=h.id, visitor_id=staff.id,
                             visited_on=date(2026, 11, 4)))
        for i in range(n):
            m = ops.create_matter(t, channel="assembly", title=f"{village.name}{i}", household=h,
                                  actor=staff, now=MON)
            if i:
                ops.assign(m, staff, assignee=staff)
                ops.reply(m, staff, public_text="答复")
                ops.evaluate(m, rating="satisfied" if i == 1 else "dissatisfied",
                             source="resident_link")
    db.session.flush()
    start, end = date(2026, 11, 1), date(2027, 1, 1)
    total, by_village = rates_by_village(t.id, start, end)
    assert total == compute_rates(t.id, start, end)
    for village in (east, west):
        assert by_village[village.id] == compute_rates(t.id, start, end, village_id=village.id)


def test_the_grouped_computation_by_centre_agrees_too(town):
    from app.matters.rates import rates_by_village

    t, staff, east, west = town
    a, b = factories.centre(t, "甲中心"), factories.centre(t, "乙中心")
    for centre, n in ((a, 2), (b, 3)):
        for i in range(n):
            m = ops.create_matter(t, channel="hall", title=f"{centre.name}{i}", centre=centre,
                                  actor=staff, now=MON)
            if i:
                ops.reply(m, staff, public_text="办结")
                ops.evaluate(m, rating="satisfied" if i == 1 else "dissatisfied",
                             source="resident_link")
    db.session.flush()
    start, end = date(2026, 11, 1), date(2027, 1, 1)
    total, by_centre = rates_by_village(t.id, start, end, by="centre")
    for centre in (a, b):
        assert by_centre[centre.id] == compute_rates(t.id, start, end, centre_id=centre.id)
    # The centres' total: their sum, with no visit rate (the township's is by village).
    assert total.received == 5 and total.visit_rate is None
    assert total.satisfaction_rate == compute_rates(t.id, start, end).satisfaction_rate


def test_the_database_counts_the_same_figures_as_counting_the_rows_one_by_one(town, monkeypatch):
    """On PostgreSQL the matters' figures are one aggregate in the database: the same numbers as
    the rows counted one by one, at the edges of a local day (a matter received at 23:30 in
    Beijing, answered at 00:10 the next day; received just before midnight at the month's end)
    and across the National Day holiday."""
    from app.matters import rates

    t, staff, east, west = town
    oct_ = (date(2026, 9, 1), date(2026, 11, 1))
    beijing = timedelta(hours=8)
    cases = [  # received (Beijing), first response (Beijing) or None, state of the answer
        (datetime(2026, 9, 30, 23, 30), datetime(2026, 10, 8, 9, 0), "reply"),
        (datetime(2026, 9, 30, 23, 30), datetime(2026, 10, 9, 0, 10), "reply"),
        (datetime(2026, 10, 12, 23, 30), datetime(2026, 10, 13, 23, 59), "reply"),
        (datetime(2026, 10, 12, 23, 30), datetime(2026, 10, 14, 0, 1), "assign"),
        (datetime(2026, 10, 31, 23, 59), None, None),
        (datetime(2026, 8, 31, 23, 59), None, None),  # August in Beijing: not counted
        (datetime(2026, 9, 1, 0, 0), datetime(2026, 9, 15, 8, 0), "reply"),
    ]
    for n, (received, answered, how) in enumerate(cases):
        at = (received - beijing).replace(tzinfo=UTC)
        m = ops.create_matter(t, channel="phone", title=f"第{n}件", village=east if n % 2 else west,
                              actor=staff, now=at)
        if how == "reply":
            with time_machine.travel((answered - beijing).replace(tzinfo=UTC), tick=False):
                ops.reply(m, staff, public_text="已处理")
        elif how == "assign":
            with time_machine.travel((answered - beijing).replace(tzinfo=UTC), tick=False):
                ops.assign(m, staff, assignee=staff)
    db.session.flush()
    conditions = [rates.Matter.township_id == t.id]
    monkeypatch.setattr(rates, "counted_in_database", lambda: False)
    one_by_one = rates._matter_counts(t, *oct_, conditions, rates.Matter.village_id)
    total_one_by_one = rates._matter_counts(t, *oct_, conditions)
    monkeypatch.undo()
    assert rates._matter_counts(t, *oct_, conditions, rates.Matter.village_id) == one_by_one
    assert rates._matter_counts(t, *oct_, conditions) == total_one_by_one
    received, resolved, on_time, responded = total_one_by_one[None]
    assert received == 6 and resolved == 4 and 0 < responded < 6 and on_time >= 1


def test_village_rates_are_made_when_read_and_equal_a_plain_dict():
    from app.matters.rates import Figure, Rates, VillageRates, village_rates

    east, west = "east", "west"
    # received, resolved, on time, responded, rated, satisfied, revisits due, done
    total, by = village_rates({east: [4, 3, 2, 4, 2, 1, 1, 1], west: [0] * 8},
                              {east: 10, west: 5}, {east: 6})
    assert isinstance(by, VillageRates) and not by._made
    # West has households but nothing else counted: it is still a village with figures.
    assert set(by) == {east, west} and len(by) == 2 and east in by and "north" not in by
    assert by.get("north") is None and not by._made
    expected = Rates(received=4, visit_rate=Figure(6, 10), resolution_rate=Figure(3, 4),
                     satisfaction_rate=Figure(1, 2), on_time_rate=Figure(2, 4),
                     response_rate=Figure(4, 4), revisit_rate=Figure(1, 1))
    assert by[east] == expected and by[east] is by[east] and list(by._made) == [east]
    assert by == {east: expected, west: by[west]} and {east: expected, west: by[west]} == by
    assert by[west].visit_rate == Figure(0, 5) and by[west].received == 0
    assert total.visit_rate == Figure(6, 15) and total.resolution_rate == Figure(3, 4)
    # Without households (a centre's figures) there is no visit rate.
    assert village_rates({east: [1] * 8}, None, None)[1][east].visit_rate is None


def test_cadres_rates_in_one_pass_equal_each_cadres_own(town):
    """The dashboard ranks its cadres with rates_by_cadre: the same figures as compute_rates
    for each cadre — matters assigned, evaluations of their service, revisits of their
    matters, the households they are the contact of — and nothing for a cadre with nothing."""
    from app.matters.rates import rates_by_cadre

    t, staff, east, west = town
    li, wang, idle = (factories.user(t, Role.CENTRE_STAFF, name=n) for n in ("李", "王", "闲"))
    with time_machine.travel(datetime(2026, 11, 9, 2, 0, tzinfo=UTC), tick=False):
        for n, (cadre, village) in enumerate([(li, east), (li, west), (li, east), (wang, west)]):
            m = ops.create_matter(t, channel="phone", title=f"事项{n}", village=village,
                                  actor=staff, now=MON + timedelta(days=n))
            ops.assign(m, staff, assignee=cadre)
            if n != 2:
                ops.reply(m, cadre, public_text="已办结")
                ops.evaluate(m, rating="satisfied" if n else "dissatisfied",
                             source="resident_link")
                ops.schedule_revisit(m, date(2026, 11, 20 + n))
    for n, cadre in enumerate((li, li, wang)):
        h = factories.household(t, east, head=f"户{n}", contact_cadre_id=cadre.id)
        if n != 1:
            db.session.add(Visit(township_id=t.id, household_id=h.id, visitor_id=cadre.id,
                                 visited_on=date(2026, 11, 10)))
    db.session.flush()
    together = rates_by_cadre(t.id, *NOV, [li.id, wang.id, idle.id])
    for cadre in (li, wang, idle):
        assert together[cadre.id] == compute_rates(t.id, *NOV, cadre_id=cadre.id)
    assert together[li.id].received == 3 and together[li.id].visit_rate == Figure(1, 2)
    assert together[li.id].satisfaction_rate == Figure(1, 2)
    assert together[wang.id].satisfaction_rate == Figure(1, 1)
    assert together[wang.id].revisit_rate == Figure(0, 1)
    assert together[idle.id].received == 0

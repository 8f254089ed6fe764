"""The rates' summary (app.matters.summary) equals a recount from the rows after every change,
and the board's figures read from it equal the figures counted from the rows."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from app.accounts.models import Role
from app.extensions import db
from app.matters import operations as ops
from app.matters import summary
from app.matters.models import Evaluation, Matter, RateSummary, Revisit, State
from app.matters.operations import TransitionError
from app.matters.rates import (
    last_months,
    rates_by_village,
    rates_by_village_by_month,
    rates_by_village_from_rows,
    year_to_date,
)
from app.tenancy import bind_township
from app.townships.models import CalendarDay
from tests import factories

# Around the turn of a month in Beijing (16:00 UTC is local midnight).
BASE = datetime(2026, 10, 28, 3, 0, tzinfo=UTC)


@pytest.fixture
def town(ctx):
    t = factories.township()
    bind_township(db.session, t.id)
    staff = factories.user(t, Role.CENTRE_STAFF)
    checker = factories.user(t, Role.CENTRE_STAFF, name="督查")
    villages = [factories.village(t, n) for n in ("东村", "西村", "南村")]
    for v in villages:
        factories.household(t, v)
    db.session.commit()
    return t, staff, checker, villages


def assert_in_step(t):
    assert summary.stored(t.id) == summary.recounted(t.id)


def _step(rng, t, staff, checker, villages, matters):
    """One random change of the kind the ledger makes; returns its name."""
    live = [m for m in matters if db.session.get(Matter, (t.id, m)) is not None]
    matter = db.session.get(Matter, (t.id, rng.choice(live))) if live else None
    kind = rng.choice(["create", "create", "reply", "evaluate", "staff_rating", "reopen",
                       "close", "withdraw", "village", "received", "revisit", "revisit_done",
                       "delete_evaluation", "move_evaluation", "delete", "calendar"])
    if kind == "create" or matter is None:
        m = ops.create_matter(
            t, channel=rng.choice(["phone", "hall", "visit"]), title="事项", actor=staff,
            village=rng.choice([*villages, None]),
            now=BASE + timedelta(hours=rng.randrange(-24 * 40, 24 * 10)))
        matters.append(m.id)
        return "create"
    if kind in ("evaluate", "staff_rating", "close", "reopen"):
        answered = [m for m in (db.session.get(Matter, (t.id, i)) for i in live)
                    if m.state in (State.REPLIED, State.CLOSED)]
        matter = rng.choice(answered) if answered else matter
    try:
        if kind == "reply":
            ops.assign(matter, staff, assignee=staff)
            ops.reply(matter, staff, public_text="已办理")
        elif kind in ("evaluate", "staff_rating"):
            if matter.state not in (State.REPLIED, State.CLOSED):
                ops.assign(matter, staff, assignee=staff)
                ops.reply(matter, staff, public_text="已办理")
            ops.evaluate(matter, rating=rng.choice(["very_satisfied", "satisfied",
                                                    "dissatisfied"]),
                         source="resident_link" if kind == "evaluate" else "phone",
                         entered_by=None if kind == "evaluate" else checker,
                         comment=rng.choice(["", "群众说很好"]))
        elif kind == "reopen":
            ops.reopen(matter, staff, reason="再办")
        elif kind == "close":
            ops.close(matter, staff)
        elif kind == "withdraw":
            ops.end_without_resolution(matter, staff, to=rng.choice(
                [State.WITHDRAWN, State.DUPLICATE]), reason="撤回")
        elif kind == "village":  # corrected to another village (or none)
            matter.village_id = rng.choice(villages).id if rng.random() < 0.8 else None
        elif kind == "received":  # an import's correction of the receiving time, across months
            matter.received_at = matter.received_at + timedelta(days=rng.choice([-20, 20]))
        elif kind == "revisit":
            ops.schedule_revisit(matter, date(2026, 10, 1) + timedelta(days=rng.randrange(60)))
        elif kind == "revisit_done":
            revisit = db.session.scalars(db.select(Revisit).where(
                Revisit.township_id == t.id, Revisit.done_at.is_(None))).first()
            if revisit is not None:
                revisit.done_at = BASE
                revisit.due_on = revisit.due_on + timedelta(days=rng.choice([0, 31]))
        elif kind in ("delete_evaluation", "move_evaluation"):
            evaluation = db.session.scalars(db.select(Evaluation).where(
                Evaluation.township_id == t.id)).first()
            if evaluation is not None:
                if kind == "delete_evaluation":
                    db.session.delete(evaluation)
                else:
                    evaluation.created_at = evaluation.created_at - timedelta(days=35)
        elif kind == "delete":
            db.session.delete(matter)
        elif kind == "calendar":  # a Saturday made a working day: the response limits move
            day = date(2026, 10, 31) + timedelta(days=7 * rng.randrange(-3, 2))
            entered = db.session.scalars(db.select(CalendarDay).where(
                CalendarDay.township_id == t.id, CalendarDay.day == day)).first()
            if entered is None:
                db.session.add(CalendarDay(township_id=t.id, day=day, is_workday=True))
            else:
                entered.is_workday = not entered.is_workday
    except TransitionError:
        db.session.rollback()
        return "refused"
    return kind


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_summary_equals_a_recount_after_every_change(town, seed):
    t, staff, checker, villages = town
    rng = random.Random(seed)
    matters: list = []
    kinds = set()
    for n in range(60):
        kinds.add(_step(rng, t, staff, checker, villages, matters))
        if n % 3:  # most changes committed; some read inside their own transaction
            db.session.commit()
        assert_in_step(t)
    db.session.commit()
    assert len(kinds - {"refused"}) >= 10  # most kinds of change were made
    assert db.session.scalar(db.select(db.func.count()).select_from(RateSummary)) > 0
    # The board's figures from the summary equal those from the rows, for every period shape.
    day = date(2026, 11, 3)
    periods = [year_to_date(day), *last_months(day, 3),
               (date(2026, 10, 5), date(2026, 11, 20)), (date(2026, 10, 29), date(2026, 11, 2)),
               (date(2026, 9, 1), date(2026, 12, 1)), (date(2026, 10, 10), date(2026, 10, 12))]
    for start, end in periods:
        assert rates_by_village(t.id, start, end) == rates_by_village_from_rows(t.id, start, end)


@pytest.mark.parametrize("seed", [4, 5])
def test_new_matters_with_other_changes_in_one_transaction_stay_exact(town, seed):
    """A new matter's row is recounted from the object and the matters alone (app.matters.
    summary._new_matter_keys): never when its month also had evaluations or revisits changed in
    the same transaction, its own included."""
    t, staff, checker, villages = town
    rng = random.Random(seed)
    matters: list = []
    for _ in range(25):
        for _ in range(rng.randrange(1, 5)):  # several changes, then one commit
            _step(rng, t, staff, checker, villages, matters)
        if rng.random() < 0.5 and matters:  # a matter made and rated in the same transaction
            m = ops.create_matter(t, channel="phone", title="当场", actor=staff,
                                  village=rng.choice(villages), now=BASE)
            matters.append(m.id)
            try:
                ops.assign(m, staff, assignee=staff)
                ops.reply(m, staff, public_text="已答复")
                ops.evaluate(m, rating="satisfied", source="resident_link")
            except TransitionError:
                pass
        db.session.commit()
        assert_in_step(t)


def test_bulk_inserts_are_counted_by_rebuild(town):
    t, staff, checker, villages = town
    m = ops.create_matter(t, channel="phone", title="事项", actor=staff, village=villages[0],
                          now=BASE)
    db.session.commit()
    db.session.execute(RateSummary.__table__.delete())  # as after a bulk load: nothing counted
    db.session.commit()
    assert summary.stored(t.id) != summary.recounted(t.id)
    summary.rebuild(t.id)
    db.session.commit()
    assert_in_step(t)
    assert summary.stored(t.id)[(villages[0].id, date(2026, 10, 1))][0] == 1
    assert m.id


def test_board_months_read_the_summary_and_agree_with_the_rows(town, app):
    t, staff, checker, villages = town
    for n in range(6):
        m = ops.create_matter(t, channel="phone", title="事项", actor=staff,
                              village=villages[n % 3], now=BASE - timedelta(days=9 * n))
        if n % 2:
            ops.assign(m, staff, assignee=staff)
            ops.reply(m, staff, public_text="已办理")
    db.session.commit()
    day = date(2026, 11, 3)
    app.config["RATES_CACHE"] = "off"
    try:
        from_summary = rates_by_village_by_month(t.id, day)
        app.config["RATES_SUMMARY"] = "off"
        from_rows = rates_by_village_by_month(t.id, day)
    finally:
        app.config.pop("RATES_SUMMARY", None)
        app.config.pop("RATES_CACHE", None)
    assert from_summary == from_rows
    assert sum(total.received for _m, total, _v in from_summary) == 6


def test_a_period_to_tomorrow_counts_the_rest_of_the_month_not_its_days_so_far(town, app,
                                                                             monkeypatch):
    """The board's year to date ends tomorrow: early in a month the days so far hold the
    month's rows and the rest of it nothing yet but revisits due, so the part month is the
    month's summary less the (empty) rest — and exactly the rows either way."""
    import time_machine

    t, staff, checker, villages = town
    now = datetime(2026, 11, 5, 3, 0, tzinfo=UTC)  # 5 November, 11:00 in Beijing
    with time_machine.travel(now, tick=False):
        for n in range(4):
            m = ops.create_matter(t, channel="phone", title="本月", actor=staff,
                                  village=villages[n % 3], now=now - timedelta(days=n))
            ops.assign(m, staff, assignee=staff)
            ops.reply(m, staff, public_text="已办理")
            if n == 0:
                ops.evaluate(m, rating="satisfied", source="resident_link")
        db.session.commit()
        counted: list = []
        real = summary.period_counts
        monkeypatch.setattr(summary, "period_counts",
                            lambda township, a, b: counted.append((a, b)) or real(township, a, b))
        start, end = year_to_date(date(2026, 11, 5))
        assert end == date(2026, 11, 6)
        app.config["RATES_CACHE"] = "off"
        try:
            assert rates_by_village(t.id, start, end) == rates_by_village_from_rows(t.id, start,
                                                                                    end)
        finally:
            app.config.pop("RATES_CACHE", None)
        assert counted == [(date(2026, 11, 6), date(2026, 12, 1))]
        total = rates_by_village(t.id, start, end)[0]
        assert total.received == 4 and total.satisfaction_rate.numerator == 1


def test_the_boards_figures_read_the_summary_once_and_the_days_ahead_for_revisits_only(town,
                                                                                      app):
    """The board's year to date and its twelve months are the same months of the summary: one
    statement reads them. The rest of this month is subtracted from the month's row, and of days
    not yet begun only the revisits due are asked — still exactly the rows' figures."""
    import time_machine
    from sqlalchemy import event

    t, staff, checker, villages = town
    now = datetime(2026, 11, 5, 3, 0, tzinfo=UTC)  # 5 November, 11:00 in Beijing
    with time_machine.travel(now, tick=False):
        for n, days_ago in enumerate((0, 2, 40, 70)):
            m = ops.create_matter(t, channel="phone", title="事项", actor=staff,
                                  village=villages[n % 3], now=now - timedelta(days=days_ago))
            ops.assign(m, staff, assignee=staff)
            ops.reply(m, staff, public_text="已办理")
            # Due later this month (subtracted from November's row), and earlier this month.
            ops.schedule_revisit(m, date(2026, 11, 20) if n % 2 else date(2026, 11, 3))
        db.session.commit()
        start, end = year_to_date(date(2026, 11, 5))
        seen: list[str] = []

        def note(_conn, _cursor, statement, *_args):
            seen.append(statement)

        app.config["RATES_CACHE"] = "off"
        event.listen(db.engine, "before_cursor_execute", note)
        try:
            year = rates_by_village(t.id, start, end)
            months = rates_by_village_by_month(t.id, date(2026, 11, 5))
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
            app.config.pop("RATES_CACHE", None)
        assert sum("FROM rate_summaries" in s for s in seen) == 1
        assert not [s for s in seen if "FROM matters" in s or "FROM evaluations" in s
                    or "calendar" in s]
        assert year == rates_by_village_from_rows(t.id, start, end)
        assert year[0].revisit_rate.denominator == 2  # the two due by today, not the two ahead
        app.config["RATES_SUMMARY"] = "off"
        try:
            assert months == rates_by_village_by_month(t.id, date(2026, 11, 5))
        finally:
            app.config.pop("RATES_SUMMARY", None)


def test_a_new_matter_is_added_to_its_row_in_one_statement_and_only_once(town, app):
    """An intake adds its matter to the village's month in one UPDATE (no count of the month's
    matters); a new matter changed again after the summary was read in its own transaction is
    counted again rather than added twice; a matter answered on the spot counts as answered."""
    from sqlalchemy import event

    t, staff, checker, villages = town
    ops.create_matter(t, channel="hall", title="先来", actor=staff, village=villages[0], now=BASE)
    db.session.commit()
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        ops.create_matter(t, channel="hall", title="后到", actor=staff, village=villages[0],
                          now=BASE)
        db.session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    touching = [s for s in seen if "rate_summaries" in s]
    assert len(touching) == 1 and touching[0].startswith("UPDATE rate_summaries")
    assert not [s for s in seen if "count(" in s]
    assert_in_step(t)
    assert summary.stored(t.id)[(villages[0].id, date(2026, 10, 1))][0] == 2

    m = ops.create_matter(t, channel="hall", title="当场办结", actor=staff, village=villages[0],
                          now=BASE)
    summary.apply_pending()  # as a read of the summary before the commit does: counted
    ops.assign(m, staff, assignee=staff)
    ops.reply(m, staff, public_text="已当场办结")
    withdrawn = ops.create_matter(t, channel="hall", title="撤回", actor=staff,
                                  village=villages[1], now=BASE)
    ops.end_without_resolution(withdrawn, staff, to=State.WITHDRAWN, reason="群众撤回")
    db.session.commit()
    assert_in_step(t)
    row = summary.stored(t.id)[(villages[0].id, date(2026, 10, 1))]
    assert row[:2] == [3, 1]  # three received, the one answered on the spot resolved

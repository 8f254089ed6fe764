"""What the intake no longer asks the database (issue 20), still right: the events of a matter
made in the same transaction are numbered without max(seq), and the work calendar kept for the
transaction is loaded afresh when a calendar day changes in it."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import db
from app.matters import operations as ops
from app.matters.models import MatterEvent
from app.tenancy import bind_township
from app.townships.models import CalendarDay
from app.townships.workdays import WorkCalendar
from tests import factories


def _seqs(t, matter):
    return list(db.session.scalars(select(MatterEvent.seq).where(
        MatterEvent.township_id == t.id, MatterEvent.matter_id == matter.id)
        .order_by(MatterEvent.seq)))


def test_a_new_matters_events_are_numbered_in_order_and_after_a_savepoint(ctx):
    t = factories.township()
    bind_township(db.session, t.id)
    staff = factories.user(t, Role.CENTRE_STAFF)
    matter = factories.matter(t, actor=staff)
    ops.assign(matter, staff, assignee=staff)
    savepoint = db.session.begin_nested()
    ops.reply(matter, staff, public_text="已办理")
    savepoint.rollback()  # the reply's events are gone: the next is numbered after what is left
    ops.assign(matter, staff, assignee=staff, unit_name="村委会")
    assert _seqs(t, matter) == [1, 2, 3]
    db.session.commit()
    ops.reply(matter, staff, public_text="已办理")  # committed: counted from the database again
    db.session.commit()
    assert _seqs(t, matter) == [1, 2, 3, 4]


def test_the_calendar_kept_for_the_transaction_sees_a_day_changed_in_it(ctx):
    t = factories.township()
    bind_township(db.session, t.id)
    db.session.commit()
    tuesday = date(2026, 11, 3)
    first = WorkCalendar.for_township(t.id)
    assert first.is_workday(tuesday)
    assert WorkCalendar.for_township(t.id) is first  # kept for the transaction
    db.session.add(CalendarDay(township_id=t.id, day=tuesday, is_workday=False, note="停电"))
    assert not WorkCalendar.for_township(t.id).is_workday(tuesday)  # pending: afresh
    db.session.flush()
    assert not WorkCalendar.for_township(t.id).is_workday(tuesday)
    # Received on Monday with one working day: Tuesday is off, so Wednesday.
    matter = factories.matter(t, now=datetime(2026, 11, 2, 1, 0, tzinfo=UTC), workdays=1)
    assert matter.due_on == date(2026, 11, 4)
    db.session.rollback()
    assert WorkCalendar.for_township(t.id).is_workday(tuesday)  # rolled back: afresh

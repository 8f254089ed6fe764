"""The life of a matter (DESIGN §5): states, events, numbers, deadlines and close-out rules."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import db
from app.matters import operations as ops
from app.matters.models import Evaluation, MatterEvent, Revisit, State
from app.tenancy import bind_township
from tests import factories


@pytest.fixture
def town(ctx):
    t = factories.township("hgz", code="HGZ")
    bind_township(db.session, t.id)
    staff = factories.user(t, Role.CENTRE_STAFF, name="王丽娜")
    return t, staff


def _kinds(matter):
    return [e.kind for e in db.session.scalars(
        select(MatterEvent).where(MatterEvent.matter_id == matter.id).order_by(MatterEvent.seq))]


def test_tracking_numbers_count_per_township_and_year(town):
    t, staff = town
    first = factories.matter(t, actor=staff)
    second = factories.matter(t, actor=staff)
    other = factories.township("other", code="OTH")
    bind_township(db.session, other.id)
    elsewhere = factories.matter(other)
    year = ops.local_today(t).year
    assert first.number == f"HGZ-{year}-000001"
    assert second.number == f"HGZ-{year}-000002"
    assert elsewhere.number == f"OTH-{year}-000001"


def test_promised_date_counts_working_days_in_the_township_zone(town):
    t, staff = town
    # Friday 2025-09-26 20:00 in Beijing is still Friday; 3 working days: Sun 28 (调休), Mon, Tue.
    received = datetime(2025, 9, 26, 12, 0, tzinfo=UTC)
    m = factories.matter(t, actor=staff, workdays=3, now=received)
    assert m.due_on == date(2025, 9, 30)


def test_full_path_records_every_step(town):
    t, staff = town
    m = factories.matter(t, actor=staff)
    ops.assign(m, staff, assignee=staff, commitment="三日内修好", commitment_due=date(2026, 12, 1))
    ops.start(m, staff)
    ops.reply(m, staff, public_text="已更换灯泡", private_notes="电工老李")
    ops.close(m, staff)
    assert m.state == State.CLOSED
    assert _kinds(m) == ["created", "assigned", "in_progress", "replied", "closed"]
    assigned = db.session.scalars(select(MatterEvent).where(MatterEvent.kind == "assigned")).one()
    assert assigned.data["changes"]["commitment"] == [None, "三日内修好"]
    assert assigned.actor_id == staff.id


def test_illegal_transition_is_refused_and_nothing_changes(town):
    t, staff = town
    m = factories.matter(t, actor=staff)
    with pytest.raises(ops.TransitionError, match="不能改为"):
        ops.close(m, staff)
    assert m.state == State.RECEIVED
    assert _kinds(m) == ["created"]


def test_terminal_states_end_without_resolution(town):
    t, staff = town
    m = factories.matter(t, actor=staff)
    with pytest.raises(ops.TransitionError):
        ops.end_without_resolution(m, staff, to=State.WITHDRAWN, reason=" ")
    ops.end_without_resolution(m, staff, to=State.WITHDRAWN, reason="群众撤回")
    assert m.state == State.WITHDRAWN and m.closed_at is not None
    with pytest.raises(ops.TransitionError):
        ops.assign(m, staff, assignee=staff)


def test_escalation_goes_up_one_level_at_a_time(town):
    t, staff = town
    m = factories.matter(t, actor=staff)
    m.level = "village"
    ops.escalate(m, staff, reason="村里解决不了")
    assert (m.state, m.level) == (State.ESCALATED, "township")
    ops.escalate(m, staff, reason="涉及县级部门")
    assert m.level == "county"
    with pytest.raises(ops.TransitionError, match="县级"):
        ops.escalate(m, staff, reason="再上报")


def test_hall_matters_close_on_reply_by_default(town):
    t, staff = town
    m = factories.matter(t, channel="hall", actor=staff)
    ops.reply(m, staff, public_text="当场办结")
    assert m.state == State.CLOSED


def test_assembly_criticism_closes_only_when_the_resident_is_satisfied(town):
    t, staff = town
    m = factories.matter(t, channel="assembly", actor=staff)
    ops.reply(m, staff, public_text="已整改")
    assert m.state == State.REPLIED
    revisit = db.session.scalars(select(Revisit).where(Revisit.matter_id == m.id)).one()
    from app.townships.workdays import WorkCalendar

    # 30 working days after the reply (call-backs are set in working days).
    assert revisit.due_on == WorkCalendar.for_township(t.id).add_workdays(ops.local_today(t), 30)
    with pytest.raises(ops.TransitionError, match="满意"):
        ops.close(m, staff)
    ops.evaluate(m, rating="satisfied", source="resident_link")
    assert m.state == State.CLOSED


def test_dissatisfied_rating_reopens_and_starts_a_new_stage(town):
    t, staff = town
    m = factories.matter(t, channel="assembly", actor=staff)
    ops.reply(m, staff, public_text="已整改")
    ops.evaluate(m, rating="dissatisfied", source="resident_link", comment="还是漏水")
    assert (m.state, m.stage, m.reopen_count) == (State.REOPENED, 2, 1)
    with pytest.raises(ops.TransitionError, match="答复后"):
        ops.evaluate(m, rating="satisfied", source="resident_link")
    ops.reply(m, staff, public_text="重新修缮")
    ops.evaluate(m, rating="very_satisfied", source="resident_link")
    assert m.state == State.CLOSED
    assert db.session.scalars(select(Evaluation.stage).where(Evaluation.matter_id == m.id)
                              .order_by(Evaluation.stage)).all() == [1, 2]


def test_one_rating_per_stage(town):
    t, staff = town
    m = factories.matter(t, channel="phone", actor=staff)
    ops.reply(m, staff, public_text="已处理")
    ops.evaluate(m, rating="satisfied", source="resident_link")
    with pytest.raises(ops.TransitionError, match="已经评价"):
        ops.evaluate(m, rating="satisfied", source="resident_link")


def test_a_rating_heard_by_staff_records_who_entered_it(town):
    t, staff = town
    m = factories.matter(t, channel="phone", actor=staff)
    ops.reply(m, staff, public_text="已处理")
    with pytest.raises(ops.TransitionError, match="录入人"):
        ops.evaluate(m, rating="satisfied", source="phone")
    desk = factories.user(t, Role.LEADER, name="回访专席")
    evaluation = ops.evaluate(m, rating="satisfied", source="phone", entered_by=desk,
                              how="电话回访")
    assert evaluation.entered_by_id == desk.id
    event = db.session.scalars(select(MatterEvent).where(MatterEvent.kind == "evaluated")).one()
    assert event.data["how"] == "电话回访" and event.actor_id == desk.id


def test_township_can_change_a_channel_rule(town):
    t, staff = town
    t.settings = {"channels": {"phone": {"closeout": "satisfied", "workdays": 3}}}
    rule = ops.channel_rule(t, "phone")
    assert (rule.closeout, rule.workdays) == ("satisfied", 3)
    m = factories.matter(t, channel="phone", actor=staff)
    assert m.promised_workdays == 3
    ops.reply(m, staff, public_text="已处理", township=t)
    with pytest.raises(ops.TransitionError):
        ops.close(m, staff, township=t)


def test_events_are_append_only(town):
    t, staff = town
    m = factories.matter(t, actor=staff)
    event = db.session.scalars(select(MatterEvent).where(MatterEvent.matter_id == m.id)).one()
    event.kind = "tampered"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()


def test_a_feature_guard_can_refuse_closing_even_through_the_generic_close(town):
    t, staff = town
    m = factories.matter(t, channel="phone", actor=staff)
    ops.reply(m, staff, public_text="已处理")
    guard = lambda matter: "原件还没还给群众" if matter.id == m.id else None  # noqa: E731
    ops.CLOSE_GUARDS.append(guard)
    try:
        with pytest.raises(ops.TransitionError, match="原件"):
            ops.close(m, staff)
    finally:
        ops.CLOSE_GUARDS.remove(guard)
    ops.close(m, staff)
    assert m.state == State.CLOSED

"""Cadres' duties and evaluations: the rules that make the figures trustworthy."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import inspect, select

from app.accounts.models import Role
from app.cadres import operations as ops
from app.cadres.models import RoundRating
from app.extensions import db
from app.households.models import Visit
from app.tenancy import bind_township
from tests import factories


@pytest.fixture
def town(ctx):
    t = factories.township()
    bind_township(db.session, t.id)
    leader = factories.user(t, Role.LEADER, name="刘书记")
    cadre = factories.user(t, Role.CADRE, name="张卫东")
    other = factories.user(t, Role.VILLAGE_ASSISTANT, name="李秀梅", village=factories.village(t))
    return t, leader, cadre, other


@pytest.mark.parametrize(("frequency", "day", "key"), [
    ("weekly", date(2026, 11, 23), "2026-W48"),
    ("weekly", date(2027, 1, 1), "2026-W53"),
    ("monthly", date(2026, 11, 23), "2026-11"),
    ("quarterly", date(2026, 11, 23), "2026-Q4"),
    ("half_yearly", date(2026, 6, 30), "2026-H1"),
    ("yearly", date(2026, 11, 23), "2026"),
])
def test_period_keys(frequency, day, key):
    assert ops.period_key(frequency, day) == key


def test_required_action_ticked_with_a_linked_visit_then_shown_as_done(town):
    t, leader, cadre, _ = town
    action = ops.create_action(t, name="每月一次下访", frequency="monthly", owner=cadre)
    other = ops.create_action(t, name="每周一次接访", frequency="weekly", owner=cadre)
    h = factories.household(t)
    visit = Visit(township_id=t.id, household_id=h.id, visitor_id=cadre.id,
                  visited_on=date(2026, 11, 20), kind="xiafang")
    db.session.add(visit)
    with pytest.raises(ops.CadreError, match="佐证"):
        ops.record_occurrence(action, cadre, day=date(2026, 11, 20), done=True)
    ops.record_occurrence(action, cadre, day=date(2026, 11, 20), done=True, visit=visit)
    ops.record_occurrence(other, leader, day=date(2026, 11, 23), done=False, note="出差")
    states = {s.action.name: (s.period, s.state) for s in
              ops.actions_this_period(t.id, date(2026, 11, 23), owner_id=cadre.id)}
    assert states == {"每月一次下访": ("2026-11", "done"), "每周一次接访": ("2026-W48", "missed")}
    # Next month the monthly action is pending again.
    next_month = ops.actions_this_period(t.id, date(2026, 12, 1), owner_id=cadre.id)
    assert {s.action.name: s.state for s in next_month}["每月一次下访"] == "pending"


def test_commitment_is_kept_with_evidence_then_rated(town):
    t, leader, cadre, _ = town
    c = ops.make_commitment(t, cadre, text="年底前修好东街路灯", due_on=date(2026, 12, 31))
    with pytest.raises(ops.CadreError, match="兑现后"):
        ops.rate_commitment(c, rating="satisfied")
    with pytest.raises(ops.CadreError, match="佐证"):
        ops.settle_commitment(c, cadre, kept=True, evidence="")
    ops.settle_commitment(c, cadre, kept=True, evidence="12月10日已全部更换")
    factories.household(t, head="王大爷", phone="13800005678")
    assert ops.rater_key(t.id, "13900000000", "secret") is None  # not in the register
    rater = ops.rater_key(t.id, "138 0000 5678", "secret")
    ops.rate_commitment(c, rating="very_satisfied", comment="亮了", rater=rater)
    with pytest.raises(ops.CadreError, match="已经评价过"):
        ops.rate_commitment(c, rating="dissatisfied", rater=rater)
    with pytest.raises(ops.CadreError, match="手机号"):
        ops.rate_commitment(c, rating="dissatisfied", rater=None)
    assert ops.commitment_results(t.id, [c.id])[c.id] == {
        "count": 1, "by_rating": {"very_satisfied": 1}, "satisfaction": 1.0}
    assert c.state == "kept"
    with pytest.raises(ops.CadreError):
        ops.settle_commitment(c, cadre, kept=False, evidence="改口")


def test_evaluation_round_is_anonymous_once_per_cadre_and_needs_enough_participants(town):
    t, leader, cadre, other = town
    r = ops.open_round(t, title="2026年下半年驻村干部评议", cadres=[cadre, other],
                       min_participants=3)
    links = ops.invite_participants(r, category="resident", count=2)
    (p1, tok1), (p2, tok2) = links
    assert ops.participant_for_token(t.id, tok1).id == p1.id
    assert ops.participant_for_token(t.id, "guess") is None
    ops.submit_ratings(r, p1, {str(cadre.id): ("satisfied", "办事实在"),
                               str(other.id): ("dissatisfied", "")})
    with pytest.raises(ops.CadreError, match="已经评议"):
        ops.submit_ratings(r, p1, {str(cadre.id): ("very_satisfied", "")})
    ops.submit_ratings(r, p2, {str(cadre.id): ("basically_satisfied", "")})
    with pytest.raises(ops.CadreError, match="少于"):
        ops.close_round(r)
    ops.enter_paper_form(r, category="party_member", ratings={str(cadre.id): ("satisfied", "")})
    ops.close_round(r)
    with pytest.raises(ops.CadreError, match="已结束"):
        ops.submit_ratings(r, p2, {str(other.id): ("satisfied", "")})
    results = {res.cadre_id: res for res in ops.round_results(r)}
    mine = results[str(cadre.id)]
    assert mine.count == 3 and mine.satisfaction == 1.0
    assert mine.by_category == {"resident": 2, "party_member": 1}
    assert results[str(other.id)].satisfaction == 0.0
    # No column ties a rating to whoever gave it.
    columns = {c.key for c in inspect(RoundRating).columns}
    assert not columns & {"participant_id", "created_at", "token_hash", "label"}


def test_cases_are_approved_by_someone_else(town):
    t, leader, cadre, _ = town
    case = ops.submit_case(t, cadre, title="帮王大爷办低保", body="经过三次走访……")
    with pytest.raises(ops.CadreError, match="自己"):
        ops.review_case(case, cadre, approve=True)
    ops.review_case(case, leader, approve=True)
    assert case.state == "approved" and case.approved_by_id == leader.id


def test_knowledge_test_scores_exact_answers_and_lists_the_wrong_ones(town):
    t, leader, cadre, _ = town
    q1 = ops.add_question(t, kind="single", text="低保申请先向哪里提出？",
                          options=["村委会", "县民政局", "派出所"], answer=[0],
                          study_note="《社会救助暂行办法》第十一条")
    q2 = ops.add_question(t, kind="multiple", text="五必到包括？",
                          options=["红白大事", "生病住院", "赶集", "思想波动"], answer=[0, 1, 3])
    q3 = ops.add_question(t, kind="true_false", text="联户党员每人联系约十户。", options=[],
                          answer=[0])
    with pytest.raises(ops.CadreError, match="一个正确答案"):
        ops.add_question(t, kind="single", text="?", options=["a", "b"], answer=[0, 1])
    with pytest.raises(ops.CadreError, match="不够"):
        ops.draw_test(t, cadre, count=5)
    now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    attempt = ops.draw_test(t, cadre, count=3, minutes=10, now=now, rng=random.Random(1))
    assert sorted(attempt.question_ids) == sorted(str(q.id) for q in (q1, q2, q3))
    ops.submit_test(attempt, {str(q1.id): [0], str(q2.id): [0, 1], str(q3.id): [0]},
                    now=now + timedelta(minutes=5))
    assert attempt.score == 67 and attempt.wrong_ids == [str(q2.id)]
    with pytest.raises(ops.CadreError, match="交卷"):
        ops.submit_test(attempt, {}, now=now)


def test_answers_after_the_time_limit_score_nothing(town):
    t, _, cadre, _ = town
    for n in range(2):
        ops.add_question(t, kind="true_false", text=f"题{n}", options=[], answer=[0])
    now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    attempt = ops.draw_test(t, cadre, count=2, minutes=1, now=now)
    answers = {qid: [0] for qid in attempt.question_ids}
    ops.submit_test(attempt, answers, now=now + timedelta(minutes=5))
    assert attempt.score == 0


def test_outreach_checklist_shows_what_each_household_was_reached_with(town):
    t, _, cadre, _ = town
    h1, h2 = factories.household(t, head="甲"), factories.household(t, head="乙")
    ops.record_duty(t, cadre, h1, kind="outreach:policy", on_date=date(2026, 3, 1))
    ops.record_duty(t, cadre, h1, kind="duty:illness", on_date=date(2026, 4, 1), note="住院探望")
    with pytest.raises(ValueError):
        ops.record_duty(t, cadre, h1, kind="duty:dinner", on_date=date(2026, 4, 1))
    checklist = ops.outreach_checklist(t.id, cadre.id, 2026, [h1, h2])
    assert checklist[h1.id]["policy"] is True and checklist[h1.id]["decision"] is False
    assert not any(checklist[h2.id].values())
    assert ops.outreach_checklist(t.id, cadre.id, 2025, [h1])[h1.id]["policy"] is False
    rows = db.session.scalars(select(ops.DutyRecord.kind)).all()
    assert sorted(rows) == ["duty:illness", "outreach:policy"]


def test_pages_link_a_commitment_to_a_matter_by_its_number(app, client):
    from app.cadres.models import Commitment
    from tests.conftest import login

    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("linkme", code="LM")
        cadre = factories.user(t, Role.CADRE)
        m = factories.matter(t, actor=cadre)
        db.session.commit()
    login(client, cadre)
    page = client.get(f"/t/{t.slug}/cadres/commitments").get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    bad = client.post(f"/t/{t.slug}/cadres/commitments", data={
        "csrf_token": token, "text": "修路", "due_on": "2026-12-31",
        "matter_number": "LM-2026-999999", "is_public": "y"})
    assert bad.status_code == 422 and "没有这个事项编号" in bad.get_data(as_text=True)
    good = client.post(f"/t/{t.slug}/cadres/commitments", data={
        "csrf_token": token, "text": "修路", "due_on": "2026-12-31",
        "matter_number": m.number.lower(), "is_public": "y"})
    assert good.status_code == 302
    with app.app_context():
        bind_township(db.session, t.id)
        assert db.session.scalar(select(Commitment.matter_id)) == m.id


def test_a_returned_case_is_edited_and_sent_again_with_its_history(town):
    from app.audit.models import AuditEvent

    t, leader, cadre, _ = town
    case = ops.submit_case(t, cadre, title="帮王大爷办低保", body="走访三次")
    with pytest.raises(ops.CadreError, match="要改什么"):
        ops.review_case(case, leader, approve=False)
    ops.review_case(case, leader, approve=False, note="写清楚办理经过和群众评价")
    with pytest.raises(ops.CadreError, match="作者本人"):
        ops.resubmit_case(case, leader, title="x", body="y")
    ops.resubmit_case(case, cadre, title="帮王大爷办低保", body="走访三次，协调民政所，当月到账")
    assert case.state == "submitted"
    with pytest.raises(ops.CadreError, match="退回修改的案例"):
        ops.resubmit_case(case, cadre, title="再改", body="再改")
    ops.review_case(case, leader, approve=True)
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.at)).all()
    assert [e.action for e in events] == ["case.return", "case.resubmit", "case.approve"]
    assert events[0].after["note"] == "写清楚办理经过和群众评价"
    assert events[1].before["body"] == "走访三次" and events[1].after["state"] == "submitted"

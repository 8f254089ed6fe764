"""The assembly's rules: announcement lead time, the jury, anonymous scoring once per criticism,
hidden scores, paper sheets, results and prizes, every criticism a matter closed only when the
resident is satisfied, reminders of overdue replies."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from sqlalchemy import func, inspect, select

from app.accounts.models import Role
from app.assembly import operations as ops
from app.assembly.models import Criticism, Score, ScoreMark
from app.extensions import db
from app.matters import operations as matters
from app.matters.models import Channel, Revisit
from app.matters.operations import TransitionError
from app.notices.models import Notification
from app.tenancy import bind_township
from app.townships.operations import set_service
from app.townships.workdays import WorkCalendar
from tests import factories

TODAY = date(2026, 11, 2)  # a Monday


@pytest.fixture
def town(ctx):
    t = factories.township()
    bind_township(db.session, t.id)
    admin = factories.user(t, Role.TOWNSHIP_ADMIN, name="黄振华")
    leader = factories.user(t, Role.LEADER, name="覃海燕")
    cadre = factories.user(t, Role.CADRE, name="韦家兴")
    return t, admin, leader, cadre


def _assembly(t, admin, days=10, **kwargs):
    a = ops.create_assembly(t, admin, title="2026年下半年有奖批评大会",
                            held_on=TODAY + timedelta(days=days), venue="镇文化广场", **kwargs)
    return a


def _in_session(town, jurors=3, criticisms=2, paper=0):
    t, admin, leader, cadre = town
    a = _assembly(t, admin)
    ops.announce(a, t, today=TODAY)
    team = ops.add_team(a, name="第一批评团", members=["张三", "李四"])
    names = [f"评委{i}" for i in range(jurors)]
    ops.add_candidates(a, names, kind="resident")
    drawn = ops.draw_jury(a, t, size=jurors)
    for j in drawn[:paper]:
        ops.set_attendance(j, present=True, on_paper=True)
    rows = [ops.add_criticism(a, title=f"批评{i}", raised_by="王大爷", team=team,
                              contact_phone="13800001234", target_unit="镇农业服务中心",
                              responsible=cadre) for i in range(criticisms)]
    ops.start_session(a, today=a.held_on)
    return a, drawn, rows


def _points(a, *values):
    return {c["key"]: v for c, v in zip(a.criteria, values, strict=True)}


# --- announcing ---------------------------------------------------------------------------------

def test_announcing_needs_the_lead_time_and_says_so(town):
    t, admin, *_ = town
    early = _assembly(t, admin, days=6)
    with pytest.raises(TransitionError, match="至少提前 7 天") as refused:
        ops.announce(early, t, today=TODAY)
    assert "2026年11月09日" in str(refused.value)  # the earliest date it could be
    assert early.state == "draft"
    ok = _assembly(t, admin, days=7)
    ops.announce(ok, t, today=TODAY)
    assert (ok.state, ok.announced_on) == ("announced", TODAY)
    with pytest.raises(TransitionError, match="已经公告"):
        ops.announce(ok, t, today=TODAY)


def test_an_assembly_opens_on_its_announced_day_or_with_a_reason_kept(town):
    from app.audit.models import AuditEvent

    t, admin, leader, cadre = town
    a = _assembly(t, admin)  # announced for TODAY + 10
    ops.announce(a, t, today=TODAY)
    ops.add_candidates(a, ["评委0", "评委1"], kind="resident")
    ops.draw_jury(a, t, size=2)
    ops.add_criticism(a, title="批评", raised_by="王大爷", target_unit="镇农业服务中心",
                      responsible=cadre)
    with pytest.raises(TransitionError, match="提前的原因"):
        ops.start_session(a, today=a.held_on - timedelta(days=1))
    assert a.state == "announced" and a.started_on is None
    ops.start_session(a, today=a.held_on - timedelta(days=1), reason="镇党委决定提前一天",
                      actor=admin)
    assert (a.state, a.started_on, a.early_start_reason) == (
        "in_session", a.held_on - timedelta(days=1), "镇党委决定提前一天")
    audit = db.session.scalars(select(AuditEvent).where(
        AuditEvent.township_id == t.id, AuditEvent.action == "assembly.early_start")).one()
    assert audit.actor_id == admin.id and "镇党委决定提前一天" in audit.summary
    on_the_day = _in_session(town)[0]
    assert on_the_day.started_on == on_the_day.held_on and on_the_day.early_start_reason is None


def test_the_results_notice_gives_the_day_it_was_held(town):
    from app.notices.pdf import render_pdf
    from tests.notices.helpers import pdf_text

    t, admin, *_ = town
    a, jurors, rows = _in_session(town, jurors=2, criticisms=1)
    a.started_on = a.held_on + timedelta(days=2)  # put off by rain, say
    _score_all(a, jurors, rows[0], [(8, 8, 8), (7, 7, 7)])
    ops.close_round(rows[0], a, t, admin)
    ops.finish_scoring(a)
    ops.publish_results(a, t, admin)
    text = pdf_text(render_pdf("assembly_results.html", township=t, assembly=a,
                               criticisms=ops.results(a))).replace(" ", "")
    assert "已于2026年11月14日" in text and "2026年11月12日在" not in text


def test_the_township_sets_the_lead_time(town):
    t, admin, *_ = town
    set_service(t, "assembly", enabled=True, settings={"announce_lead_days": 14})
    a = _assembly(t, admin, days=10)
    with pytest.raises(TransitionError, match="至少提前 14 天"):
        ops.announce(a, t, today=TODAY)


def test_criteria_must_weigh_100_and_prizes_parse():
    assert [c["weight"] for c in ops.parse_criteria("批得准 40\n批得狠 30\n批得有方向 30")] \
        == [40, 30, 30]
    with pytest.raises(TransitionError, match="合计须为 100"):
        ops.parse_criteria("批得准 40\n批得狠 30")
    with pytest.raises(TransitionError, match="第 2 行"):
        ops.parse_criteria("批得准 40\n批得狠")
    assert ops.parse_prizes("一等奖 300 1\n二等奖 200 2") == [
        {"name": "一等奖", "amount": 300, "count": 1},
        {"name": "二等奖", "amount": 200, "count": 2}]


# --- the jury -----------------------------------------------------------------------------------

def test_jury_drawn_at_random_or_chosen_each_with_an_unguessable_link(town):
    t, admin, *_ = town
    a = _assembly(t, admin)
    pool = ops.add_candidates(a, [f"候选{i}" for i in range(15)], kind="resident")
    drawn = ops.draw_jury(a, t, rng=random.Random(1))  # the setting: ten
    assert len(drawn) == 10 and all(j.drawn_by == "random" for j in drawn)
    tokens = {j.token for j in drawn}
    assert len(tokens) == 10 and all(len(tok) >= 32 for tok in tokens)
    assert all(j.token is None for j in pool if j not in drawn)
    chosen = ops.draw_jury(a, t, chosen=[pool[0].id, pool[1].id])
    assert {j.name for j in chosen} == {"候选0", "候选1"}
    assert len(ops.jurors_of(a, drawn=True)) == 2  # drawing again replaces the jury
    assert not {j.token for j in chosen} & tokens  # and its links
    with pytest.raises(TransitionError, match="不够抽取"):
        ops.draw_jury(a, t, size=20)


# --- scoring ------------------------------------------------------------------------------------

def test_a_juror_scores_once_and_scores_stay_hidden_until_all_have(town):
    a, jurors, (first, second) = _in_session(town)
    with pytest.raises(TransitionError, match="不在评分中"):
        ops.submit_score(jurors[0], first, a, _points(a, 8, 8, 8))
    ops.open_round(first, a)
    with pytest.raises(TransitionError, match="先结束当前"):
        ops.open_round(second, a)
    ops.submit_score(jurors[0], first, a, _points(a, 8, 9, 7))
    with pytest.raises(TransitionError, match="不能重复打分"):
        ops.submit_score(jurors[0], first, a, _points(a, 1, 1, 1))
    ops.submit_score(jurors[1], first, a, _points(a, 6, 6, 6))
    assert not ops.scores_visible(first, a)
    assert ops.progress(first, a).done == 2
    # Held apart until the round is complete: no score row yet to line up against the marks.
    assert ops.scores_of(first) == [] and len(first.pending) == 2
    ops.submit_score(jurors[2], first, a, _points(a, 10, 10, 10))
    # Complete, but shown nowhere (the clerk's screen included) until the round is closed.
    assert ops.progress(first, a).complete and not ops.scores_visible(first, a)
    assert sorted(s.total for s in ops.scores_of(first)) == [60.0, 80.0, 100.0]
    assert first.pending == []
    ops.close_round(first, a, town[0], town[1])
    assert ops.scores_visible(first, a)
    with pytest.raises(TransitionError, match="不在评分中"):
        ops.submit_score(jurors[0], first, a, _points(a, 1, 1, 1))


def test_points_are_checked_per_criterion(town):
    a, jurors, (first, _) = _in_session(town)
    ops.open_round(first, a)
    with pytest.raises(TransitionError, match="0–10"):
        ops.submit_score(jurors[0], first, a, _points(a, 11, 5, 5))
    with pytest.raises(TransitionError, match="请为“批得狠”打分"):
        ops.submit_score(jurors[0], first, a, {"accurate": 5})
    assert not ops.has_scored(jurors[0], first)  # a refused score leaves no mark


def test_closing_the_round_early_shows_what_there_is(town):
    a, jurors, (first, _) = _in_session(town)
    ops.open_round(first, a)
    ops.submit_score(jurors[0], first, a, _points(a, 5, 5, 5))
    assert not ops.scores_visible(first, a)
    ops.close_round(first, a, town[0], town[1])
    assert ops.scores_visible(first, a)


def test_nothing_stored_pairs_a_juror_with_a_score(town):
    """Score rows name no juror and carry no time; marks carry no score and no time."""
    score_columns = {c.name for c in inspect(Score).columns}
    mark_columns = {c.name for c in inspect(ScoreMark).columns}
    assert score_columns == {"township_id", "id", "criticism_id", "values", "total"}
    assert mark_columns == {"township_id", "id", "criticism_id", "juror_id"}
    a, jurors, (first, _) = _in_session(town)
    ops.open_round(first, a)
    for j, p in zip(jurors, (3, 9, 6), strict=True):
        ops.submit_score(j, first, a, _points(a, p, p, p))
    assert db.session.scalar(select(func.count()).select_from(ScoreMark)) == 3
    assert db.session.scalar(select(func.count()).select_from(Score)) == 3


def test_paper_sheets_count_for_jurors_on_paper_only(town):
    a, jurors, (first, _) = _in_session(town, jurors=3, paper=1)
    ops.open_round(first, a)
    with pytest.raises(TransitionError, match="纸质评分"):
        ops.submit_score(jurors[0], first, a, _points(a, 5, 5, 5))
    ops.submit_score(jurors[1], first, a, _points(a, 7, 7, 7))
    ops.submit_score(jurors[2], first, a, _points(a, 8, 8, 8))
    assert not ops.progress(first, a).complete  # the paper sheet is still out
    ops.enter_paper_sheet(first, a, _points(a, 9, 9, 9))
    assert ops.progress(first, a).complete
    with pytest.raises(TransitionError, match="已全部录入"):
        ops.enter_paper_sheet(first, a, _points(a, 9, 9, 9))


def test_a_juror_leaving_completes_the_round(town):
    a, jurors, (first, _) = _in_session(town)
    ops.open_round(first, a)
    ops.submit_score(jurors[0], first, a, _points(a, 5, 5, 5))
    ops.submit_score(jurors[1], first, a, _points(a, 7, 7, 7))
    ops.set_attendance(jurors[2], present=False, on_paper=False)
    assert ops.progress(first, a).complete
    assert sorted(s.total for s in ops.scores_of(first)) == [50.0, 70.0]


def test_links_expire_with_the_results(town):
    t, admin, *_ = town
    a, jurors, (first,) = _in_session(town, criticisms=1)
    ops.open_round(first, a)
    ops.close_round(first, a, t, admin)
    ops.finish_scoring(a)
    ops.publish_results(a, t, admin)
    assert all(j.token is None for j in jurors)


def test_absent_jurors_are_not_waited_for(town):
    a, jurors, (first, _) = _in_session(town)
    ops.set_attendance(jurors[2], present=False, on_paper=False)
    ops.open_round(first, a)
    ops.submit_score(jurors[0], first, a, _points(a, 5, 5, 5))
    ops.submit_score(jurors[1], first, a, _points(a, 5, 5, 5))
    assert ops.progress(first, a).complete
    with pytest.raises(TransitionError, match="未登记到会"):
        ops.submit_score(jurors[2], first, a, _points(a, 5, 5, 5))


# --- results ------------------------------------------------------------------------------------

def test_mean_or_drop_highest_and_lowest():
    assert ops.combine([60, 80, 100, 20], "mean") == 65.0
    assert ops.combine([60, 80, 100, 20], "trimmed") == 70.0
    assert ops.combine([60, 80], "trimmed") == 70.0  # fewer than three: plain mean
    assert ops.combine([], "mean") is None


def _score_all(a, jurors, criticism, per_juror):
    ops.open_round(criticism, a)
    for j, values in zip(jurors, per_juror, strict=True):
        ops.submit_score(j, criticism, a, _points(a, *values))


def test_ranking_prizes_and_the_tie_rule(town):
    t, admin, *_ = town
    a, jurors, rows = _in_session(town, jurors=3, criticisms=4)
    # 0 and 1 tie on the total (70) but 1 is more accurate (批得准); 2 and 3 tie completely.
    plans = [
        [(5, 10, 10), (5, 10, 10), (5, 10, 10)],  # (40×5 + 30×10 + 30×10) / 10 = 80
        [(10, 5, 5), (10, 5, 5), (10, 5, 5)],
        [(5, 5, 5), (5, 5, 5), (5, 5, 5)],
        [(5, 5, 5), (5, 5, 5), (5, 5, 5)],
    ]
    for c, plan in zip(rows, plans, strict=True):
        _score_all(a, jurors, c, plan)
        ops.close_round(c, a, t, admin)
    ops.finish_scoring(a)
    standings = ops.publish_results(a, t, admin)
    totals = {s.criticism.title: s.score for s in standings}
    assert totals == {"批评0": 80.0, "批评1": 70.0, "批评2": 50.0, "批评3": 50.0}
    by_title = {c.title: c for c in ops.criticisms_of(a)}
    assert [(by_title[n].rank, by_title[n].prize, by_title[n].prize_amount)
            for n in ("批评0", "批评1", "批评2", "批评3")] == [
        (1, "一等奖", 300), (2, "二等奖", 200), (3, "二等奖", 200), (3, "二等奖", 200)]
    assert a.state == "published" and a.combine == "mean"


def test_tie_on_total_goes_to_the_first_criterion(town):
    t, admin, *_ = town
    a, jurors, rows = _in_session(town, jurors=3, criticisms=2)
    # Both total 60: (6,6,6) → 60; (9,4,4) → (360+120+120)/10 = 60, but more accurate.
    _score_all(a, jurors, rows[0], [(6, 6, 6)] * 3)
    ops.close_round(rows[0], a, t, admin)
    _score_all(a, jurors, rows[1], [(9, 4, 4)] * 3)
    ops.close_round(rows[1], a, t, admin)
    ops.finish_scoring(a)
    ops.publish_results(a, t, admin)
    assert [(c.title, c.rank) for c in ops.results(a)] == [("批评1", 1), ("批评0", 2)]


def test_the_township_may_drop_the_extremes(town):
    t, admin, *_ = town
    set_service(t, "assembly", enabled=True, settings={"drop_extremes": True})
    a, jurors, (first, second) = _in_session(town, jurors=4, criticisms=2)
    _score_all(a, jurors, first, [(10, 10, 10), (6, 6, 6), (6, 6, 6), (0, 0, 0)])
    ops.close_round(first, a, t, admin)
    ops.finish_scoring(a)
    ops.publish_results(a, t, admin)
    assert (first.final_score, a.combine) == (60.0, "trimmed")
    assert second.final_score is None and second.rank is None
    assert second.matter_id is not None  # never presented, still followed up


# --- follow-up ----------------------------------------------------------------------------------

def test_each_criticism_becomes_an_assembly_matter_due_in_15_workdays(town):
    t, admin, leader, cadre = town
    a, jurors, (first, _) = _in_session(town)
    ops.open_round(first, a)
    ops.close_round(first, a, t, admin)
    m = first.matter
    assert (m.channel, m.title, m.assignee_id, m.unit_name) == (
        Channel.ASSEMBLY, "批评0", cadre.id, "镇农业服务中心")
    assert m.state == "assigned" and m.promised_workdays == 15
    received = matters.local_today(t, m.received_at)
    assert m.due_on == WorkCalendar.for_township(t.id).add_workdays(received, 15)
    assert m.extra["criticism_id"] == str(first.id)
    assert ops.ensure_matter(first, a, t, admin) is m  # once only


def test_closes_only_on_a_satisfied_evaluation_even_if_the_rule_is_loosened(town):
    t, admin, leader, cadre = town
    t.settings = {"channels": {"assembly": {"closeout": "manual"}}}
    a, jurors, (first, _) = _in_session(town)
    ops.open_round(first, a)
    ops.close_round(first, a, t, admin)
    m = first.matter
    matters.reply(m, cadre, public_text="已安排维修，本月底完工。", township=t)
    revisit = db.session.scalar(select(Revisit).where(Revisit.matter_id == m.id))
    from app.townships.workdays import WorkCalendar

    # Call-backs are set in working days (issue 17).
    assert revisit.due_on == WorkCalendar.for_township(t.id).add_workdays(
        matters.local_today(t), 30)
    with pytest.raises(TransitionError, match="满意后方可销号"):
        matters.close(m, admin, township=t)
    # The clerk who registered the criticism may not type in the resident's rating: a leader does.
    with pytest.raises(TransitionError, match="不能代录"):
        matters.evaluate(m, rating="satisfied", source="phone", entered_by=admin, township=t)
    matters.evaluate(m, rating="dissatisfied", source="phone", entered_by=leader, township=t)
    assert m.state == "reopened"
    matters.reply(m, cadre, public_text="已修好。", township=t)
    matters.record_revisit(db.session.scalars(select(Revisit).where(
        Revisit.matter_id == m.id, Revisit.done_at.is_(None))).first(), admin, method="phone",
        outcome="群众确认已修好")
    matters.evaluate(m, rating="satisfied", source="phone", entered_by=leader, township=t)
    matters.close(m, admin, township=t)
    assert m.state == "closed"


def test_overdue_replies_reach_the_responsible_and_the_leaders_once(town):
    t, admin, leader, cadre = town
    from app.assembly import reminders

    a, jurors, (first, second) = _in_session(town)
    ops.open_round(first, a)
    ops.close_round(first, a, t, admin)
    due = first.matter.due_on
    assert reminders.sweep(t, due) == 0
    assert ops.overdue(t, due + timedelta(days=1)) == [first]
    sent = reminders.sweep(t, due + timedelta(days=1))
    assert sent == 2
    to = set(db.session.scalars(select(Notification.user_id)))
    assert to == {cadre.id, leader.id}
    assert reminders.sweep(t, due + timedelta(days=2)) == 0  # once
    matters.reply(first.matter, cadre, public_text="已答复", township=t)
    assert ops.overdue(t, due + timedelta(days=3)) == []


def test_a_draft_near_its_last_announcement_day_is_reminded(town):
    t, admin, leader, cadre = town
    from app.assembly import reminders

    _assembly(t, admin, days=9)  # last day to announce: in two days
    assert reminders.sweep(t, TODAY) == 2  # the admin and the leader
    assert reminders.sweep(t, TODAY) == 0
    assert {n.message for n in db.session.scalars(select(Notification))} == {
        "“2026年下半年有奖批评大会”须在 2026-11-04 前发布公告（提前 7 天）。"}


def test_collected_criticisms_join_the_order_and_close_after_scoring(town):
    t, admin, *_ = town
    a = _assembly(t, admin)
    ops.announce(a, t, today=TODAY)
    one = ops.add_criticism(a, title="低保评议不公开", source="online", raised_by="赵四")
    two = ops.add_criticism(a, title="垃圾清运不及时", source="problem_round")
    assert (one.position, two.position) == (1, 2)
    a.state = "scored"
    with pytest.raises(TransitionError, match="不能再增加"):
        ops.add_criticism(a, title="迟到")
    assert db.session.scalar(select(func.count()).select_from(Criticism)) == 2

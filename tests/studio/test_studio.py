"""The studio: a fair rota that skips or moves holidays, swaps kept on record, receptions whose
suggestions become matters, referral and reply, the reply rate, the reminder and the pages."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import db
from app.matters.models import Matter
from app.matters.operations import local_today
from app.studio import operations as ops
from app.studio.models import DutySession, HolidayRule, Representative, Studio
from app.tenancy import bind_township
from tests import factories
from tests.conftest import csrf, login


@pytest.fixture
def studio(ctx):
    t = factories.township()
    bind_township(db.session, t.id)
    row = Studio(township_id=t.id, name="东城党代表工作室", place="东城社区服务中心",
                 pattern=ops.parse_pattern("周四 09:00-11:30"))
    db.session.add(row)
    db.session.flush()
    reps = []
    for name in ("陈建国", "林秀英", "王海", "赵敏"):
        rep = Representative(township_id=t.id, studio_id=row.id, name=name)
        db.session.add(rep)
        reps.append(rep)
    db.session.flush()
    return t, row, reps


def test_pattern_is_written_the_way_people_say_it():
    assert ops.parse_pattern("周六 09:00-11:30；周二 19:00-21:00") == [
        {"weekday": 5, "start": "09:00", "end": "11:30"},
        {"weekday": 1, "start": "19:00", "end": "21:00"}]
    with pytest.raises(ops.StudioError, match="看不懂"):
        ops.parse_pattern("每周六上午")


def test_a_month_of_thursdays_rotates_fairly_and_the_holiday_is_skipped(studio):
    t, row, reps = studio
    # October 2026: Thursdays 1 (国庆), 8, 15, 22, 29.
    sessions = ops.generate_month(row, date(2026, 10, 1), reps_per_session=2)
    assert [s.day for s in sessions] == [date(2026, 10, d) for d in (8, 15, 22, 29)]
    duties = Counter(a.member.name for s in sessions for a in s.assignments)
    assert sorted(duties.values()) == [2, 2, 2, 2]  # eight places, four reps, two each
    assert all(len({a.member_id for a in s.assignments}) == 2 for s in sessions)
    # Generating again adds nothing; November carries the counts on.
    assert ops.generate_month(row, date(2026, 10, 1), reps_per_session=2) == []


def test_a_holiday_session_can_be_moved_to_the_next_working_day(studio):
    t, row, reps = studio
    row.holiday_rule = HolidayRule.NEXT_WORKDAY.value
    sessions = ops.generate_month(row, date(2026, 10, 1), reps_per_session=1)
    first = sessions[0]
    assert (first.moved_from, first.day) == (date(2026, 10, 1), date(2026, 10, 9))


def test_a_swap_keeps_who_was_due(studio):
    t, row, reps = studio
    session = ops.generate_month(row, date(2026, 11, 1), reps_per_session=1)[0]
    assignment = session.assignments[0]
    due = assignment.member
    other = next(r for r in reps if r.id != due.id)
    with pytest.raises(ops.StudioError, match="原因"):
        ops.swap(assignment, other, " ")
    ops.swap(assignment, other, "出差")
    assert (assignment.member_id, assignment.swapped_from_id, assignment.swap_note) == (
        other.id, due.id, "出差")


def test_a_reception_with_two_suggestions_one_referred_both_replied(studio):
    t, row, reps = studio
    reception = ops.receive(t, row, None, channel="session", topic="小区环境",
                            said="垃圾清运不及时，路面坑洼", member=reps[0],
                            suggestions=["增加垃圾清运次数", "修补东城路坑洼路面"],
                            visitor_name="刘阿姨", visitor_phone="13800002222",
                            reply_workdays=15)
    cases = sorted(ops.cases_of(row), key=lambda c: c.matter.title)
    assert len(cases) == 2 and {c.reception_id for c in cases} == {reception.id}
    assert {c.matter.channel for c in cases} == {"studio"}
    assert cases[0].matter.contact_name == "刘阿姨" and cases[0].member_id == reps[0].id
    today = local_today(t)
    figures = ops.figures(row, today)
    assert (figures.visitors, figures.suggestions, figures.replied, figures.reply_rate) == (
        1, 2, 0, 0.0)
    ops.refer(cases[1], None, unit="镇建设办", due=date(2026, 12, 10))
    assert cases[1].matter.unit_name == "镇建设办" and cases[1].matter.state == "assigned"
    ops.answer(cases[0], None, text="已协调环卫所每日清运两次。", township=t)
    assert ops.figures(row, today).reply_rate == 0.5
    ops.answer(cases[1], None, text="镇建设办已安排月底前修补。", township=t)
    figures = ops.figures(row, today)
    assert (figures.referred, figures.replied, figures.reply_rate) == (1, 2, 1.0)
    assert ops.figures(row, today, member=reps[0]).suggestions == 2
    assert ops.figures(row, today, member=reps[1]).suggestions == 0


def test_reps_on_duty_are_reminded_the_day_before(studio):
    from app.notices.models import Notification
    from app.studio import reminders

    t, row, reps = studio
    user = factories.user(t, Role.PARTY_REP, name="陈建国")
    for rep in reps:
        rep.user_id = user.id if rep.name == "陈建国" else None
    sessions = ops.generate_month(row, date(2026, 11, 1), reps_per_session=4)
    eve = sessions[0].day - timedelta(days=1)
    assert reminders.sweep(t, eve) == 1
    assert reminders.sweep(t, eve) == 0  # once per duty
    note = db.session.scalar(select(Notification))
    assert "值班接待" in note.message and note.user_id == user.id



def test_online_suggestion_without_an_account_and_the_public_page(app, client):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township()
        bind_township(db.session, t.id)
        row = Studio(township_id=t.id, name="西城工作室",
                     pattern=ops.parse_pattern("周六 09:00-11:30"))
        db.session.add(row)
        db.session.commit()
        bind_township(db.session, None)
    page = client.get(f"/t/{t.slug}/studios/{row.id}/suggest")
    bad = client.post(f"/t/{t.slug}/studios/{row.id}/suggest",
                      data={"csrf_token": csrf(page.text), "topic": "停车", "text": "",
                            "phone": "139"})
    assert bad.status_code == 422 and "停车" in bad.text and "11 位手机号码" in bad.text
    done = client.post(f"/t/{t.slug}/studios/{row.id}/suggest",
                       data={"csrf_token": csrf(page.text), "topic": "停车",
                             "text": "菜市场门口乱停车，建议划线", "name": "张先生",
                             "phone": "13900003333"})
    assert done.status_code == 302
    with app.app_context():
        bind_township(db.session, t.id)
        matter = db.session.scalar(select(Matter))
        assert (matter.channel, matter.contact_phone_tail) == ("studio", "3333")
        assert matter.number in done.headers["Location"]
    public = client.get(f"/t/{t.slug}/studios")
    assert "西城工作室" in public.text and "0.0%" in public.text
    assert "张先生" not in public.text and "13900003333" not in public.text


def test_staff_register_a_reception_and_generate_the_rota_over_http(app, client):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township()
        bind_township(db.session, t.id)
        admin = factories.user(t, Role.TOWNSHIP_ADMIN, name="刘书记")
        row = Studio(township_id=t.id, name="南城工作室",
                     pattern=ops.parse_pattern("周六 09:00-11:30"))
        db.session.add(row)
        db.session.flush()
        db.session.add(Representative(township_id=t.id, studio_id=row.id, name="周代表"))
        db.session.commit()
        bind_township(db.session, None)
    login(client, admin)
    page = client.get(f"/t/{t.slug}/studio/{row.id}")
    made = client.post(f"/t/{t.slug}/studio/{row.id}/rota",
                       data={"csrf_token": csrf(page.text), "month": "2030-06"})
    assert made.status_code == 302
    rota = client.get(made.headers["Location"])
    assert rota.text.count("周代表") >= 4  # every Saturday of June 2030, and the member list
    this_year = client.get(f"/t/{t.slug}/studio/{row.id}?period=year")
    assert 'period=year" aria-current="page"' in this_year.text
    form = client.get(f"/t/{t.slug}/studio/{row.id}/receive")
    refused = client.post(f"/t/{t.slug}/studio/{row.id}/receive", data={
        "csrf_token": csrf(form.text), "channel": "phone", "topic": "", "suggestions": "路灯",
        "visitor_name": "孙大爷"})
    assert refused.status_code == 422 and "孙大爷" in refused.text
    saved = client.post(f"/t/{t.slug}/studio/{row.id}/receive", data={
        "csrf_token": csrf(form.text), "channel": "phone", "topic": "照明",
        "suggestions": "村口路灯坏了\n广场加装路灯", "anonymous": "y",
        "visitor_name": "孙大爷", "then": "next"})
    assert saved.headers["Location"].endswith(f"/studio/{row.id}/receive")  # the next visitor
    with app.app_context():
        bind_township(db.session, t.id)
        matters = db.session.scalars(select(Matter)).all()
        assert len(matters) == 2 and {m.contact_name for m in matters} == {None}
        assert db.session.scalar(select(DutySession.day).order_by(DutySession.day)) == \
            date(2030, 6, 1)


def test_the_monthly_rota_poster_lists_every_session_and_who_is_on_duty(studio):
    import io

    from pypdf import PdfReader

    from app.notices import kinds
    from app.notices.pdf import render_pdf

    t, row, reps = studio
    ops.generate_month(row, date(2026, 11, 1), reps_per_session=1)
    entry = kinds.get("studio_rota")
    pdf = render_pdf(entry.template, township=t,
                     **entry.build_context(t, f"{row.id}:2026-11"))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "东城党代表工作室" in text and "值班表" in text
    for rep in reps:  # four Thursdays, four representatives, one each
        assert rep.name in text

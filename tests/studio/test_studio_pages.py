"""The studio, widened: holidays against make-up working days, referral to a centre, the reply
notice that tells the visitor the outcome, members linked to accounts and retired, a studio
changed or closed, and a representative's own coming duties."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import db
from app.matters.models import Matter
from app.matters.operations import local_today
from app.notices.models import Document
from app.studio import operations as ops
from app.studio.models import HolidayRule, Representative, Studio, StudioCase
from app.tenancy import bind_township
from app.townships.workdays import WorkCalendar
from tests import factories
from tests.conftest import csrf, login


@pytest.fixture
def saturday_studio(ctx):
    t = factories.township()
    bind_township(db.session, t.id)
    row = Studio(township_id=t.id, name="中山社区党代表工作室", place="党群服务中心二楼",
                 phone="0769-86000000", pattern=ops.parse_pattern("周六 09:00-11:30"))
    db.session.add(row)
    db.session.flush()
    reps = [Representative(township_id=t.id, studio_id=row.id, name=n)
            for n in ("邓美玲", "甘世杰", "黎志强")]
    db.session.add_all(reps)
    db.session.flush()
    return t, row, reps


def test_a_holiday_saturday_is_skipped_but_a_make_up_saturday_is_held(saturday_studio):
    t, row, reps = saturday_studio
    calendar = WorkCalendar.for_township(t.id)
    # 2026: 3 October is inside the National Day holiday; 10 October is a make-up working day.
    assert calendar.is_public_holiday(date(2026, 10, 3))
    assert not calendar.is_public_holiday(date(2026, 10, 10))
    assert not calendar.is_public_holiday(date(2026, 10, 17))  # an ordinary weekend
    sessions = ops.generate_month(row, date(2026, 10, 1), reps_per_session=1)
    assert [s.day.day for s in sessions] == [10, 17, 24, 31]


def test_the_moved_rule_holds_the_holiday_session_on_the_next_working_day(saturday_studio):
    t, row, reps = saturday_studio
    row.holiday_rule = HolidayRule.NEXT_WORKDAY.value
    sessions = ops.generate_month(row, date(2026, 10, 1), reps_per_session=1)
    assert [(s.day.day, s.moved_from) for s in sessions] == [
        (8, date(2026, 10, 3)), (10, None), (17, None), (24, None), (31, None)]


def test_a_closed_studio_gets_no_rota_and_a_retired_rep_no_more_duties(saturday_studio):
    t, row, reps = saturday_studio
    reps[0].active = False
    sessions = ops.generate_month(row, date(2026, 12, 1), reps_per_session=1)
    assert reps[0].id not in {a.member_id for s in sessions for a in s.assignments}
    row.active = False
    with pytest.raises(ops.StudioError, match="停用"):
        ops.generate_month(row, date(2027, 1, 1), reps_per_session=1)


def test_referral_to_a_centre_with_a_deadline_and_not_twice(saturday_studio):
    t, row, reps = saturday_studio
    centre = factories.centre(t, "社会事务服务中心")
    ops.receive(t, row, None, channel="session", topic="养老", member=reps[0],
                suggestions=["社区增设长者饭堂"], reply_workdays=15)
    case = ops.cases_of(row)[0]
    with pytest.raises(ops.StudioError, match="早于今天"):
        ops.refer(case, None, due=date(2026, 1, 5), centre=centre, today=date(2026, 11, 23))
    ops.refer(case, None, due=date(2026, 12, 4), centre=centre, today=date(2026, 11, 23))
    assert (case.referred_to, case.referral_due) == ("社会事务服务中心", date(2026, 12, 4))
    assert (case.matter.centre_id, case.matter.state) == (centre.id, "assigned")
    assert case.matter.commitment_due == date(2026, 12, 4)
    with pytest.raises(ops.StudioError, match="已转办"):
        ops.refer(case, None, unit="镇建设办", due=date(2026, 12, 4))


def test_the_reply_notice_tells_the_visitor_who_received_it_where_it_went_and_the_answer(
        saturday_studio):
    from app.notices import kinds
    from app.notices.pdf import render_pdf

    t, row, reps = saturday_studio
    ops.receive(t, row, None, channel="session", topic="社区环境", member=reps[1],
                suggestions=["修补南巷坑洼路面"], visitor_name="赵桂兰",
                visitor_phone="17244939092", reply_workdays=15)
    case = ops.cases_of(row)[0]
    entry = kinds.get("studio_reply")
    with pytest.raises(ValueError, match="尚未答复"):
        entry.build_context(t, case.id)
    ops.refer(case, None, unit="镇规划建设办", due=date(2026, 12, 10))
    ops.answer(case, None, text="规划建设办已安排月底前修补。", township=t)
    pdf = render_pdf(entry.template, township=t, **entry.build_context(t, case.id))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    for words in ("中山社区党代表工作室", "答复函", "甘世杰", "镇规划建设办",
                  "规划建设办已安排月底前修补", case.matter.number):
        assert words in text
    # A letter to the resident is not a public page: it is addressed to her by name.
    assert "赵桂兰：" in text.replace(" ", "")
    assert "17244939092" not in text


def _http_studio(app):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township()
        bind_township(db.session, t.id)
        admin = factories.user(t, Role.TOWNSHIP_ADMIN, name="刘书记")
        rep_user = factories.user(t, Role.PARTY_REP, name="邓美玲")
        cadre = factories.user(t, Role.CADRE, name="王干部")
        row = Studio(township_id=t.id, name="商业街党代表工作室", place="商会大楼",
                     pattern=ops.parse_pattern("周二 19:00-21:00"))
        db.session.add(row)
        db.session.flush()
        member = Representative(township_id=t.id, studio_id=row.id, name="邓美玲")
        db.session.add(member)
        db.session.commit()
        bind_township(db.session, None)
    return t, admin, rep_user, cadre, row, member


def test_a_member_is_linked_to_a_party_rep_account_and_then_sees_their_duties(app, client):
    t, admin, rep_user, cadre, row, member = _http_studio(app)
    login(client, admin)
    url = f"/t/{t.slug}/studio/members/{member.id}"
    page = client.get(url)
    assert page.status_code == 200 and "邓美玲（" in page.text
    base = {"csrf_token": csrf(page.text), "name": "邓美玲", "kind": "rep", "level": "county",
            "phone": "", "intro": "县党代表", "active": "y"}
    refused = client.post(url, data={**base, "user_id": str(cadre.id)})
    assert refused.status_code == 422  # a cadre's account is not a representative's
    saved = client.post(url, data={**base, "user_id": str(rep_user.id)})
    assert saved.status_code == 302
    made = client.post(f"/t/{t.slug}/studio/{row.id}/rota",
                       data={"csrf_token": csrf(page.text), "month": "2030-06"})
    assert made.status_code == 302
    with app.app_context():
        bind_township(db.session, t.id)
        stored = db.session.get(Representative, (t.id, member.id))
        assert (stored.user_id, stored.level, stored.intro) == (rep_user.id, "county", "县党代表")
        bind_township(db.session, None)
    login(client, rep_user)
    mine = client.get(f"/t/{t.slug}/studio/")
    assert 'id="my-duties"' in mine.text and "商业街党代表工作室" in mine.text
    assert "设立工作室" not in mine.text  # a representative does not set up studios
    assert client.get(url).status_code == 403


def test_a_studio_is_changed_then_closed_and_leaves_the_public_page(app, client):
    t, admin, rep_user, cadre, row, member = _http_studio(app)
    login(client, admin)
    url = f"/t/{t.slug}/studio/{row.id}/edit"
    page = client.get(url)
    assert "周二 19:00-21:00" in page.text
    data = {"csrf_token": csrf(page.text), "name": "商业街党代表工作室", "place": "兴华路 8 号",
            "phone": "0769-86001111", "pattern": "周二 19:00-21:00；周六 9:00-11:30",
            "holiday_rule": "next_workday", "active": "y"}
    bad = client.post(url, data={**data, "pattern": "每周二晚上"})
    assert bad.status_code == 422 and "看不懂" in bad.text
    assert client.post(url, data=data).status_code == 302
    public = client.get(f"/t/{t.slug}/studios")
    assert "兴华路 8 号" in public.text and "周六 09:00-11:30" in public.text
    assert client.post(url, data={k: v for k, v in data.items() if k != "active"}
                       ).status_code == 302
    assert "商业街党代表工作室" not in client.get(f"/t/{t.slug}/studios").text


def test_the_reply_notice_is_asked_for_only_once_answered(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_MODE", "inline")  # no worker beside this test
    t, admin, rep_user, cadre, row, member = _http_studio(app)
    with app.app_context():
        bind_township(db.session, t.id)
        studio = db.session.get(Studio, (t.id, row.id))
        ops.receive(t, studio, None, channel="phone", topic="停车", suggestions=["划定停车位"])
        db.session.commit()
        case_id = db.session.scalar(select(StudioCase.id))
        bind_township(db.session, None)
    login(client, rep_user)
    cases = client.get(f"/t/{t.slug}/studio/{row.id}/cases")
    token = csrf(cases.text)
    early = client.post(f"/t/{t.slug}/studio/cases/{case_id}/reply.pdf",
                        data={"csrf_token": token})
    assert early.status_code == 302 and "/cases" in early.headers["Location"]
    client.post(f"/t/{t.slug}/studio/cases/{case_id}/answer",
                data={"csrf_token": token, "text": "已在广场东侧划定 40 个停车位。"})
    done = client.post(f"/t/{t.slug}/studio/cases/{case_id}/reply.pdf",
                       data={"csrf_token": token})
    assert done.status_code == 302 and "/documents/" in done.headers["Location"]
    with app.app_context():
        bind_township(db.session, t.id)
        assert db.session.scalar(select(Matter.state)) == "replied"
        docs = db.session.execute(select(Document.kind, Document.state, Document.error)).all()
        assert [tuple(d) for d in docs] == [("studio_reply", "ready", "")]  # rendered by the job


def test_the_opening_pattern_accepts_how_people_write_it():
    assert ops.parse_pattern("星期六 9：00～11:30，周日 19:00至21:00") == [
        {"weekday": 5, "start": "09:00", "end": "11:30"},
        {"weekday": 6, "start": "19:00", "end": "21:00"}]
    for wrong in ("周六 25:00-26:00", "周八 09:00-11:00", "周六 11:30-09:00", ""):
        with pytest.raises(ops.StudioError):
            ops.parse_pattern(wrong)


def test_a_sessions_reception_summary_lists_whom_the_reps_received_and_what_became_of_it(
        saturday_studio):
    from app.notices import kinds
    from app.notices.pdf import render_pdf

    t, row, reps = saturday_studio
    session = ops.generate_month(row, date(2026, 11, 1), reps_per_session=2)[0]
    ops.swap(session.assignments[1], reps[2], "出差")
    ops.receive(t, row, None, channel="session", session=session, member=reps[0],
                topic="社区环境", said="垃圾清运不及时", visitor_name="赵桂兰",
                suggestions=["增加垃圾清运次数", "修补南巷坑洼路面"])
    ops.receive(t, row, None, channel="session", session=session, member=reps[0],
                topic="学位", suggestions=["公布积分入学流程"])
    ops.receive(t, row, None, channel="phone", topic="另一次", suggestions=["不在本场"])
    road = next(c for c in ops.cases_of(row) if c.matter.title == "修补南巷坑洼路面")
    ops.refer(road, None, unit="镇规划建设办", due=date(2026, 12, 10))
    assert ops.receptions_per_session(row, date(2026, 11, 1), date(2026, 12, 1)) == {
        session.id: 2}
    entry = kinds.get("studio_session")
    context = entry.build_context(t, session.id)
    assert context["source"] == {"session": str(session.id), "receptions": 2, "cases": 3}
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(
        render_pdf(entry.template, township=t, **context))).pages)
    for words in ("接待情况记录", "社区环境", "增加垃圾清运次数", "已转镇规划建设办",
                  "公布积分入学流程", reps[0].name, reps[2].name, "2 人次"):
        assert words in text
    assert "赵桂兰" not in text and "不在本场" not in text


def test_the_public_page_shows_the_members_the_next_duties_and_good_cases_not_phones(
        app, client):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township()
        bind_township(db.session, t.id)
        row = Studio(township_id=t.id, name="中山社区党代表工作室", place="党群服务中心",
                     phone="0769-86000000", pattern=ops.parse_pattern("周六 09:00-11:30"))
        db.session.add(row)
        db.session.flush()
        db.session.add_all([
            Representative(township_id=t.id, studio_id=row.id, name="邓美玲", level="county",
                           phone="13712345678", intro="长期联系辖区商户"),
            Representative(township_id=t.id, studio_id=row.id, name="卢晓燕", kind="liaison",
                           phone="13787654321")])
        db.session.flush()
        today = local_today(t)
        ops.generate_month(row, today, reps_per_session=1)
        ops.generate_month(row, (today.replace(day=28) + timedelta(days=7)), reps_per_session=1)
        ops.receive(t, row, None, channel="session", topic="环境", visitor_name="赵桂兰",
                    visitor_phone="17244939092", suggestions=["增加垃圾清运次数"])
        case = ops.cases_of(row)[0]
        ops.answer(case, None, text="已协调环卫所每日清运两次。", township=t)
        case.good_example, case.example_note = True, "三天内落实，群众满意。"
        db.session.commit()
        bind_township(db.session, None)
    page = client.get(f"/t/{t.slug}/studios").text
    assert "县（区）党代表" in page and "长期联系辖区商户" in page and "联络员" in page
    assert "邓美玲" in page.split('class="list next-sessions"')[1].split("</ul>")[0]
    assert "三天内落实，群众满意。" in page and "已协调环卫所每日清运两次。" in page
    assert "100.0%" in page  # one suggestion, answered
    for private in ("13712345678", "13787654321", "17244939092", "赵桂兰"):
        assert private not in page


def test_cases_filtered_rated_by_the_rep_and_marked_good_by_the_township(app, client):
    t, admin, rep_user, cadre, row, member = _http_studio(app)
    with app.app_context():
        bind_township(db.session, t.id)
        studio = db.session.get(Studio, (t.id, row.id))
        rep = db.session.get(Representative, (t.id, member.id))
        ops.receive(t, studio, None, channel="session", topic="环境", member=rep,
                    visitor_phone="13911112222",
                    suggestions=["增加垃圾清运次数", "修补坑洼路面", "广场加装路灯"])
        cases = {c.matter.title: c for c in ops.cases_of(studio)}
        ops.refer(cases["修补坑洼路面"], None, unit="镇建设办", due=date(2099, 1, 1))
        ops.answer(cases["增加垃圾清运次数"], None, text="已每日清运两次。", township=t)
        ids = {title: c.id for title, c in cases.items()}
        db.session.commit()
        bind_township(db.session, None)
    login(client, rep_user)
    base = f"/t/{t.slug}/studio/{row.id}/cases"
    page = client.get(base)
    assert "139****2222" in page.text and "13911112222" not in page.text
    assert "列为优秀工作案例" not in page.text  # the township marks good examples
    shown = {key: client.get(f"{base}?show={key}").text for key in ("open", "referred",
                                                                    "answered")}
    assert "修补坑洼路面" in shown["referred"] and "广场加装路灯" not in shown["referred"]
    assert "广场加装路灯" in shown["open"] and "增加垃圾清运次数" not in shown["open"]
    assert "增加垃圾清运次数" in shown["answered"] and "修补坑洼路面" not in shown["answered"]
    token = csrf(page.text)
    rate = f"/t/{t.slug}/studio/cases/{ids['增加垃圾清运次数']}/rating"
    assert client.post(rate, data={"csrf_token": token, "rating": "satisfied",
                                   "source": "phone", "comment": "很快"}).status_code == 302
    again = client.post(rate, data={"csrf_token": token, "rating": "dissatisfied",
                                    "source": "phone"}, follow_redirects=True)
    assert "本阶段已经评价过了" in again.text
    assert "群众评价：满意" in client.get(f"{base}?show=answered").text
    with app.app_context():
        bind_township(db.session, t.id)
        studio = db.session.get(Studio, (t.id, row.id))
        figures = ops.figures(studio, date(2099, 1, 1))
        assert (figures.rated, figures.satisfaction_rate) == (1, 1.0)
        bind_township(db.session, None)
    login(client, admin)
    good = f"/t/{t.slug}/studio/cases/{ids['增加垃圾清运次数']}/example"
    assert client.post(good, data={"csrf_token": token, "note": "当天协调，三天落实。"}
                       ).status_code == 302
    assert "当天协调，三天落实。" in client.get(f"/t/{t.slug}/studios").text
    assert "增加垃圾清运次数" in client.get(f"{base}?show=good").text


def test_with_htmx_an_answer_swaps_only_its_case_and_a_refusal_says_why(app, client):
    t, admin, rep_user, cadre, row, member = _http_studio(app)
    with app.app_context():
        bind_township(db.session, t.id)
        studio = db.session.get(Studio, (t.id, row.id))
        ops.receive(t, studio, None, channel="phone", topic="照明", suggestions=["村口路灯坏了"])
        db.session.commit()
        case_id = db.session.scalar(select(StudioCase.id))
        bind_township(db.session, None)
    login(client, rep_user)
    token = csrf(client.get(f"/t/{t.slug}/studio/{row.id}/cases").text)
    hx = {"HX-Request": "true"}
    url = f"/t/{t.slug}/studio/cases/{case_id}"
    empty = client.post(f"{url}/answer", data={"csrf_token": token, "text": ""}, headers=hx)
    assert empty.status_code == 422 and "答复内容不能为空" in empty.text
    done = client.post(f"{url}/answer", data={"csrf_token": token, "text": "已修好。"},
                       headers=hx)
    assert done.status_code == 200
    assert f'id="case-{case_id}"' in done.text and "<html" not in done.text
    assert "已修好。" in done.text and "已答复，可打印答复函告知群众" in done.text
    late = client.post(f"{url}/refer", data={"csrf_token": token, "unit": "镇建设办",
                                             "due": "2099-01-01"}, headers=hx)
    assert late.status_code == 422 and 'role="status"' in late.text
    plain = client.post(f"{url}/answer", data={"csrf_token": token, "text": "again"})
    assert plain.status_code == 302 and plain.headers["Location"].endswith(f"#case-{case_id}")


def test_a_retiring_rep_hands_coming_duties_on_fairly_and_past_ones_stay(saturday_studio):
    t, row, reps = saturday_studio
    sessions = ops.generate_month(row, date(2026, 12, 1), reps_per_session=1)
    # Four Saturdays, three reps by name: 邓美玲 sits the 5th and the 26th.
    leaving = sessions[0].assignments[0].member
    theirs = [s for s in sessions if s.assignments[0].member_id == leaving.id]
    assert [s.day.day for s in theirs] == [5, 26]
    handed = ops.retire(leaving, today=date(2026, 12, 10))
    db.session.expire_all()
    assert handed == 1 and not leaving.active
    assert sessions[0].assignments[0].member_id == leaving.id  # the 5th is history
    last = sessions[-1].assignments[0]
    assert last.member_id != leaving.id and last.swapped_from_id == leaving.id
    assert "离任" in last.swap_note
    with pytest.raises(ops.StudioError, match="已过去"):
        ops.swap(sessions[0].assignments[0], reps[1], "补录", today=date(2026, 12, 10))
    with pytest.raises(ops.StudioError, match="在任"):
        ops.swap(sessions[-1].assignments[0], leaving, "回来", today=date(2026, 12, 10))


def test_a_month_can_be_taken_back_except_what_was_held_or_received(saturday_studio):
    t, row, reps = saturday_studio
    sessions = ops.generate_month(row, date(2026, 12, 1), reps_per_session=1)
    ops.receive(t, row, None, channel="session", session=sessions[1], topic="环境",
                suggestions=["增加垃圾清运次数"])
    assert ops.clear_month(row, date(2026, 12, 1), today=date(2026, 12, 10)) == 2
    left = ops.sessions_between(row, date(2026, 12, 1), date(2027, 1, 1))
    assert [s.day.day for s in left] == [5, 12]  # held on the 5th; the 12th received someone
    row.pattern = ops.parse_pattern("周日 09:00-11:30")
    again = ops.generate_month(row, date(2026, 12, 1), reps_per_session=1,
                               since=date(2026, 12, 10))
    assert [s.day.day for s in again] == [13, 20, 27]  # no Sunday made up in the past


def test_no_reminder_for_a_closed_studio_or_a_retired_rep(saturday_studio):
    from app.studio import reminders

    t, row, reps = saturday_studio
    user = factories.user(t, Role.PARTY_REP, name="邓美玲")
    reps[0].user_id = user.id
    session = ops.generate_month(row, date(2026, 11, 1), reps_per_session=3)[0]
    eve = session.day - timedelta(days=1)
    row.active = False
    assert reminders.sweep(t, eve) == 0
    row.active, reps[0].active = True, False
    assert reminders.sweep(t, eve) == 0
    reps[0].active = True
    assert reminders.sweep(t, eve) == 1


def test_figures_for_a_period_count_only_what_was_received_in_it(saturday_studio):
    from datetime import UTC, datetime

    t, row, reps = saturday_studio
    ops.generate_month(row, date(2026, 10, 1), reps_per_session=1)
    ops.generate_month(row, date(2026, 11, 1), reps_per_session=1)
    # 31 October, 23:30 in Shanghai is still October there, though November in UTC.
    late_october = datetime(2026, 10, 31, 15, 30, tzinfo=UTC)
    ops.receive(t, row, None, channel="phone", topic="十月", suggestions=["十月的建议"],
                member=reps[0], now=late_october)
    ops.receive(t, row, None, channel="phone", topic="十一月", suggestions=["十一月的建议"],
                member=reps[0], now=datetime(2026, 11, 2, 2, 0, tzinfo=UTC))
    today = date(2026, 11, 23)
    whole = ops.figures(row, today)
    november = ops.figures(row, today, since=date(2026, 11, 1))
    assert (whole.visitors, whole.suggestions) == (2, 2)
    assert (november.visitors, november.suggestions) == (1, 1)
    assert (whole.sessions, november.sessions) == (7, 3)  # Oct 10–31 and Nov 7–21 held
    assert ops.figures(row, today, member=reps[0], since=date(2026, 11, 1)).suggestions == 1


def test_the_rota_poster_and_a_session_summary_are_made_by_the_document_job(
        app, client, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_MODE", "inline")  # no worker beside this test
    t, admin, rep_user, cadre, row, member = _http_studio(app)
    with app.app_context():
        bind_township(db.session, t.id)
        studio = db.session.get(Studio, (t.id, row.id))
        session = ops.generate_month(studio, date(2026, 11, 1), reps_per_session=1)[0]
        db.session.commit()
        session_id = session.id
        bind_township(db.session, None)
    login(client, rep_user)
    token = csrf(client.get(f"/t/{t.slug}/studio/{row.id}?month=2026-11").text)
    poster = client.post(f"/t/{t.slug}/studio/{row.id}/rota.pdf",
                         data={"csrf_token": token, "month": "2026-11"})
    summary = client.post(f"/t/{t.slug}/studio/sessions/{session_id}/summary.pdf",
                          data={"csrf_token": token})
    assert "/documents/" in poster.headers["Location"]
    assert "/documents/" in summary.headers["Location"]
    with app.app_context():
        bind_township(db.session, t.id)
        docs = db.session.execute(select(Document.kind, Document.state, Document.error)
                                  .order_by(Document.kind)).all()
        assert [tuple(d) for d in docs] == [("studio_rota", "ready", ""),
                                            ("studio_session", "ready", "")]


def test_a_swap_on_the_rota_page_is_kept_with_its_reason(app, client):
    t, admin, rep_user, cadre, row, member = _http_studio(app)
    with app.app_context():
        bind_township(db.session, t.id)
        studio = db.session.get(Studio, (t.id, row.id))
        db.session.add(Representative(township_id=t.id, studio_id=row.id, name="梁国栋"))
        db.session.flush()
        session = ops.generate_month(studio, date(2030, 6, 1), reps_per_session=1)[0]
        assignment_id, due = session.assignments[0].id, session.assignments[0].member.name
        other = next(r.id for r in ops.reps_of(studio) if r.name != due)
        db.session.commit()
        bind_township(db.session, None)
    login(client, rep_user)
    page = client.get(f"/t/{t.slug}/studio/{row.id}?month=2030-06")
    url = f"/t/{t.slug}/studio/duties/{assignment_id}/swap"
    refused = client.post(url, data={"csrf_token": csrf(page.text), "member_id": str(other),
                                     "note": ""}, follow_redirects=True)
    assert "换班请写明原因" in refused.text
    client.post(url, data={"csrf_token": csrf(page.text), "member_id": str(other),
                           "note": "出差"})
    rota = client.get(f"/t/{t.slug}/studio/{row.id}?month=2030-06").text
    assert f"原为{due}：出差" in rota


def test_what_a_linked_rep_received_is_theirs_in_the_ledger_through_the_referral(app, client):
    t, admin, rep_user, cadre, row, member = _http_studio(app)
    with app.app_context():
        bind_township(db.session, t.id)
        studio = db.session.get(Studio, (t.id, row.id))
        rep = db.session.get(Representative, (t.id, member.id))
        rep.user_id = rep_user.id
        ops.receive(t, studio, None, channel="session", topic="养老", member=rep,
                    suggestions=["社区增设长者饭堂"])
        unlinked = Representative(township_id=t.id, studio_id=row.id, name="梁国栋")
        db.session.add(unlinked)
        db.session.flush()
        ops.receive(t, studio, None, channel="session", topic="停车", member=unlinked,
                    suggestions=["划定停车位"])
        cases = {c.matter.title: c for c in ops.cases_of(studio)}
        canteen = cases["社区增设长者饭堂"]
        assert (canteen.matter.state, canteen.matter.assignee_id) == ("assigned", rep_user.id)
        assert cases["划定停车位"].matter.state == "received"  # nobody's account to hold it
        ops.refer(canteen, None, unit="镇民政办", due=date(2099, 1, 1))
        assert (canteen.matter.assignee_id, canteen.matter.unit_name) == (rep_user.id, "镇民政办")
        matter_id = canteen.matter_id
        db.session.commit()
        bind_township(db.session, None)
    login(client, rep_user)
    assert client.get(f"/t/{t.slug}/matters/{matter_id}").status_code == 200


def test_the_reply_letter_gives_the_day_of_the_visit_and_its_own_date(saturday_studio):
    """A reception typed in on Monday for Saturday's session, answered a week later: the letter
    says the visitor came on Saturday, and is dated the day of the answer."""
    from datetime import UTC, datetime

    import time_machine

    from app.notices import kinds
    from app.notices.pdf import render_pdf

    t, row, reps = saturday_studio
    session = ops.generate_month(row, date(2026, 11, 1), reps_per_session=1)[1]
    assert session.day == date(2026, 11, 14)  # the second Saturday
    ops.receive(t, row, None, channel="session", topic="社区环境", member=reps[1],
                session=session, suggestions=["修补南巷坑洼路面"], reply_workdays=15,
                now=datetime(2026, 11, 16, 1, 0, tzinfo=UTC))
    case = ops.cases_of(row)[0]
    with time_machine.travel(datetime(2026, 11, 23, 2, 0, tzinfo=UTC), tick=True):
        ops.answer(case, None, text="已安排月底前修补。", township=t)
    entry = kinds.get("studio_reply")
    pdf = render_pdf(entry.template, township=t, **entry.build_context(t, case.id))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).replace(" ", "")
    assert "您于2026年11月14日" in text and "2026年11月23日" in text
    assert "2026年11月16日" not in text

"""The assembly over HTTP: preparing and announcing, the juror's page, the clerk's screen, the
public board with masked names, the three PDFs."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.assembly import operations as ops
from app.assembly.models import Assembly, Criticism, Score
from app.extensions import db
from app.matters.operations import local_today
from app.tenancy import bind_township
from tests import factories
from tests.conftest import csrf, login
from tests.notices.helpers import has_cjk_font, pdf_text


@pytest.fixture
def town(app):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township()
        bind_township(db.session, t.id)
        admin = factories.user(t, Role.TOWNSHIP_ADMIN, name="黄振华")
        cadre = factories.user(t, Role.CADRE, name="韦家兴")
        db.session.commit()
        bind_township(db.session, None)
        return t, admin, cadre


def _base(t):
    return f"/t/{t.slug}"


def _setup(app, town, *, announce=True, jurors=2):
    t, admin, cadre = town
    with app.app_context():
        db.session().expire_on_commit = False
        bind_township(db.session, t.id)
        today = local_today(t)
        a = ops.create_assembly(t, admin, title="上半年有奖批评大会",
                                held_on=today + timedelta(days=8), venue="镇文化广场")
        if announce:
            ops.announce(a, t, today=today)
        ops.add_team(a, name="第一批评团", branch="石鼓村党支部", members=["张三", "李四"])
        ops.add_candidates(a, [f"评委{i}" for i in range(jurors)], kind="resident")
        drawn = ops.draw_jury(a, t, size=jurors)
        c = ops.add_criticism(a, title="村道坑洼无人修", raised_by="王秀英",
                              contact_phone="13912345678", target_unit="镇交通办",
                              responsible=cadre)
        db.session.commit()
        bind_township(db.session, None)
        return a, drawn, c


def test_assembly_created_and_announced_from_the_pages(app, client, town):
    t, admin, _ = town
    login(client, admin)
    page = client.get(f"{_base(t)}/assembly/assemblies/new")
    assert page.status_code == 200 and "批得准 40" in page.text
    with app.app_context():
        today = local_today(t)
    data = {"csrf_token": csrf(page.text), "title": "下半年有奖批评大会",
            "held_on": (today + timedelta(days=3)).isoformat(), "starts_at": "09:00",
            "venue": "镇政府大礼堂", "rules": "每人发言不超过5分钟。",
            "criteria": "批得准 50\n批得狠 30", "prizes": "一等奖 300 1"}
    refused = client.post(f"{_base(t)}/assembly/assemblies/new", data=data)
    assert refused.status_code == 422 and "合计须为 100" in refused.text
    data["criteria"] = "批得准 40\n批得狠 30\n批得有方向 30"
    created = client.post(f"{_base(t)}/assembly/assemblies/new", data=data)
    assert created.status_code == 302
    detail = client.get(created.headers["Location"])
    assert "草稿" in detail.text and "一等奖 300 元 × 1 名" in detail.text
    announce = re.search(r'action="([^"]+/announce)"', detail.text).group(1)
    too_soon = client.post(announce, data={"csrf_token": csrf(detail.text)})
    assert too_soon.status_code == 422 and "公告须至少提前 7 天" in too_soon.text
    with app.app_context():
        bind_township(db.session, t.id)
        assert db.session.scalar(select(Assembly.state)) == "draft"


def test_a_draft_is_not_public(app, client, town):
    t, *_ = town
    a, _, _ = _setup(app, town, announce=False)
    assert client.get(f"{_base(t)}/assemblies/{a.id}").status_code == 404
    assert client.get(f"{_base(t)}/assemblies/{a.id}/announcement.pdf").status_code == 404
    assert "上半年有奖批评大会" not in client.get(f"{_base(t)}/assemblies/").text


def test_public_page_masks_names_and_never_shows_phones(app, client, town):
    t, *_ = town
    a, _, _ = _setup(app, town)
    page = client.get(f"{_base(t)}/assemblies/{a.id}")
    assert page.status_code == 200
    assert "村道坑洼无人修" in page.text and "第一批评团" in page.text
    assert "王秀英" not in page.text and "王**" in page.text
    assert "13912345678" not in page.text and "5678" not in page.text
    assert "我要批评" in page.text


def test_resident_sends_a_criticism_online(app, client, town):
    t, *_ = town
    a, _, _ = _setup(app, town)
    form = client.get(f"{_base(t)}/assemblies/{a.id}/criticise")
    sent = client.post(f"{_base(t)}/assemblies/{a.id}/criticise", data={
        "csrf_token": csrf(form.text), "raised_by": "赵四", "contact_phone": "13700001111",
        "title": "低保评议不公开", "content": "希望张榜公示。"})
    assert sent.status_code == 200 and "收到了" in sent.text
    with app.app_context():
        bind_township(db.session, t.id)
        row = db.session.scalar(select(Criticism).where(Criticism.title == "低保评议不公开"))
        assert (row.source, row.position, row.contact_phone) == ("online", 2, "13700001111")


def test_announcement_and_score_sheet_pdfs(app, client, town):
    t, admin, _ = town
    a, _, _ = _setup(app, town)
    notice = client.get(f"{_base(t)}/assemblies/{a.id}/announcement.pdf")
    assert notice.status_code == 200 and notice.mimetype == "application/pdf"
    text = pdf_text(notice.data)
    assert "有奖批评大会的公告" in text and "镇文化广场" in text and "批得准" in text
    assert has_cjk_font(notice.data)
    login(client, admin)
    sheet = client.get(f"{_base(t)}/assembly/assemblies/{a.id}/score-sheet.pdf")
    text = pdf_text(sheet.data)
    assert "评委评分表" in text and "村道坑洼无人修" in text and "批得狠" in text
    assert "请不要在表上写姓名" in text


def test_jurors_score_from_their_links_and_the_clerk_sees_scores_only_at_the_end(
        app, client, town):
    t, admin, _ = town
    a, jurors, c = _setup(app, town)
    with app.app_context():
        bind_township(db.session, t.id)
        ops.start_session(db.session.get(Assembly, (t.id, a.id)), today=a.held_on)
        db.session.commit()
    login(client, admin)
    screen = client.get(f"{_base(t)}/assembly/assemblies/{a.id}/session")
    opened = client.post(f"{_base(t)}/assembly/assemblies/{a.id}/criticisms/{c.id}/open",
                         data={"csrf_token": csrf(screen.text)})
    assert opened.status_code == 302
    client.post("/logout", data={"csrf_token": csrf(screen.text)})

    juror = app.test_client()  # no account: only the personal link
    url = f"{_base(t)}/assemblies/jury/{jurors[0].token}"
    page = juror.get(url)
    assert "村道坑洼无人修" in page.text and "提交评分" in page.text
    points = {"csrf_token": csrf(page.text), "criticism_id": str(c.id),
              "accurate": "9", "sharp": "8", "constructive": "7"}
    assert "已提交" in juror.post(url, data=points).text
    again = juror.post(url, data=points)
    assert again.status_code == 422 and "不能重复打分" in again.text
    assert juror.get(f"{_base(t)}/assemblies/jury/not-a-token").status_code == 404

    login(client, admin)
    screen = client.get(f"{_base(t)}/assembly/assemblies/{a.id}/session")
    assert "已评 1 / 2" in screen.text and "分数在本轮结束之前不显示" in screen.text
    assert "81.0" not in screen.text
    other = app.test_client()
    url2 = f"{_base(t)}/assemblies/jury/{jurors[1].token}"
    other.post(url2, data={**points, "csrf_token": csrf(other.get(url2).text),
                           "accurate": "5", "sharp": "5", "constructive": "5"})
    screen = client.get(f"{_base(t)}/assembly/assemblies/{a.id}/session")
    # Every juror has scored, and still no score shows until the clerk closes the round.
    assert "全部到会评委已评分" in screen.text and "81.0" not in screen.text
    assert "50.0" not in screen.text
    with app.app_context():
        bind_township(db.session, t.id)
        assert db.session.scalar(select(func.count()).select_from(Score)) == 2



def test_results_page_and_notice_after_publishing(app, client, town):
    t, admin, _ = town
    a, jurors, c = _setup(app, town)
    with app.app_context():
        bind_township(db.session, t.id)
        assembly = db.session.get(Assembly, (t.id, a.id))
        row = db.session.get(Criticism, (t.id, c.id))
        assert client.get(f"{_base(t)}/assemblies/{a.id}/results.pdf").status_code == 404
        ops.start_session(assembly, today=assembly.held_on)
        ops.open_round(row, assembly)
        for j in jurors:
            ops.submit_score(j, row, assembly, {"accurate": 8, "sharp": 8, "constructive": 8})
        ops.close_round(row, assembly, t, admin)
        ops.finish_scoring(assembly)
        ops.publish_results(assembly, t, admin)
        number = row.matter.number
        db.session.commit()
        bind_township(db.session, None)
    page = client.get(f"{_base(t)}/assemblies/{a.id}")
    assert "评选结果" in page.text and "一等奖（300 元）" in page.text and "80.00" in page.text
    assert number in page.text and "已交办" in page.text
    notice = client.get(f"{_base(t)}/assemblies/{a.id}/results.pdf")
    text = re.sub(r"\s+", "", pdf_text(notice.data))  # a table cell may wrap the number
    assert "评选结果通报" in text and "一等奖" in text and number in text
    assert "王秀英" not in text


def test_clerk_marks_a_paper_juror_and_enters_the_sheet(app, client, town):
    t, admin, _ = town
    a, jurors, c = _setup(app, town)
    login(client, admin)
    detail = client.get(f"{_base(t)}/assembly/assemblies/{a.id}")
    token = csrf(detail.text)
    # Chosen by hand this time: only the first name on the list.
    drawn = client.post(f"{_base(t)}/assembly/assemblies/{a.id}/draw", data={
        "csrf_token": token, "draw-csrf_token": csrf(detail.text), "draw-how": "chosen",
        "chosen": [str(jurors[0].id), str(jurors[1].id)]})
    assert drawn.status_code in (302, 422), drawn.text
    with app.app_context():
        bind_township(db.session, t.id)
        jury = ops.jurors_of(db.session.get(Assembly, (t.id, a.id)), drawn=True)
        assert len(jury) == 2 and {j.drawn_by for j in jury} == {"chosen"}
        ops.start_session(db.session.get(Assembly, (t.id, a.id)), today=a.held_on)
        db.session.commit()
        paper_id, phone_token = jury[0].id, jury[1].token
    client.post(f"{_base(t)}/assembly/assemblies/{a.id}/jurors/{paper_id}",
                data={"csrf_token": token, "present": "y", "on_paper": "y", "back": "session"})
    client.post(f"{_base(t)}/assembly/assemblies/{a.id}/criticisms/{c.id}/open",
                data={"csrf_token": token})
    screen = client.get(f"{_base(t)}/assembly/assemblies/{a.id}/session")
    assert "纸质评分 1 人" in screen.text and "录入纸质评分表（第 1 张，共 1 张）" in screen.text
    sheet = {"csrf_token": token, "accurate": "10", "sharp": "10", "constructive": "10"}
    entered = client.post(f"{_base(t)}/assembly/assemblies/{a.id}/criticisms/{c.id}/paper",
                          data=sheet)
    assert entered.status_code == 302
    again = client.post(f"{_base(t)}/assembly/assemblies/{a.id}/criticisms/{c.id}/paper",
                        data=sheet)
    assert again.status_code == 422 and "已全部录入" in again.text
    juror = app.test_client()
    url = f"{_base(t)}/assemblies/jury/{phone_token}"
    juror.post(url, data={"csrf_token": csrf(juror.get(url).text), "criticism_id": str(c.id),
                          "accurate": "5", "sharp": "5", "constructive": "5"})
    round_part = client.get(f"{_base(t)}/assembly/assemblies/{a.id}/session?part=round",
                            headers={"HX-Request": "true"})
    assert "已评 2 / 2" in round_part.text and "全部到会评委已评分" in round_part.text
    assert "100.0" not in round_part.text  # no score before the round is closed


def test_opening_before_the_announced_day_asks_for_a_reason_and_keeps_it(app, client, town):
    t, admin, _ = town
    a, _jurors, _c = _setup(app, town)  # announced for 8 days from today
    login(client, admin)
    page = client.get(f"{_base(t)}/assembly/assemblies/{a.id}")
    assert "提前开始大会" in page.text and "提前召开的原因" in page.text
    step = f"{_base(t)}/assembly/assemblies/{a.id}/session"
    refused = client.post(step, data={"csrf_token": csrf(page.text), "reason": " "})
    assert refused.status_code == 422 and "请填写提前的原因" in refused.text
    opened = client.post(step, data={"csrf_token": csrf(page.text), "reason": "镇党委决定提前"})
    assert opened.status_code == 302
    with app.app_context():
        bind_township(db.session, t.id)
        row = db.session.get(Assembly, (t.id, a.id))
        assert (row.state, row.started_on, row.early_start_reason) == (
            "in_session", local_today(t), "镇党委决定提前")
    assert "提前原因：镇党委决定提前" in client.get(f"{_base(t)}/assembly/assemblies/{a.id}").text


def test_a_mistyped_criticism_is_corrected_or_withdrawn_before_it_is_scored(app, client, town):
    """Its history is kept: the page lists who changed what, and a withdrawn criticism stays,
    with its reason, out of the order."""
    from app.audit.models import AuditEvent

    t, admin, _ = town
    with app.app_context():
        bind_township(db.session, t.id)
        a = ops.create_assembly(t, admin, title="有奖批评大会", held_on=date(2030, 6, 28),
                                venue="镇政府")
        wrong = ops.add_criticism(a, title="村道坑哇无人修", raised_by="王小明")
        twice = ops.add_criticism(a, title="村道坑洼无人修（重复）", raised_by="王小明")
        db.session.commit()
        a_id, wrong_id, twice_id = a.id, wrong.id, twice.id
    login(client, admin)
    page_url = f"{_base(t)}/assembly/assemblies/{a_id}/criticisms/{wrong_id}"
    page = client.get(page_url)
    token = csrf(page.text)
    empty = client.post(f"{page_url}/edit", data={"csrf_token": token, "title": ""})
    assert empty.status_code == 422 and "请填写批评意见的标题" in empty.text
    fixed = client.post(f"{page_url}/edit", data={
        "csrf_token": token, "title": "村道坑洼无人修", "content": "东村到西村的村道",
        "raised_by": "王小明"})
    assert fixed.status_code == 302
    history = client.get(page_url).text
    assert "修改记录" in history and "村道坑哇无人修" in history  # what it said before
    twice_url = f"{_base(t)}/assembly/assemblies/{a_id}/criticisms/{twice_id}"
    assert client.post(f"{twice_url}/withdraw", data={"csrf_token": token, "reason": ""}
                       ).status_code == 422
    assert client.post(f"{twice_url}/withdraw", data={"csrf_token": token,
                                                      "reason": "与第1条重复"}).status_code == 302
    with app.app_context():
        bind_township(db.session, t.id)
        a = db.session.get(Assembly, (t.id, a_id))
        assert [c.title for c in ops.criticisms_of(a)] == ["村道坑洼无人修"]
        assert [c.withdrawn_reason for c in ops.criticisms_of(a, withdrawn=True)] == [
            "与第1条重复"]
        assert [e.action for e in db.session.scalars(
            select(AuditEvent).order_by(AuditEvent.at))] == ["criticism.edit",
                                                              "criticism.withdraw"]
        row = db.session.get(Criticism, (t.id, wrong_id))
        row.round_state = "closed"  # scored: from now on it is followed as a matter
        db.session.commit()
    refused = client.post(f"{page_url}/edit", data={"csrf_token": token, "title": "再改"})
    assert refused.status_code == 422 and "不能再修改" in refused.text
    detail = client.get(f"{_base(t)}/assembly/assemblies/{a_id}").text
    assert "已撤回的批评意见" in detail and "与第1条重复" in detail

"""会议纪要 with attendance, for an assembly and a studio session, kept as a document."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import select

from app.accounts.models import Role
from app.assembly import operations as assembly_ops
from app.audit.models import AuditEvent
from app.cadres.models import MeetingMinutes
from app.extensions import db
from app.notices.models import Document
from app.studio.models import DutyAssignment, DutySession, Representative, Studio
from app.tenancy import bind_township
from tests import factories
from tests.conftest import csrf, login
from tests.notices.helpers import pdf_text


def test_assembly_minutes_start_from_its_roster_and_print(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_MODE", "inline")
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("jiyao", code="JY")
        bind_township(db.session, t.id)
        admin = factories.user(t, Role.TOWNSHIP_ADMIN, name="刘书记")
        a = assembly_ops.create_assembly(t, admin, title="上半年有奖批评大会",
                                         held_on=date(2030, 6, 28), venue="镇政府大会议室")
        assembly_ops.add_team(a, name="第一批评团", branch="东村党支部", members=["甲", "乙"])
        assembly_ops.add_candidates(a, ["评委一", "评委二", "评委三"], kind="resident")
        assembly_ops.draw_jury(a, t, size=3)
        db.session.commit()
    login(client, admin)
    url = f"/t/{t.slug}/cadres/minutes/assembly/{a.id}"
    page = client.get(url)
    assert page.status_code == 200
    for name in ("评委一", "评委二", "评委三", "甲", "乙"):
        assert name in page.text
    empty = client.post(url, data={"csrf_token": csrf(page.text), "summary": ""})
    assert empty.status_code == 422 and "主要内容" in empty.text
    names = ["评委一", "评委二", "评委三", "甲", "乙"]
    saved = client.post(url, data={
        "csrf_token": csrf(page.text), "chair": "刘书记", "name": names,
        "role": ["评审团成员"] * 3 + ["批评团"] * 2, "present": ["0", "1", "3", "4"],
        "others": "王记者 县融媒体中心", "summary": "共收到批评意见两条，当场打分。",
        "decisions": "整改责任人十五日内答复。", "print": "1"})
    assert saved.status_code == 302 and "/notices/documents/" in saved.headers["Location"]
    with app.app_context():
        row = db.session.scalar(select(MeetingMinutes))
        assert [p["name"] for p in row.present] == ["评委一", "评委二", "甲", "乙", "王记者"]
        assert [p["name"] for p in row.absent] == ["评委三"]
        assert db.session.scalar(select(AuditEvent.action)) == "minutes.save"
        assert db.session.scalar(select(Document.kind)) == "meeting_minutes"
    text = pdf_text(client.get(saved.headers["Location"] + "/download").data).replace(" ", "")
    for words in ("会议纪要", "上半年有奖批评大会", "到会", "5人", "缺席", "评委三",
                  "整改责任人十五日内答复"):
        assert words in text


def test_a_studio_sessions_minutes_list_the_representatives_on_duty(app, client):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("jiedai", code="JD")
        bind_township(db.session, t.id)
        admin = factories.user(t, Role.TOWNSHIP_ADMIN, name="刘书记")
        studio = Studio(township_id=t.id, name="东城党代表工作室", place="东城社区", pattern=[])
        db.session.add(studio)
        db.session.flush()
        rep = Representative(township_id=t.id, studio_id=studio.id, name="陈建国")
        session = DutySession(township_id=t.id, studio_id=studio.id, day=date(2026, 11, 19),
                              starts_at=time(9), ends_at=time(11, 30))
        db.session.add_all([rep, session])
        db.session.flush()
        db.session.add(DutyAssignment(township_id=t.id, session_id=session.id, member_id=rep.id))
        db.session.commit()
    login(client, admin)
    page = client.get(f"/t/{t.slug}/cadres/minutes/studio_session/{session.id}")
    assert page.status_code == 200 and "陈建国" in page.text and "值班党代表" in page.text
    assert client.get(f"/t/{t.slug}/cadres/minutes/studio_session/{studio.id}").status_code == 404

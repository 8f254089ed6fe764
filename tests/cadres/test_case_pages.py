"""典型案例 returned for changes: the leader says what to change, the author edits and sends it
again from the page, the history shows each step."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import Role
from app.cadres import operations as ops
from app.cadres.models import CaseWriteUp
from app.extensions import db
from app.tenancy import bind_township
from tests import factories
from tests.conftest import csrf, login


def test_return_edit_and_resubmit_through_the_pages(app):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("anli", code="AL", services=())
        bind_township(db.session, t.id)
        leader = factories.user(t, Role.LEADER, name="刘书记")
        cadre = factories.user(t, Role.CADRE, name="张卫东")
        case = ops.submit_case(t, cadre, title="帮王大爷办低保", body="走访三次")
        db.session.commit()
    boss, author = app.test_client(), app.test_client()
    login(boss, leader)
    login(author, cadre)
    base = f"/t/{t.slug}/cadres/cases"
    token = csrf(boss.get(base).text)
    refused = boss.post(f"{base}/{case.id}/review", data={"csrf_token": token,
                                                         "decision": "return", "note": ""})
    assert "要改什么" in boss.get(refused.headers["Location"]).text
    boss.post(f"{base}/{case.id}/review", data={"csrf_token": token, "decision": "return",
                                                "note": "写清楚办理经过"})
    mine = author.get(base).text
    assert "按意见修改后重新提交" in mine and "写清楚办理经过" in mine
    assert boss.get(f"{base}/{case.id}/edit").status_code == 404  # the author's alone
    page = author.get(f"{base}/{case.id}/edit")
    assert "写清楚办理经过" in page.text
    sent = author.post(f"{base}/{case.id}/edit", data={
        "csrf_token": csrf(page.text), "title": "帮王大爷办低保",
        "body": "走访三次，协调民政所，当月到账"})
    assert sent.status_code == 302
    with app.app_context():
        row = db.session.scalar(select(CaseWriteUp))
        assert (row.state, row.body) == ("submitted", "走访三次，协调民政所，当月到账")
    listing = boss.get(base).text
    assert "审核记录（2）" in listing and "修改后重新提交" in listing

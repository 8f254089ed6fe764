"""The hotline: each call logged (time, masked number, who took it, what became of it) and the
township's response templates, picked and edited when replying, every change audited."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.extensions import db
from app.hotline import operations as ops
from app.hotline.models import HotlineCall, ResponseTemplate
from app.matters.models import Matter
from app.tenancy import bind_township
from tests import factories
from tests.conftest import login


def token(html: str) -> str:
    return re.search(r'csrf_token" type="hidden" value="([^"]+)"', html).group(1)


@pytest.fixture
def town(ctx):
    t = factories.township()
    bind_township(db.session, t.id)
    staff = factories.user(t, Role.CENTRE_STAFF, name="热线小刘")
    return t, staff


def test_each_outcome_of_a_call(town):
    t, staff = town
    at = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)
    new = ops.record_call(t, staff, number="0734-8123456", outcome="new_matter", called_at=at,
                          title="村道路灯不亮", category="suggestion", caller_name="赵女士")
    assert new.matter.channel == "phone" and new.matter.contact_phone == "0734-8123456"
    assert new.number_tail == "3456" and new.taken_by_id == staff.id and new.called_at == at
    existing = ops.record_call(t, staff, number="13800001234", outcome="existing",
                               matter_number=new.matter.number.lower())
    assert existing.matter_id == new.matter_id
    advice = ops.record_call(t, staff, number="138 0000 1234", outcome="advice",
                             reply="社保卡补办请带身份证到便民服务中心。")
    assert advice.matter_id is None and advice.number == "13800001234"
    with pytest.raises(ops.CallError, match="编号"):
        ops.record_call(t, staff, number="13800001234", outcome="existing", matter_number="X-1")
    with pytest.raises(ops.CallError, match="座机"):
        ops.record_call(t, staff, number="8123456", outcome="advice", reply="好")
    with pytest.raises(ops.CallError, match="解答"):
        ops.record_call(t, staff, number="13800001234", outcome="advice")


def test_template_changes_are_audit_events(town):
    t, _ = town
    admin = factories.user(t, Role.TOWNSHIP_ADMIN)
    row = ops.create_template(t, admin, category="hardship", title="低保咨询",
                              body="低保申请请带户口簿到社会事务中心。")
    ops.update_template(t, admin, row, category="hardship", title="低保咨询",
                        body="低保申请请带户口簿、身份证到社会事务中心。", active=True)
    ops.update_template(t, admin, row, category="hardship", title="低保咨询", body=row.body,
                        active=False)
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.township_id == t.id, AuditEvent.target_type == "response_templates")
        .order_by(AuditEvent.at if hasattr(AuditEvent, "at") else AuditEvent.id)).all()
    actions = sorted(e.action for e in events)
    assert actions == ["response_template.create", "response_template.edit",
                       "response_template.retire"]
    edit = next(e for e in events if e.action == "response_template.edit")
    assert "身份证" in edit.after["body"] and "身份证" not in edit.before["body"]
    assert ops.templates_for(t, "hardship") == []  # retired: not offered, still kept
    assert ops.templates_for(t, "hardship", include_retired=True) == [row]


def test_call_log_page_masks_numbers_and_templates_prefill_the_reply(app, world, client):
    town = world.a
    slug = town.township.slug
    admin, staff = town.users[Role.TOWNSHIP_ADMIN], town.users[Role.CENTRE_STAFF]
    # The administrator writes a template.
    login(client, admin)
    page = client.get(f"/t/{slug}/hotline/templates")
    assert page.status_code == 200
    bad = client.post(f"/t/{slug}/hotline/templates", data={
        "csrf_token": token(page.text), "category": "hardship", "title": "", "body": "x"})
    assert bad.status_code == 422
    made = client.post(f"/t/{slug}/hotline/templates", data={
        "csrf_token": token(page.text), "category": "hardship", "title": "低保咨询",
        "body": "低保申请请带户口簿到社会事务中心。", "sort_order": "0", "active": "y"})
    assert made.status_code == 302
    with app.app_context():
        bind_township(db.session, town.township.id)
        tid = db.session.scalar(select(ResponseTemplate.id).where(
            ResponseTemplate.township_id == town.township.id,
            ResponseTemplate.title == "低保咨询"))
    # Phone-channel staff take a call: the template fills the reply (with and without JS),
    # they edit it, save; the list masks the number.
    login(client, staff)
    calls = client.get(f"/t/{slug}/hotline/")
    assert calls.status_code == 200 and "低保咨询" in calls.text
    data = {"csrf_token": token(calls.text), "number": "0734-8123456", "outcome": "advice",
            "category": "hardship", "summary": "问低保怎么申请", "template_id": str(tid),
            "reply": "", "called_at": ""}
    filled = client.post(f"/t/{slug}/hotline/", data={**data, "action": "template"})
    assert filled.status_code == 200 and "低保申请请带户口簿到社会事务中心。" in filled.text
    assert "问低保怎么申请" in filled.text
    fragment = client.get(f"/t/{slug}/hotline/templates/pick", headers={"HX-Request": "1"},
                          query_string={"template_id": str(tid)})
    assert "低保申请请带户口簿" in fragment.text and "<html" not in fragment.text
    saved = client.post(f"/t/{slug}/hotline/", data={
        **data, "reply": "低保申请请带户口簿和身份证到社会事务中心。"})
    assert saved.status_code == 302
    listing = client.get(f"/t/{slug}/hotline/").text
    calls_table = listing[listing.index('id="calls"'):]
    assert "0734-8123456" not in calls_table and "0734****56" in calls_table
    assert staff.name in calls_table and "当场解答" in calls_table
    with app.app_context():
        bind_township(db.session, town.township.id)
        call = db.session.scalar(select(HotlineCall).where(
            HotlineCall.township_id == town.township.id, HotlineCall.category == "hardship"))
        assert call.reply == "低保申请请带户口簿和身份证到社会事务中心。"
    # A new matter from a call.
    new = client.post(f"/t/{slug}/hotline/", data={
        **data, "outcome": "new_matter", "title": "申请低保", "template_id": ""})
    assert new.status_code == 302
    with app.app_context():
        bind_township(db.session, town.township.id)
        matter = db.session.scalar(select(Matter).where(
            Matter.township_id == town.township.id, Matter.title == "申请低保"))
        assert matter.channel == "phone" and matter.category == "hardship"
    # In the ledger's reply form: the category's templates, one tap fills the reply.
    detail = client.get(f"/t/{slug}/matters/{matter.id}")
    assert "低保咨询" in detail.text
    picked = client.get(f"/t/{slug}/matters/{matter.id}", query_string={"reply_template": tid})
    assert "低保申请请带户口簿到社会事务中心。</textarea>" in picked.text
    # Centre staff cannot manage templates; the ledger links to the call log.
    assert client.get(f"/t/{slug}/hotline/templates").status_code in (403, 404)
    assert f"/t/{slug}/hotline/" in client.get(f"/t/{slug}/matters/").text

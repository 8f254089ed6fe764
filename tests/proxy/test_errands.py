"""Errands: custody of villagers' documents, closing only when originals are back, the pages."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import db
from app.matters import operations as matters
from app.matters.models import MatterEvent
from app.proxy import operations as ops
from app.proxy.models import Errand, Holder
from app.tenancy import bind_township
from tests import factories
from tests.conftest import login


def csrf_headers(html: str) -> dict:
    """The page's CSRF token as htmx sends it (every post of these tests needs it)."""
    return {"X-CSRFToken": re.search(r'csrf_token" type="hidden" value="([^"]+)"', html).group(1)}


@pytest.fixture
def town(ctx):
    t = factories.township()
    bind_township(db.session, t.id)
    v = factories.village(t)
    centre = factories.centre(t, "社会事务服务中心")
    assistant = factories.user(t, Role.VILLAGE_ASSISTANT, name="李秀梅", village=v)
    item = factories.service_item(t, centre, name="高龄津贴申领", proxiable=True)
    resident = factories.resident_of(factories.household(t, v, head="王大爷"))
    return t, assistant, item, resident


def _open(town, docs=None):
    t, assistant, item, resident = town
    return ops.open_errand(t, assistant, item=item, resident=resident, documents=docs or [
        ops.DocumentIn("身份证", True, 1), ops.DocumentIn("户口簿", True, 1),
        ops.DocumentIn("银行卡复印件", False, 2)])


def test_errand_is_a_proxy_matter_with_documents_in_the_assistants_hands(town):
    errand = _open(town)
    assert errand.matter.channel == "proxy"
    assert [(d.name, d.is_original, d.copies, d.holder, d.holder_name) for d in errand.documents] \
        == [("身份证", True, 1, "assistant", "李秀梅"), ("户口簿", True, 1, "assistant", "李秀梅"),
            ("银行卡复印件", False, 2, "assistant", "李秀梅")]


def test_only_proxiable_items(town):
    t, assistant, _, resident = town
    item = factories.service_item(t, name="护照办理", proxiable=False)
    with pytest.raises(matters.TransitionError, match="不可代办"):
        ops.open_errand(t, assistant, item=item, resident=resident, documents=[])


def test_custody_moves_hand_to_hand_and_close_waits_for_originals(town):
    t, assistant, *_ = town
    errand = _open(town)
    ops.hand_to_centre(errand, assistant, received_by="窗口张芳")
    assert {d.holder_name for d in errand.documents} == {"窗口张芳"}
    assert errand.matter.state == "assigned"
    ops.return_to_assistant(errand, assistant, result="津贴已核准，下月发放")
    assert errand.matter.state == "replied"
    # Originals are still with the assistant: neither the errand nor the ledger may close it.
    with pytest.raises(matters.TransitionError, match="原件尚未归还群众"):
        ops.close_errand(errand, assistant, t)
    assert "身份证" in ops.close_refusal(errand.matter)
    with pytest.raises(matters.TransitionError, match="确认"):
        ops.return_to_resident(errand, assistant, confirmed=False)
    ops.return_to_resident(errand, assistant, confirmed=True)
    assert {d.holder for d in errand.documents} == {Holder.RESIDENT}
    ops.close_errand(errand, assistant, t)
    assert errand.matter.state == "closed"
    steps = [e.data["step"] for e in db.session.scalars(
        select(MatterEvent).where(MatterEvent.matter_id == errand.matter_id,
                                  MatterEvent.kind == "custody").order_by(MatterEvent.seq))]
    assert steps == ["received_from_resident", "handed_to_centre", "returned_to_assistant",
                     "returned_to_resident"]


def test_an_errand_with_only_copies_closes_without_returning_them(town):
    t, assistant, *_ = town
    errand = _open(town, [ops.DocumentIn("证明复印件", False, 1)])
    ops.hand_to_centre(errand, assistant, received_by="窗口张芳")
    ops.return_to_assistant(errand, assistant, result="已办好")
    assert ops.close_refusal(errand.matter) is None
    ops.close_errand(errand, assistant, t)


def test_list_puts_overdue_first_then_by_due_date(town):
    t, assistant, *_ = town
    late, soon, done = _open(town), _open(town), _open(town, [])
    today = late.matter.due_on
    late.matter.due_on = today - timedelta(days=3)
    soon.matter.due_on = today + timedelta(days=1)
    done.matter.due_on = today - timedelta(days=30)
    ops.hand_to_centre(late, assistant, received_by="张芳")
    done.matter.state = "closed"
    listed = ops.errands_for(t, assistant=assistant, today=today)
    assert [e.id for e in listed] == [late.id, soon.id, done.id]
    centre_list = ops.errands_for(t, centre_id=late.matter.centre_id, today=today)
    assert late.id in [e.id for e in centre_list]


def test_phone_pages_open_hand_over_and_close(app, world, client):
    town = world.a
    assistant = town.users[Role.VILLAGE_ASSISTANT]
    login(client, assistant)
    slug = town.township.slug
    page = client.get(f"/t/{slug}/proxy/errands/new")
    assert page.status_code == 200 and "登记代办" in page.text
    h = csrf_headers(page.text)
    form = {"item_id": str(town.objects.service_item.id),
            "resident_id": str(town.objects.resident.id),
            "documents-0-name": "身份证", "documents-0-kind": "original", "documents-0-copies": "1",
            "documents-1-name": "", "documents-1-kind": "copy", "documents-1-copies": "1"}
    # A missing resident: re-rendered with the document kept.
    bad = client.post(f"/t/{slug}/proxy/errands/new", data={**form, "resident_id": ""}, headers=h)
    assert bad.status_code == 422 and "身份证" in bad.text and "请选择办事群众" in bad.text
    response = client.post(f"/t/{slug}/proxy/errands/new", data=form, headers=h)
    assert response.status_code == 302, re.findall(r'role="alert">([^<]+)', response.text)
    url = response.headers["Location"]
    detail = client.get(url)
    assert "在代办员手中" in detail.text
    missing = client.post(url + "/centre", data={"centre-received_by": ""}, headers=h)
    assert missing.status_code == 422 and "请填写中心接收人" in missing.text
    client.post(url + "/centre", data={"centre-received_by": "张芳"}, headers=h)
    client.post(url + "/back", data={"back-result": "已办好"}, headers=h)
    refused = client.post(url + "/close", data={}, headers=h)
    assert refused.status_code == 422 and "原件尚未归还群众" in refused.text
    client.post(url + "/resident", data={"resident-confirmed": "y"}, headers=h)
    assert client.post(url + "/close", data={}, headers=h).status_code == 302
    assert "已办结" in client.get(url).text
    receipt = client.get(url + "/receipt")
    assert "身份证" in receipt.text
    with app.app_context():
        errand_id = uuid.UUID(url.rstrip("/").split("/")[-1])
        bind_township(db.session, town.township.id)
        errand = db.session.scalar(select(Errand).where(Errand.township_id == town.township.id,
                                                        Errand.id == errand_id))
        assert errand.matter.state == "closed"
    listing = client.get(f"/t/{slug}/proxy/errands")
    assert listing.status_code == 200 and "已办结" in listing.text and "无在外原件" in listing.text
    assert "村级代办" in listing.text and "民情日记" in listing.text  # in the staff navigation


def test_receipt_pdf_lists_the_documents(world, client):
    town = world.a
    login(client, town.users[Role.VILLAGE_ASSISTANT])
    pdf = client.get(f"/t/{town.township.slug}/proxy/errands/{town.objects.errand.id}/receipt.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")




def test_sweep_reminds_the_assistant_once_about_originals_still_out(town):
    from app.notices.models import Notification
    from app.proxy.reminders import sweep

    t, assistant, *_ = town
    errand = _open(town)
    ops.hand_to_centre(errand, assistant, received_by="张芳")
    ops.return_to_assistant(errand, assistant, result="已办好")
    today = errand.matter.due_on - timedelta(days=5)
    assert sweep(t, today) == 1
    assert sweep(t, today) == 0  # once per day
    note = db.session.scalar(select(Notification).where(Notification.user_id == assistant.id))
    assert "2 件原件" in note.message
    ops.return_to_resident(errand, assistant, confirmed=True)
    assert sweep(t, today + timedelta(days=1)) == 0


def test_custody_per_document_kept_used_issued_and_signed_for(town):
    """A lost social-security card: the ID original goes back, the photos are used up, the
    original invoice stays with the office (who, why), the new card is issued and signed for."""
    t, assistant, *_ = town
    errand = _open(town, [ops.DocumentIn("身份证"), ops.DocumentIn("照片", True, 2),
                          ops.DocumentIn("医疗发票原件")])
    ops.hand_to_centre(errand, assistant, received_by="窗口张芳")
    ident, photos, invoice = errand.documents
    with pytest.raises(matters.TransitionError, match="原因"):
        ops.keep_document(errand, assistant, invoice.id, kept_by="社会事务中心 张芳", reason="")
    ops.keep_document(errand, assistant, invoice.id, kept_by="社会事务中心 张芳",
                      reason="报销存档")
    ops.use_up_document(errand, assistant, photos.id, reason="制新卡")
    with pytest.raises(matters.TransitionError, match="已登记"):
        ops.use_up_document(errand, assistant, invoice.id)
    ops.return_to_assistant(errand, assistant, result="新卡已制好")
    card = ops.issue_document(errand, assistant, name="新社会保障卡", issued_by="县人社局")
    assert card.issued and card.holder == Holder.RETURNED_TO_ASSISTANT
    # The card and the ID card are out: no close-out yet.
    assert "新社会保障卡" in ops.close_refusal(errand.matter)
    ops.return_to_resident(errand, assistant, confirmed=True, signed_by="王小明")
    db.session.expire(errand, ["documents"])
    by_name = {d.name: d for d in errand.documents}
    assert by_name["医疗发票原件"].holder == Holder.KEPT
    assert by_name["医疗发票原件"].holder_name == "社会事务中心 张芳"
    assert by_name["医疗发票原件"].note == "报销存档"
    assert by_name["照片"].holder == Holder.USED
    assert by_name["新社会保障卡"].holder == Holder.RESIDENT
    assert by_name["新社会保障卡"].signed_by == "王小明" and by_name["新社会保障卡"].signed_at
    assert by_name["身份证"].signed_by == "王小明"
    assert ops.close_refusal(errand.matter) is None and ops.originals_out(errand) == []
    ops.close_errand(errand, assistant, t)
    steps = [e.data["step"] for e in db.session.scalars(
        select(MatterEvent).where(MatterEvent.matter_id == errand.matter_id,
                                  MatterEvent.kind == "custody").order_by(MatterEvent.seq))]
    assert steps == ["received_from_resident", "handed_to_centre", "kept_by_office", "used_up",
                     "returned_to_assistant", "issued", "returned_to_resident"]


def test_tracking_page_says_where_each_document_ended(app, world, client):
    town = world.a
    assistant = town.users[Role.VILLAGE_ASSISTANT]
    login(client, assistant)
    slug = town.township.slug
    with app.app_context():
        bind_township(db.session, town.township.id)
        errand = db.session.get(Errand, (town.township.id, town.objects.errand.id))
        number, tail = errand.matter.number, errand.matter.contact_phone_tail
        db.session.rollback()
    url = f"/t/{slug}/proxy/errands/{town.objects.errand.id}"
    page = client.get(url)
    h = csrf_headers(page.text)
    client.post(url + "/centre", data={"centre-received_by": "张芳"}, headers=h)
    with app.app_context():
        bind_township(db.session, town.township.id)
        doc_id = db.session.get(Errand, (town.township.id, town.objects.errand.id)).documents[0].id
    prefix = f"doc-{doc_id.hex[:8]}"
    refused = client.post(f"{url}/documents/{doc_id}",
                          data={f"{prefix}-outcome": "kept", f"{prefix}-kept_by": "张芳"},
                          headers=h)
    assert refused.status_code == 422 and "请填写留存原因" in refused.text
    kept = client.post(f"{url}/documents/{doc_id}",
                       data={f"{prefix}-outcome": "kept", f"{prefix}-kept_by": "社会事务中心张芳",
                             f"{prefix}-reason": "原件存档"}, headers=h)
    assert kept.status_code == 302
    assert client.post(f"{url}/issue", data={"issue-name": ""}, headers=h).status_code == 422
    assert client.post(f"{url}/back", data={"back-result": "已办好"}, headers=h).status_code == 302
    assert client.post(f"{url}/issue", data={"issue-name": "新社会保障卡"},
                       headers=h).status_code == 302
    client.post(url + "/resident", data={"resident-confirmed": "y",
                                         "resident-signed_by": "王小明"}, headers=h)
    detail = client.get(url).text
    assert "乡镇留存" in detail and "王小明" in detail and "新发证件" in detail
    # The list counts a kept document as settled, not as an original still out.
    assert "无在外原件" in client.get(f"/t/{slug}/proxy/errands").text
    timeline = detail[detail.index('class="timeline"'):]
    for raw in ("in_progress", "custody", "kept_by_office", "issued", "returned_to_resident"):
        assert raw not in timeline
    resident = app.test_client()  # signed out, on the resident's phone
    track = resident.get(f"/t/{slug}/track")
    tracked = resident.post(f"/t/{slug}/track", data={
        "csrf_token": re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                                track.text).group(1),
        "number": number, "phone_tail": tail})
    assert tracked.status_code == 200
    docs = tracked.text[tracked.text.index('id="documents"'):]
    assert "身份证" in docs and "由乡镇留存" in docs and "原件存档" in docs
    assert "新社会保障卡" in docs and "已交给您" in docs and "王**" in docs
    assert "王小明" not in tracked.text

"""A matter waiting for documents is seen and reminded; the one catalogue of the township with
its own intake questions; a centre's queue where every action works (issue 17)."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app import jobs
from app.accounts.models import Role
from app.extensions import db
from app.hall import operations as ops
from app.hall import reminders
from app.matters import operations as ledger
from app.matters.models import Matter, MatterEvent
from app.notices import residents
from app.notices.models import Notification
from app.tenancy import bind_township
from app.townships.operations import set_service
from tests import factories
from tests.conftest import csrf, login

SENT = []
MONDAY = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


def fake_sms(phone, text):
    SENT.append((phone, text))


@pytest.fixture
def town(app):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township()
        bind_township(db.session, t.id)
        social = factories.centre(t, "社会事务服务中心")
        clerk = factories.user(t, Role.CENTRE_STAFF, name="张芳", centre=social)
        admin = factories.user(t, Role.TOWNSHIP_ADMIN, name="刘主任")
        leader = factories.user(t, Role.LEADER, name="王镇长")
        village = factories.village(t, "东村")
        subsidy = factories.service_item(
            t, social, name="低保申请", promised_workdays=20, proxiable=True,
            materials=[{"name": "户口簿", "original": True, "copies": 1},
                       {"name": "收入证明", "original": True, "copies": 1}],
            questions=[{"key": "q1", "label": "家庭人口", "kind": "number", "required": True,
                        "choices": []},
                       {"key": "q2", "label": "致贫原因", "kind": "choice", "required": False,
                        "choices": ["因病", "因残", "其他"]}])
        resident = factories.resident_of(factories.household(t, village, head="赵秀兰",
                                                             phone="13812345678"))
        db.session.commit()
        bind_township(db.session, None)
        return t, clerk, admin, leader, social, subsidy, resident, village


def test_the_desk_asks_the_items_questions_and_keeps_them_on_the_matter(client, town, app):
    t, clerk, _a, _l, _s, subsidy, resident, _v = town
    login(client, clerk)
    fragment = client.get(f"/t/{t.slug}/hall/materials?item_id={subsidy.id}")
    assert 'name="answer-q1"' in fragment.text and "因残" in fragment.text
    page = client.get(f"/t/{t.slug}/hall/?resident={resident.id}&item={subsidy.id}")
    assert 'name="answer-q1"' in page.text
    form = {"csrf_token": csrf(page.text), "resident_id": str(resident.id),
            "item_id": str(subsidy.id), "received": ["户口簿"], "notify_consent": "y",
            "answer-q1": "四口", "answer-q2": "因病"}
    bad = client.post(f"/t/{t.slug}/hall/", data=form)
    assert bad.status_code == 422 and "“家庭人口”须填写数字" in bad.text and "因病" in bad.text
    ok = client.post(f"/t/{t.slug}/hall/", data={**form, "answer-q1": "4"})
    assert ok.status_code == 302
    with app.app_context():
        bind_township(db.session, t.id)
        matter = db.session.scalar(select(Matter).where(Matter.title == "低保申请"))
        assert matter.extra["answers"] == [
            {"key": "q1", "label": "家庭人口", "kind": "number", "value": "4"},
            {"key": "q2", "label": "致贫原因", "kind": "choice", "value": "因病"}]
        consent = residents.consent_of(matter)  # one agreement, recorded where and when
        assert consent.active and consent.given_at == "hall" and consent.phone == "13812345678"
        assert matter.extra["materials_missing"] == ["收入证明"]
    # The export carries the answers and what is still missing.
    login(client, t and _leader(town))
    book = load_workbook(io.BytesIO(client.get(f"/t/{t.slug}/matters/export.xlsx").data))
    sheet = book.active
    headers = [c.value for c in sheet[1]]
    row = dict(zip(headers, [c.value for c in sheet[2]], strict=False))
    assert row["办理信息"] == "家庭人口：4；致贫原因：因病" and row["待补交材料"] == "收入证明"
    assert "办结时间" in headers and "评价" in headers


def _leader(town):
    return town[3]


def _waiting_matter(app, town, *, consent=True):
    t, clerk, _a, _l, _s, subsidy, resident, _v = town
    with app.app_context():
        from app.catalogue.models import ServiceItem
        from app.households.models import Resident

        bind_township(db.session, t.id)
        subsidy = db.session.get(ServiceItem, (t.id, subsidy.id))
        resident = db.session.get(Resident, (t.id, resident.id))
        matter = ops.take_in(t, clerk, item=subsidy, resident=resident, received=["户口簿"],
                             answers=[], notify_consent=consent, now=MONDAY)
        db.session.commit()
        return SimpleNamespace(id=matter.id, number=matter.number)


def test_a_matter_waiting_for_documents_shows_in_the_ledger_queue_and_desk(client, town, app):
    t, clerk, _a, leader, social, _sub, resident, village = town
    matter = _waiting_matter(app, town)
    login(client, leader)
    ledger_page = client.get(f"/t/{t.slug}/matters/?due=waiting")
    assert matter.number in ledger_page.text and "待补交材料" in ledger_page.text
    assert "东村" in ledger_page.text and "赵**" in ledger_page.text  # village, masked resident
    assert "赵秀兰" not in ledger_page.text
    login(client, clerk)
    listed = client.get(f"/t/{t.slug}/matters/")
    assert f"/hall/intake/{matter.id}#bring" in listed.text  # 补交材料 one tap away
    queue = client.get(f"/t/{t.slug}/hall/queue")
    assert "待补交材料" in queue.text and f"/hall/intake/{matter.id}#bring" in queue.text
    desk = client.get(f"/t/{t.slug}/hall/?q=赵秀兰")
    assert matter.number in desk.text and f"/hall/intake/{matter.id}#bring" in desk.text
    picked = client.get(f"/t/{t.slug}/hall/?resident={resident.id}")
    assert "该群众有未办结的事项" in picked.text and matter.number in picked.text
    intake = client.get(f"/t/{t.slug}/hall/intake/{matter.id}")
    assert 'id="bring"' in intake.text
    brought = client.post(f"/t/{t.slug}/hall/matters/{matter.id}/materials",
                          data={"csrf_token": csrf(intake.text), "brought": ["收入证明"]})
    assert brought.status_code == 302
    assert matter.number not in client.get(f"/t/{t.slug}/matters/?due=waiting").text


def test_the_resident_who_agreed_and_the_clerk_are_reminded_once(app, town, monkeypatch):
    t, clerk, *_ = town
    monkeypatch.setitem(app.config, "SMS_GATEWAY", "tests.hall.test_waiting_and_catalogue:fake_sms")
    SENT.clear()
    told = _waiting_matter(app, town)
    quiet = _waiting_matter(app, town, consent=False)
    with app.app_context():
        bind_township(db.session, t.id)
        assert reminders.sweep(t, date(2026, 11, 4)) == 0  # two working days: not yet
        assert reminders.sweep(t, date(2026, 11, 5)) == 3  # the clerk twice, one resident
        assert reminders.sweep(t, date(2026, 11, 5)) == 0  # a sweep run twice sends once
        db.session.commit()
        jobs.run_pending()
        bind_township(db.session, t.id)
        reminded = [text for _phone, text in SENT if "收入证明" in text]
        assert [p for p, _text in SENT] == ["13812345678", "13812345678"]  # received, reminder
        assert len(reminded) == 1 and "/notices/stop/" in reminded[0]
        notes = db.session.scalars(select(Notification).where(
            Notification.user_id == clerk.id)).all()
        assert len(notes) == 2 and all("仍缺材料" in n.message for n in notes)
        kinds = [e.kind for e in db.session.scalars(select(MatterEvent).where(
            MatterEvent.matter_id.in_([told.id, quiet.id])))]
        assert kinds.count("materials_reminded") == 1


def test_a_proxy_only_township_manages_its_catalogue_and_changes_are_audited(client, town, app):
    from app.audit.models import AuditEvent

    t, _c, admin, *_ = town
    with app.app_context():
        from app.townships.models import Township

        bind_township(db.session, t.id)
        town_row = db.session.get(Township, t.id)
        set_service(town_row, "one_stop", enabled=False)
        db.session.commit()
    login(client, admin)
    assert client.get(f"/t/{t.slug}/hall/").status_code == 404
    assert client.get(f"/t/{t.slug}/hall/catalogue").status_code == 200
    page = client.get(f"/t/{t.slug}/catalogue/items/new")
    assert page.status_code == 200
    dashboard = client.get(f"/t/{t.slug}/matters/")
    assert f"/t/{t.slug}/catalogue" in dashboard.text  # in the navigation
    form = {"csrf_token": csrf(page.text), "name": "医疗救助", "centre_id": "",
            "materials": "身份证\n发票原件", "promised_workdays": "10", "proxiable": "y",
            "active": "y", "questions": "住院天数|数字|必填\n医院|选项|必填|县医院"}
    with app.app_context():
        bind_township(db.session, t.id)
        from app.catalogue.models import Centre

        form["centre_id"] = str(db.session.scalar(select(Centre.id)))
    bad = client.post(f"/t/{t.slug}/catalogue/items/new", data=form)
    assert bad.status_code == 422 and "选项题至少要有两个选项" in bad.text
    assert "医疗救助" in bad.text  # what was typed is kept
    form["questions"] = "住院天数|数字|必填\n医院|选项|必填|县医院/市医院"
    assert client.post(f"/t/{t.slug}/catalogue/items/new", data=form).status_code == 302
    with app.app_context():
        bind_township(db.session, t.id)
        from app.catalogue.models import ServiceItem

        item = db.session.scalar(select(ServiceItem).where(ServiceItem.name == "医疗救助"))
        assert [q["kind"] for q in item.questions] == ["number", "choice"]
        assert item.questions[1]["choices"] == ["县医院", "市医院"]
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "catalogue.item_add"))
        assert event is not None and event.actor_id == admin.id
    edit = client.get(f"/t/{t.slug}/catalogue/items/{item.id}")
    assert "住院天数|数字|必填" in edit.text
    client.post(f"/t/{t.slug}/catalogue/items/{item.id}",
                data={**form, "csrf_token": csrf(edit.text), "promised_workdays": "15"})
    with app.app_context():
        bind_township(db.session, t.id)
        edited = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "catalogue.item_edit"))
        assert edited.before == {"promised_workdays": 10}
        assert edited.after == {"promised_workdays": 15}


def test_the_catalogue_is_not_found_without_the_hall_or_the_proxy(client, app):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township(services=("studio",))
        admin = factories.user(t, Role.TOWNSHIP_ADMIN)
        db.session.commit()
    login(client, admin)
    assert client.get(f"/t/{t.slug}/catalogue").status_code == 404
    assert f"/t/{t.slug}/catalogue" not in client.get(f"/t/{t.slug}/matters/").text


def test_every_action_in_the_centre_queue_works(client, town, app):
    from app.proxy import operations as proxy

    t, clerk, _a, leader, social, subsidy, resident, village = town
    with app.app_context():
        from app.catalogue.models import ServiceItem
        from app.households.models import Resident, Village

        bind_township(db.session, t.id)
        subsidy = db.session.get(ServiceItem, (t.id, subsidy.id))
        resident = db.session.get(Resident, (t.id, resident.id))
        village = db.session.get(Village, (t.id, village.id))
        assistant = factories.user(t, Role.VILLAGE_ASSISTANT, village=village)
        errand = proxy.open_errand(t, assistant, item=subsidy, resident=resident,
                                   documents=[proxy.DocumentIn("身份证")])
        number = errand.matter.number
        matter_id = errand.matter_id
        db.session.commit()
    login(client, clerk)
    queue = client.get(f"/t/{t.slug}/hall/queue")
    assert number in queue.text and "村级代办" in queue.text
    for url in set(re.findall(r'(?:action|href)="(/t/[^"]+)"', queue.text)):
        if "/hall/matters/" in url:
            continue  # forms: posted below
        assert client.get(url.split("#")[0]).status_code == 200, url
    taken = client.post(f"/t/{t.slug}/hall/matters/{matter_id}/take",
                        data={"csrf_token": csrf(queue.text), "next": "queue"})
    assert taken.status_code == 302
    with app.app_context():
        bind_township(db.session, t.id)
        assert db.session.get(Matter, (t.id, matter_id)).state == "in_progress"
    fresh = _waiting_matter(app, town)
    assert "<button>接手办理</button>" in client.get(f"/t/{t.slug}/hall/queue").text
    login(client, leader)  # leaders read the queue; taking a matter is not theirs to do
    leaders_queue = client.get(f"/t/{t.slug}/hall/queue").text
    assert fresh.number in leaders_queue and "<button>接手办理</button>" not in leaders_queue
    assert ledger  # the ledger module stays the one that moves matters


def test_online_booking_asks_the_items_questions_and_the_desk_has_the_answers(client, town, app):
    t, clerk, _a, _l, _s, subsidy, *_ = town
    with app.app_context():
        from app.catalogue.models import ServiceItem

        bind_township(db.session, t.id)
        item = db.session.get(ServiceItem, (t.id, subsidy.id))
        item.bookable = True
        from app.townships.models import Township

        ops.add_standard_schedule(db.session.get(Township, t.id))
        db.session.commit()
    page = client.get(f"/t/{t.slug}/book?item_id={subsidy.id}")
    assert 'name="answer-q1"' in page.text and "家庭人口" in page.text
    # The last working day offered: the first may be today, its slots already past late at night.
    day = re.findall(r'<option value="(\d{4}-\d\d-\d\d)"[^>]*>[^<]*工作日', page.text)[-1]
    slots = client.get(f"/t/{t.slug}/book?item_id={subsidy.id}&day={day}",
                       headers={"HX-Request": "true", "HX-Target": "slots"})
    assert 'name="answer-q1"' in slots.text  # the htmx fragment carries the questions too
    slot = re.findall(r'name="slot" value="([^"]+)"(?! disabled)', slots.text)[-1]
    form = {"csrf_token": csrf(page.text), "item_id": str(subsidy.id), "day": day,
            "slot": slot, "name": "钱桂芳", "phone": "13900002222"}
    missing = client.post(f"/t/{t.slug}/book", data=form)
    assert missing.status_code == 422 and "请填写“家庭人口”" in missing.text
    booked = client.post(f"/t/{t.slug}/book", data={**form, "answer-q1": "3"})
    assert booked.status_code == 302
    with app.app_context():
        from app.hall.models import Booking

        bind_township(db.session, t.id)
        booking = db.session.scalar(select(Booking).where(Booking.name == "钱桂芳"))
        assert booking.answers[0]["value"] == "3"
        booking_id = booking.id
    login(client, clerk)
    desk = client.get(f"/t/{t.slug}/hall/?booking={booking_id}")
    assert re.search(r'name="answer-q1"[^>]*value="3"', desk.text)

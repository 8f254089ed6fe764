"""Residents hear about their own matter (issue 21): agreed at intake, told at each public step
through the SMS gateway, never twice for one step, stopped by one link."""

from __future__ import annotations

import logging
import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app import jobs
from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.extensions import db
from app.matters import operations as ledger
from app.matters.models import Matter
from app.models import utcnow
from app.notices import residents, sms
from app.notices.models import JobRecord, ResidentConsent, ResidentMessage
from app.tenancy import bind_township
from tests import factories
from tests.conftest import csrf, login

PHONE = "13812345678"


class Refusing:
    """A gateway that refuses the first `times` messages, then accepts."""

    times = 0

    @classmethod
    def send(cls, phone, text):
        if cls.times > 0:
            cls.times -= 1
            raise ConnectionError("gateway down")
        sms.OUTBOX.append((phone, text))


def refusing(phone, text):
    Refusing.send(phone, text)


@pytest.fixture(autouse=True)
def _test_gateway(app, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_GATEWAY", "test")
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://minqing.example.gov.cn/")
    sms.OUTBOX.clear()
    yield
    sms.OUTBOX.clear()


@pytest.fixture
def hall(app):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township()
        bind_township(db.session, t.id)
        centre = factories.centre(t, "社会事务服务中心")
        clerk = factories.user(t, Role.CENTRE_STAFF, name="张芳", centre=centre)
        helper = factories.user(t, Role.VILLAGE_ASSISTANT, name="李协理",
                                village=factories.village(t, "西村"))
        village = factories.village(t, "东村")
        item = factories.service_item(t, centre, name="残疾证办理", promised_workdays=5,
                                      materials=[{"name": "户口簿", "original": True,
                                                  "copies": 1}])
        resident = factories.resident_of(factories.household(t, village, head="赵秀兰",
                                                             phone=PHONE))
        db.session.commit()
        bind_township(db.session, None)
        return t, clerk, item, resident, helper


def _run_jobs(client):
    """Jobs run after the commit: inline in the request without Redis; with Redis through RQ,
    run here by an in-process worker (app.jobs.run_pending)."""
    with client.application.app_context():
        jobs.run_pending()


def _take_in(client, t, item, resident, *, consent: bool):
    page = client.get(f"/t/{t.slug}/hall/?resident={resident.id}&item={item.id}")
    form = {"csrf_token": csrf(page.text), "resident_id": str(resident.id),
            "item_id": str(item.id), "received": ["户口簿"]}
    if consent:
        form["notify_consent"] = "y"
    answer = client.post(f"/t/{t.slug}/hall/", data=form)
    assert answer.status_code == 302
    _run_jobs(client)
    return uuid.UUID(answer.headers["Location"].rstrip("/").rsplit("/", 1)[-1])


def _matter(app, t, matter_id) -> Matter:
    bind_township(db.session, t.id)
    return db.session.scalar(select(Matter).where(Matter.id == matter_id))


def _reply(client, t, matter_id, text="已为您办好，请到窗口领取。"):
    page = client.get(f"/t/{t.slug}/matters/{matter_id}")
    token = csrf(page.text)
    answer = client.post(f"/t/{t.slug}/matters/{matter_id}/reply",
                         data={"csrf_token": token, "public_text": text})
    _run_jobs(client)
    return answer


def _stop_link(text: str) -> str:
    return re.search(r"https://minqing\.example\.gov\.cn(/t/\S+/notices/stop/\S+)", text)[1]


def test_a_resident_who_agreed_at_the_window_hears_each_step_until_they_stop(app, client,
                                                                              hall):
    t, clerk, item, resident, _helper = hall
    login(client, clerk)
    matter_id = _take_in(client, t, item, resident, consent=True)
    with app.app_context():
        matter = _matter(app, t, matter_id)
        number, due = matter.number, matter.due_on
        consent = residents.consent_of(matter)
        assert consent.given_at == "hall" and consent.recorded_by_id == clerk.id
        assert consent.agreed_at is not None
    assert len(sms.OUTBOX) == 1
    phone, received = sms.OUTBOX[0]
    assert phone == PHONE and received.startswith(f"【{t.name}】")
    assert number in received and f"{due}" in received
    assert f"https://minqing.example.gov.cn/t/{t.slug}/track?number={number}" in received
    # The hall answers and closes at once (its rule): replied, then closed.
    assert _reply(client, t, matter_id).status_code == 302
    texts = [text for _p, text in sms.OUTBOX]
    assert len(texts) == 3 and "已答复" in texts[1] and "已办结" in texts[2]
    # The staff see on the matter what was sent, when, and that the gateway accepted it.
    page = client.get(f"/t/{t.slug}/matters/{matter_id}")
    assert page.text.count("已接受") == 3 and "群众同意接收办理进度告知" in page.text
    # The resident's one link: no sign-in, the phone masked, a confirm form with CSRF.
    client.get("/logout")
    link = _stop_link(texts[0])
    assert all(_stop_link(text) == link for text in texts)
    stop_page = client.get(link)
    assert stop_page.status_code == 200 and number in stop_page.text
    assert PHONE not in stop_page.text and "138****5678" in stop_page.text
    assert client.post(link, data={}).status_code == 400  # no CSRF token: nothing stops
    with app.app_context():
        assert residents.consent_of(_matter(app, t, matter_id)).active
    _run_jobs(client)
    done = client.post(link, data={"csrf_token": csrf(stop_page.text)})
    assert done.status_code == 200 and "已停止" in done.text
    # Nothing after: reopened and answered again, nobody is texted.
    with app.app_context():
        matter = _matter(app, t, matter_id)
        ledger.reopen(matter, reason="群众不满意", actor_kind="resident")
        ledger.reply(matter, None, public_text="重新办好了。", township=t)
        db.session.commit()
        jobs.run_pending()
        assert residents.consent_of(_matter(app, t, matter_id)).stopped_at is not None
        stopped = db.session.scalar(select(AuditEvent).where(
            AuditEvent.township_id == t.id, AuditEvent.action == "resident_consent.stopped"))
        assert stopped is not None and stopped.actor_kind == "resident"
        given = db.session.scalar(select(AuditEvent).where(
            AuditEvent.township_id == t.id, AuditEvent.action == "resident_consent.given"))
        assert given.actor_id == clerk.id and PHONE not in str(given.after)
    assert len(sms.OUTBOX) == 3


def test_without_consent_no_message_is_sent(app, client, hall):
    t, clerk, item, resident, _helper = hall
    login(client, clerk)
    matter_id = _take_in(client, t, item, resident, consent=False)
    assert _reply(client, t, matter_id).status_code == 302
    assert sms.OUTBOX == []
    with app.app_context():
        matter = _matter(app, t, matter_id)
        assert residents.consent_of(matter) is None and residents.messages_of(matter) == []
    assert "群众未同意接收告知" in client.get(f"/t/{t.slug}/matters/{matter_id}").text


def test_a_step_recorded_twice_sends_one_message(app, hall):
    t, clerk, item, resident, _helper = hall
    with app.app_context():
        bind_township(db.session, t.id)
        matter = factories.matter(t, channel="phone", contact_phone=PHONE)
        residents.agree(t, matter, given_at="phone", actor=clerk)
        assert residents.step(t, matter, "received") == 0  # agree() queued it already
        ledger.assign(matter, clerk, unit_name="镇水利站")
        ledger.transfer(matter, clerk, centre=factories.centre(t, "综合服务中心"), reason="归口")
        db.session.commit()
        jobs.run_pending()
        jobs.run_pending()  # a job run twice
        bind_township(db.session, t.id)
        steps = [m.step for m in residents.messages_of(matter)]
    assert steps == ["received", "referred"]
    assert len(sms.OUTBOX) == 2 and "已交有关负责人办理" in sms.OUTBOX[1][1]


def test_a_refusing_gateway_is_retried_and_shown_as_not_accepted(app, client, hall,
                                                                  monkeypatch, caplog):
    t, clerk, item, resident, _helper = hall
    monkeypatch.setitem(app.config, "SMS_GATEWAY", "tests.notices.test_residents:refusing")
    Refusing.times = 1
    login(client, clerk)
    with caplog.at_level(logging.DEBUG):
        matter_id = _take_in(client, t, item, resident, consent=True)
        assert sms.OUTBOX == []
        page = client.get(f"/t/{t.slug}/matters/{matter_id}")
        assert "未接受" in page.text and "已尝试 1 次" in page.text
        with app.app_context():
            bind_township(db.session, None)
            record = db.session.scalar(select(JobRecord).where(
                JobRecord.func == "app.notices.residents.send"),
                execution_options={"all_townships": True})
            assert record.state == "pending" and record.attempts == 1  # waiting to retry
            db.session.execute(update(JobRecord).where(JobRecord.id == record.id).values(
                next_attempt_at=utcnow() - timedelta(seconds=1)),
                execution_options={"all_townships": True})
            db.session.commit()
            jobs.run_pending()
            bind_township(db.session, t.id)
            message = residents.messages_of(_matter(app, t, matter_id))[0]
            assert message.state == "sent" and message.attempts == 2
    assert [p for p, _text in sms.OUTBOX] == [PHONE]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "not accepted" in logged and "138****5678" in logged
    assert PHONE not in logged


def test_the_staff_see_the_phone_where_they_may_and_stop_on_request(app, client, hall):
    t, clerk, item, resident, helper = hall
    with app.app_context():
        db.session().expire_on_commit = False
        bind_township(db.session, t.id)
        admin = factories.user(t, Role.TOWNSHIP_ADMIN, name="刘主任")
        matter = factories.matter(t, channel="phone", contact_phone=PHONE)
        residents.agree(t, matter, given_at="phone", actor=admin)
        db.session.commit()
        matter_id = matter.id
    login(client, clerk)  # centre staff: not their centre's matter, not theirs to see
    assert client.get(f"/t/{t.slug}/matters/{matter_id}").status_code == 404
    login(client, admin)  # may see the phone (app.privacy.may_see_phone); the log of sends masks
    page = client.get(f"/t/{t.slug}/matters/{matter_id}")
    told = page.text[page.text.index('id="told"'):page.text.index("办理经过")]
    assert f'href="tel:{PHONE}"' in told and "<td>138****5678</td>" in told
    # Staff stop the messages at the resident's request: audited.
    stopped = client.post(f"/t/{t.slug}/notices/matters/{matter_id}/consent",
                          data={"csrf_token": csrf(page.text), "action": "stop"})
    assert stopped.status_code == 302
    with app.app_context():
        bind_township(db.session, t.id)
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "resident_consent.stopped"))
        assert event.actor_id == admin.id


def test_a_stop_link_of_another_township_or_forged_is_not_found(app, client, hall):
    t, clerk, item, resident, _helper = hall
    with app.app_context():
        db.session().expire_on_commit = False
        other = factories.township()
        bind_township(db.session, other.id)
        foreign = factories.matter(other, channel="phone", contact_phone=PHONE)
        token = residents.agree(other, foreign, given_at="phone").token
        db.session.commit()
    own = client.get(f"/t/{other.slug}/notices/stop/{token}")
    assert own.status_code == 200
    assert client.get(f"/t/{t.slug}/notices/stop/{token}").status_code == 404
    assert client.post(f"/t/{t.slug}/notices/stop/{token}",
                       data={"csrf_token": csrf(own.text)}).status_code == 404
    assert client.get(f"/t/{t.slug}/notices/stop/{token[:-2]}xx").status_code == 404


def test_the_http_gateway_posts_the_message_and_a_refusal_raises(app, monkeypatch):
    seen = {}

    class Answer:
        status = 202

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def fake_urlopen(req, timeout):
        seen["url"], seen["body"] = req.full_url, req.data.decode()
        return Answer()

    monkeypatch.setattr(sms.urllib.request, "urlopen", fake_urlopen)
    with app.app_context():
        monkeypatch.setitem(app.config, "SMS_GATEWAY", "https://sms.example.gov.cn/send")
        sms.gateway()(PHONE, "【测试镇】您好")
        assert seen["url"] == "https://sms.example.gov.cn/send"
        assert PHONE in seen["body"] and "您好" in seen["body"]
        Answer.status = 500
        with pytest.raises(sms.GatewayRefused):
            sms.gateway()(PHONE, "x")


def test_a_revisit_due_is_told_once(app, hall):
    from datetime import date

    from app.notices.reminders import run_sweeps

    t, clerk, item, resident, _helper = hall
    with app.app_context():
        bind_township(db.session, t.id)
        matter = factories.matter(t, channel="assembly", contact_phone=PHONE)
        residents.agree(t, matter, given_at="assembly", actor=clerk)
        ledger.schedule_revisit(matter, date(2026, 12, 1))
        db.session.commit()
        run_sweeps(t, date(2026, 12, 1))
        run_sweeps(t, date(2026, 12, 2))
        jobs.run_pending()
    assert [text for _p, text in sms.OUTBOX if "回访" in text].__len__() == 1
    with app.app_context():
        bind_township(db.session, t.id)
        assert db.session.scalar(select(ResidentConsent.id)) is not None
        assert {m.step.split(":")[0] for m in db.session.scalars(select(ResidentMessage))} == {
            "received", "revisit"}


def test_online_raise_with_consent_texts_and_mails_the_resident(app, client, hall, monkeypatch):
    from app.notices import reminders

    t, *_rest = hall
    mails = []
    monkeypatch.setitem(app.config, "SMTP_URL", "smtp://localhost:2525")
    monkeypatch.setattr(reminders, "send_email", lambda to, subject, body:
                        mails.append((to, subject, body)))
    page = client.get(f"/t/{t.slug}/raise")
    assert 'name="notify_consent"' in page.text and "checked" not in page.text.split(
        'name="notify_consent"')[1][:40]  # off unless the resident says yes
    answer = client.post(f"/t/{t.slug}/raise", data={
        "csrf_token": csrf(page.text), "title": "东街路灯不亮", "contact_name": "赵秀兰",
        "contact_phone": PHONE, "publicity": "public", "notify_consent": "y",
        "email": "zhao@example.cn"})
    assert answer.status_code == 200
    _run_jobs(client)
    assert len(sms.OUTBOX) == 1 and "已受理" in sms.OUTBOX[0][1]
    assert [m[0] for m in mails] == ["zhao@example.cn"] and t.name in mails[0][1]
    with app.app_context():
        bind_township(db.session, t.id)
        consent = db.session.scalar(select(ResidentConsent))
        assert consent.given_at == "online" and consent.recorded_by_id is None
        recipients = {m.channel: m.recipient for m in db.session.scalars(select(ResidentMessage))}
    assert recipients == {"sms": "138****5678", "email": "z***@example.cn"}


def test_the_ledger_intake_records_consent_with_when_and_where(app, client, hall):
    t, clerk, *_rest = hall
    with app.app_context():
        db.session().expire_on_commit = False
        bind_township(db.session, t.id)
        admin = factories.user(t, Role.TOWNSHIP_ADMIN, name="刘主任")
        db.session.commit()
    login(client, admin)
    page = client.get(f"/t/{t.slug}/matters/new")
    assert 'name="notify_consent"' in page.text
    answer = client.post(f"/t/{t.slug}/matters/new", data={
        "csrf_token": csrf(page.text), "channel": "phone", "category": "suggestion",
        "title": "村口水渠堵了", "contact_name": "赵秀兰", "contact_phone": PHONE,
        "publicity": "", "notify_consent": "y"})
    assert answer.status_code == 302, answer.text[:2000]
    _run_jobs(client)
    assert len(sms.OUTBOX) == 1
    with app.app_context():
        bind_township(db.session, t.id)
        consent = db.session.scalar(select(ResidentConsent))
        assert consent.given_at == "phone" and consent.agreed_at is not None
        assert db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "resident_consent.given")).actor_id is not None


def test_a_booking_and_a_criticism_keep_the_agreement_until_they_become_matters(app, hall):
    from datetime import date

    from app.assembly import operations as assembly_ops
    from app.catalogue.models import ServiceItem
    from app.hall import operations as hall_ops
    from app.hall.models import Booking
    from app.households.models import Resident

    t, clerk, item, resident, _helper = hall
    with app.app_context():
        bind_township(db.session, t.id)
        item = db.session.get(ServiceItem, (t.id, item.id))
        resident = db.session.get(Resident, (t.id, resident.id))
        booking = Booking(township_id=t.id, code="AB12CD", mode_id=uuid.uuid4(),
                          service_item_id=item.id, day=date(2026, 12, 1),
                          starts_at=utcnow(), name="赵秀兰", phone=PHONE, notify_consent=True,
                          state="booked")  # booked online with the box ticked
        quiet = hall_ops.take_in(t, clerk, item=item, resident=resident, received=["户口簿"],
                                 answers=[])
        assert residents.consent_of(quiet) is None  # no booking, no box ticked: not told
        booked = hall_ops.take_in(t, clerk, item=item, resident=resident, received=["户口簿"],
                                  answers=[], booking=booking)
        assert residents.consent_of(booked).given_at == "hall"
        assembly = assembly_ops.create_assembly(t, clerk, title="有奖批评大会",
                                                held_on=date(2026, 12, 20), venue="镇会堂")
        criticism = assembly_ops.add_criticism(assembly, title="路灯坏了没人修",
                                               contact_phone=PHONE, notify_consent=True)
        told = assembly_ops.ensure_matter(criticism, assembly, t, clerk)
        assert residents.consent_of(told).given_at == "assembly"
        db.session.rollback()


def test_english_pages_and_chinese_messages(app, client, hall):
    t, clerk, item, resident, _helper = hall
    client.get(f"/t/{t.slug}/hall/?lang=en")
    login(client, clerk)
    client.get("/login?lang=en")
    matter_id = _take_in(client, t, item, resident, consent=True)
    assert "已受理" in sms.OUTBOX[0][1]  # the resident's language, not the clerk's
    page = client.get(f"/t/{t.slug}/matters/{matter_id}?lang=en")
    assert "Messages to the resident" in page.text and "Accepted" in page.text
    client.get("/logout")
    client.get("/login?lang=en")
    stop_page = client.get(_stop_link(sms.OUTBOX[0][1]))
    assert "Stop progress messages" in stop_page.text and "138****5678" in stop_page.text

"""Open311 GeoReport v2, tested from the outside: the independent `georeport` client library
reads services, definitions and requests over HTTP from the app served on loopback (it has no
call to create one, so the POST is sent form-encoded with `requests`, as the spec describes), and
every answer is checked against the spec's fields and types."""

from __future__ import annotations

from datetime import datetime

import pytest
import requests
import xmltodict
from georeport import GeoReport
from sqlalchemy import select

from app.accounts.models import Role
from app.api import operations as api
from app.api.models import ApiKey
from app.extensions import db
from app.matters import operations as ledger
from app.matters.models import Matter
from app.tenancy import bind_township
from tests import factories
from tests.conftest import csrf, login

REQUEST_FIELDS = {
    "service_request_id": str, "status": str, "status_notes": str, "service_name": str,
    "service_code": str, "description": str, "agency_responsible": str, "service_notice": str,
    "requested_datetime": "datetime", "updated_datetime": "datetime",
    "expected_datetime": "datetime", "address": str, "address_id": str, "zipcode": str,
    "lat": str, "long": str, "media_url": str,
}


def _check_request(row: dict) -> None:
    assert set(row) == set(REQUEST_FIELDS)
    for name, kind in REQUEST_FIELDS.items():
        if kind == "datetime":
            parsed = datetime.fromisoformat(row[name])
            assert parsed.utcoffset() is not None and row[name].endswith("+08:00")
        else:
            assert isinstance(row[name], str), name
    assert row["status"] in ("open", "closed")


@pytest.fixture
def towns(app):
    with app.app_context():
        db.session().expire_on_commit = False
        out = {}
        for slug, code in (("jiekou", "JK"), ("bieren", "BR")):
            t = factories.township(slug, code=code)
            bind_township(db.session, t.id)
            admin = factories.user(t, Role.TOWNSHIP_ADMIN, name="管理员")
            centre = factories.centre(t, "经济发展服务中心")
            item = factories.service_item(t, centre, name="种粮补贴申请", questions=[
                {"key": "q1", "label": "种植面积（亩）", "kind": "number", "required": True,
                 "choices": []},
                {"key": "q2", "label": "作物", "kind": "choice", "required": False,
                 "choices": ["玉米", "水稻"]}])
            key, plain = api.issue_key(t, admin, name="县12345热线")
            out[slug] = (t, admin, item, plain)
        db.session.commit()
        return out


def test_a_hotline_creates_a_matter_and_reads_its_state_back(app, live_server, towns):
    t, admin, item, plain = towns["jiekou"]
    root = f"{live_server}/open311/v2"
    client = GeoReport(root, jurisdiction=t.slug)
    services = {s["service_code"]: s for s in client.get_service_list()}
    assert services[f"item-{item.id}"]["metadata"] is True
    assert services["cat-suggestion"]["metadata"] is False
    assert "cat-petition" not in services  # petitions follow their own procedure
    definition = client.get_service_definition(f"item-{item.id}")
    attrs = {a["code"]: a for a in definition["attributes"]}
    assert (attrs["q1"]["datatype"], attrs["q1"]["required"]) == ("number", True)
    assert [v["key"] for v in attrs["q2"]["values"]] == ["玉米", "水稻"]

    missing = requests.post(f"{root}/requests.json", data={
        "jurisdiction_id": t.slug, "api_key": plain, "service_code": f"item-{item.id}",
        "description": "申请今年种粮补贴"})
    assert missing.status_code == 400 and "attribute[q1]" in missing.json()[0]["description"]
    posted = requests.post(f"{root}/requests.json", data={
        "jurisdiction_id": t.slug, "api_key": plain, "service_code": f"item-{item.id}",
        "description": "申请今年种粮补贴，电话13800138000", "attribute[q1]": "12.5",
        "attribute[q2]": "玉米", "first_name": "小明", "last_name": "王",
        "phone": "13800138000"})
    assert posted.status_code == 201
    (created,) = posted.json()
    number = created["service_request_id"]
    assert created["token"] and number.startswith("JK-")
    assert client.get_service_requests(service_request_id=number)[0]["status"] == "open"
    token = requests.get(f"{root}/tokens/{created['token']}.json",
                         params={"jurisdiction_id": t.slug}).json()
    assert token == [{"service_request_id": number, "token": created["token"]}]

    with app.app_context():
        bind_township(db.session, t.id)
        matter = db.session.scalar(select(Matter).where(Matter.number == number))
        assert (matter.channel, matter.contact_phone) == ("external", "13800138000")
        assert matter.extra["external"]["system"] == "县12345热线"
        assert matter.extra["answers"][0]["value"] == "12.5"
        ledger.reply(matter, admin, public_text="补贴已核定，将于月底打卡。", township=t)
        db.session.commit()

    row = requests.get(f"{root}/requests/{number}.json",
                       params={"jurisdiction_id": t.slug, "api_key": plain}).json()[0]
    _check_request(row)
    assert row["status_notes"] == "补贴已核定，将于月底打卡。"
    assert row["agency_responsible"] in ("", "经济发展服务中心")
    text = str(row)
    assert "13800138000" not in text and "王小明" not in text  # nothing personal leaves

    xml = requests.get(f"{root}/requests/{number}.xml",
                       params={"jurisdiction_id": t.slug, "api_key": plain})
    assert xml.headers["Content-Type"].startswith("text/xml")
    parsed = xmltodict.parse(xml.content)["service_requests"]["request"]
    assert parsed["service_request_id"] == number


def test_keys_are_per_township_and_errors_follow_the_spec(app, live_server, towns):
    t, admin, item, plain = towns["jiekou"]
    other, *_rest, other_plain = towns["bieren"]
    root = f"{live_server}/open311/v2"
    base = {"service_code": "cat-suggestion", "description": "路灯不亮"}
    for data, code in [({**base, "jurisdiction_id": t.slug}, 403),  # no key
                       ({**base, "jurisdiction_id": t.slug, "api_key": "mq_guess"}, 403),
                       ({**base, "jurisdiction_id": t.slug, "api_key": other_plain}, 403),
                       ({**base, "jurisdiction_id": t.slug, "api_key": plain,
                         "service_code": "cat-nothing"}, 404),
                       ({**base, "jurisdiction_id": "nowhere", "api_key": plain}, 404),
                       ({**base, "jurisdiction_id": t.slug, "api_key": plain,
                         "description": ""}, 400)]:
        answer = requests.post(f"{root}/requests.json", data=data)
        assert answer.status_code == code, data
        (error,) = answer.json()
        assert error["code"] == code and error["description"]
    xml = requests.post(f"{root}/requests.xml", data={**base, "jurisdiction_id": t.slug})
    assert xml.status_code == 403
    assert xmltodict.parse(xml.content)["errors"]["error"]["code"] == "403"
    for query in ({"jurisdiction_id": t.slug, "start_date": "yesterday"},
                  {"jurisdiction_id": t.slug, "status": "pending"},
                  {"jurisdiction_id": t.slug, "start_date": "2026-01-01T00:00:00Z",
                   "end_date": "2026-06-01T00:00:00Z"}):
        assert requests.get(f"{root}/requests.json", params=query).status_code == 400
    assert requests.get(f"{root}/requests.yaml", params={"jurisdiction_id": t.slug}
                        ).status_code == 404

    # One township's request, posted with its own key, is not another township's to read.
    posted = requests.post(f"{root}/requests.json", data={
        **base, "jurisdiction_id": t.slug, "api_key": plain}).json()[0]
    assert requests.get(f"{root}/requests/{posted['service_request_id']}.json", params={
        "jurisdiction_id": other.slug, "api_key": other_plain}).status_code == 404
    # …and, being private, its text is no one's but the sender's: by its number, its state only.
    number = posted["service_request_id"]
    (bare,) = requests.get(f"{root}/requests/{number}.json",
                           params={"jurisdiction_id": t.slug}).json()
    assert (bare["status"], bare["description"]) == ("open", "")
    assert number not in {r["service_request_id"] for r in requests.get(
        f"{root}/requests.json", params={"jurisdiction_id": t.slug}).json()}
    (own,) = requests.get(f"{root}/requests/{number}.json",
                          params={"jurisdiction_id": t.slug, "api_key": plain}).json()
    assert own["description"] == "路灯不亮"

    with app.app_context():
        bind_township(db.session, t.id)
        row = db.session.scalar(select(ApiKey).where(ApiKey.township_id == t.id))
        assert plain not in (row.key_hash, row.key_prefix) and len(row.key_hash) == 64
        api.revoke_key(t, admin, row)
        db.session.commit()
    revoked = requests.post(f"{root}/requests.json", data={
        **base, "jurisdiction_id": t.slug, "api_key": plain})
    assert revoked.status_code == 403


def test_the_administrator_issues_and_revokes_keys(app, client, towns):
    t, admin, *_ = towns["jiekou"]
    login(client, admin)
    page = client.get(f"/t/{t.slug}/settings/api-keys/")
    issued = client.post(f"/t/{t.slug}/settings/api-keys/", data={
        "csrf_token": csrf(page.text), "name": "政务服务App"})
    assert issued.status_code == 200 and "只显示这一次" in issued.text
    assert "mq_" in issued.text and "政务服务App" in issued.text
    assert client.post(f"/t/{t.slug}/settings/api-keys/", data={
        "csrf_token": csrf(page.text), "name": ""}).status_code == 422
    again = client.get(f"/t/{t.slug}/settings/api-keys/")
    assert "只显示这一次" not in again.text  # shown once


def test_a_request_whose_resident_agreed_is_told_of_each_step(app, live_server, towns,
                                                              monkeypatch):
    """`notify=true` (Minqing's addition to the spec's fields): the sending system says the
    resident agreed; they hear of the receipt and the reply as at any window. Without it nothing
    is sent, and asking for it without a phone or e-mail is a 400."""
    from app import jobs
    from app.notices import residents, sms

    monkeypatch.setitem(app.config, "SMS_GATEWAY", "test")
    sms.OUTBOX.clear()
    t, admin, item, plain = towns["jiekou"]
    root = f"{live_server}/open311/v2"
    base = {"jurisdiction_id": t.slug, "api_key": plain, "service_code": f"item-{item.id}",
            "description": "申请种粮补贴", "attribute[q1]": "8"}
    refused = requests.post(f"{root}/requests.json", data={**base, "notify": "true"})
    assert refused.status_code == 400 and "notify" in refused.json()[0]["description"]
    silent = requests.post(f"{root}/requests.json", data={**base, "phone": "13800138001"})
    told = requests.post(f"{root}/requests.json",
                         data={**base, "phone": "13800138002", "notify": "true"})
    assert (silent.status_code, told.status_code) == (201, 201)
    with app.app_context():
        jobs.run_pending()
    number = told.json()[0]["service_request_id"]
    assert [(p, number in text) for p, text in sms.OUTBOX] == [("13800138002", True)]

    with app.app_context():
        bind_township(db.session, t.id)
        matter = db.session.scalar(select(Matter).where(Matter.number == number))
        assert residents.consent_of(matter).given_at == "external"
        ledger.reply(matter, admin, public_text="补贴已核定。", township=t)
        db.session.commit()
        jobs.run_pending()
    assert len(sms.OUTBOX) == 2 and "已答复" in sms.OUTBOX[1][1]
    sms.OUTBOX.clear()

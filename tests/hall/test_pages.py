"""The hall's pages over HTTP: the desk without JavaScript, public booking, the guide PDF, and the
rating tablet that staff cannot use in the resident's place."""

from __future__ import annotations

import io
import re
from datetime import time

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import db
from app.hall import operations as ops
from app.hall.models import Booking, OpeningMode
from app.matters.models import Evaluation, Matter
from app.tenancy import bind_township
from tests import factories
from tests.conftest import csrf, login


@pytest.fixture
def town(app):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township()
        bind_township(db.session, t.id)
        social = factories.centre(t, "社会事务服务中心")
        clerk = factories.user(t, Role.CENTRE_STAFF, name="张芳", centre=social)
        admin = factories.user(t, Role.TOWNSHIP_ADMIN, name="刘主任")
        item = factories.service_item(
            t, social, name="医保参保登记", on_the_spot=True, bookable=True,
            steps=["核对身份", "系统录入"],
            materials=[{"name": "户口簿", "original": True, "copies": 1},
                       {"name": "身份证", "original": True, "copies": 1}])
        resident = factories.resident_of(factories.household(t, head="王秀英",
                                                             phone="13812345678"))
        ops.add_standard_schedule(t)
        window = ops.new_window(t, "1号窗口", social)
        db.session.commit()
        bind_township(db.session, None)
        return t, clerk, admin, item, resident, window


def test_desk_keeps_what_was_typed_and_accepts_with_a_missing_material(client, town, app):
    t, clerk, _admin, item, resident, _w = town
    login(client, clerk)
    page = client.get(f"/t/{t.slug}/hall/?q=13812345678")
    assert page.status_code == 200 and "王秀英" in page.text
    page = client.get(f"/t/{t.slug}/hall/?resident={resident.id}")
    token = csrf(page.text)
    # Without JavaScript: choosing the item and asking for its checklist loses nothing.
    refreshed = client.post(f"/t/{t.slug}/hall/", data={
        "csrf_token": token, "resident_id": str(resident.id), "item_id": str(item.id),
        "description": "首次参保", "refresh": "1"})
    assert refreshed.status_code == 200
    for kept in ("户口簿", "身份证", "首次参保"):
        assert kept in refreshed.text
    done = client.post(f"/t/{t.slug}/hall/", data={
        "csrf_token": token, "resident_id": str(resident.id), "item_id": str(item.id),
        "received": ["户口簿"], "description": "首次参保"})
    assert done.status_code == 302
    page = client.get(done.headers["Location"])
    assert "尚缺材料" in page.text and "身份证" in page.text
    with app.app_context():
        bind_township(db.session, t.id)
        matter = db.session.scalar(select(Matter))
        assert matter.extra["materials_missing"] == ["身份证"]
        assert matter.contact_name == "王秀英"


def test_desk_registers_a_new_resident_in_the_same_flow_or_says_what_is_missing(client, town,
                                                                                  app):
    t, clerk, _admin, item, _resident, _w = town
    with app.app_context():
        bind_township(db.session, t.id)
        other = factories.service_item(t, factories.centre(t, "便民服务中心"), name="低保申请").id
        villages = [factories.village(t, name).id for name in ("东村", "西村")]
        db.session.commit()
    login(client, clerk)
    token = csrf(client.get(f"/t/{t.slug}/hall/").text)
    refused = client.post(f"/t/{t.slug}/hall/", data={
        "csrf_token": token, "item_id": str(item.id), "description": "代父亲办理",
        "new_village_id": str(villages[1])})
    assert refused.status_code == 422
    assert "请先查找并选择办事群众" in refused.text and "代父亲办理" in refused.text
    # Shown again with the whole lists (an accepted intake checks the choice alone), the
    # choices kept.
    assert re.search(rf'<option[^>]*selected[^>]*value="{item.id}"|<option value="{item.id}"'
                     rf'[^>]*selected', refused.text)
    assert f'value="{other}"' in refused.text and f'value="{villages[0]}"' in refused.text
    assert re.search(rf'<option[^>]*value="{villages[1]}"[^>]*selected|<option[^>]*selected'
                     rf'[^>]*value="{villages[1]}"', refused.text)
    done = client.post(f"/t/{t.slug}/hall/", data={
        "csrf_token": token, "item_id": str(item.id), "new_name": "赵建国",
        "new_phone": "139 0000 1111", "received": ["户口簿", "身份证"]})
    assert done.status_code == 302
    with app.app_context():
        bind_township(db.session, t.id)
        matter = db.session.scalar(select(Matter))
        assert (matter.contact_name, matter.contact_phone) == ("赵建国", "13900001111")


def test_booking_without_an_account_and_cancelling_with_the_code(client, town, app):
    t, clerk, *_ = town
    with app.app_context():
        bind_township(db.session, t.id)
        from app.matters.operations import local_today

        today = local_today(t)
        day = next(d for d, _k in ops.bookable_days(t, 14, today) if d > today)
        slot = ops.slots_on(t, day)[0]
        key = slot.key
    item = town[3]
    page = client.get(f"/t/{t.slug}/book?item_id={item.id}&day={day.isoformat()}")
    assert page.status_code == 200 and slot.starts_at.strftime("%H:%M") in page.text
    bad = client.post(f"/t/{t.slug}/book", data={
        "csrf_token": csrf(page.text), "item_id": str(item.id), "day": day.isoformat(),
        "slot": key, "name": "李桂兰", "phone": "12345"})
    assert bad.status_code == 422 and "11 位手机号码" in bad.text and "李桂兰" in bad.text
    made = client.post(f"/t/{t.slug}/book", data={
        "csrf_token": csrf(page.text), "item_id": str(item.id), "day": day.isoformat(),
        "slot": key, "name": "李桂兰", "phone": "13912345678"})
    assert made.status_code == 302
    confirmation = client.get(made.headers["Location"])
    code = re.search(r'id="booking-code">([A-Z0-9]+)<', confirmation.text).group(1)
    assert "李**" in confirmation.text and "桂兰" not in confirmation.text
    assert "13912345678" not in confirmation.text
    # Staff see it among tomorrow's (or a later day's) bookings and open the desk from it.
    with app.app_context():
        bind_township(db.session, t.id)
        booking = db.session.scalar(select(Booking))
        assert (booking.code, booking.state) == (code, "booked")
    login(client, clerk)
    arrive = client.post(f"/t/{t.slug}/hall/bookings/{booking.id}/arrive",
                         data={"csrf_token": csrf(client.get(f"/t/{t.slug}/hall/bookings").text)})
    desk = client.get(arrive.headers["Location"])
    assert "李桂兰" in desk.text and str(item.id) in desk.text
    anonymous = app.test_client()
    cancel_page = anonymous.get(f"/t/{t.slug}/book/cancel")
    cancelled = anonymous.post(f"/t/{t.slug}/book/cancel",
                               data={"csrf_token": csrf(cancel_page.text), "code": code.lower()})
    assert cancelled.status_code == 200 and "预约已取消" in cancelled.text
    with app.app_context():
        bind_township(db.session, t.id)
        assert db.session.scalar(select(Booking.state)) == "cancelled"


def test_public_catalogue_and_printable_guide(client, town):
    t, _clerk, _admin, item, *_ = town
    page = client.get(f"/t/{t.slug}/services")
    assert page.status_code == 200
    assert "社会事务服务中心" in page.text and "医保参保登记" in page.text
    pdf = client.get(f"/t/{t.slug}/services/{item.id}/guide.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    for words in ("医保参保登记", "户口簿", "系统录入", "工作日上午"):
        assert words in text


def test_tablet_takes_the_residents_rating_but_never_a_signed_in_one(client, town, app):
    t, clerk, _admin, item, resident, window = town
    with app.app_context():
        bind_township(db.session, t.id)
        from app.catalogue.models import ServiceItem
        from app.households.models import Resident

        item = db.session.get(ServiceItem, (t.id, item.id))
        resident = db.session.get(Resident, (t.id, resident.id))
        here = db.session.merge(t)
        matter = ops.take_in(here, clerk, item=item, resident=resident,
                             received=["户口簿", "身份证"])
        ops.finish_on_the_spot(matter, clerk, here)
        db.session.commit()
        matter_id = matter.id
    login(client, clerk)
    token = csrf(client.get(f"/t/{t.slug}/hall/intake/{matter_id}").text)
    pushed = client.post(f"/t/{t.slug}/hall/matters/{matter_id}/push",
                         data={"csrf_token": token, "window_id": str(window.id)})
    assert pushed.status_code == 302
    tablet_url = f"/t/{t.slug}/tablet/{window.tablet_token}"
    page = client.get(tablet_url)
    refused = client.post(tablet_url, data={"csrf_token": csrf(page.text),
                                            "rating": "very_satisfied"})
    assert refused.status_code == 403
    tablet = app.test_client()
    page = tablet.get(tablet_url)
    assert "医保参保登记" in page.text and "王秀英" not in page.text
    rated = tablet.post(tablet_url, data={"csrf_token": csrf(page.text), "rating": "satisfied",
                                          "comment": "很快"})
    assert rated.status_code == 200 and "谢谢您的评价" in rated.text
    with app.app_context():
        bind_township(db.session, t.id)
        evaluation = db.session.scalar(select(Evaluation))
        assert (evaluation.rating, evaluation.source, evaluation.staff_id) == (
            "satisfied", "window", clerk.id)
    figures = client.get(f"/t/{t.slug}/hall/figures")
    assert "100.0%" in figures.text and "张芳" in figures.text


def test_admin_sets_hours_and_edits_the_catalogue(client, town, app):
    t, _clerk, admin, item, *_ = town
    login(client, admin)
    page = client.get(f"/t/{t.slug}/hall/schedule")
    bad = client.post(f"/t/{t.slug}/hall/schedule", data={
        "csrf_token": csrf(page.text), "name": "春节预约", "day_type": "holiday",
        "opens": "11:00", "closes": "09:00", "slot_minutes": "30", "capacity": "2"})
    assert bad.status_code == 422
    assert "结束时间须晚于开始时间" in bad.text and "春节预约" in bad.text
    ok = client.post(f"/t/{t.slug}/hall/schedule", data={
        "csrf_token": csrf(page.text), "name": "春节预约", "day_type": "holiday",
        "opens": "09:00", "closes": "11:00", "slot_minutes": "30", "capacity": "2",
        "cutoff_hours": "4", "active": "y"})
    assert ok.status_code == 302
    edit = client.get(f"/t/{t.slug}/hall/catalogue/items/{item.id}")
    saved = client.post(f"/t/{t.slug}/hall/catalogue/items/{item.id}", data={
        "csrf_token": csrf(edit.text), "name": "医保参保登记", "centre_id": str(item.centre_id),
        "materials": "户口簿\n身份证\n一寸照片", "steps": "核对\n录入",
        "promised_workdays": "0", "on_the_spot": "y", "bookable": "y", "active": "y"})
    assert saved.status_code == 302
    with app.app_context():
        bind_township(db.session, t.id)
        mode = db.session.scalar(select(OpeningMode).where(OpeningMode.name == "春节预约"))
        assert (mode.opens, mode.closes, mode.cutoff_hours) == (time(9), time(11), 4)
        from app.catalogue.models import ServiceItem

        saved_item = db.session.get(ServiceItem, (t.id, item.id))
        assert [m["name"] for m in saved_item.materials] == ["户口簿", "身份证", "一寸照片"]
        assert saved_item.promised_workdays == 0 and saved_item.proxiable is False

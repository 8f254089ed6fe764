"""三访: 走访, 下访 and 接访 are recorded from the visit form and counted where they count."""

from __future__ import annotations

import re
from datetime import datetime

import time_machine
from sqlalchemy import select

from app.accounts.models import Role
from app.cadres import reports
from app.extensions import db
from app.households.models import Visit
from app.tenancy import bind_township
from tests import factories
from tests.conftest import csrf, login

NOON_IN_BEIJING = datetime.fromisoformat("2026-11-18T12:00:00+08:00")


def test_a_leaders_visit_form_starts_as_a_down_visit_and_counts_at_his_contact_point(app, client):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("sanfang", code="SF", services=())
        bind_township(db.session, t.id)
        leader = factories.user(t, Role.LEADER, name="刘书记")
        village = factories.village(t, "东村")
        household = factories.household(t, village, head="王大爷")
        reports.set_contact_point(t, leader, village, monthly_target=1)
        db.session.commit()
    with time_machine.travel(NOON_IN_BEIJING, tick=False):
        login(client, leader)  # inside: a session signed "in the future" would be refused
        page = client.get(f"/t/{t.slug}/visits/new?household_id={household.id}")
        html = page.get_data(as_text=True)
        assert re.search(r'value="xiafang"[^>]*checked', html) or re.search(
            r'checked[^>]*value="xiafang"', html)
        saved = client.post(f"/t/{t.slug}/visits/new", data={
            "csrf_token": csrf(html), "household_id": str(household.id),
            "visited_on": "2026-11-18", "method": "in_person", "kind": "xiafang",
            "notes": "到联系点走访"})
        assert saved.status_code == 302
        board = client.get(f"/t/{t.slug}/cadres/contact-points").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Visit.kind)).all() == ["xiafang"]
        status = reports.contact_points_status(t, reports.Period.month_of(NOON_IN_BEIJING.date()))
        assert [(s.down_visits, s.met) for s in status] == [(1, True)]
    assert "东村" in board


def test_a_cadre_records_a_reception_jiefang(app, client):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("jiefang", code="JF", services=())
        bind_township(db.session, t.id)
        cadre = factories.user(t, Role.CADRE, name="张卫东")
        household = factories.household(t, head="李大妈")
        db.session.commit()
    with time_machine.travel(NOON_IN_BEIJING, tick=False):
        login(client, cadre)
        html = client.get(f"/t/{t.slug}/visits/new").get_data(as_text=True)
        assert re.search(r'value="zoufang"[^>]*checked', html) or re.search(
            r'checked[^>]*value="zoufang"', html)
        saved = client.post(f"/t/{t.slug}/visits/new", data={
            "csrf_token": csrf(html), "household_id": str(household.id),
            "visited_on": "2026-11-18", "method": "in_person", "kind": "jiefang"})
        assert saved.status_code == 302
        detail = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "接访" in detail
    with app.app_context():
        assert db.session.scalars(select(Visit.kind)).all() == ["jiefang"]


def test_the_household_picker_searches_instead_of_listing_everyone(app, client):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("xunzhao", code="XZ", services=())
        bind_township(db.session, t.id)
        cadre = factories.user(t, Role.CADRE, name="张卫东")
        village = factories.village(t, "东村")
        mine = factories.household(t, village, head="王大爷", phone="13800001111")
        mine.contact_cadre_id = cadre.id
        for n in range(30):
            factories.household(t, village, head=f"村民{n:02d}", phone=None)
        target = factories.household(t, village, head="赵桂兰", phone="13900007788")
        db.session.commit()
    with time_machine.travel(NOON_IN_BEIJING, tick=False):
        login(client, cadre)
        page = client.get(f"/t/{t.slug}/visits/new")
        assert "王大爷" in page.text and "村民00" not in page.text  # own households only
        found = client.post(f"/t/{t.slug}/visits/new", data={
            "csrf_token": csrf(page.text), "q": "7788", "action": "search",
            "notes": "写了一半的走访情况"})
        assert found.status_code == 200 and "赵桂兰" in found.text and "找到 1 户" in found.text
        assert "写了一半的走访情况" in found.text  # nothing typed is lost
        saved = client.post(f"/t/{t.slug}/visits/new", data={
            "csrf_token": csrf(page.text), "q": "7788", "household_id": str(target.id),
            "visited_on": "2026-11-18", "method": "in_person", "kind": "zoufang",
            "notes": "写完了"})
        assert saved.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Visit.household_id)) == target.id

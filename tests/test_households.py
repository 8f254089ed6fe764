"""The registry pages: search by name, address or phone digits; a household's page."""

from __future__ import annotations

from app.accounts.models import Role
from app.extensions import db
from app.tenancy import bind_township
from tests import factories
from tests.conftest import login


def test_search_and_household_page(app, client):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("huji")
        bind_township(db.session, t.id)
        staff = factories.user(t, Role.CADRE)
        member = factories.user(t, Role.CADRE, name="孙党员")
        east = factories.village(t, "东村")
        h = factories.household(t, east, head="王德福", phone="13900005678",
                                tags=["独居老人"])
        h.contact_cadre_id, h.party_member_id = staff.id, member.id
        factories.household(t, east, head="李淑芬", phone="13900001111")
        factories.matter(t, title="屋顶漏雨", household=h)
        db.session.commit()
    login(client, staff)
    base = f"/t/{t.slug}/households/"
    assert "王德福" in client.get(base + "?q=5678").get_data(as_text=True)
    assert "王德福" not in client.get(base + "?q=1111").get_data(as_text=True)
    assert "李淑芬" in client.get(base + "?q=李淑芬").get_data(as_text=True)
    page = client.get(f"{base}{h.id}").get_data(as_text=True)
    assert "独居老人" in page and "孙党员" in page and "屋顶漏雨" in page and "走访记录" in page


def test_bulk_linking_households_to_a_cadre(app, client):
    import re

    from sqlalchemy import select

    from app.households.models import Household

    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("lianhu")
        bind_township(db.session, t.id)
        leader_id = factories.user(t, Role.LEADER).id
        cadre_id = factories.user(t, Role.CADRE, name="张卫东").id
        v = factories.village(t)
        ids = [factories.household(t, v, head=f"户{n}").id for n in range(3)]
        db.session.commit()
    login(client, leader_id)
    page = client.get(f"/t/{t.slug}/households/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(f"/t/{t.slug}/households/assign", data={
        "csrf_token": token, "link": "contact_cadre", "person_id": str(cadre_id),
        "household_ids": [str(i) for i in ids[:2]]}, follow_redirects=True)
    assert "已为 2 户设置联系人" in response.get_data(as_text=True)
    with app.app_context():
        bind_township(db.session, t.id)
        linked = db.session.scalars(select(Household.head_name).where(
            Household.contact_cadre_id == cadre_id).order_by(Household.head_name)).all()
        assert linked == ["户0", "户1"]

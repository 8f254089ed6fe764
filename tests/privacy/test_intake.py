"""Whether a matter is public is decided at intake (issue #16): every channel asks 「不公开」, the
default comes from the service item or the category, and assistance, health, petitions and
disputes are private unless chosen otherwise."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import db
from app.matters import operations as ops
from app.matters import publication as pub
from app.matters.models import Matter
from app.tenancy import bind_township
from tests import factories
from tests.conftest import csrf, login


@pytest.mark.parametrize(("name", "public"), [
    ("最低生活保障（低保）申请", False), ("医疗救助申请", False), ("临时救助", False),
    ("残疾人两项补贴", False), ("信访事项受理", False), ("矛盾纠纷调解", False),
    ("城乡居民医保参保登记", False), ("农机购置补贴", True), ("户籍证明开具", True),
])
def test_service_items_start_private_by_nature(ctx, name, public):
    t = factories.township()
    bind_township(db.session, t.id)
    item = factories.service_item(t, name=name)
    assert item.public_default is public
    matter = ops.create_matter(t, channel="hall", title=name, service_item=item)
    assert matter.is_public is public


@pytest.mark.parametrize(("category", "public"), [
    ("hardship", False), ("dispute", False), ("petition", False), ("suggestion", True),
    ("prosperity", True),
])
def test_categories_carry_a_default_the_township_can_change(ctx, category, public):
    t = factories.township()
    bind_township(db.session, t.id)
    assert ops.create_matter(t, channel="phone", title="x", category=category).is_public is public
    pub.save_settings(t, None, review=False, review_replies=False, reviewers=[],
                      categories={category: not public})
    changed = ops.create_matter(t, channel="phone", title="y", category=category)
    # Petitions never reach the board, whatever the township sets.
    assert changed.is_public is (False if category == "petition" else not public)


def test_the_residents_answer_wins_over_the_default(ctx):
    t = factories.township()
    bind_township(db.session, t.id)
    private_item = factories.service_item(t, name="医疗救助申请")
    public_item = factories.service_item(t, name="户籍证明开具")
    assert ops.create_matter(t, channel="hall", title="a", service_item=private_item,
                             is_public=True).is_public is True
    assert ops.create_matter(t, channel="hall", title="b", service_item=public_item,
                             is_public=False).is_public is False


@pytest.fixture
def desk(app):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township()
        bind_township(db.session, t.id)
        social = factories.centre(t, "社会事务服务中心")
        clerk = factories.user(t, Role.CENTRE_STAFF, name="张芳", centre=social)
        item = factories.service_item(t, social, name="户籍证明开具", on_the_spot=False,
                                      proxiable=True, materials=[])
        aid = factories.service_item(t, social, name="医疗救助申请", proxiable=True,
                                     materials=[])
        household = factories.household(t, head="李春秀", phone="13812345678")
        resident = factories.resident_of(household)
        assistant = factories.user(t, Role.VILLAGE_ASSISTANT, name="周助理",
                                   village=household.village)
        db.session.commit()
        bind_township(db.session, None)
        return t, clerk, assistant, item, aid, resident


def _matters(app, t):
    with app.app_context():
        return {m.title: m.is_public for m in db.session.scalars(
            select(Matter).where(Matter.township_id == t.id))}


def test_the_hall_desk_asks_not_public(app, client, desk):
    t, clerk, _assistant, item, aid, resident = desk
    login(client, clerk)
    page = client.get(f"/t/{t.slug}/hall/?resident={resident.id}").text
    assert "不公开" in page and 'name="publicity"' in page
    for chosen, service in (("private", item), ("", aid)):
        done = client.post(f"/t/{t.slug}/hall/", data={
            "csrf_token": csrf(page), "resident_id": str(resident.id),
            "item_id": str(service.id), "publicity": chosen})
        assert done.status_code == 302
    assert _matters(app, t) == {"户籍证明开具": False, "医疗救助申请": False}


def test_the_proxy_errand_asks_not_public(app, client, desk):
    t, _clerk, assistant, item, aid, resident = desk
    login(client, assistant)
    page = client.get(f"/t/{t.slug}/proxy/errands/new").text
    assert 'name="publicity"' in page
    response = client.post(f"/t/{t.slug}/proxy/errands/new", data={
        "csrf_token": csrf(page), "item_id": str(aid.id), "resident_id": str(resident.id),
        "publicity": "public", "documents-0-name": "", "documents-0-kind": "copy",
        "documents-0-copies": "1"})
    assert response.status_code == 302
    assert _matters(app, t) == {"医疗救助申请": True}  # the resident chose to make it public


def test_staff_registration_and_online_raise_ask_not_public(app, client, desk):
    t, clerk, _assistant, *_ = desk
    login(client, clerk)
    page = client.get(f"/t/{t.slug}/matters/new").text
    assert 'name="publicity"' in page
    client.post(f"/t/{t.slug}/matters/new", data={
        "csrf_token": csrf(page), "channel": "phone", "category": "suggestion",
        "title": "电话反映的事", "contact_name": "王五", "publicity": "private"})
    client.get("/logout")
    page = client.get(f"/t/{t.slug}/raise").text
    assert "不公开" in page
    client.post(f"/t/{t.slug}/raise", data={
        "csrf_token": csrf(page), "title": "网上反映的事", "contact_name": "赵六",
        "contact_phone": "13900002222", "publicity": "private"})
    assert _matters(app, t) == {"电话反映的事": False, "网上反映的事": False}


def test_the_demo_board_shows_no_assistance_health_petition_or_dispute(app, client):
    """The demo follows the rule: nothing private by nature is on any demo township's board."""
    from app.catalogue.models import ServiceItem
    from app.cli import load_demo

    with app.app_context():
        load_demo()
        rows = db.session.execute(
            select(Matter, ServiceItem.name).outerjoin(
                ServiceItem, (ServiceItem.township_id == Matter.township_id)
                & (ServiceItem.id == Matter.service_item_id))
            .where(pub.on_board()), execution_options={"all_townships": True}).all()
        assert rows, "the demo has public matters on its boards"
        for matter, item_name in rows:
            assert matter.category not in ("hardship", "dispute", "petition"), matter.title
            assert not pub.private_by_nature(item_name or ""), matter.title
            # A criticism of how assistance is run (低保评议没有公示) is public business; a
            # payment to a person never is.
            assert "救助金" not in matter.title and "一卡通" not in matter.title, matter.title


def test_a_visit_finding_raised_as_a_matter_asks_not_public(app, client):
    from datetime import date

    from app.visits import operations as visits

    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township()
        bind_township(db.session, t.id)
        cadre = factories.user(t, Role.CADRE, name="联户干部")
        household = factories.household(t, contact_cadre_id=cadre.id)
        visit = visits.record_visit(t, cadre, household=household, visited_on=date(2026, 11, 20),
                                    method="in_person", today=date(2026, 11, 23),
                                    findings={"suggestion": "路灯晚上多开一小时",
                                              "hardship": "取暖煤不够"})
        db.session.commit()
        bind_township(db.session, None)
    login(client, cadre)
    page = client.get(f"/t/{t.slug}/visits/{visit.id}").text
    assert 'name="publicity"' in page
    for kind, chosen in (("suggestion", "private"), ("hardship", "")):
        assert client.post(f"/t/{t.slug}/visits/{visit.id}/raise/{kind}", data={
            "csrf_token": csrf(page), "publicity": chosen}).status_code == 302
    public = _matters(app, t)
    assert public == {"意见建议：路灯晚上多开一小时": False, "生活困难：取暖煤不够": False}

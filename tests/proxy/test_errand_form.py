"""The errand form on the assistant's phone: the resident picker (search, same names told apart,
a new villager registered inside the form), document rows added and prefilled from the item, each
without JavaScript and as htmx fragments; WTForms' own messages in the page's language."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.extensions import db
from app.households import picker
from app.households.models import Household, Resident
from app.tenancy import bind_township
from tests import factories
from tests.conftest import login


def token(html: str) -> str:
    return re.search(r'csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def alerts(html: str) -> list[str]:
    return re.findall(r'role="alert">([^<]+)', html)


@pytest.fixture
def people(ctx):
    """Two 王秀英 in two villages, a third in the assistant's village with another household."""
    t = factories.township()
    bind_township(db.session, t.id)
    east, west = factories.village(t, "东村"), factories.village(t, "西村")
    h1 = factories.household(t, east, head="王秀英", phone="13800001111")
    h2 = factories.household(t, west, head="王秀英", phone="13800002222")
    h3 = factories.household(t, east, head="李大山", phone="13800003333")
    h3.address = "3组12号"
    wife = Resident(township_id=t.id, name="王秀英", household_id=h3.id, village_id=east.id,
                    birth_year=1950)
    db.session.add(wife)
    db.session.flush()
    return t, east, west, (h1, h2, h3), wife


def test_search_by_name_phone_tail_and_household(people):
    t, east, west, (h1, h2, h3), wife = people
    names = {r.id for r in picker.search_residents(t, "王秀英")}
    assert len(names) == 3
    assert [r.household_id for r in picker.search_residents(t, "2222")] == [h2.id]
    by_head = {r.name for r in picker.search_residents(t, "李大山")}
    assert by_head == {"李大山", "王秀英"}  # the head and the members of the household
    assert {r.id for r in picker.search_residents(t, "3组12号")} >= {wife.id}
    assert picker.search_residents(t, "") == []
    only_east = picker.search_residents(t, "王秀英", village_ids=[east.id])
    assert len(only_east) == 2 and h2.id not in {r.household_id for r in only_east}


def test_same_names_are_told_apart(people):
    t, *_ = people
    described = picker.describe(t, picker.search_residents(t, "王秀英"))
    lines = {" · ".join(d.parts) for d in described}
    assert len(lines) == 3  # no two alike
    joined = "\n".join(lines)
    assert "东村" in joined and "西村" in joined and "户主 李大山" in joined
    assert "尾号1111" in joined and "尾号2222" in joined
    assert re.search(r"\b7\d 岁", joined)  # born 1950: the age, not the year
    assert "13800001111" not in joined  # only the tail


def test_register_a_villager_into_a_new_or_an_existing_household(people):
    t, east, _, (h1, _, h3), _ = people
    actor = factories.user(t, Role.VILLAGE_ASSISTANT, village=east)
    new = picker.register_resident(t, actor, name="赵春花", phone="0734-8123456", village=east,
                                   address="5组3号", id_number="11010519491231002X")
    assert new.household.head_name == "赵春花" and new.relation == "户主"
    assert new.phone_tail == "3456" and new.id_tail == "002X" and new.birth_year == 1949
    member = picker.register_resident(t, actor, name="李小山", phone="", village=east,
                                      household=h3)
    assert member.household_id == h3.id and member.village_id == east.id
    actions = set(db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.township_id == t.id)))
    assert {"resident.register", "household.create"} <= actions
    with pytest.raises(ValueError, match="校验码"):
        picker.register_resident(t, actor, name="错号", village=east,
                                 id_number="110105194912310021")


def _form(world, **extra):
    o = world.a.objects
    return {"item_id": str(o.service_item.id), "resident_id": "", "resident_id_q": "",
            "documents-0-name": "身份证", "documents-0-kind": "original",
            "documents-0-copies": "1", "description": "老人腿脚不便", **extra}


def test_register_inside_the_form_without_javascript_keeps_everything_typed(app, world, client):
    town = world.a
    login(client, town.users[Role.VILLAGE_ASSISTANT])
    url = f"/t/{town.township.slug}/proxy/errands/new"
    page = client.get(url)
    assert page.status_code == 200 and "找不到？登记新群众" in page.text
    assert "王小明" not in page.text  # nobody listed before a search
    data = {**_form(world), "csrf_token": token(page.text)}
    # A search round trip: the matches as choices, the rest as typed.
    found = client.post(url, data={**data, "resident_id_q": "1234", "action": "search"})
    assert found.status_code == 200 and "王小明" in found.text and "老人腿脚不便" in found.text
    # Registering with a bad phone: refused (422), everything kept.
    bad = client.post(url, data={**data, "action": "register", "new-name": "赵春花",
                                 "new-phone": "12345", "new-household": "new"})
    assert bad.status_code == 422 and "座机" in " ".join(alerts(bad.text))
    assert 'value="赵春花"' in bad.text and "老人腿脚不便" in bad.text
    assert 'value="身份证"' in bad.text
    ok = client.post(url, data={**data, "action": "register", "new-name": "赵春花",
                                "new-phone": "0734-8123456", "new-household": "new",
                                "new-address": "5组3号"})
    assert ok.status_code == 200 and "已登记：赵春花" in ok.text
    assert "老人腿脚不便" in ok.text and 'value="身份证"' in ok.text
    chosen = re.search(r'name="resident_id" value="([^"]+)" checked', ok.text).group(1)
    # Saving the errand for the new villager.
    saved = client.post(url, data={**data, "resident_id": chosen})
    assert saved.status_code == 302
    with app.app_context():
        bind_township(db.session, town.township.id)
        r = db.session.scalar(select(Resident).where(Resident.township_id == town.township.id,
                                                     Resident.name == "赵春花"))
        assert str(r.id) == chosen and r.phone == "0734-8123456"
        assert r.village_id == town.objects.village.id  # the assistant's village


def test_register_by_htmx_answers_the_picker_fragment(app, world, client):
    town = world.a
    with app.app_context():
        households_before = db.session.scalar(select(func.count()).select_from(Household).where(
            Household.township_id == town.township.id))
    login(client, town.users[Role.VILLAGE_ASSISTANT])
    slug = town.township.slug
    page = client.get(f"/t/{slug}/proxy/errands/new")
    headers = {"HX-Request": "true", "X-CSRFToken": token(page.text)}
    missing = client.post(f"/t/{slug}/households/picker/new", headers=headers,
                          data={"picker_field": "resident_id", "new-name": "",
                                "new-household": "new"})
    assert missing.status_code == 422 and "请填写姓名" in missing.text
    assert "<html" not in missing.text
    # Joining an existing household: find it, then register into it.
    found = client.get(f"/t/{slug}/households/picker", headers=headers,
                       query_string={"part": "households", "new-household_q": "王小明"})
    hid = re.search(r'name="new-household_id" value="([^"]+)"', found.text).group(1)
    assert hid == str(town.objects.household.id)
    made = client.post(f"/t/{slug}/households/picker/new", headers=headers,
                       data={"picker_field": "resident_id", "new-name": "王小红",
                             "new-household": "existing", "new-household_id": hid})
    assert made.status_code == 200 and 'id="resident_id-picker"' in made.text
    assert re.search(r'name="resident_id" value="[^"]+" checked', made.text)
    assert "户主 王小明" in made.text
    results = client.get(f"/t/{slug}/households/picker", headers=headers,
                         query_string={"resident_id_q": "王小"})
    assert "王小红" in results.text and "王小明" in results.text
    with app.app_context():
        bind_township(db.session, town.township.id)
        assert db.session.scalar(select(func.count()).select_from(Household).where(
            Household.township_id == town.township.id)) == households_before  # none new
    # Another township's household is not found, and not joinable.
    other = str(world.b.objects.household.id)
    refused = client.post(f"/t/{slug}/households/picker/new", headers=headers,
                          data={"picker_field": "resident_id", "new-name": "外人",
                                "new-household": "existing", "new-household_id": other})
    assert refused.status_code == 422


def test_document_rows_prefilled_from_the_item_and_added_as_needed(app, world, client):
    town = world.a
    login(client, town.users[Role.VILLAGE_ASSISTANT])
    slug = town.township.slug
    url = f"/t/{slug}/proxy/errands/new"
    item = town.objects.service_item  # its materials: 户口簿 (original)
    # Choosing the item fills the rows: without JS by the "fill" button, with htmx by a fragment.
    page = client.get(url)
    data = {"csrf_token": token(page.text), "item_id": str(item.id), "resident_id": "",
            "documents-0-name": "身份证", "documents-0-kind": "original",
            "documents-0-copies": "1"}
    filled = client.post(url, data={**data, "action": "prefill"})
    assert filled.status_code == 200
    assert 'value="身份证"' in filled.text and 'value="户口簿"' in filled.text
    fragment = client.get(f"/t/{slug}/proxy/errands/new/documents", headers={"HX-Request": "1"},
                          query_string={"item_id": str(item.id)})
    assert fragment.status_code == 200 and 'id="documents"' in fragment.text
    assert 'value="户口簿"' in fragment.text and "<html" not in fragment.text
    assert 'value="户口簿"' in client.get(url, query_string={"item_id": str(item.id)}).text
    # Add a row: one more, what was typed kept.
    more = client.post(url, data={**data, "action": "add_row"})
    assert more.status_code == 200 and 'name="documents-1-name"' in more.text
    assert 'value="身份证"' in more.text
    frag = client.get(f"/t/{slug}/proxy/errands/new/documents", headers={"HX-Request": "1"},
                      query_string={**data, "action": "add_row", "documents-1-name": "照片"})
    assert 'name="documents-2-name"' in frag.text and 'value="照片"' in frag.text
    # Four documents saved.
    saved = client.post(url, data={**data, "resident_id": str(town.objects.resident.id),
                                   "documents-1-name": "户口簿", "documents-2-name": "照片",
                                   "documents-2-kind": "copy", "documents-3-name": "发票"})
    assert saved.status_code == 302
    detail = client.get(saved.headers["Location"]).text
    for name in ("身份证", "户口簿", "照片", "发票"):
        assert name in detail


def test_refused_errand_form_in_english_has_no_chinese_messages(world, client):
    town = world.a
    login(client, town.users[Role.VILLAGE_ASSISTANT])
    url = f"/t/{town.township.slug}/proxy/errands/new"
    page = client.get(url + "?lang=en")
    bad = client.post(url, data={"csrf_token": token(page.text), "item_id": "",
                                 "resident_id": "", "documents-0-name": "ID card",
                                 "documents-0-kind": "original", "documents-0-copies": "0"})
    assert bad.status_code == 422
    messages = alerts(bad.text)
    assert "Number must be between 1 and 99." in messages and len(messages) >= 3
    for m in messages:
        assert not re.search(r"[\u4e00-\u9fff]", m), m
    client.get(url + "?lang=zh_Hans_CN")
    zh = client.post(url, data={"csrf_token": token(page.text), "item_id": "",
                                "resident_id": "", "documents-0-name": "身份证",
                                "documents-0-kind": "original", "documents-0-copies": "0"})
    assert "数值大小必须介于 1 到 99 之间。" in alerts(zh.text)


def test_the_dashboard_tile_leads_to_the_errands(world, client):
    town = world.a
    login(client, town.users[Role.VILLAGE_ASSISTANT])
    page = client.get(f"/t/{town.township.slug}/dashboard").text
    tile = re.search(r'<a class="tile figure" href="([^"]+)">\s*<strong>\d+</strong>'
                     r'<span>代办在办事项', page)
    assert tile and tile.group(1) == f"/t/{town.township.slug}/proxy/errands"

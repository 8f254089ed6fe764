"""The living household map: sheets, pins, layers, the card's visit, and the hand-over."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import db
from app.households.models import Visit
from app.map import layers
from app.map import operations as ops
from app.map.models import Handover, HouseholdPin, VillageMap
from app.matters import operations as matters
from app.matters.models import MatterEvent, State
from app.matters.operations import local_today
from app.notices.storage import storage
from app.tenancy import bind_township
from tests import factories
from tests.conftest import login
from tests.notices.helpers import pdf_text


def picture(width=300, height=200, fmt="PNG", colour="white") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, fmt)
    return out.getvalue()


def csrf_headers(html: str) -> dict:
    return {"X-CSRFToken": re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)}


@pytest.fixture
def town(ctx):
    t = factories.township()
    bind_township(db.session, t.id)
    v = factories.village(t, "石门村")
    admin = factories.user(t, Role.TOWNSHIP_ADMIN, name="管理员")
    old = factories.user(t, Role.CADRE, name="张老干部")
    new = factories.user(t, Role.CADRE, name="李新干部")
    other = factories.user(t, Role.CADRE, name="王另一位")
    homes = [factories.household(t, v, head=name, phone=None, contact_cadre_id=cadre.id)
             for name, cadre in (("赵大爷", old), ("钱大妈", old), ("孙家", other))]
    homes[0].address, homes[1].address, homes[2].address = "1号", "2号", "3号"
    db.session.flush()
    return t, v, admin, old, new, other, homes


# ---------------------------------------------------------------- sheet and pins


def test_a_photo_is_shrunk_made_jpeg_and_stored(town):
    t, v, admin, *_ = town
    sheet, old_key = ops.set_sheet(t, admin, v, image=picture(4800, 1200))
    assert old_key is None
    assert (sheet.width, sheet.height) == (2400, 600)  # aspect kept, long side at MAX_SIDE
    stored = storage().get(sheet.image_key)
    assert stored[:3] == b"\xff\xd8\xff" and sheet.image_bytes == len(stored)
    assert sheet.image_key.startswith(f"{t.id}/maps/")
    first_key = sheet.image_key

    again, replaced = ops.set_sheet(t, admin, v, image=picture(100, 100))
    assert again.id == sheet.id and replaced == first_key != again.image_key


def test_a_blank_sheet_and_a_file_that_is_not_a_picture(town):
    t, v, admin, *_ = town
    sheet, _ = ops.set_sheet(t, admin, v, image=None)
    assert sheet.image_key is None and sheet.width > sheet.height
    with pytest.raises(ops.MapError, match="无法识别"):
        ops.set_sheet(t, admin, v, image=b"%PDF-1.4 not a picture")


def test_a_pin_is_one_per_household_and_stays_on_the_sheet(town):
    t, v, admin, *_, homes = town
    ops.place(t, admin, homes[0], 0.25, 0.75)
    ops.place(t, admin, homes[0], 0.3, 0.6)
    pins = db.session.scalars(select(HouseholdPin)).all()
    assert [(p.x, p.y) for p in pins] == [(0.3, 0.6)]
    with pytest.raises(ops.MapError):
        ops.place(t, admin, homes[0], 1.2, 0.5)
    ops.unplace(homes[0])
    assert ops.pin_of(homes[0]) is None


def test_spots_number_households_and_count_what_the_layers_show(town):
    t, v, admin, old, new, other, homes = town
    today = local_today(t)
    ops.place(t, admin, homes[1], 0.5, 0.5)
    db.session.add(Visit(township_id=t.id, household_id=homes[0].id, visitor_id=old.id,
                         visited_on=today - timedelta(days=10)))
    db.session.add(Visit(township_id=t.id, household_id=homes[0].id, visitor_id=old.id,
                         visited_on=today - timedelta(days=100)))
    late = factories.matter(t, title="屋顶漏雨", household=homes[1])
    late.due_on = today - timedelta(days=1)
    factories.matter(t, title="路灯", household=homes[1])
    done = factories.matter(t, title="已办结", household=homes[2])
    matters.reply(done, admin, public_text="已修好")
    db.session.flush()
    spots = ops.spots(v, today)
    assert [(s.number, s.household.head_name) for s in spots] == [
        (1, "赵大爷"), (2, "钱大妈"), (3, "孙家")]
    one, two, three = spots
    assert (one.last_visit, one.placed) == (today - timedelta(days=10), False)
    assert (two.open_matters, two.overdue_matters, two.placed) == (2, 1, True)
    assert three.open_matters == 0
    stale = 180
    assert [layers.visit_category(s, today, stale) for s in spots] == [0, 3, 3]
    assert [layers.matter_category(s) for s in spots] == [0, 2, 0]


def test_visit_categories_at_their_edges(town):
    t, v, *_, homes = town
    today = local_today(t)

    def category(days):
        spot = ops.Spot(homes[0], 1, None, None, today - timedelta(days=days), 0, 0)
        return layers.visit_category(spot, today, 180)

    assert [category(d) for d in (0, 30, 31, 90, 91, 180, 181)] == [0, 0, 1, 1, 2, 2, 3]


def test_search_finds_heads_family_members_and_addresses(town):
    t, v, *_, homes = town
    from app.households.models import Resident

    db.session.add(Resident(township_id=t.id, name="赵小华", household_id=homes[0].id,
                            village_id=v.id))
    db.session.flush()
    assert ops.search(v, "赵小华") == [homes[0].id]
    assert ops.search(v, "钱") == [homes[1].id]
    assert set(ops.search(v, "号")) == {h.id for h in homes}
    assert ops.search(v, "  ") == []


# ---------------------------------------------------------------- hand-over


def test_hand_over_moves_households_matters_revisits_and_map_in_one_recorded_step(town):
    t, v, admin, old, new, other, homes = town
    sheet, _ = ops.set_sheet(t, admin, v, image=None)
    sheet.keeper_id = old.id
    working = factories.matter(t, title="低保复核", household=homes[0])
    matters.assign(working, admin, assignee=old)
    matters.start(working, old)
    raised = factories.matter(t, title="邻里纠纷", household=homes[1], actor=old)  # unassigned
    replied = factories.matter(t, title="修路", household=homes[1])
    matters.assign(replied, admin, assignee=old)
    matters.reply(replied, old, public_text="已修")
    revisit = matters.schedule_revisit(replied, local_today(t) + timedelta(days=20))
    elsewhere = factories.matter(t, title="别家的事", household=homes[2])
    matters.assign(elsewhere, admin, assignee=other)
    db.session.flush()

    record = ops.hand_over(t, admin, village=v, from_cadre=old, to_cadre=new, note="调岗")
    db.session.flush()

    assert [h.contact_cadre_id for h in homes] == [new.id, new.id, other.id]
    assert working.assignee_id == new.id and working.state == State.IN_PROGRESS  # state kept
    assert raised.assignee_id == new.id and raised.state == State.RECEIVED
    assert replied.assignee_id == new.id and replied.state == State.REPLIED
    assert elsewhere.assignee_id == other.id
    assert db.session.get(VillageMap, (t.id, sheet.id)).keeper_id == new.id
    assert sorted(record.moved["households"]) == sorted([str(homes[0].id), str(homes[1].id)])
    assert sorted(record.moved["matters"]) == sorted([str(working.id), str(raised.id)])
    assert record.moved["revisits"] == [str(revisit.id)] and record.moved["map"] is True
    event = db.session.scalars(select(MatterEvent).where(
        MatterEvent.matter_id == working.id).order_by(MatterEvent.seq.desc())).first()
    assert event.kind == "handed_over" and event.actor_id == admin.id
    assert event.data["changes"]["assignee"] == [str(old.id), str(new.id)]
    assert event.data["handover"] == str(record.id)


def test_hand_over_refuses_the_same_person_and_an_empty_hand(town):
    t, v, admin, old, new, *_ = town
    with pytest.raises(ops.MapError, match="同一人"):
        ops.hand_over(t, admin, village=v, from_cadre=old, to_cadre=old)
    with pytest.raises(ops.MapError, match="无需交接"):
        ops.hand_over(t, admin, village=v, from_cadre=new, to_cadre=old)
    assert db.session.scalars(select(Handover)).all() == []


# ---------------------------------------------------------------- pages


@pytest.fixture
def pages(app, town, client):
    t, v, admin, old, new, other, homes = town
    homes[0].tags = ["低保"]
    homes[1].head_name = "</script><b>钱</b>"
    db.session.commit()
    login(client, admin)
    return client, f"/t/{t.slug}/map/{v.id}", town


def test_the_map_page_carries_every_household_for_the_script_safely(pages):
    client, base, (t, v, admin, old, new, other, homes) = pages
    client.post(f"{base}/sheet", data={
        "csrf_token": _form_token(client.get(f"{base}/sheet").text), "blank": "y"})
    html = client.get(base).text
    raw = re.search(r'<script type="application/json" id="map-data">(.*?)</script>', html,
                    re.S).group(1)
    assert "</script><b>" not in html  # a name cannot close the script or inject markup
    data = json.loads(raw)
    rows = {r[2]: r for r in data["households"]}
    assert set(rows) == {"赵大爷", "</script><b>钱</b>", "孙家"}
    assert rows["赵大爷"][8] == [0]  # 低保 is the first tag
    assert rows["赵大爷"][4] is None  # not yet placed
    assert "尚未标注的农户" in html and 'id="village-map"' in html
    assert '已标注 <span id="placed-count">0</span> 户' in html


def _form_token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_uploading_a_map_and_serving_it_cached(pages):
    client, base, (t, v, *_rest) = pages
    page = client.get(f"{base}/sheet")
    response = client.post(f"{base}/sheet", data={
        "csrf_token": _form_token(page.text),
        "image": (io.BytesIO(picture(800, 600, "JPEG")), "map.jpg")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    sheet = db.session.scalar(select(VillageMap))
    image = client.get(f"{base}/image?v={sheet.version}")
    assert image.status_code == 200 and image.headers["Content-Type"] == "image/jpeg"
    assert "immutable" in image.headers["Cache-Control"]
    assert "no-cache" in client.get(f"{base}/image").headers["Cache-Control"]
    bad = client.post(f"{base}/sheet", data={
        "csrf_token": _form_token(page.text),
        "image": (io.BytesIO(b"GIF89a nonsense"), "map.png")}, content_type="multipart/form-data")
    assert bad.status_code == 422 and "无法识别" in bad.text


def test_a_dragged_pin_is_saved_with_the_csrf_header_and_json(pages):
    client, base, (t, v, admin, old, new, other, homes) = pages
    html = client.get(base).text
    url = f"{base}/households/{homes[0].id}/position"
    refused = client.post(url, data={"pos-x": "10", "pos-y": "20"},
                          headers={"Accept": "application/json"})
    assert refused.status_code == 400  # no CSRF token
    saved = client.post(url, data={"pos-x": "12.345", "pos-y": "67.8"},
                        headers={**csrf_headers(html), "Accept": "application/json"})
    assert saved.status_code == 200
    assert saved.json == {"id": str(homes[0].id), "x": 0.12345, "y": 0.678}
    off = client.post(url, data={"pos-x": "120", "pos-y": "5"},
                      headers={**csrf_headers(html), "Accept": "application/json"})
    assert off.status_code == 422 and off.json["errors"]


def test_without_javascript_the_card_sets_the_position_with_a_form(pages):
    client, base, (t, v, admin, old, new, other, homes) = pages
    ops.set_sheet(t, admin, v, image=None)
    db.session.commit()
    card = client.get(f"{base}/households/{homes[0].id}")
    assert card.status_code == 200 and "从左边起" in card.text
    token = re.search(r'id="pos-csrf_token" name="pos-csrf_token" type="hidden" value="([^"]+)"',
                      card.text).group(1)
    response = client.post(f"{base}/households/{homes[0].id}/position",
                           data={"pos-csrf_token": token, "pos-x": "50", "pos-y": "25"})
    assert response.status_code == 302
    pin = ops.pin_of(homes[0])
    assert (pin.x, pin.y) == (0.5, 0.25)
    plain = client.get(f"/t/{t.slug}/map/{v.id}/plain?layer=matters").text
    assert "left:50.00%;top:25.00%" in plain


def test_a_household_of_another_village_is_not_found_on_this_map(pages):
    client, base, (t, v, admin, old, new, other, homes) = pages
    elsewhere = factories.household(t, factories.village(t, "邻村"), head="外村人")
    db.session.commit()
    assert client.get(f"{base}/households/{elsewhere.id}").status_code == 404


def test_a_visit_from_the_card_is_recorded_and_recolours_the_pin(pages):
    client, base, (t, v, admin, old, new, other, homes) = pages
    card = client.get(f"{base}/households/{homes[0].id}", headers={"HX-Request": "true"})
    assert "<html" not in card.text  # the fragment for the map's side panel
    today = local_today(t)
    response = client.post(f"{base}/households/{homes[0].id}/visit", data={
        "csrf_token": _form_token(card.text), "household_id": str(homes[0].id),
        "visited_on": today.isoformat(), "method": "in_person", "notes": "看望老人",
        "hardship": "取暖煤不够"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "走访已记录" in response.text
    trigger = json.loads(response.headers["HX-Trigger"])["map:visited"]
    assert trigger == {"id": str(homes[0].id), "days": 0, "category": 0}
    assert "看望老人" not in response.text  # the form is fresh for the next visit
    visit = db.session.scalar(select(Visit))
    assert (visit.visitor_id, visit.findings) == (admin.id, {"hardship": "取暖煤不够"})
    future = client.post(f"{base}/households/{homes[0].id}/visit", data={
        "csrf_token": _form_token(card.text), "household_id": str(homes[0].id),
        "visited_on": (today + timedelta(days=3)).isoformat(), "method": "phone"},
        headers={"HX-Request": "true"})
    assert future.status_code == 422 and "不能晚于今天" in future.text


def test_hand_over_through_the_page_and_print_the_pack(pages):
    client, base, (t, v, admin, old, new, other, homes) = pages
    ops.set_sheet(t, admin, v, image=picture(600, 400))
    ops.place(t, admin, homes[0], 0.2, 0.3)
    overdue = factories.matter(t, title="危房改造", household=homes[0])
    matters.assign(overdue, admin, assignee=old)
    overdue.due_on = local_today(t) - timedelta(days=2)
    db.session.commit()
    form = client.get(f"{base}/handover?from_cadre={old.id}")
    assert "联系户 2 户" in form.text and "在办事项 1 件" in form.text
    refused = client.post(f"{base}/handover", data={
        "csrf_token": _form_token(form.text), "from_cadre": str(old.id),
        "to_cadre": str(new.id)})
    assert refused.status_code == 422  # the list was not confirmed
    done = client.post(f"{base}/handover", data={
        "csrf_token": _form_token(form.text), "from_cadre": str(old.id),
        "to_cadre": str(new.id), "note": "调往县里", "confirm": "y"})
    assert done.status_code == 302
    record = db.session.scalar(select(Handover))
    assert done.headers["Location"].endswith(f"/map/handovers/{record.id}")
    from app.notices.models import Notification

    note = db.session.scalar(select(Notification).where(Notification.user_id == new.id))
    assert "石门村" in note.message and note.link.endswith(f"/map/handovers/{record.id}")
    page = client.get(done.headers["Location"]).text
    assert "张老干部" in page and "李新干部" in page and "联系户 2 户" in page
    pdf = client.get(f"/t/{t.slug}/map/handovers/{record.id}/pack.pdf")
    assert pdf.headers["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.data)
    for words in ("石门村民情地图", "联户交接资料", "赵大爷", "<b>钱</b>", "危房改造", "已超期",
                  "李新干部"):
        assert words in text, words
    assert "孙家" not in text  # another cadre's household is not in this pack


def test_a_cadre_may_look_but_not_hand_over_or_replace_the_map(pages, app):
    client, base, (t, v, admin, old, *_rest) = pages
    login(client, old)
    assert client.get(base).status_code == 200
    assert client.get(f"{base}/handover").status_code == 403
    assert client.get(f"{base}/sheet").status_code == 403


def test_a_picture_too_large_to_open_is_refused_before_it_is_decoded(town):
    t, v, admin, *_ = town
    out = io.BytesIO()
    Image.new("1", (10000, 7000)).save(out, "PNG")  # a few kilobytes, 70 million pixels
    with pytest.raises(ops.MapError, match="图片过大"):
        ops.set_sheet(t, admin, v, image=out.getvalue())


def test_the_township_overview_counts_households_placed_and_sheets(pages):
    client, base, (t, v, admin, old, new, other, homes) = pages
    ops.set_sheet(t, admin, v, image=None)
    ops.place(t, admin, homes[0], 0.1, 0.1)
    factories.village(t, "没图村")
    db.session.commit()
    stats = ops.village_stats(t)
    assert (stats[v.id].households, stats[v.id].placed, stats[v.id].has_sheet) == (3, 1, True)
    html = client.get(f"/t/{t.slug}/map/").text
    assert "石门村" in html and "没图村" in html and "未上传" in html


def test_the_plain_view_colours_pins_by_the_chosen_layer(pages):
    client, base, (t, v, admin, old, new, other, homes) = pages
    ops.set_sheet(t, admin, v, image=None)
    for h in homes:
        ops.place(t, admin, h, 0.5, 0.5)
    late = factories.matter(t, title="超期", household=homes[2])
    late.due_on = local_today(t) - timedelta(days=3)
    db.session.commit()
    html = client.get(f"{base}/plain?layer=matters").text
    pins = re.findall(r'background:(#[0-9a-f]{6})" href="[^"]+/households/([0-9a-f-]+)"', html)
    colours = {hid: colour for colour, hid in pins}
    assert colours[str(homes[2].id)] == "#c62828" and colours[str(homes[0].id)] == layers.GREY
    tagged = client.get(f"{base}/plain?layer=tags&tag=低保").text
    pins = dict((hid, c) for c, hid in re.findall(
        r'background:(#[0-9a-f]{6})" href="[^"]+/households/([0-9a-f-]+)"', tagged))
    assert pins[str(homes[0].id)] != layers.GREY and pins[str(homes[1].id)] == layers.GREY

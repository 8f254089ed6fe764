"""Issue 11 on a phone: upload a village's map, place three households (dragging one pin, tapping
the map for the others), switch layers, open a pin and record a visit from its card, then hand
the village over to another cadre and fetch the printed pack."""

from __future__ import annotations

import os

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import db
from app.households.models import Household, Visit
from app.map.models import Handover, HouseholdPin
from app.tenancy import bind_township
from tests import factories

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("MINQING_SHOTS")  # a folder: save phone screenshots there to look at


def _drawn_map(path):
    """A 'hand-drawn' village map: a road, a river and a few houses."""
    image = Image.new("RGB", (1200, 900), "#fbf7ea")
    draw = ImageDraw.Draw(image)
    draw.line([(0, 450), (1200, 430)], fill="#888", width=30)
    draw.line([(300, 0), (380, 900)], fill="#7ab", width=40)
    for x, y in ((150, 250), (600, 300), (900, 650), (700, 700)):
        draw.rectangle([x, y, x + 80, y + 60], outline="#333", width=4)
    image.save(path, "PNG")


@pytest.fixture
def town(app, tmp_path):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("shimen")
        bind_township(db.session, t.id)
        village = factories.village(t, "石门村")
        admin = factories.user(t, Role.TOWNSHIP_ADMIN, name="镇管理员")
        admin.set_password("admin-pass-1")
        old = factories.user(t, Role.CADRE, name="张老干部")
        new = factories.user(t, Role.CADRE, name="李新干部")
        homes = []
        for n, head in enumerate(("赵大爷", "钱大妈", "孙二叔", "李奶奶"), start=1):
            h = factories.household(t, village, head=head, contact_cadre_id=old.id,
                                    tags=["独居老人"] if n == 4 else [])
            h.address = f"石门村{n}号"
            homes.append(h)
        overdue = factories.matter(t, title="屋顶漏雨", household=homes[1], actor=old)
        overdue.due_on = overdue.due_on.replace(year=overdue.due_on.year - 1)
        db.session.commit()
        bind_township(db.session, None)
    picture = tmp_path / "village.png"
    _drawn_map(picture)
    return t, village, admin, old, new, homes, picture


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def _settle(page):
    """Wait until the page has stopped scrolling to the map (a smooth scroll) and panning."""
    page.wait_for_function("""() => new Promise(done => {
        const y = window.scrollY;
        setTimeout(() => done(window.scrollY === y), 250);
    })""")
    page.wait_for_timeout(300)


def _pin_point(page, household_id):
    """Where a household's pin is on the screen (the map scrolled into view, centred on it),
    read once the page has stopped moving: a card opened by a search scrolls smoothly and the
    map may still be zooming to the found pin."""
    return page.evaluate("""async (id) => {
        const el = document.getElementById('village-map'), s = el.mapState;
        const frame = () => new Promise(r => requestAnimationFrame(r));
        for (let i = 0; i < 120 && s.map._animatingZoom; i++) await frame();
        let last = null;
        for (let i = 0; i < 120; i++) {
            el.scrollIntoView({block: 'center'});
            s.map.panTo(s.markers[id].getLatLng(), {animate: false});
            await frame(); await frame();
            const top = el.getBoundingClientRect().top;
            if (top === last) break;
            last = top;
        }
        const p = s.map.latLngToContainerPoint(s.markers[id].getLatLng());
        const box = el.getBoundingClientRect();
        return {x: box.left + p.x, y: box.top + p.y};
    }""", household_id)


def test_map_placing_layers_visit_and_hand_over_on_a_phone(live_server, phone, town, app):
    t, village, admin, old, new, homes, picture = town
    page = phone
    base = f"{live_server}/t/{t.slug}/map"
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill(admin.username)
    page.get_by_label("密码").fill("admin-pass-1")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="登录")).to_have_count(0)

    # Upload the drawn map.
    page.goto(f"{base}/")
    page.get_by_role("link", name="上传地图").click()
    page.get_by_label("地图图片").set_input_files(str(picture))
    page.get_by_role("button", name="保存地图").click()
    expect(page.get_by_text("地图已更新")).to_be_visible()
    expect(page.locator("html[data-map-ready='4']")).to_have_count(1)
    expect(page.locator("#unplaced-count")).to_have_text("4")
    expect(page.locator("#village-map img.leaflet-image-layer")).to_have_count(1)
    _shot(page, "map-uploaded")
    # Reached through the site's boosted links too (htmx swaps the page in; the map still starts).
    page.goto(f"{base}/")
    expect(page.locator("html[data-map-ready]")).to_have_count(0)
    page.get_by_role("link", name="石门村").click()
    expect(page.locator("html[data-map-ready='4']")).to_have_count(1)
    expect(page.locator("#village-map .leaflet-control-zoom")).to_have_count(1)

    # Place the first household by dragging its pin to the door.
    first = str(homes[0].id)
    page.locator(f"#unplaced li[data-household='{first}'] button.place").click()
    expect(page.locator("#placing")).to_be_visible()
    marker = page.locator(".leaflet-marker-icon.leaflet-marker-draggable")
    expect(marker).to_have_count(1)
    _settle(page)
    box = page.locator("#village-map").bounding_box()
    m = marker.bounding_box()
    start = (m["x"] + m["width"] / 2, m["y"] + m["height"] - 2)  # the pin's point
    target = (box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.35)
    page.mouse.move(*start)
    page.mouse.down()
    for step in range(1, 11):  # a drag in small steps, as a finger moves
        page.mouse.move(start[0] + (target[0] - start[0]) * step / 10,
                        start[1] + (target[1] - start[1]) * step / 10)
    page.mouse.up()
    expect(page.locator("#placing-text")).to_contain_text("位置已保存")
    expect(page.locator("#unplaced-count")).to_have_text("3")

    # The next two: choose, then tap the map where their doors are.
    for household, (fx, fy) in ((homes[1], (0.6, 0.55)), (homes[2], (0.75, 0.7))):
        page.locator(f"#unplaced li[data-household='{household.id}'] button.place").click()
        expect(page.locator("#placing-text")).to_contain_text(household.head_name)
        _settle(page)
        box = page.locator("#village-map").bounding_box()
        page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
        expect(page.locator("#village-map")).to_have_attribute("data-last-saved",
                                                              str(household.id))
    page.get_by_role("button", name="完成").click()
    expect(page.locator("#unplaced-count")).to_have_text("1")
    expect(page.locator("#placed-count")).to_have_text("3")
    _shot(page, "map-placed")
    with app.app_context():
        bind_township(db.session, t.id)
        pins = {p.household_id: p for p in db.session.scalars(select(HouseholdPin))}
        assert set(pins) == {homes[0].id, homes[1].id, homes[2].id}
        assert all(0 <= p.x <= 1 and 0 <= p.y <= 1 for p in pins.values())
        two, three = pins[homes[1].id], pins[homes[2].id]
        assert two.x < three.x and two.y < three.y  # where they were tapped, in order
        db.session.remove()

    # Switch layers: matters shows the overdue household; tags and cadres have their legends.
    page.get_by_label("在办与超期事项").check()
    expect(page.locator("#legend")).to_contain_text("有超期事项")
    assert "layer=matters" in page.url
    colour = page.evaluate("(id) => document.getElementById('village-map').mapState"
                           ".markers[id].options.fillColor", str(homes[1].id))
    assert colour == "#c62828"
    expect(page.locator("select[name=tag]")).to_be_hidden()  # only for the tags layer
    page.get_by_role("radio", name="标签").check()
    expect(page.locator("select[name=tag]")).to_be_visible()
    page.locator("select[name=tag]").select_option("独居老人")
    expect(page.locator("#legend")).to_contain_text("独居老人")
    page.get_by_label("联户干部", exact=True).check()
    expect(page.locator("#legend")).to_contain_text("张老干部")
    page.get_by_label("距上次走访").check()
    expect(page.locator("#legend")).to_contain_text("从未走访")

    # Search for a name: the map goes to the pin and opens the card.
    page.get_by_label("找人找户").fill("钱大妈")
    page.get_by_role("button", name="搜索").click()
    expect(page.locator("#household-card")).to_contain_text("屋顶漏雨")

    # Open the first household's pin and record a visit from its card.
    point = _pin_point(page, first)
    page.mouse.click(point["x"], point["y"])
    card = page.locator("#household-card")
    expect(card).to_contain_text("赵大爷")
    before = page.evaluate("(id) => document.getElementById('village-map').mapState"
                           ".markers[id].options.fillColor", first)
    assert before == "#c62828"  # never visited
    card.get_by_label("走访情况").fill("老人身体硬朗，家中取暖已安排。")
    card.get_by_role("button", name="保存走访").click()
    expect(page.locator("#household-card")).to_contain_text("走访已记录")
    expect(page.locator("#household-card")).to_contain_text("镇管理员")
    after = page.evaluate("(id) => document.getElementById('village-map').mapState"
                          ".markers[id].options.fillColor", first)
    assert after == "#1e7a3c"  # visited today
    _shot(page, "map-card-visit")
    with app.app_context():
        bind_township(db.session, t.id)
        visit = db.session.scalar(select(Visit))
        assert visit.household_id == homes[0].id and visit.visitor_id == admin.id
        db.session.remove()

    # Hand the village over from the leaving cadre to the new one.
    page.goto(f"{base}/{village.id}")
    page.get_by_role("link", name="联户干部交接").click()
    page.get_by_label("交出的联户干部").select_option(str(old.id))
    expect(page.locator("#handover-plan")).to_contain_text("联系户 4 户")
    page.get_by_label("接手的联户干部").select_option(str(new.id))
    page.get_by_label("交接说明").fill("张老干部调往县里。")
    page.get_by_label("已核对交接清单").check()
    page.get_by_role("button", name="确认交接").click()
    expect(page.get_by_text("交接已完成")).to_be_visible()
    expect(page.locator("main")).to_contain_text("李新干部")
    _shot(page, "map-handover")
    href = page.get_by_role("link", name="打印交接资料（PDF）").get_attribute("href")
    pdf = page.request.get(live_server + href)
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body()[:5] == b"%PDF-"
    with app.app_context():
        bind_township(db.session, t.id)
        assert {h.contact_cadre_id for h in db.session.scalars(select(Household))} == {new.id}
        record = db.session.scalar(select(Handover))
        assert len(record.moved["households"]) == 4 and len(record.moved["matters"]) == 1
        db.session.remove()

"""Visit diary: recording, matters raised from a heading, summaries and coverage against targets."""

from __future__ import annotations

import re
from datetime import date

import pytest

from app.accounts.models import Role
from app.extensions import db
from app.households.models import Grid
from app.matters.operations import TransitionError, local_today
from app.tenancy import bind_township
from app.visits import operations as ops
from tests import factories
from tests.conftest import login


@pytest.fixture
def town(ctx):
    t = factories.township()
    bind_township(db.session, t.id)
    cadre = factories.user(t, Role.CADRE, name="张卫东")
    other = factories.user(t, Role.CADRE, name="赵红")
    east, west = factories.village(t, "东村"), factories.village(t, "西村")
    grid = Grid(township_id=t.id, village_id=east.id, name="一组")
    db.session.add(grid)
    db.session.flush()
    houses = [factories.household(t, east, head=f"东{i}", contact_cadre_id=cadre.id,
                                  grid_id=grid.id) for i in range(4)]
    houses += [factories.household(t, west, head=f"西{i}", contact_cadre_id=other.id)
               for i in range(2)]
    return t, cadre, other, houses


def test_record_keeps_only_filled_headings_and_refuses_future_dates(town):
    t, cadre, _, houses = town
    visit = ops.record_visit(t, cadre, household=houses[0], visited_on=date(2026, 11, 20),
                             method="phone", findings={"dispute": " 与邻居争水 ", "hardship": ""},
                             today=date(2026, 11, 23))
    assert visit.findings == {"dispute": "与邻居争水"}
    with pytest.raises(TransitionError, match="晚于今天"):
        ops.record_visit(t, cadre, household=houses[0], visited_on=date(2026, 11, 24),
                         method="phone", today=date(2026, 11, 23))


def test_a_heading_becomes_one_linked_matter(town):
    t, cadre, _, houses = town
    visit = ops.record_visit(t, cadre, household=houses[0], visited_on=date(2026, 11, 20),
                             method="in_person", findings={"dispute": "与邻居争水",
                                                           "petition": "征地补偿"},
                             today=date(2026, 11, 23))
    matter = ops.raise_matter(t, cadre, visit, "dispute")
    assert (matter.channel, matter.category, matter.source_visit_id, matter.household_id) == \
        ("visit", "dispute", visit.id, houses[0].id)
    # Disputes stay off the public board unless the township makes them public (issue #16).
    assert not matter.is_public
    with pytest.raises(TransitionError, match="已转为事项"):
        ops.raise_matter(t, cadre, visit, "dispute")
    with pytest.raises(TransitionError, match="没有记录"):
        ops.raise_matter(t, cadre, visit, "hardship")
    # Petitions stay off the public board.
    assert not ops.raise_matter(t, cadre, visit, "petition").is_public
    assert set(ops.raised_matters(visit)) == {"dispute", "petition"}


def test_summary_sorts_findings_by_village_and_cadre(town):
    t, cadre, other, houses = town
    for house, who, day in ((houses[0], cadre, 17), (houses[1], cadre, 18), (houses[4], other, 19),
                            (houses[5], other, 3)):
        ops.record_visit(t, who, household=house, visited_on=date(2026, 11, day), method="phone",
                         findings={"suggestion": f"建议{day}"}, today=date(2026, 11, 23))
    week = ops.summary(t, *ops.week_of(date(2026, 11, 18)))
    assert week["visits"] == 3 and week["totals"]["suggestion"] == 3
    assert [(g.name, g.visits) for g in week["by_village"]] == [("东村", 2), ("西村", 1)]
    assert [(g.name, len(g.households)) for g in week["by_cadre"]] == [("张卫东", 2), ("赵红", 1)]
    month = ops.summary(t, *ops.month_of(date(2026, 11, 18)))
    assert month["visits"] == 4
    assert [v.visited_on.day for v in ops.visits_of(houses[0])] == [17]


def test_coverage_against_targets_and_not_visited_order(town):
    t, cadre, other, houses = town
    day = date(2026, 11, 20)
    for house in houses[:3]:
        ops.record_visit(t, cadre, household=house, visited_on=day, method="in_person",
                         today=day)
    ops.record_visit(t, cadre, household=houses[0], visited_on=date(2026, 3, 1),
                     method="in_person", today=day)
    ops.record_visit(t, other, household=houses[5], visited_on=date(2025, 6, 1),
                     method="in_person", today=day)
    c = ops.coverage(t, date(2026, 1, 1), day)
    east, west = c["villages"]
    assert (east.name, east.households, east.visited, east.rate, east.target_pct) == \
        ("东村", 4, 3, 75.0, 100)
    assert not east.meets and east.visited_enough == 1
    assert (west.visited, west.rate) == (0, 0.0)
    assert [r.name for r in c["grids"]] == ["东村 · 一组"] and c["grids"][0].visited == 3
    assert {r.name: r.visited for r in c["cadres"]} == {"张卫东": 3, "赵红": 0}
    # Never visited first, then the longest since the last visit.
    assert [h.head_name for h, _ in c["not_visited"]] == ["东3", "西0", "西1"]
    # A large village only needs 80 %.
    from app.proxy.service import MODEL

    t.service("proxy").settings = {"large_village_households": 4}
    assert MODEL.settings_for(t).large_village_households == 4
    assert ops.coverage(t, date(2026, 1, 1), day)["villages"][0].target_pct == 80


def test_pages_record_raise_and_coverage(world, client):
    town = world.a
    cadre = town.users[Role.CADRE]
    login(client, cadre)
    base = f"/t/{town.township.slug}/visits"
    page = client.get(base + "/new")
    assert page.status_code == 200
    headers = {"X-CSRFToken": re.search(r'csrf_token" type="hidden" value="([^"]+)"',
                                        page.text).group(1)}
    today = local_today(town.township).isoformat()
    period = f"/coverage?start={today}&end={today}"
    before = client.get(base + period).text
    unvisited = int(re.search(r"尚未走访的户（(\d+)）", before).group(1))
    assert unvisited >= 1 and "全部已走访" not in before
    form = {"household_id": str(town.objects.household.id), "visited_on": "2099-01-01",
            "method": "in_person", "dispute": "与邻居争宅基地"}
    bad = client.post(base + "/new", data=form, headers=headers)
    assert bad.status_code == 422 and "与邻居争宅基地" in bad.text
    response = client.post(base + "/new", data={**form, "visited_on": today}, headers=headers)
    assert response.status_code == 302
    detail = response.headers["Location"]
    raised = client.post(detail + "/raise/dispute", headers=headers, follow_redirects=True)
    assert "已转为事项" in raised.text
    after = client.get(base + period).text
    left = re.search(r"尚未走访的户（(\d+)）", after)
    assert (int(left.group(1)) if left else 0) == unvisited - 1 or "全部已走访" in after
    assert client.get(base + "/summary?period=month").status_code == 200
    pdf = client.get(base + "/summary.pdf?period=month")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_the_previous_month_of_december_is_november_and_a_cadre_has_his_own_summary(app, client):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township()
        bind_township(db.session, t.id)
        cadre = factories.user(t, Role.CADRE, name="张卫东")
        other = factories.user(t, Role.CADRE, name="赵红")
        east = factories.village(t, "东村")
        mine = factories.household(t, east, head="东一")
        theirs = factories.household(t, east, head="东二")
        for who, house, day, text in ((cadre, mine, date(2026, 11, 30), "十一月的纠纷"),
                                      (cadre, mine, date(2026, 12, 10), "我的十二月"),
                                      (other, theirs, date(2026, 12, 11), "别人的十二月")):
            ops.record_visit(t, who, household=house, visited_on=day, method="in_person",
                             findings={"dispute": text}, today=date(2026, 12, 31))
        db.session.commit()
        bind_township(db.session, None)
    login(client, cadre)
    base = f"/t/{t.slug}/visits/summary?period=month"
    december = client.get(base + "&on=2026-12-15").text
    assert "我的十二月" in december and "别人的十二月" in december
    previous = re.search(r'id="summary-prev" href="([^"]+)"', december).group(1)
    november = client.get(previous.replace("&amp;", "&")).text
    assert "十一月的纠纷" in november and "2026年11月01日" in november
    following = re.search(r'id="summary-next" href="([^"]+)"', november).group(1)
    assert "2026年12月01日" in client.get(following.replace("&amp;", "&")).text
    own = client.get(base + "&on=2026-12-15&cadre=me").text
    assert "张卫东的民情日记汇总" in own and "我的十二月" in own and "别人的十二月" not in own
    by_id = client.get(base + f"&on=2026-12-15&cadre={other.id}").text
    assert "赵红的民情日记汇总" in by_id and "我的十二月" not in by_id

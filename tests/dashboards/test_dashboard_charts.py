"""The leaders' dashboard as pictures: trends by month and quarter, ranking bars that link to the
rows they count, overdue matters by age; the pictures' numbers are the table's."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
import time_machine

from app.accounts.models import Role
from app.extensions import db
from app.matters import operations as ops
from app.matters.models import Matter
from app.matters.rates import cached_rates_by_village, month_period
from app.tenancy import bind_township
from tests import factories
from tests.conftest import login

NOW = datetime(2026, 6, 15, 4, 0, tzinfo=UTC)  # noon in Beijing


@pytest.fixture
def town(app):
    with app.app_context(), time_machine.travel(NOW, tick=False):
        db.session().expire_on_commit = False
        t = factories.township("chartsdash", code="CD", services=())
        bind_township(db.session, t.id)
        leader = factories.user(t, Role.LEADER, name="刘镇长")
        east, west = factories.village(t, "东村"), factories.village(t, "西村")
        for month, village, answered in ((3, east, True), (6, east, True), (6, west, False),
                                         (6, west, False)):
            m = factories.matter(t, title=f"{month}月", village=village, actor=leader,
                                 now=datetime(2026, month, 2, 2, 0, tzinfo=UTC))
            m.assignee_id = leader.id
            if answered:
                ops.reply(m, leader, public_text="已处理。")
        # Two open matters past their promised date: 3 days and 40 days late.
        late = db.session.query(Matter).filter(Matter.village_id == west.id).all()
        late[0].due_on, late[1].due_on = date(2026, 6, 12), date(2026, 5, 6)
        db.session.commit()
        return t, leader, east, west


def _page(app, t, leader, query=""):
    client = app.test_client()
    with time_machine.travel(NOW, tick=False):
        login(client, leader)
        return client.get(f"/t/{t.slug}/matters/dashboard{query}").get_data(as_text=True)


def test_trends_by_month_and_quarter_carry_the_table_numbers(app, town):
    t, leader, _e, _w = town
    page = _page(app, t, leader)
    assert page.count("<svg") >= 7 and "按月" in page and "按季度" in page
    assert "<script" not in "".join(re.findall(r"<svg.*?</svg>", page, flags=re.S))
    with app.app_context():
        bind_township(db.session, t.id)
        june = cached_rates_by_village(t.id, *month_period(date(2026, 6, 1)))[0]
        march = cached_rates_by_village(t.id, *month_period(date(2026, 3, 1)))[0]
    assert june.resolution_rate.percent == pytest.approx(33.3)
    assert march.resolution_rate.percent == 100.0
    monthly = page.split("按月", 2)[2].split("</table>", 1)[0]
    assert re.search(r"<tr><td>3月</td><td>[^<]*</td><td>100\.0</td>", monthly)
    assert re.search(r"<tr><td>6月</td><td>[^<]*</td><td>33\.3</td>", monthly)
    quarterly = page.split("按季度", 2)[2].split("</table>", 1)[0]
    # The second quarter: April–June, one of three matters resolved.
    assert re.search(r"<tr><td>26Q2</td><td>[^<]*</td><td>33\.3</td>", quarterly)


def test_ranking_bars_link_to_their_rows_and_overdue_by_age(app, town):
    t, leader, east, west = town
    page = _page(app, t, leader)
    # East ranks above west on resolution this month, and each bar opens the village's rows.
    bars = page.split("各村问题解决率", 1)[1]
    assert bars.index(f"village={east.id}") < bars.index(f"village={west.id}")
    assert f'<a href="/t/chartsdash/matters/?month=2026-06&amp;village={east.id}">' in page
    assert "干部问题解决率" in page and "assignee=" in page
    assert "超期1–7天：1" in page and "超期31天以上：1" in page and "超期8–30天：0" in page
    client = app.test_client()
    with time_machine.travel(NOW, tick=False):
        login(client, leader)
        rows = client.get(f"/t/{t.slug}/matters/?due=overdue&age=31-").get_data(as_text=True)
    assert rows.count('href="/t/chartsdash/matters/') >= 1
    assert "6月" in rows

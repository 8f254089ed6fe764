"""The board's rates and charts: a period that means something, the counts behind each rate,
the last 12 months as SVG with a table of the same numbers, villages compared in bars; the
whole page light and with no outside request."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine

from app.accounts.models import Role
from app.extensions import db
from app.matters import operations as ops
from app.matters.rates import cached_rates_by_village, last_months, rates_by_village_by_month
from app.tenancy import bind_township
from tests import factories

# 15 June 2026, noon in Beijing.
NOW = datetime(2026, 6, 15, 4, 0, tzinfo=UTC)


@pytest.fixture
def town(app):
    with app.app_context(), time_machine.travel(NOW, tick=False):
        db.session().expire_on_commit = False
        t = factories.township("chartsboard", code="CB", services=())
        bind_township(db.session, t.id)
        leader = factories.user(t, Role.LEADER, name="刘镇长")
        villages = [factories.village(t, name) for name in ("东村", "西村", "南村")]
        # Matters received in three months of the year, some of them answered.
        for month, count, answered in ((2, 3, 2), (4, 2, 2), (6, 4, 1)):
            for i in range(count):
                m = factories.matter(t, title=f"{month}月第{i}件", category="suggestion",
                                     village=villages[i % 3], is_public=True, actor=leader,
                                     now=datetime(2026, month, 3, 2, 0, tzinfo=UTC))
                if i < answered:
                    ops.reply(m, leader, public_text="已处理。")
        db.session.commit()
        return t, villages


def _board(app, t, query=""):
    with time_machine.travel(NOW, tick=False):
        return app.test_client().get(f"/t/{t.slug}/board{query}")


def test_board_defaults_to_year_to_date_with_counts_and_keeps_the_period(app, town):
    t, _villages = town
    page = _board(app, t).get_data(as_text=True)
    assert "本年以来（2026年1月1日至6月15日）" in page
    # All nine matters of the year count, three of them from February: not this month alone.
    assert "解决 5 / 事项 9" in page
    # Each cell: the percentage, then the counts behind it; a rate with nothing counted is —.
    cell = '<td data-label="问题解决率">55.6%<br><small class="muted">解决 5 / 事项 9</small></td>'
    assert cell in page
    assert '—<br><small class="muted">走访 0 / 户 0</small>' in page
    twelve = _board(app, t, "?period=12m").get_data(as_text=True)
    assert "近12个月（2025年7月至2026年6月15日）" in twelve
    # The filter form keeps the chosen period, and the choice is plain links (no JS).
    assert '<input type="hidden" name="period" value="12m">' in twelve
    assert 'href="/t/chartsboard/board?period=ytd"' in twelve


def test_chart_numbers_are_the_table_numbers(app, town):
    t, villages = town
    page = _board(app, t).get_data(as_text=True)
    with app.app_context(), time_machine.travel(NOW, tick=False):
        bind_township(db.session, t.id)
        history = rates_by_village_by_month(t.id, NOW.date())
        months = last_months(NOW.date())
        # Each month of the chart is the month's figure from the function the tables use.
        for (month, total, _by_village), period in zip(history, months, strict=False):
            assert month == period
            assert total == cached_rates_by_village(t.id, *period)[0]
    resolution = [r.resolution_rate.percent for _m, r, _v in history]
    assert resolution[-5] == pytest.approx(66.7) and resolution[-3] == 100.0
    # The SVG line of the township passes through those numbers, and the table below says them.
    township_part = page.split('<details open class="trend">', 1)[1].split("</details>", 1)[0]
    assert "<svg" in township_part and "<title>全镇近12个月三率</title>" in township_part
    cells = re.findall(r"<tr><td>(\d+)月</td><td>[^<]*</td><td>([^<]*)</td>", township_part)
    assert [c[1] for c in cells] == ["—" if v is None else f"{v:.1f}" for v in resolution]
    # Villages compared in bars, each bar a link to the village's rows.
    for v in villages:
        assert f'<a href="/t/chartsboard/board?village={v.id}">' in page



def test_a_village_trend_is_on_its_village_board_not_on_every_board(app, town):
    t, villages = town
    east = villages[0]
    page = _board(app, t).get_data(as_text=True)
    # The township's board draws the township's 12 months only, and says where a village's are.
    assert page.count('class="trend"') == 1
    assert "<title>全镇近12个月三率</title>" in page and "东村近12个月三率" not in page
    assert "各村的走势" in page
    village_page = _board(app, t, f"?village={east.id}").get_data(as_text=True)
    # A village's board: the village's trend open first, the township's below to compare.
    first = village_page.split('<details open class="trend">', 1)[1].split("</details>", 1)[0]
    assert "<title>东村近12个月三率</title>" in first
    assert village_page.count('class="trend"') == 2
    assert "<title>全镇近12个月三率</title>" in village_page
    assert "西村近12个月三率" not in village_page and "各村的走势" not in village_page
    with app.app_context(), time_machine.travel(NOW, tick=False):
        bind_township(db.session, t.id)
        history = rates_by_village_by_month(t.id, NOW.date())
    # Its table holds the village's own numbers: February's three matters were one per
    # village, East's answered (i=0 < 2 answered).
    expected = [by.get(east.id) for _m, _t, by in history]
    cells = re.findall(r"<tr><td>(\d+)月</td><td>[^<]*</td><td>([^<]*)</td>", first)
    assert [c[1] for c in cells] == [
        "—" if r is None or not r.resolution_rate.denominator
        else f"{r.resolution_rate.percent:.1f}" for r in expected]
    assert "100.0" in [c[1] for c in cells]

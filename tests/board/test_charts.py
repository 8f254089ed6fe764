"""The board's rates for a period that means something, with their counts, trends and bars drawn
on the server; light enough for a cheap phone and with no outside requests."""

from __future__ import annotations

import gzip
import re
from datetime import UTC, date, datetime, timedelta

import time_machine

from app import charts
from app.accounts.models import Role
from app.extensions import db
from app.matters import operations as ops
from app.matters.rates import compute_rates, last_months, rates_by_village_by_month
from app.tenancy import bind_township
from tests import factories

# Wednesday 2 December 2026, 10:00 in Beijing.
NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)


def _town(app, villages=12):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township()
        bind_township(db.session, t.id)
        staff = factories.user(t, Role.CENTRE_STAFF)
        vs = [factories.village(t, f"第{i}村") for i in range(villages)]
        for k, months_ago in enumerate((1, 3, 3, 7, 10)):
            when = NOW - timedelta(days=30 * months_ago)
            m = ops.create_matter(t, channel="phone", title=f"事项{k}", village=vs[k % 2],
                                  actor=staff, now=when, is_public=True)
            if k != 2:
                ops.reply(m, staff, public_text="已处理")
                with time_machine.travel(when + timedelta(hours=2)):
                    ops.evaluate(m, rating="satisfied" if k != 3 else "dissatisfied",
                                 source="resident_link")
        db.session.commit()
        bind_township(db.session, None)
        return t, vs


@time_machine.travel(NOW, tick=False)
def test_board_names_its_period_shows_counts_and_keeps_the_choice(app):
    t, vs = _town(app, villages=2)
    client = app.test_client()
    page = client.get(f"/t/{t.slug}/board").text
    assert "本年以来（2026年1月1日至12月2日）" in page
    # This year: five matters, three resolved (the one rated 不满意 is reopened); three of
    # the four ratings satisfied.
    assert "满意 3 / 评价 4" in page and "解决 3 / 事项 5" in page
    twelve = client.get(f"/t/{t.slug}/board?period=12m").text
    assert "近12个月（2026年1月至2026年12月2日）" in twelve
    # The choice survives the filter form (no JS: a hidden field).
    assert 'name="period" value="12m"' in twelve
    month = client.get(f"/t/{t.slug}/board?month=2026-11").text
    assert "2026年11月" in month and "满意 1 / 评价 1" in month


@time_machine.travel(NOW, tick=False)
def test_board_is_light_and_asks_nothing_from_outside(app):
    t, vs = _town(app, villages=12)
    response = app.test_client().get(f"/t/{t.slug}/board")
    body = response.get_data()
    assert response.status_code == 200
    print(f"board with 12 villages: {len(body)} bytes")
    # 50,656 bytes when every village's trend was drawn on it; 22,689 with the township's alone.
    assert len(body) < 30 * 1024
    text = body.decode()
    assert text.count("<svg") >= 1 + 3  # the township's trend, 3 comparison charts
    # The only absolute URL is the SVG namespace, which is a name, not a request.
    urls = re.findall(r'(?:src|href|action)="([^"]*)"', text)
    assert urls and not [u for u in urls if u.startswith(("http:", "https:", "//"))]
    assert set(re.findall(r"https?://[^\"' <]+", text)) <= {"http://www.w3.org/2000/svg"}
    for svg in re.findall(r"<svg.*?</svg>", text, re.S):
        assert "<script" not in svg and "style=" not in svg and "<style" not in svg
    # Each village's bar links to its rows and its trend on the board; each chart has its table.
    assert f'href="/t/{t.slug}/board?village={vs[0].id}"' in text
    assert text.count("<details") == 1 and text.count("<table") >= 2


@time_machine.travel(NOW, tick=False)
def test_whole_board_on_a_phone_is_under_60_kb_even_with_30_villages(app):
    """What a phone downloads (nginx gzips pages, scripts and styles): the page and every
    local script and stylesheet it loads."""
    t, vs = _town(app, villages=30)
    client = app.test_client()
    text = client.get(f"/t/{t.slug}/board").text
    assets = re.findall(r'<(?:script|link)[^>]+(?:src|href)="(/static/[^"]+)"', text)
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
    sizes = {a: len(gzip.compress(client.get(a).get_data(), 5)) for a in assets}
    page = len(gzip.compress(text.encode(), 5))
    print(f"board, 30 villages: html {len(text.encode())} B raw, {page} B gzip; assets {sizes}")
    assert page + sum(sizes.values()) < 60 * 1024


@time_machine.travel(NOW, tick=False)
def test_chart_numbers_are_the_table_numbers(app):
    t, vs = _town(app, villages=2)
    with app.app_context():
        bind_township(db.session, t.id)
        history = rates_by_village_by_month(t.id, date(2026, 12, 2))
        assert [m for m, _t, _v in history] == last_months(date(2026, 12, 2))
        for month, total, by_village in history:
            assert total == compute_rates(t.id, *month)
            for v in vs:
                mine = compute_rates(t.id, *month, village_id=v.id)
                if v.id in by_village:
                    assert by_village[v.id].satisfaction_rate == mine.satisfaction_rate
                    assert by_village[v.id].resolution_rate == mine.resolution_rate
        # The line drawn goes through the figures: read the points back as percentages.
        values = [total.resolution_rate.percent for _m, total, _v in history]
        svg = charts.trend("t", [str(i) for i in range(12)], [("解决", values)])
        points = [p for line in re.findall(r'points="([^"]+)"', svg) for p in line.split()]
        points += [f"{a},{b}" for a, b in re.findall(r'cx="([^"]+)" cy="([^"]+)"', svg)]
        drawn = sorted(round(100 * (1 - (float(p.split(",")[1]) - 8) / 84), 1) for p in points)
        assert drawn == sorted(v for v in values if v is not None)

"""日督查: the day's overdue, due-today and not-taken-up matters per unit, as a page and as the
leaders' morning message."""

from __future__ import annotations

from datetime import UTC, date, datetime

import time_machine
from sqlalchemy import select

from app.accounts.models import Role
from app.cadres import reminders, reports
from app.extensions import db
from app.matters import operations as matters
from app.notices.models import Notification
from app.tenancy import bind_township
from tests import factories
from tests.conftest import login

# Thursday 2026-11-19, 08:00 in Beijing; Wednesday the 18th was a working day.
MORNING = datetime(2026, 11, 19, 0, 0, tzinfo=UTC)
TODAY = date(2026, 11, 19)


def _town():
    t = factories.township("ducha", code="DC", services=())
    bind_township(db.session, t.id)
    leader = factories.user(t, Role.LEADER, name="刘书记")
    social = factories.centre(t, "社会事务服务中心")
    return t, leader, social


def _matter(t, title, *, received, due, centre=None, unit=None):
    m = factories.matter(t, title=title, now=received)
    if centre is not None or unit:
        matters.assign(m, None, centre=centre, unit_name=unit)
    m.due_on = due
    return m


def test_units_see_overdue_due_today_and_untouched_matters(ctx):
    t, leader, social = _town()
    _matter(t, "低保复核", received=datetime(2026, 11, 2, 2, tzinfo=UTC), due=date(2026, 11, 17),
            centre=social)
    _matter(t, "医保转移", received=datetime(2026, 11, 10, 2, tzinfo=UTC), due=TODAY,
            centre=social)
    _matter(t, "路灯不亮", received=datetime(2026, 11, 16, 2, tzinfo=UTC), due=date(2026, 12, 3))
    _matter(t, "刚收到的", received=datetime(2026, 11, 18, 6, tzinfo=UTC),
            due=date(2026, 12, 4))  # received yesterday: still within its working day
    _matter(t, "河道清理", received=datetime(2026, 11, 3, 2, tzinfo=UTC), due=date(2026, 11, 18),
            unit="镇水利站")
    _matter(t, "还早", received=datetime(2026, 11, 12, 2, tzinfo=UTC), due=date(2026, 12, 1),
            centre=social)
    db.session.flush()
    units = {u.unit: u for u in reports.daily_supervision(t, TODAY)}
    assert set(units) == {"社会事务服务中心", "镇水利站", "未交办"}
    social_day = units["社会事务服务中心"]
    assert [m.title for m in social_day.overdue] == ["低保复核"]
    assert [m.title for m in social_day.due_today] == ["医保转移"]
    assert [m.title for m in units["未交办"].unanswered] == ["路灯不亮"]
    assert [m.title for m in units["镇水利站"].overdue] == ["河道清理"]


def test_the_leaders_get_one_morning_message_and_the_page_lists_it(app, client):
    with app.app_context():
        db.session().expire_on_commit = False
        t, leader, social = _town()
        _matter(t, "低保复核", received=datetime(2026, 11, 2, 2, tzinfo=UTC),
                due=date(2026, 11, 17), centre=social)
        db.session.commit()
        assert reminders.sweep(t, TODAY) == 1
        assert reminders.sweep(t, TODAY) == 0  # once a day
        db.session.commit()
        note = db.session.scalar(select(Notification))
        assert "超期 1 件" in note.message and note.link == f"/t/{t.slug}/cadres/daily"
    with time_machine.travel(MORNING, tick=False):
        login(client, leader)
        page = client.get(f"/t/{t.slug}/cadres/daily")
    assert page.status_code == 200
    assert "社会事务服务中心" in page.text and "低保复核" in page.text and "已超期" in page.text

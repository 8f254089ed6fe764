"""The demo: every demo township loads from tenants/, and every page without an id in its address
opens for every demo account and for visitors, without a server error."""

from __future__ import annotations

from flask import url_for
from sqlalchemy import select

from app.accounts.models import RoleGrant, User
from app.cli import load_demo
from app.extensions import db
from app.tenancy import bind_township
from app.townships.models import Township
from app.townships.profiles import demo_profiles
from tests.conftest import login


def test_demo_loads_every_profile_and_every_page_opens(app, client):
    with app.app_context():
        assert load_demo() == len(demo_profiles())
        assert load_demo() == 0  # idempotent
        bind_township(db.session, None)
        townships = db.session.scalars(select(Township).where(Township.is_demo.is_(True))).all()
        # One account of each role in each township: the others of that role see the same pages.
        grants = db.session.execute(
            select(User.id, Township.slug, RoleGrant.role)
            .join(RoleGrant, RoleGrant.user_id == User.id)
            .join(Township, Township.id == RoleGrant.township_id)
            .order_by(Township.slug, RoleGrant.role, User.username),
            execution_options={"all_townships": True},
        ).all()
        accounts = list({(slug, role): (user_id, slug)
                         for user_id, slug, role in reversed(grants)}.values())
        slugs = [t.slug for t in townships]
    rules = [r for r in app.url_map.iter_rules()
             if "GET" in r.methods and r.endpoint != "static" and r.arguments <= {"slug"}]
    failures = []

    def walk(slug_list):
        for slug in slug_list:
            for rule in rules:
                with app.test_request_context():
                    url = url_for(rule.endpoint, **({"slug": slug} if "slug" in rule.arguments
                                                     else {}))
                status = client.get(url).status_code
                if status >= 500:
                    failures.append((url, status))

    walk(slugs)
    for user_id, slug in accounts:
        login(client, user_id)
        walk([slug])
    assert accounts and failures == []


# ---------------------------------------------------------------- a year of history (issue #22)

def _beijing(*args):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime(*args, tzinfo=ZoneInfo("Asia/Shanghai"))


def _months_back(today, count):
    """The first days of the `count` months before today's month."""
    from datetime import timedelta

    months, first = [], today.replace(day=1)
    for _ in range(count):
        first = (first - timedelta(days=1)).replace(day=1)
        months.append(first)
    return months


def _check_history(township, now):
    """What every demo township's year must hold, at `now`: matters in each of the last 12
    months, every village visited and rated, the dates of each matter in order and never after
    now, the promised dates from the working-day calendar."""
    from datetime import timedelta

    from app.clock import local_date, township_today
    from app.households.models import Village, Visit
    from app.matters.models import Evaluation, Matter, MatterEvent, Reply
    from app.matters.rates import rates_by_village
    from app.townships.workdays import WorkCalendar

    bind_township(db.session, township.id)
    today = township_today(township, now)
    matters = db.session.scalars(select(Matter).where(Matter.township_id == township.id)).all()
    months = {local_date(m.received_at, township).replace(day=1) for m in matters}
    assert set(_months_back(today, 12)) <= months, township.slug
    calendar = WorkCalendar.for_township(township.id)
    history = [m for m in matters if (m.extra or {}).get("history")]
    assert len(history) > 100
    events = {}
    for e in db.session.scalars(select(MatterEvent).where(
            MatterEvent.township_id == township.id).order_by(MatterEvent.seq)):
        events.setdefault(e.matter_id, []).append(e)
    for m in history:
        moments = [m.received_at, m.first_response_at, m.replied_at, m.closed_at]
        moments = [t for t in moments if t is not None]
        assert moments == sorted(moments) and moments[-1] <= now, m.number
        assert m.due_on == calendar.add_workdays(local_date(m.received_at, township),
                                                 m.promised_workdays)
        timeline = events[m.id]
        assert [e.seq for e in timeline] == list(range(1, len(timeline) + 1))
        assert [e.at for e in timeline] == sorted(e.at for e in timeline)
        assert timeline[0].kind == "created" and timeline[0].at == m.received_at
        assert timeline[-1].at <= now
        # Each change of state follows from the one before (the ledger's own path).
        states = [e for e in timeline if e.to_state]
        for before, after in zip(states, states[1:], strict=False):
            assert after.from_state == before.to_state, m.number
        assert states[-1].to_state == m.state
    replies = {r.matter_id: r.created_at for r in db.session.scalars(select(Reply).where(
        Reply.township_id == township.id, Reply.stage == 1))}
    for ev in db.session.scalars(select(Evaluation).where(
            Evaluation.township_id == township.id)):
        if ev.matter_id in replies and ev.stage == 1:
            assert replies[ev.matter_id] <= ev.created_at <= now
    # The last twelve months: something real in every village.
    start = _months_back(today, 12)[-1]
    total, villages = rates_by_village(township.id, start, today + timedelta(days=1))
    for village in db.session.scalars(select(Village).where(Village.township_id == township.id)):
        figures = villages[village.id]
        assert figures.visit_rate.numerator > 0, (township.slug, village.name)
        assert figures.resolution_rate.numerator > 0 and figures.satisfaction_rate.denominator > 0
    assert 0.5 < total.satisfaction_rate.value < 1 and 0.5 < total.on_time_rate.value < 1
    visits = db.session.scalars(select(Visit).where(Visit.township_id == township.id)).all()
    assert {v.kind for v in visits} >= {"zoufang", "xiafang"}
    assert max(v.visited_on for v in visits) <= today
    return total


def test_the_demo_has_a_year_of_history_and_its_board_shows_it(app, client):
    import time_machine

    from app.households.models import Village, Visit
    from app.matters.models import Evaluation, Matter
    from app.matters.rates import rates_by_village

    now = _beijing(2026, 12, 2, 10, 0)
    with time_machine.travel(now, tick=False), app.app_context():
        load_demo()
        bind_township(db.session, None)
        townships = db.session.scalars(select(Township).where(Township.is_demo.is_(True))).all()
        for township in townships:
            _check_history(township, now)
            # This year to date: every village visited and its matters rated.
            from datetime import date

            year_start, tomorrow = date(2026, 1, 1), date(2026, 12, 3)
            total, villages = rates_by_village(township.id, year_start, tomorrow)
            for rate in (total.visit_rate, total.resolution_rate, total.satisfaction_rate):
                assert rate.numerator > 0
            for village in db.session.scalars(select(Village).where(
                    Village.township_id == township.id)):
                assert villages[village.id].visit_rate.numerator > 0
                assert db.session.scalar(select(Evaluation.id).join(
                    Matter, (Matter.township_id == Evaluation.township_id)
                    & (Matter.id == Evaluation.matter_id))
                    .where(Matter.village_id == village.id,
                           Evaluation.created_at >= _beijing(2026, 1, 1)).limit(1))
                assert db.session.scalar(select(Visit.id).join(
                    Visit.household).where(Visit.township_id == township.id,
                                           Visit.visited_on >= year_start).limit(1))
            bind_township(db.session, None)
        slug = townships[0].slug
        page = client.get(f"/t/{slug}/board")
        assert page.status_code == 200


def test_the_history_is_seeded_at_a_moved_clock(app):
    """Relative to the township's today: at one minute past New Year in Beijing (the machine's
    zone elsewhere) and in March, the year before is all there and nothing is in the future."""
    import time_machine

    from app.demo import seed_activity
    from app.townships.profiles import load_profile, read_profile

    path = next(p for p in demo_profiles() if "songmu" in p.name)
    for n, now in enumerate((_beijing(2027, 1, 1, 0, 1), _beijing(2027, 3, 16, 9, 30))):
        with time_machine.travel(now, tick=False), app.app_context():
            load_profile(read_profile(path), slug=f"history-{n}", code="HS" + "AB"[n], is_demo=True,
                         password="demo-pass-123")
            seed_activity(f"history-{n}")
            db.session.commit()
            township = db.session.scalar(select(Township).where(Township.slug == f"history-{n}"))
            _check_history(township, now)
            bind_township(db.session, None)

"""County benchmark at Yishui's size on PostgreSQL: 20 townships, 337,000 households, 10,180
cadres (each the contact cadre of about 33 households), 35,000 matters in half a year, visits
and ratings.

Prints the median warm latency of the county dashboard (townships, villages and cadres side by
side, for the half-year) and of a figure's rows, and the ratio to a bare query measured in the
same run: one indexed count of the county's matters of the half-year, over the same connection
pool. Not a test: figures and ratios only (target: the township dashboard under 300 ms warm).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/minqing_county_bench \\
        .venv/bin/python bench/bench_county.py
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TOWNSHIPS = int(os.environ.get("BENCH_TOWNSHIPS", 20))
HOUSEHOLDS = int(os.environ.get("BENCH_HOUSEHOLDS", 337_000))
CADRES = int(os.environ.get("BENCH_CADRES", 10_180))
MATTERS = int(os.environ.get("BENCH_MATTERS", 35_000))
VISITS = int(os.environ.get("BENCH_VISITS", 200_000))
VILLAGES_PER_TOWNSHIP = 30
RUNS = int(os.environ.get("BENCH_RUNS", 3))
CHUNK = 20_000


def fresh_database() -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    raw = os.environ.get("DATABASE_URL",
                         "postgresql://postgres@127.0.0.1:5432/minqing_county_bench")
    url = make_url(raw.replace("postgresql://", "postgresql+psycopg://", 1))
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    return url.render_as_string(hide_password=False)


def reuse_database() -> str:
    from sqlalchemy.engine import make_url

    raw = os.environ.get("DATABASE_URL",
                         "postgresql://postgres@127.0.0.1:5432/minqing_county_bench")
    url = make_url(raw.replace("postgresql://", "postgresql+psycopg://", 1))
    return url.render_as_string(hide_password=False)


def _insert(db, table, rows):
    for i in range(0, len(rows), CHUNK):
        db.session.execute(table.insert(), rows[i:i + CHUNK])


def populate(app, today: date):
    from app.accounts.models import User
    from app.counties import operations as ops
    from app.counties.models import CountyRole
    from app.extensions import db
    from app.households.models import Household, Village, Visit
    from app.matters.models import Evaluation, Matter
    from app.tenancy import bind_township
    from tests import factories

    rng = random.Random(19)
    now = datetime.now(UTC)
    with app.app_context():
        county = ops.create_county(code="371323", name="沂水县", slug="yishui")
        leader = factories.create_user(username="county-leader", name="县领导")
        ops.grant_county_role(county, leader, CountyRole.COUNTY_LEADER)
        towns = []
        for n in range(TOWNSHIPS):
            t = factories.township(f"town{n:02d}", code="T" + chr(65 + n // 26) + chr(65 + n % 26))
            t.division_code = f"371323{n:03d}"
            ops.attach_township(county, t, None)
            towns.append(t)
        db.session.commit()
        bind_township(db.session, None)
        users = [{"id": uuid.uuid4(), "username": f"cadre{n:05d}", "name": f"干部{n}",
                  "is_operator": False, "active": True, "created_at": now}
                 for n in range(CADRES)]
        _insert(db, User.__table__, users)
        villages = []
        for t in towns:
            villages += [{"township_id": t.id, "id": uuid.uuid4(), "name": f"第{k}村",
                          "is_community": False, "sort_order": k}
                         for k in range(VILLAGES_PER_TOWNSHIP)]
        _insert(db, Village.__table__, villages)
        by_town = {}
        for v in villages:
            by_town.setdefault(v["township_id"], []).append(v["id"])
        households = []
        for n in range(HOUSEHOLDS):
            t = towns[n % TOWNSHIPS]
            cadre = users[n % CADRES]["id"] if rng.random() < 0.97 else None  # some gaps
            households.append({
                "township_id": t.id, "id": uuid.uuid4(),
                "village_id": rng.choice(by_town[t.id]), "head_name": f"户主{n}",
                "address": f"{n}号", "phone": f"139{n:08d}", "phone_tail": f"{n % 10000:04d}",
                "tags": [], "active": True, "notes": "", "contact_cadre_id": cadre,
                "created_at": now})
        _insert(db, Household.__table__, households)
        start = today - timedelta(days=182)
        visits = []
        for _n in range(VISITS):
            h = households[rng.randrange(HOUSEHOLDS)]
            visits.append({
                "township_id": h["township_id"], "id": uuid.uuid4(), "household_id": h["id"],
                "visitor_id": h["contact_cadre_id"] or users[0]["id"],
                "visited_on": start + timedelta(days=rng.randrange(182)), "method": "in_person",
                "kind": "round", "notes": "", "findings": {}, "recorded_at": now,
                "created_at": now})
        _insert(db, Visit.__table__, visits)
        states = ["received", "assigned", "in_progress", "replied", "closed", "closed", "closed"]
        matters, evaluations = [], []
        for n in range(MATTERS):
            h = households[rng.randrange(HOUSEHOLDS)]
            received = now - timedelta(minutes=rng.randrange(0, 182 * 24 * 60))
            state = rng.choice(states)
            replied = received + timedelta(days=rng.randrange(1, 12)) if state in (
                "replied", "closed") else None
            mid = uuid.uuid4()
            matters.append({
                "township_id": h["township_id"], "id": mid, "number": f"YS-{n:06d}",
                "channel": rng.choice(["hall", "phone", "visit", "online"]),
                "category": "suggestion", "title": f"事项{n}", "description": "",
                "household_id": h["id"], "village_id": h["village_id"],
                "contact_name": h["head_name"], "state": state, "level": "township",
                "is_public": True, "received_at": received, "promised_workdays": 5,
                "due_on": (received + timedelta(days=7)).date(), "first_response_at": replied,
                "replied_at": replied, "closed_at": replied if state == "closed" else None,
                "stage": 1, "reopen_count": 0, "rating_token": uuid.uuid4().hex, "extra": {},
                "created_at": received, "assignee_id": h["contact_cadre_id"]})
            if replied and rng.random() < 0.6:
                evaluations.append({
                    "township_id": h["township_id"], "id": uuid.uuid4(), "matter_id": mid,
                    "stage": 1, "rating": rng.choice(["very_satisfied", "satisfied",
                                                      "basically_satisfied", "dissatisfied"]),
                    "comment": "", "source": "resident_link", "created_at": replied,
                    "staff_id": h["contact_cadre_id"]})
        _insert(db, Matter.__table__, matters)
        _insert(db, Evaluation.__table__, evaluations)
        # The bulk inserts bypassed the session's objects: the county's household and visit
        # counts (app.counties.summary) are counted again from the rows, as at any commit.
        from app.counties import summary

        started = time.perf_counter()
        summary.apply_pending(db.session())
        print(f"county summary rebuilt from the rows in {time.perf_counter() - started:.1f} s")
        db.session.commit()
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
        return county.slug, leader.id


def first_ms(client, url):
    started = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return (time.perf_counter() - started) * 1000


def median_ms(client, url, runs=RUNS):
    client.get(url)  # warm
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(samples)


def main():
    reuse = os.environ.get("BENCH_REUSE") == "1"  # keep the data of the last run
    database = reuse_database() if reuse else fresh_database()
    os.environ["MINQING_VAR_DIR"] = "/tmp/minqing-bench-county"
    from flask import Flask
    from sqlalchemy import text

    from app import create_app, freeze_start_up
    from app.cli import migrate_database
    from app.clock import township_today
    from app.extensions import db
    from tests.conftest import login

    app = create_app({"SQLALCHEMY_DATABASE_URI": database, "TESTING": True})
    with app.app_context():
        migrate_database()
    freeze_start_up()  # as wsgi.py does
    today = township_today()
    if reuse:
        from app.accounts.operations import find_user

        with app.app_context():
            slug, leader_id = "yishui", find_user("county-leader").id
        print("reusing the data of the last run")
    else:
        started = time.perf_counter()
        slug, leader_id = populate(app, today)
        print(f"populated {TOWNSHIPS} townships, {HOUSEHOLDS} households, {CADRES} cadres, "
              f"{MATTERS} matters, {VISITS} visits in {time.perf_counter() - started:.1f} s")

    client = app.test_client()
    login(client, leader_id)
    day = today.isoformat()
    pages = {}
    for kind in ("month", "quarter", "half", "year"):
        for by in ("township", "village", "cadre"):
            pages[f"dashboard, {by}s, {kind}"] = \
                f"/c/{slug}/dashboard?period={kind}&by={by}&on={day}"
    pages["a figure's rows (overdue, half)"] = \
        f"/c/{slug}/dashboard/rows?figure=overdue&period=half&on={day}"
    pages["coverage report"] = f"/c/{slug}/coverage"
    from app.counties import figures

    # First opening (a cold figure cache), then warm database buffers with the per-process
    # figure cache switched off (every request runs the queries), then the cached figure.
    first = {name: first_ms(client, url) for name, url in pages.items()}
    kept = figures.CACHE_SECONDS
    figures.CACHE_SECONDS = 0
    uncached = {name: median_ms(client, url) for name, url in pages.items()}
    figures.CACHE_SECONDS = kept
    results = {name: median_ms(client, url) for name, url in pages.items()}

    # The baseline: a bare Flask page running one indexed count of the county's half-year
    # matters through the same engine and pool.
    bare = Flask("bare")
    from app.matters.rates import half_year_period

    lo, hi = half_year_period(today)
    with app.app_context():
        engine = db.engine

    @bare.route("/")
    def one_query():
        with engine.connect() as conn:
            n = conn.execute(text(
                "select count(*) from matters where township_id in (select id from townships "
                "where county_id = (select id from counties where slug = :s)) "
                "and received_at >= :lo and received_at < :hi"),
                {"s": slug, "lo": lo, "hi": hi}).scalar()
        return f"<p>{n}</p>"

    baseline = median_ms(bare.test_client(), "/")
    print(f"baseline: one indexed count of the county's matters  {baseline:7.1f} ms")
    print(f"{'page':34s} {'first':>9s} {'uncached':>9s} {'cached':>9s}   uncached/baseline")
    for name, ms in results.items():
        print(f"{name:34s} {first[name]:7.1f} ms {uncached[name]:7.1f} ms {ms:7.1f} ms"
              f"   {uncached[name] / baseline:6.1f}")
    worst = max(v for k, v in uncached.items() if k.startswith("dashboard"))
    print(f"target: county dashboard under 300 ms warm without the figure cache: "
          f"{'met' if worst < 300 else 'NOT met'} (slowest {worst:.1f} ms)")


if __name__ == "__main__":
    main()

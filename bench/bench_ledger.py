"""Ledger benchmark: 100,000 matters and 30,000 households in one township on PostgreSQL.

Prints the median warm latency of the public board, the staff ledger list and the leaders'
dashboard, and the board's requests per second against a bare Flask page that runs one indexed
query, measured in the same run. Not a test: figures and ratios only.

    DATABASE_URL=postgresql://postgres@127.0.0.1/minqing_bench \
        .venv/bin/python bench/bench_ledger.py
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HOUSEHOLDS = int(os.environ.get("BENCH_HOUSEHOLDS", 30_000))
MATTERS = int(os.environ.get("BENCH_MATTERS", 100_000))
RUNS = 30


def fresh_database() -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    raw = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1/minqing_bench")
    url = make_url(raw.replace("postgresql://", "postgresql+psycopg://", 1))
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    return url.render_as_string(hide_password=False)


def populate(app, slug: str = "bench", code: str = "BN", households: int | None = None,
             matters: int | None = None, village_count: int = 30, analyze: bool = True):
    """One township `slug` of `households` households and `matters` matters (HOUSEHOLDS and
    MATTERS by default) in a year, a leader, `village_count` villages and 3 centres; returns (slug,
    the leader's id). bench/bench_tenants.py builds its 1,000 small townships with it too."""
    from app.accounts.models import Role
    from app.catalogue.models import Centre
    from app.extensions import db
    from app.households.models import Household, Village
    from app.matters.models import Evaluation, Matter
    from app.tenancy import bind_township
    from tests import factories

    n_households = HOUSEHOLDS if households is None else households
    n_matters = MATTERS if matters is None else matters
    rng = random.Random(7)
    with app.app_context():
        t = factories.township(slug, code=code)
        bind_township(db.session, t.id)
        leader = factories.user(t, Role.LEADER, name="领导")
        villages = [Village(township_id=t.id, id=uuid.uuid4(), name=f"第{n}村")
                    for n in range(village_count)]
        centres = [Centre(township_id=t.id, id=uuid.uuid4(), name=f"中心{n}") for n in range(3)]
        db.session.add_all(villages + centres)
        db.session.commit()
        tid, leader_id = t.id, leader.id
        households = [{"township_id": tid, "id": uuid.uuid4(),
                       "village_id": rng.choice(villages).id, "head_name": f"户主{n}",
                       "address": f"{n}号", "phone": f"139{n:08d}",
                       "phone_tail": f"{n % 10000:04d}",
                       "tags": [], "active": True, "notes": "",
                       "created_at": datetime.now(UTC)} for n in range(n_households)]
        db.session.execute(Household.__table__.insert(), households)
        now = datetime.now(UTC)
        states = ["received", "assigned", "in_progress", "replied", "closed", "closed", "closed"]
        matters, evaluations = [], []
        for n in range(n_matters):
            received = now - timedelta(minutes=rng.randrange(0, 365 * 24 * 60))
            state = rng.choice(states)
            h = households[rng.randrange(n_households)]
            mid = uuid.uuid4()
            replied = received + timedelta(days=rng.randrange(1, 10)) if state in (
                "replied", "closed") else None
            if replied and replied > now:  # nothing is answered (or rated) in the future
                state, replied = "in_progress", None
            matters.append({
                "township_id": tid, "id": mid, "number": f"{code}-{received.year}-{n:06d}",
                "channel": rng.choice(["hall", "phone", "visit", "online"]),
                "category": rng.choice(["hardship", "dispute", "suggestion", "service"]),
                "title": f"事项{n}", "description": "", "household_id": h["id"],
                "village_id": h["village_id"], "contact_name": h["head_name"],
                "contact_phone_tail": h["phone_tail"], "state": state,
                "centre_id": rng.choice(centres).id, "level": "township", "is_public": True,
                "received_at": received, "promised_workdays": 5,
                "due_on": (received + timedelta(days=7)).date(), "first_response_at": replied,
                "replied_at": replied, "closed_at": replied if state == "closed" else None,
                "stage": 1, "reopen_count": 0, "rating_token": uuid.uuid4().hex, "extra": {},
                "created_at": received, "assignee_id": leader_id})
            if replied and rng.random() < 0.6:
                evaluations.append({
                    "township_id": tid, "id": uuid.uuid4(), "matter_id": mid, "stage": 1,
                    "rating": rng.choice(["very_satisfied", "satisfied", "basically_satisfied",
                                          "dissatisfied"]),
                    "comment": "", "source": "resident_link", "created_at": replied})
            if len(matters) == 10_000:
                db.session.execute(Matter.__table__.insert(), matters)
                matters = []
        if matters:
            db.session.execute(Matter.__table__.insert(), matters)
        if evaluations:
            db.session.execute(Evaluation.__table__.insert(), evaluations)
        from app.matters import summary

        summary.rebuild(tid)  # bulk inserts: the rates' summary counted once, after them
        db.session.commit()
        if analyze:
            db.session.execute(db.text("ANALYZE"))
            db.session.commit()
        return slug, leader_id


def median_ms(client, url, runs=RUNS):
    client.get(url)  # warm
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(samples)


def main():
    database = fresh_database()
    os.environ["MINQING_VAR_DIR"] = "/tmp/minqing-bench"
    from flask import Flask
    from sqlalchemy import create_engine, text

    from app import create_app
    from app.cli import migrate_database
    from tests.conftest import login

    app = create_app({"SQLALCHEMY_DATABASE_URI": database, "TESTING": True})
    with app.app_context():
        migrate_database()
    started = time.perf_counter()
    slug, leader_id = populate(app)
    print(f"populated {HOUSEHOLDS} households, {MATTERS} matters in "
          f"{time.perf_counter() - started:.1f} s")

    visitor = app.test_client()
    staff = app.test_client()
    login(staff, leader_id)
    board = median_ms(visitor, f"/t/{slug}/board")
    ledger = median_ms(staff, f"/t/{slug}/matters/?state=open")
    dashboard = median_ms(staff, f"/t/{slug}/matters/dashboard")

    bare = Flask("bare")
    engine = create_engine(database)

    @bare.route("/")
    def one_query():
        with engine.connect() as conn:
            n = conn.execute(text("select count(*) from matters where township_id = "
                                  "(select id from townships limit 1) and state = 'received'"
                                  )).scalar()
        return f"<p>{n}</p>"

    def rps(client, url, seconds=5.0):
        client.get(url)
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            client.get(url)
            count += 1
        return count / (time.perf_counter() - start)

    board_rps = rps(visitor, f"/t/{slug}/board")
    bare_rps = rps(bare.test_client(), "/")
    print(f"board      median {board:7.1f} ms   (target < 100 ms)")
    print(f"ledger     median {ledger:7.1f} ms   (target < 100 ms)")
    print(f"dashboard  median {dashboard:7.1f} ms   (target < 100 ms)")
    print(f"board {board_rps:.1f} req/s vs bare Flask + one indexed query {bare_rps:.1f} req/s: "
          f"ratio {board_rps / bare_rps:.2f} (target >= 0.5)")


if __name__ == "__main__":
    main()

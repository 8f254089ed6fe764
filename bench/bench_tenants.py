"""Many-tenants benchmark: does one township's speed depend on how many others share its database?

Two PostgreSQL databases built the same way (bench/bench_ledger.py's `populate`): "many" holds
1,000 townships of 50 matters each (20 households, 2 villages) and the big township (30,000
households, 100,000 matters); "alone" holds the big township only. The big township's public
board (every cache missed, and cached in the process) and its staff ledger list (unfiltered and
?state=open) are requested in-process through the Flask test client, the app connected as its own
role (row-level security applies, as under gunicorn in bench/bench_server.py). In-process keeps
the figure to what the database and the app do (no HTTP or worker scheduling, which is the same
for both databases); each round measures "many" and "alone" one after the other, alternating
which goes first; p95 of each measure, median of 3 rounds, and the ratio many / alone.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/minqing_bench \\
        .venv/bin/python bench/bench_tenants.py

The databases are DATABASE_URL's name with _many and _alone appended. BENCH_HOUSEHOLDS /
BENCH_MATTERS shrink the big township for a quick run; BENCH_TOWNSHIPS (default 1,000) and
BENCH_TENANT_MATTERS (50) the others; BENCH_REUSE=1 keeps the databases of the previous run;
BENCH_REQUESTS (default 30) requests per measure; BENCH_STATEMENTS=1 also prints, for each
database, the median time of each page's costliest SQL statements (what load on the machine
cannot blur). Target: ratio <= 1.10.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_server import database_urls  # noqa: E402  (after the path is set)

TOWNSHIPS = int(os.environ.get("BENCH_TOWNSHIPS", 1_000))
TENANT_MATTERS = int(os.environ.get("BENCH_TENANT_MATTERS", 50))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", 30))
ROUNDS = 3


def _code(n: int) -> str:
    """A distinct 2–8 letter tracking prefix for small township n (the big one is BN)."""
    letters = ""
    n += 26 * 26  # at least three letters, so never BN
    while n:
        n, d = divmod(n, 26)
        letters = chr(ord("A") + d) + letters
    return letters


def build(suffix: str, others: int) -> dict:
    """Migrate (as the owner, the app's role granted), populate, and return the big township's
    slug and leader with the URLs."""
    from sqlalchemy import select

    from app import create_app
    from app.accounts.models import User
    from app.cli import migrate_database
    from app.extensions import db
    from bench.bench_ledger import populate

    owner, app_url, fresh = database_urls(suffix)
    app = create_app({"SQLALCHEMY_DATABASE_URI": owner, "TESTING": True})
    with app.app_context():
        migrate_database()
    if fresh:
        started = time.perf_counter()
        # The small townships first, so the big one's rows are not simply the table's tail.
        for n in range(others):
            populate(app, slug=f"town-{n:04d}", code=_code(n), households=20,
                     matters=TENANT_MATTERS, village_count=2, analyze=False)
        _slug, _leader = populate(app)  # the big township, then ANALYZE
        print(f"{suffix}: populated {others} townships of {TENANT_MATTERS} matters and the big "
              f"one in {time.perf_counter() - started:.1f} s", flush=True)
    with app.app_context():
        from app.accounts.models import RoleGrant
        from app.townships.models import Township

        big = db.session.scalar(select(Township).where(Township.slug == "bench"))
        leader = db.session.scalar(select(User.id).join(
            RoleGrant, RoleGrant.user_id == User.id).where(RoleGrant.township_id == big.id))
        counts = db.session.execute(db.text(
            "SELECT (SELECT count(*) FROM townships), (SELECT count(*) FROM matters), "
            "(SELECT count(*) FROM matters WHERE township_id = :t), "
            "(SELECT count(*) FROM households WHERE township_id = :t)"), {"t": big.id}).one()
    # Migrations granted the app's role its rights (MIGRATION_DATABASE_URI = the owner).
    with create_app({"SQLALCHEMY_DATABASE_URI": app_url, "MIGRATION_DATABASE_URI": owner,
                     "TESTING": True}).app_context():
        migrate_database()
    return dict(owner=owner, app_url=app_url, leader=leader, counts=tuple(counts))


def clients(setup: dict) -> dict:
    """Test clients of the app connected as its role: every cache missed, and cached."""
    from app import create_app
    from tests.conftest import login

    common = {"SQLALCHEMY_DATABASE_URI": setup["app_url"], "TESTING": True,
              "RATELIMIT_ENABLED": False, "REDIS_URL": ""}
    missed = create_app({**common, "BOARD_CACHE": "off", "RATES_CACHE": "off"})
    cached = create_app({**common, "BOARD_CACHE": "process"})
    out = {"missed": missed.test_client(), "cached": cached.test_client(),
           "staff": missed.test_client()}
    login(out["staff"], setup["leader"])
    return out


def p95_ms(client, url: str) -> float:
    response = client.get(url)  # warm (and fills the cache of the cached app)
    assert response.status_code == 200, (url, response.status_code)
    samples = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.quantiles(samples, n=20)[18]


MEASURES = [
    ("board, every cache missed", "missed", "/t/bench/board"),
    ("board, cached", "cached", "/t/bench/board"),
    ("ledger unfiltered", "staff", "/t/bench/matters/"),
    ("ledger ?state=open", "staff", "/t/bench/matters/?state=open"),
]


def statement_times(setup: dict, pages=("/t/bench/board", "/t/bench/matters/",
                                          "/t/bench/matters/?state=open")) -> None:
    """Each page's four costliest statements: median ms of their executions in 5 requests."""
    from sqlalchemy import event

    from app import create_app
    from app.extensions import db
    from tests.conftest import login

    app = create_app({"SQLALCHEMY_DATABASE_URI": setup["app_url"], "TESTING": True,
                      "RATELIMIT_ENABLED": False, "REDIS_URL": "", "BOARD_CACHE": "off",
                      "RATES_CACHE": "off"})
    times: dict[str, list[float]] = {}
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        took = (time.perf_counter() - conn.info["bench_started"]) * 1000
        times.setdefault(" ".join(statement.split()), []).append(took)

    client = app.test_client()
    login(client, setup["leader"])
    for page in pages:
        client.get(page)
        times.clear()
        for _ in range(5):
            assert client.get(page).status_code == 200, page
        print(f"  {page}")
        for statement, took in sorted(times.items(), key=lambda kv: -sum(kv[1]))[:4]:
            print(f"    {statistics.median(took):7.1f} ms x{len(took):<3} {statement[:90]}")


def main() -> None:
    os.environ["MINQING_VAR_DIR"] = "/tmp/minqing-bench-tenants"
    setups = {"many": build("many", TOWNSHIPS), "alone": build("alone", 0)}
    for name, s in setups.items():
        townships, matters, big_matters, big_households = s["counts"]
        print(f"{name:5}: {townships} townships, {matters} matters in all; the big township "
              f"{big_households} households, {big_matters} matters", flush=True)
    apps = {name: clients(s) for name, s in setups.items()}
    results = {(m, name): [] for m, _, _ in MEASURES for name in apps}
    for round_ in range(ROUNDS):
        order = ["many", "alone"] if round_ % 2 == 0 else ["alone", "many"]
        for measure, kind, url in MEASURES:
            for name in order:
                results[(measure, name)].append(p95_ms(apps[name][kind], url))
        print(f"round {round_ + 1} done", flush=True)
    print(f"\np95 of {REQUESTS} requests, median of {ROUNDS} rounds (in-process, app's role)")
    print(f"{'measure':30} {'many ms':>9} {'alone ms':>9} {'ratio':>7}")
    worst = 0.0
    for measure, _, _ in MEASURES:
        many = statistics.median(results[(measure, "many")])
        alone = statistics.median(results[(measure, "alone")])
        worst = max(worst, many / alone)
        print(f"{measure:30} {many:9.1f} {alone:9.1f} {many / alone:7.2f}")
    print(f"\nworst ratio {worst:.2f} (target <= 1.10): {'met' if worst <= 1.10 else 'MISSED'}")
    if os.environ.get("BENCH_STATEMENTS"):
        for name, setup in setups.items():
            print(f"\n{name}: costliest statements, median of their executions in 5 requests")
            statement_times(setup)


if __name__ == "__main__":
    main()

"""Server benchmark: what users get from Minqing under gunicorn, against a bare Flask page.

The population of bench/bench_ledger.py (one township, 30,000 households, 100,000 matters) on
PostgreSQL; the app under gunicorn with deploy/gunicorn.conf.py at 2 workers x 4 threads (this
machine has 2 cores), connected as the app's role (row-level security applies) and with Redis for
the board's cache; load from `wrk -c32` (Debian's wrk) for pages, and 8 Python clients, each a
signed-in member of staff with the CSRF token of its own session, for the form POSTs. The
baselines run under the same gunicorn settings: a bare Flask page (20 rows of one indexed query
rendered with Jinja) and a bare CSRF-protected POST inserting one row. Measures alternate with
their baseline in the same round; the median of 3 rounds is printed, with the ratio. The database
is vacuumed and analysed before measuring (as autovacuum would have done after a load this size),
and after each measure every server works off what that measure left queued before the next.

    DATABASE_URL=postgresql://postgres@127.0.0.1/minqing_bench \
        .venv/bin/python bench/bench_server.py

BENCH_HOUSEHOLDS / BENCH_MATTERS: a smaller population for a quick run; BENCH_REUSE=1 keeps the
database of the previous run (same size); BENCH_SECONDS: seconds per measure (default 5);
BENCH_REDIS_URL (default redis://127.0.0.1:6379/4, flushed at the start); BENCH_PORT: the first
of the four ports the servers listen on (default 8101); BENCH_ONLY: comma-separated parts of the
names of the measures to run (the baselines always run).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

SECONDS = float(os.environ.get("BENCH_SECONDS", 5))
ROUNDS = 3
STAFF = 8
SECRET = "bench-server-secret"
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/4")
# BENCH_PORT: the first of four ports (another run on the machine may hold the default ones).
PORT = int(os.environ.get("BENCH_PORT", 8101))
PORTS = {"on": PORT, "page": PORT + 1, "none": PORT + 2, "bare": PORT + 3}
APP_ROLE = "minqing_app"


def database_urls(suffix: str = "") -> tuple[str, str, bool]:
    """(owner URL, app-role URL, made afresh) of the bench database (DATABASE_URL's name, with
    `_suffix` when given), made afresh unless BENCH_REUSE and it exists."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    raw = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1/minqing_bench")
    url = make_url(raw.replace("postgresql://", "postgresql+psycopg://", 1))
    if suffix:
        url = url.set(database=f"{url.database}_{suffix}")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"),
                              {"d": url.database}).scalar()
        fresh = not (os.environ.get("BENCH_REUSE") and exists)
        if fresh:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{url.database}"'))
        conn.execute(text(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') "
            f"THEN CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS; END IF; END $$"))
    admin.dispose()
    owner = url.render_as_string(hide_password=False)
    app_url = url.set(username=APP_ROLE, password=None).render_as_string(hide_password=False)
    return owner, app_url, fresh


def prepare(owner: str) -> dict:
    """Migrate and populate (or find the previous run's township); the staff and their desk."""
    from sqlalchemy import select, text

    from app import create_app
    from app.accounts.models import Role, User
    from app.catalogue.models import ServiceItem
    from app.cli import migrate_database
    from app.extensions import db
    from app.households.models import Household, Resident
    from app.matters.models import Matter
    from app.tenancy import bind_township
    from app.townships.models import Township
    from bench.bench_ledger import HOUSEHOLDS, MATTERS, populate
    from tests import factories

    app = create_app({"SQLALCHEMY_DATABASE_URI": owner, "TESTING": True, "SECRET_KEY": SECRET})
    with app.app_context():
        migrate_database()
        township = db.session.scalar(select(Township).where(Township.slug == "bench"))
    if township is None:
        started = time.perf_counter()
        _slug, leader_id = populate(app)
        print(f"populated {HOUSEHOLDS} households, {MATTERS} matters in "
              f"{time.perf_counter() - started:.1f} s", flush=True)
        with app.app_context():
            t = db.session.scalar(select(Township).where(Township.slug == "bench"))
            bind_township(db.session, t.id)
            # bench_ledger numbers its matters BN-<year>-<n>; the counter goes on after them.
            db.session.execute(text(
                "INSERT INTO matter_counters (township_id, year, last) "
                "SELECT township_id, CAST(split_part(number, '-', 2) AS int), "
                "max(CAST(split_part(number, '-', 3) AS int)) FROM matters "
                "WHERE township_id = :t GROUP BY 1, 2 ON CONFLICT DO NOTHING"), {"t": t.id})
            centre = factories.centre(t, "社会事务服务中心")
            item = factories.service_item(t, centre, name="医保参保登记", on_the_spot=True)
            for n in range(STAFF):
                clerk = factories.user(t, Role.CENTRE_STAFF, name=f"窗口{n}", centre=centre)
                h = factories.household(t, head=f"群众{n}", phone=f"1381234{n:04d}")
                clerk.username = f"bench-clerk-{n}"
                clerk.email = f"{h.id}"  # the clerk's resident, found again by BENCH_REUSE
            db.session.commit()
            db.session.execute(text("CREATE TABLE IF NOT EXISTS bench_bare_posts "
                                    "(id uuid PRIMARY KEY, title text, at timestamptz "
                                    "DEFAULT now())"))
            db.session.commit()
    with app.app_context():
        t = db.session.scalar(select(Township).where(Township.slug == "bench"))
        bind_township(db.session, t.id)
        db.session.execute(text(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE};"
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}"))
        db.session.commit()
        leader = db.session.scalar(select(User).where(User.name == "领导"))
        clerks = db.session.scalars(select(User).where(User.username.like("bench-clerk-%"))
                                    .order_by(User.username)).all()
        item = db.session.scalar(select(ServiceItem).where(ServiceItem.township_id == t.id))
        residents = []
        for clerk in clerks:
            residents.append(db.session.scalar(select(Resident.id).where(
                Resident.township_id == t.id, Resident.household_id == clerk.email)))
        some = db.session.execute(select(Matter.number, Matter.contact_phone_tail).where(
            Matter.township_id == t.id).limit(1)).one()
        counts = (db.session.scalar(select(db.func.count()).select_from(Household).where(
            Household.township_id == t.id)), db.session.scalar(select(db.func.count()).select_from(
                Matter).where(Matter.township_id == t.id)))
        staff = [(c.id, r) for c, r in zip(clerks, residents, strict=True)]
        return dict(app=app, township_id=str(t.id), leader=leader.id, staff=staff,
                    item=str(item.id), number=some[0], tail=some[1], counts=counts)


def session_cookie(app, user_id) -> str:
    """A signed-in session for `user_id`, as the browser would hold it after signing in."""
    from tests.conftest import login

    client = app.test_client()
    login(client, user_id)
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    return f"{cookie.key}={cookie.value}"


def vacuum(owner: str) -> None:
    """VACUUM ANALYZE the bench database, as autovacuum would have done on a server after a
    load this size (this machine's PostgreSQL runs with autovacuum off): without it every count
    visits the heap for each row instead of reading the index alone, and the planner knows
    nothing of the rows."""
    from sqlalchemy import create_engine, text

    engine = create_engine(owner, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def settle(base: str, seconds: float = 60) -> None:
    """Wait until the server has worked off what the last measure left queued (wrk stops
    sending, but gunicorn's threads still finish every request already read): eight requests at
    once all answered within half a second. Otherwise a slow page's backlog is counted against
    the next measure on the same server."""
    def probe():
        with contextlib.suppress(requests.RequestException):  # still busy: probed again
            requests.get(f"{base}/favicon.ico", timeout=30)

    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        threads = [threading.Thread(target=probe) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if time.perf_counter() - started < 0.5:
            return


def start_servers(app_url: str, owner: str, township_id: str) -> list[subprocess.Popen]:
    servers = []
    log = open(f"/tmp/bench-server-gunicorn-{PORT}.log", "w")  # noqa: SIM115
    for mode, port in PORTS.items():
        env = dict(os.environ, DATABASE_URL=app_url, MIGRATION_DATABASE_URL=owner,
                   REDIS_URL=REDIS, SECRET_KEY=SECRET, BENCH_CACHE=mode,
                   MINQING_VAR_DIR=f"/tmp/minqing-bench-server-{PORT}", MINQING_JOBS="inline",
                   BENCH_APP="bare" if mode == "bare" else "minqing",
                   # The bare page connects as the owner: no row-level security to pay for.
                   BARE_DATABASE_URL=owner,
                   BARE_TOWNSHIP_ID=township_id)
        target = "bench.server_apps:bare" if mode == "bare" else "bench.server_apps:app"
        servers.append(subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "-c", "deploy/gunicorn.conf.py",
             "--workers", "2", "--threads", "4", "--bind", f"127.0.0.1:{port}", target],
            cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True))
    for port in PORTS.values():
        for _ in range(120):
            try:
                requests.get(f"http://127.0.0.1:{port}/favicon.ico", timeout=5)
                break
            except requests.RequestException:
                time.sleep(0.5)
    return servers


def wrk(url: str, connections: int = 32, cookie: str | None = None,
        seconds: float = SECONDS) -> dict:
    command = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds:g}s",
               "--timeout", "10s", "-s", str(ROOT / "bench" / "wrk_report.lua")]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    figures = json.loads(re.search(r"^BENCH (.*)$", out, re.M).group(1))
    if figures["errors"] or figures["status"]:
        raise SystemExit(f"{url}: {figures['errors']} errors, {figures['status']} bad statuses")
    return dict(rps=figures["requests"] / figures["seconds"], p50=figures["p50"],
                p95=figures["p95"], p99=figures["p99"])


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def post_load(url: str, sessions: list[tuple[requests.Session, dict]],
              seconds: float = SECONDS) -> dict:
    """Each session POSTs its form as fast as the server answers, all at once."""
    samples: list[float] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client(session, form):
        mine = []
        while time.perf_counter() < stop:
            started = time.perf_counter()
            response = session.post(url, data=form, allow_redirects=False)
            mine.append((time.perf_counter() - started) * 1000)
            if response.status_code not in (200, 302):
                raise SystemExit(f"{url}: {response.status_code}")
        with lock:
            samples.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=s) for s in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    q = statistics.quantiles(samples, n=100)
    return dict(rps=len(samples) / elapsed, p50=statistics.median(samples), p95=q[94],
                p99=q[98])


def main() -> None:
    owner, app_url, _fresh = database_urls()
    setup = prepare(owner)
    vacuum(owner)
    app = setup["app"]
    households, matters = setup["counts"]
    print(f"township: {households} households, {matters} matters; gunicorn 2 workers x 4 "
          f"threads; {SECONDS:g} s per measure, median of {ROUNDS} rounds", flush=True)
    from redis import Redis

    Redis.from_url(REDIS).flushdb()
    servers = []
    try:
        servers += start_servers(app_url.replace("postgresql+psycopg://", "postgresql://", 1),
                                 owner, setup["township_id"])
        run(app, setup)
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
        for server in servers:
            server.wait(timeout=30)


def run(app, setup) -> None:
    base = {mode: f"http://127.0.0.1:{port}" for mode, port in PORTS.items()}
    town = "/t/bench"
    leader = session_cookie(app, setup["leader"])
    board = f"{town}/board"
    track = f"{town}/track?number={setup['number']}"
    # Every page answers as it should before it is measured (a redirect to sign-in is no page).
    for mode, path, cookie, needle in [
            ("on", board, None, "回音壁"), ("none", board, None, "回音壁"),
            ("on", track, None, setup["number"]),
            ("on", f"{town}/matters/?state=open", leader, "BN-"),
            ("on", f"{town}/matters/dashboard", leader, "全镇")]:
        r = requests.get(base[mode] + path, headers={"Cookie": cookie} if cookie else {},
                         allow_redirects=False)
        assert r.status_code == 200 and needle in r.text, (path, r.status_code)
        if path == board:  # no cookie: a proxy may cache it (the tracking page has a form)
            assert "Set-Cookie" not in r.headers, f"{path} sets a cookie"

    bare_rows = requests.get(base["bare"] + "/").text.count("<tr>")
    assert bare_rows == 20, f"the bare page shows {bare_rows} rows"
    desks = []
    for n, (user_id, resident_id) in enumerate(setup["staff"]):
        s = requests.Session()
        name, value = session_cookie(app, user_id).split("=", 1)
        s.cookies.set(name, value, domain="127.0.0.1", path="/")
        page = s.get(f"{base['on']}{town}/hall/?resident={resident_id}")
        assert page.status_code == 200, page.status_code
        desks.append((s, {"csrf_token": csrf_token(page.text), "resident_id": str(resident_id),
                          "item_id": setup["item"], "received": ["户口簿"],
                          "description": f"窗口{n}受理", "publicity": "private"}))
    bare_forms = []
    for n in range(STAFF):
        s = requests.Session()
        page = s.get(f"{base['bare']}/form")
        bare_forms.append((s, {"csrf_token": csrf_token(page.text), "title": f"表{n}"}))
    check = desks[0][0].post(f"{base['on']}{town}/hall/", data=desks[0][1],
                             allow_redirects=False)
    assert check.status_code == 302, (check.status_code, check.text[:3000])

    measures = [
        ("bare page, 32 clients", lambda: wrk(base["bare"] + "/")),
        # The page cached just before (its entry lives a minute; a round takes longer).
        ("board, cache hit", lambda: (requests.get(base["on"] + board),
                                      wrk(base["on"] + board))[1]),
        ("board, page cache missed", lambda: wrk(base["page"] + board)),
        ("board, every cache missed", lambda: wrk(base["none"] + board)),
        ("bare page, 1 client", lambda: wrk(base["bare"] + "/", connections=1)),
        ("board, every cache missed, 1 client", lambda: wrk(base["none"] + board,
                                                            connections=1)),
        ("tracking page", lambda: wrk(base["on"] + track)),
        # One member of staff at a time: the time a leader waits for the page.
        ("ledger ?state=open", lambda: wrk(base["none"] + f"{town}/matters/?state=open",
                                           cookie=leader, connections=1)),
        ("ledger unfiltered", lambda: wrk(base["none"] + f"{town}/matters/", cookie=leader,
                                          connections=1)),
        ("dashboard, cold", lambda: wrk(base["none"] + f"{town}/matters/dashboard",
                                        cookie=leader, connections=1)),
        ("dashboard, rates cached", lambda: wrk(base["on"] + f"{town}/matters/dashboard",
                                                cookie=leader, connections=1)),
        ("bare CSRF POST + insert, 8 clients", lambda: post_load(f"{base['bare']}/form",
                                                                 bare_forms)),
        ("hall intake POST, 8 staff", lambda: post_load(f"{base['on']}{town}/hall/", desks)),
    ]
    if os.environ.get("BENCH_ONLY"):  # a few measures (and every baseline) for a quick look
        wanted = os.environ["BENCH_ONLY"].split(",")
        measures = [(name, m) for name, m in measures
                    if name.startswith("bare") or any(w in name for w in wanted)]
    results: dict[str, list[dict]] = {name: [] for name, _ in measures}
    for round_ in range(ROUNDS):
        for name, measure in measures:
            results[name].append(measure())
            for url in base.values():
                settle(url)
        print(f"round {round_ + 1} done", flush=True)

    def med(name, key):
        if not results.get(name):  # left out by BENCH_ONLY
            return float("nan")
        return statistics.median(r[key] for r in results[name])

    print(f"\n{'measure':40} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for name, _ in measures:
        print(f"{name:40} {med(name, 'rps'):8.1f} {med(name, 'p50'):8.1f} "
              f"{med(name, 'p95'):8.1f} {med(name, 'p99'):8.1f}")
    bare_rps = med("bare page, 32 clients", "rps")
    post_p95 = med("bare CSRF POST + insert, 8 clients", "p95")
    print("\nagainst the baselines of the same run (targets from issue 20):")

    def line(text, ok):
        print(f"  {text:86} {'met' if ok else 'MISSED'}")

    r = med("board, every cache missed", "rps") / bare_rps
    line(f"board, every cache missed: {r:.2f}x the bare page's req/s (target >= 0.3x)", r >= 0.3)
    p = med("board, every cache missed, 1 client", "p95")
    line(f"board, every cache missed, 1 client: p95 {p:.1f} ms (bare page "
         f"{med('bare page, 1 client', 'p95'):.1f} ms; target < 50 ms)", p < 50)
    r = med("board, page cache missed", "rps") / bare_rps
    print(f"  board, page cache missed: {r:.2f}x the bare page's req/s")
    r = med("board, cache hit", "rps") / bare_rps
    line(f"board, cache hit: {r:.2f}x the bare page's req/s (target >= 0.8x)", r >= 0.8)
    r = med("tracking page", "rps") / bare_rps
    print(f"  tracking page: {r:.2f}x the bare page's req/s")
    one_p95 = med("bare page, 1 client", "p95")
    for name in ("ledger ?state=open", "ledger unfiltered", "dashboard, cold",
                 "dashboard, rates cached"):
        p = med(name, "p95")
        line(f"{name}, 1 client: p95 {p:.1f} ms, {p / one_p95:.1f}x the bare page's "
             f"{one_p95:.1f} ms (target < 150 ms)", p < 150)
    p = med("hall intake POST, 8 staff", "p95")
    line(f"hall intake POST, 8 staff: p95 {p:.1f} ms, {p / post_p95:.1f}x the bare POST's "
         f"{post_p95:.1f} ms (target < 100 ms)", p < 100)


if __name__ == "__main__":
    main()

"""One request in-process, taken apart: the statements it runs (with their times) and where its
CPU goes (cProfile), for the requests of issue 20 — the board answered from its cache
(`board`), the board and the leaders' dashboard with every cache missed (`board-cold`,
`dashboard-cold`: BOARD_CACHE and RATES_CACHE off, as bench_server's "every cache missed") and
the hall intake POST (`intake`).

Run after bench/bench_server.py has made its database (the same DATABASE_URL and BENCH_* sizes;
BENCH_REUSE is implied):

    DATABASE_URL=postgresql://postgres@127.0.0.1/minqing_bench \
        .venv/bin/python bench/profile_requests.py \
        [board|board-cold|dashboard-cold|intake] [--profile]

BENCH_REDIS_URL (default redis://127.0.0.1:6379/4) is the board cache's Redis; the Redis round
trips are counted with the statements. With --profile, PROFILE_SORT orders cProfile's table,
PROFILE_FILTER limits it to files matching a regular expression and PROFILE_CALLERS lists the
callers of the functions it matches. PROFILE_PHASES (comma-separated module:function names, e.g.
app.board.views:board_charts) times those functions without cProfile over 100 requests and prints
the mean milliseconds each takes per request.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("BENCH_REUSE", "1")

from bench.bench_server import REDIS, SECRET, csrf_token, database_urls, prepare  # noqa: E402


def _count_redis(calls: list) -> None:
    from redis.client import Pipeline, Redis

    original = Redis.execute_command
    original_pipe = Pipeline.execute

    def counted(self, *args, **options):
        if isinstance(self, Pipeline) and not getattr(self, "explicit_transaction", False):
            return original(self, *args, **options)
        started = time.perf_counter()
        try:
            return original(self, *args, **options)
        finally:
            calls.append((f"redis {args[0]}", (time.perf_counter() - started) * 1000))

    def counted_pipe(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return original_pipe(self, *args, **kwargs)
        finally:
            calls.append((f"redis pipeline ({len(self.command_stack)})",
                          (time.perf_counter() - started) * 1000))

    Redis.execute_command = counted
    Pipeline.execute = counted_pipe


def main() -> None:
    what = sys.argv[1] if len(sys.argv) > 1 else "intake"
    owner, app_url, _fresh = database_urls()
    setup = prepare(owner)
    from sqlalchemy import event

    from app import create_app
    from app.extensions import db

    settings = {"SQLALCHEMY_DATABASE_URI": app_url.replace("postgresql://",
                                                           "postgresql+psycopg://", 1),
                "SECRET_KEY": SECRET, "REDIS_URL": REDIS, "RATELIMIT_ENABLED": False,
                "JOBS_MODE": "inline"}
    if what.endswith("-cold"):
        settings.update(BOARD_CACHE="off", RATES_CACHE="off")
    app = create_app(settings)
    calls: list = []
    _count_redis(calls)
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def _start(conn, cursor, statement, parameters, context, executemany):
        context._bench_started = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _done(conn, cursor, statement, parameters, context, executemany):
        calls.append((" ".join(statement.split())[:110],
                      (time.perf_counter() - context._bench_started) * 1000))

    client = app.test_client()
    town = "/t/bench"
    if what in ("board", "board-cold"):
        def once():
            return client.get(f"{town}/board")
    elif what == "dashboard-cold":
        from tests.conftest import login

        login(client, setup["leader"])

        def once():
            return client.get(f"{town}/matters/dashboard")
    else:
        from tests.conftest import login

        user_id, resident_id = setup["staff"][0]
        login(client, user_id)
        page = client.get(f"{town}/hall/?resident={resident_id}")
        form = {"csrf_token": csrf_token(page.get_data(as_text=True)),
                "resident_id": str(resident_id), "item_id": setup["item"],
                "received": ["户口簿"], "description": "窗口受理", "publicity": "private"}

        def once():
            return client.post(f"{town}/hall/", data=form)
    for _ in range(3):  # warm: templates compiled, caches filled, connections open
        response = once()
        assert response.status_code in (200, 302), response.status_code
    calls.clear()
    started = time.perf_counter()
    response = once()
    elapsed = (time.perf_counter() - started) * 1000
    print(f"{what}: {response.status_code}, {elapsed:.1f} ms in-process, {len(calls)} round trips "
          f"({sum(1 for c in calls if not c[0].startswith('redis'))} SQL), "
          f"{sum(t for _s, t in calls):.1f} ms in them")
    for statement, ms in calls:
        print(f"  {ms:6.2f} ms  {statement}")
    if "--profile" in sys.argv:
        n = 200 if what == "board" else 50
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for _ in range(n):
            once()
        profiler.disable()
        print(f"\n{n} requests: {(time.perf_counter() - started) * 1000 / n:.2f} ms each "
              "(profiled)")
        # PROFILE_FILTER: a regular expression of the files to list (e.g. "app/|flask_wtf").
        stats = pstats.Stats(profiler).sort_stats(os.environ.get("PROFILE_SORT", "cumulative"))
        stats.print_stats(os.environ.get("PROFILE_FILTER", ""), 45)
        if os.environ.get("PROFILE_CALLERS"):  # who calls these (a regular expression)
            stats.print_callers(os.environ["PROFILE_CALLERS"])
    if os.environ.get("PROFILE_PHASES"):
        _phases(once, os.environ["PROFILE_PHASES"].split(","))


def _phases(once, names: list[str], n: int = 100) -> None:
    """The mean wall time per request of each named function (module:function), by wrapping it
    where it is defined and where the request's modules imported it."""
    import functools
    import importlib

    spent: dict[str, float] = dict.fromkeys(names, 0.0)
    for name in names:
        module_name, function_name = name.split(":")
        original = getattr(importlib.import_module(module_name), function_name)

        def timed(*args, _original=original, _name=name, **kwargs):
            started = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                spent[_name] += time.perf_counter() - started

        functools.update_wrapper(timed, original)
        for module in list(sys.modules.values()):
            if getattr(module, "__name__", "").startswith(("app", "flask")) and \
                    getattr(module, function_name, None) is original:
                setattr(module, function_name, timed)
    started = time.perf_counter()
    for _ in range(n):
        once()
    total = (time.perf_counter() - started) * 1000 / n
    print(f"\n{n} requests: {total:.2f} ms each")
    for name in names:
        print(f"  {spent[name] * 1000 / n:7.2f} ms  {name}")


if __name__ == "__main__":
    main()

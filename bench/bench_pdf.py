"""Benchmark: a village's contact cards (one A6 card per household) through our machinery,
against WeasyPrint rendering the same HTML alone; and a township's batch split by village on one
RQ worker against two.

    .venv/bin/python bench/bench_pdf.py [--households 1000]
    DATABASE_URL=postgresql://postgres@127.0.0.1/minqing_bench REDIS_URL=redis://127.0.0.1:6379/5 \
        .venv/bin/python bench/bench_pdf.py --batch [--villages 6] [--households 120] [--rounds 3]

"ours" = the document job end to end: loading the households, building the context with progress
commits, rendering templates/pdf/contact_cards.html with the safe URL fetcher, counting pages,
storing the file. "weasyprint" = HTML(string=the same html).write_pdf() and nothing else. The
ratio is the overhead of our machinery. Runs on a throw-away SQLite database.

--batch: a township of `--villages` villages of `--households` households each; its contact-card
batch (app.notices.batches: one part job per village, the last part queues the merge) is made by
1 and then by 2 real `python -m workers` processes on PostgreSQL and Redis (DATABASE_URL,
REDIS_URL; a queue of its own). The workers are started and registered before the clock starts;
the time runs from the request (its commit and push) to the merged file being ready. The two
settings alternate round by round; the figure is the median of `--rounds`, the ratio 2 workers /
1 worker of the same run (target <= 0.6).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


ROOT = Path(__file__).resolve().parent.parent


def _start_workers(count: int, env: dict, queue) -> list[subprocess.Popen]:
    from rq import Worker

    workers = [subprocess.Popen([sys.executable, "-m", "workers"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for _ in range(count)]
    deadline = time.monotonic() + 120
    while len(Worker.all(queue=queue)) < count:
        if time.monotonic() > deadline:
            raise SystemExit("the workers did not register with Redis")
        time.sleep(0.2)
    return workers


def _stop(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()


def batch(villages: int, households: int, rounds: int) -> None:
    if not os.environ.get("DATABASE_URL", "").startswith("postgresql") or \
            not os.environ.get("REDIS_URL"):
        raise SystemExit("--batch needs DATABASE_URL (PostgreSQL) and REDIS_URL")
    tmp = Path(tempfile.mkdtemp(prefix="minqing-bench-"))
    queue_name = f"minqing-bench-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "MINQING_VAR_DIR": str(tmp), "MINQING_DOCUMENTS_DIR": str(tmp / "docs"),
           "MINQING_JOBS": "rq", "MINQING_JOBS_QUEUE": queue_name}
    os.environ.update({k: env[k] for k in ("MINQING_VAR_DIR", "MINQING_DOCUMENTS_DIR")})
    from sqlalchemy import select

    from app import create_app, jobs
    from app.accounts.operations import create_user, grant
    from app.cli import migrate_database
    from app.extensions import db
    from app.notices import operations as ops
    from app.notices.models import Document
    from app.tenancy import bind_township
    from app.townships.models import Township
    from tests import factories

    app = create_app({"JOBS_QUEUE": queue_name, "TESTING": True, "JOBS_THREAD": False})
    times: dict[int, list[float]] = {1: [], 2: []}
    with app.test_request_context():
        migrate_database()
        tag = "".join(chr(ord("A") + b % 26) for b in uuid.uuid4().bytes[:6])
        t = factories.township(f"bench-{tag.lower()}", code=f"B{tag}", services=())
        bind_township(db.session, t.id)
        # The database is kept between runs: a user name of this run's own.
        cadre = create_user(username=f"bench-{tag.lower()}", name="刘联户")
        grant(t, cadre, "cadre")
        for v in range(villages):
            village = factories.village(t, f"{v + 1}村")
            village.sort_order = v
            for i in range(households):
                factories.household(t, village, head=f"王{v}{i:04d}", contact_cadre_id=cadre.id)
        db.session.commit()
        township_id = t.id
        db.session.close()
        queue = jobs._queue()
        pages = 0
        for n in range(rounds):
            for count in (1, 2) if n % 2 == 0 else (2, 1):
                workers = _start_workers(count, env, queue)
                try:
                    bind_township(db.session, township_id)
                    t = db.session.get(Township, township_id)
                    start = time.perf_counter()
                    doc = ops.request_document(t, kind="contact_cards_batch", subject_id=None,
                                               actor=None)
                    db.session.commit()
                    doc_id = doc.id
                    jobs.run_committed()
                    # Polled through a session holding nothing: expiring the objects the
                    # population left in it, 20 times a second, took half a core or more from
                    # the workers.
                    db.session.close()
                    bind_township(db.session, township_id)
                    while True:
                        row = db.session.execute(select(
                            Document.state, Document.error, Document.pages).where(
                            Document.township_id == township_id, Document.id == doc_id)).one()
                        db.session.rollback()
                        if row.state == "ready":
                            break
                        if row.state == "failed" or time.perf_counter() - start > 900:
                            raise SystemExit(f"the batch did not finish: {row.error}")
                        time.sleep(0.05)
                    elapsed = time.perf_counter() - start
                finally:
                    _stop(workers)
                times[count].append(elapsed)
                pages = row.pages
                load = os.getloadavg()[0]
                print(f"round {n + 1}: {count} worker(s) {elapsed:7.2f} s  "
                      f"(load average {load:.2f} on {os.cpu_count()} cores)", flush=True)
    one, two = statistics.median(times[1]), statistics.median(times[2])
    print(f"batch: {villages} villages x {households} households, {pages} pages merged")
    print(f"1 worker:  median {one:7.2f} s  ({', '.join(f'{x:.2f}' for x in times[1])})")
    print(f"2 workers: median {two:7.2f} s  ({', '.join(f'{x:.2f}' for x in times[2])})")
    print(f"ratio 2 workers / 1 worker: {two / one:.2f} (target <= 0.6)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=None)
    parser.add_argument("--batch", action="store_true")
    parser.add_argument("--villages", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    if options.batch:
        return batch(options.villages, options.households or 120, options.rounds)
    n = options.households or 1000
    tmp = Path(tempfile.mkdtemp(prefix="minqing-bench-"))
    os.environ["MINQING_VAR_DIR"] = str(tmp)
    from flask import render_template
    from weasyprint import HTML

    from app import create_app
    from app.cli import migrate_database
    from app.extensions import db
    from app.notices import operations as ops
    from app.notices.documents import contact_cards_context
    from app.notices.jobs import render_document
    from app.notices.models import Document
    from app.notices.pdf import STATIC_PREFIX
    from app.tenancy import bind_township
    from tests import factories

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.sqlite3'}",
                      "DOCUMENTS_DIR": str(tmp / "documents"), "TESTING": True})
    with app.test_request_context():
        migrate_database()
        t = factories.township("bench")
        bind_township(db.session, t.id)
        village = factories.village(t, "东村")
        cadre = factories.user(t, "cadre", name="刘联户")
        for i in range(n):
            factories.household(t, village, head=f"王{i:04d}", contact_cadre_id=cadre.id)
        db.session.commit()

        start = time.perf_counter()
        doc = ops.request_document(t, kind="contact_cards", subject_id=village.id, actor=None)
        db.session.commit()
        render_document(t, str(doc.id))
        db.session.commit()
        ours = time.perf_counter() - start
        doc = db.session.get(Document, (t.id, doc.id))
        pages = doc.pages

        context = contact_cards_context(t, village.id)
        context.pop("source")
        html = render_template("pdf/contact_cards.html", static_prefix=STATIC_PREFIX,
                               township=t, page_size="A6", **context)
        start = time.perf_counter()
        plain = HTML(string=html).write_pdf()
        alone = time.perf_counter() - start

    print(f"households: {n}, pages: {pages}, PDF {doc.size / 1e6:.1f} MB "
          f"(WeasyPrint alone {len(plain) / 1e6:.1f} MB)")
    print(f"ours:       {ours:7.2f} s  {pages / ours:7.1f} pages/s")
    print(f"weasyprint: {alone:7.2f} s  {pages / alone:7.1f} pages/s")
    print(f"ratio ours/weasyprint: {ours / alone:.2f}")


if __name__ == "__main__":
    main()

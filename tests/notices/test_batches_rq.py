"""A batch on real RQ workers (`python -m workers` subprocesses on the test's own Redis): the
villages' parts are shared by the workers, one work-horse is killed mid-part, its part is taken up
again, the finished parts are kept and the merged file is made once. Two workers on PostgreSQL,
one on SQLite (one writer at a time there)."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import select

from app import jobs
from app.accounts.models import Role
from app.extensions import db
from app.notices import batches
from app.notices import operations as ops
from app.notices.models import Document, JobRecord
from app.notices.storage import storage
from app.tenancy import bind_township
from tests import factories
from tests.hardening.conftest import on_own_redis, own_redis  # noqa: F401 (fixtures)
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
HOUSEHOLDS = 60  # per village: 15 sheets, long enough for a work-horse to be caught mid-part



def _state(app, batch_id):
    with app.app_context():
        db.session.expire_all()
        batch = db.session.scalar(select(Document).where(Document.id == batch_id),
                                  execution_options={"all_townships": True})
        parts = list(db.session.scalars(
            select(Document).where(Document.batch_id == batch_id).order_by(Document.position),
            execution_options={"all_townships": True}))
        rows = {r.args[0]: (r.state, r.attempts) for r in db.session.scalars(
            select(JobRecord).where(JobRecord.func == batches.RENDER),
            execution_options={"all_townships": True})}
        db.session.expunge_all()
        return batch, parts, rows


def _horse_rendering(app, batch_id) -> int | None:
    """The work-horse (forked child of a worker) rendering a part that has claimed its row and
    is early in its pages, found through RQ's record of each worker's current job."""
    from redis import Redis
    from rq import Worker

    _, parts, _ = _state(app, batch_id)
    early = {str(p.id) for p in parts if p.state == "rendering" and 1 <= p.progress <= 60}
    if not early:
        return None
    with app.app_context():
        rows = {str(r.id): r.args[0] for r in db.session.scalars(
            select(JobRecord).where(JobRecord.func == batches.RENDER,
                                    JobRecord.state == "running"),
            execution_options={"all_townships": True})}
    connection = Redis.from_url(app.config["REDIS_URL"])
    for worker in Worker.all(connection=connection):
        job = worker.get_current_job()
        if job is None or not job.args or rows.get(str(job.args[0])) not in early:
            continue
        out = subprocess.run(["pgrep", "-P", str(worker.pid)], capture_output=True,
                             text=True).stdout.split()
        if out:
            return int(out[0])
    return None


def test_workers_share_a_batch_and_a_killed_part_is_taken_up_again(app, on_own_redis,  # noqa: F811
                                                                    tmp_path):
    postgres = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    with app.test_request_context():
        db.session().expire_on_commit = False
        t = factories.township("rqbatch", code="RB", services=())
        bind_township(db.session, t.id)
        cadre = factories.user(t, Role.CADRE, name="联户干部")
        for n, name in enumerate(("一组", "二组", "三组"), 1):
            village = factories.village(t, name)
            village.sort_order = n
            for i in range(HOUSEHOLDS):
                factories.household(t, village, head=f"{name}户{i:02d}",
                                    contact_cadre_id=cadre.id)
        db.session.commit()
        batch = ops.request_document(t, kind="contact_cards_batch", subject_id=None, actor=None)
        db.session.commit()
        batch_id = batch.id
        jobs.run_committed()  # the three parts pushed to the test's Redis
        bind_township(db.session, None)
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "REDIS_URL": on_own_redis.url, "MINQING_VAR_DIR": app.config["VAR_DIR"],
           "MINQING_DOCUMENTS_DIR": app.config["DOCUMENTS_DIR"], "MINQING_JOBS": "rq",
           "MINQING_JOBS_QUEUE": app.config["JOBS_QUEUE"]}
    logs, workers = [], []
    for n in range(2 if postgres else 1):
        logs.append(open(tmp_path / f"worker{n}.log", "w"))  # noqa: SIM115 (the worker writes)
        workers.append(subprocess.Popen([sys.executable, "-m", "workers"], cwd=ROOT, env=env,
                                        stdout=logs[-1], stderr=subprocess.STDOUT))
    try:
        # A part being rendered: kill the work-horse under it, as the OOM killer would.
        horse = wait_for(lambda: _horse_rendering(app, batch_id), 120, "a part to be rendering")
        os.kill(horse, signal.SIGKILL)
        wait_for(lambda: _state(app, batch_id)[0].state == "ready", 240, "the batch to be merged")
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(20)
            except subprocess.TimeoutExpired:
                worker.kill()
        for log in logs:
            log.close()
    batch, parts, rows = _state(app, batch_id)
    assert [p.state for p in parts] == ["ready"] * 3
    attempts = sorted(rows[str(p.id)][1] for p in parts)
    assert attempts == [1, 1, 2]  # the killed part ran again, the others once
    assert rows[str(batch_id)] == ("done", 1)  # one merge
    with app.app_context():
        combined = storage().get(batch.storage_key)
        part_pages = [len(PdfReader(io.BytesIO(storage().get(p.storage_key))).pages)
                      for p in parts]
    assert len(PdfReader(io.BytesIO(combined)).pages) == batch.pages == sum(part_pages)
    assert batch.source["households"] == 3 * HOUSEHOLDS
    text = "".join((tmp_path / f"worker{n}.log").read_text() for n in range(len(workers)))
    assert "queued again" in text
    if postgres:  # both workers took parts
        assert all("workers.context.execute" in (tmp_path / f"worker{n}.log").read_text()
                   for n in range(2))

"""A job whose worker died: noticed from RQ's own bookkeeping (the work-horse's death, the
StartedJobRegistry's heartbeats), taken up again and finished once; the page says so and offers
a retry. A real `python -m workers` subprocess runs against the test's own Redis and has its
work-horse killed mid-job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app import jobs
from app.accounts.models import Role
from app.clock import utcnow
from app.extensions import db
from app.notices.models import Document, JobRecord
from app.tenancy import bind_township
from tests import factories
from tests.conftest import login
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def town(app):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("workerdeath", code="WD", services=())
        admin = factories.user(t, Role.TOWNSHIP_ADMIN, name="管理员")
        db.session.commit()
        return t, admin


def _row(app, job_id) -> JobRecord:
    with app.app_context():
        db.session.expire_all()
        return db.session.scalar(select(JobRecord).where(JobRecord.id == job_id),
                                 execution_options={"all_townships": True})



def test_a_killed_work_horse_is_noticed_and_the_job_finishes_once(app, town, on_own_redis,
                                                                   tmp_path):
    t, admin = town
    with app.test_request_context():
        bind_township(db.session, t.id)
        job_id = jobs.enqueue("tests.hardening.jobfuncs.wait_for_flag", t.id, str(tmp_path))
        db.session.commit()
        jobs.run_committed()  # pushed to the test's Redis
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "REDIS_URL": on_own_redis.url, "MINQING_VAR_DIR": app.config["VAR_DIR"],
           "MINQING_DOCUMENTS_DIR": app.config["DOCUMENTS_DIR"], "MINQING_JOBS": "rq"}
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 (the worker writes it)
    worker = subprocess.Popen([sys.executable, "-m", "workers"], cwd=ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        pids = tmp_path / "pids"
        wait_for(lambda: pids.exists() and pids.read_text().strip(), 60, "the job to start")
        assert _row(app, job_id).state == "running"
        horse = int(pids.read_text().split()[0])
        assert horse != worker.pid  # RQ runs each job in a forked work-horse
        os.kill(horse, signal.SIGKILL)  # mid-job, as the OOM killer would
        started = time.monotonic()
        wait_for(lambda: len(pids.read_text().split()) == 2, 30, "the job to be taken up again")
        noticed = time.monotonic() - started
        (tmp_path / "go").touch()
        wait_for(lambda: _row(app, job_id).state == "done", 30, "the job to finish")
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()
    assert noticed < 60
    row = _row(app, job_id)
    assert (row.state, row.attempts) == ("done", 2)
    assert (tmp_path / "done").read_text().splitlines() == ["workerdeath"]  # finished once
    assert "queued again" in (tmp_path / "worker.log").read_text()


def test_a_work_horse_killed_before_it_claimed_its_row_has_the_row_pushed_again(app, town,
                                                                              on_own_redis):
    """Killed just after the fork, before `execute` claimed the row: the row is still pending but
    marked as handed to Redis, so the dispatcher would leave it for ten minutes; the handler
    pushes it again at once. A pending row waiting out a back-off is left to wait."""
    from workers.__main__ import horse_killed

    t, admin = town
    with app.test_request_context():
        bind_township(db.session, t.id)
        job_id = jobs.enqueue("tests.hardening.jobfuncs.note", t.id, "/dev/null")
        backing_off = jobs.enqueue("tests.hardening.jobfuncs.note", t.id, "/dev/null")
        db.session.commit()
        jobs.run_committed()  # both pushed: dispatched_at set
        queue = jobs._queue()
        rq_jobs = {job.args[0]: job for job in queue.get_jobs()}
        queue.empty()  # the worker took both; the horses die before claiming
        row = db.session.get(JobRecord, (t.id, backing_off))
        row.attempts, row.next_attempt_at = 1, utcnow() + timedelta(minutes=2)
        db.session.commit()
        assert jobs.due_ids() == []
        horse_killed(rq_jobs[str(job_id)], 4242, 9, None)
        horse_killed(rq_jobs[str(backing_off)], 4243, 9, None)
        assert [job.args[0] for job in queue.get_jobs()] == [str(job_id)]
        db.session.expire_all()
        row = db.session.get(JobRecord, (t.id, job_id))
        assert (row.state, row.attempts) == ("pending", 0) and row.dispatched_at is not None
        row = db.session.get(JobRecord, (t.id, backing_off))
        assert row.state == "pending" and row.dispatched_at is None  # the dispatcher pushes it


def test_a_running_row_without_a_live_rq_job_goes_back_to_pending(app, town, on_own_redis,
                                                                  time_machine):
    """A worker gone altogether (machine lost): RQ's StartedJobRegistry no longer holds its job
    once the heartbeat lapses, and the next dispatch (worker, cron or enqueue) takes it up."""
    t, admin = town
    with app.test_request_context():
        bind_township(db.session, t.id)
        lost = jobs.enqueue("tests.hardening.jobfuncs.note", t.id, "/dev/null")
        alive = jobs.enqueue("tests.hardening.jobfuncs.note", t.id, "/dev/null")
        db.session.commit()
        db.session.info.pop("committed_job_ids", None)
        for job_id in (lost, alive):
            row = db.session.get(JobRecord, (t.id, job_id))
            row.state, row.attempts, row.started_at = "running", 1, utcnow()
        db.session.commit()
        # `alive` is in RQ's StartedJobRegistry with a fresh heartbeat; `lost` is not.
        from rq.registry import StartedJobRegistry

        queue = jobs._queue()
        rq_job = queue.enqueue(jobs.EXECUTE, str(alive))
        registry = StartedJobRegistry(queue=queue)
        queue.connection.zadd(registry.key, {f"{rq_job.id}:exec": time.time() + 3600})
        assert jobs.recover_lost() == 0  # within the grace after the claim: nothing yet
        time_machine.move_to(utcnow() + jobs.RQ_GRACE + timedelta(seconds=1))
        assert jobs.recover_lost() == 1
        db.session.expire_all()
        assert db.session.get(JobRecord, (t.id, lost)).state == "pending"
        assert db.session.get(JobRecord, (t.id, lost)).error == jobs.LOST_ERROR
        assert db.session.get(JobRecord, (t.id, alive)).state == "running"


def test_the_document_page_shows_a_lost_job_and_offers_a_retry(app, client, town):
    t, admin = town
    with app.test_request_context():
        bind_township(db.session, t.id)
        doc = Document(township_id=t.id, kind="board_poster", subject_id="2026-11", title="回执",
                       requested_by_id=admin.id, state="rendering",
                       progress=32)
        db.session.add(doc)
        job_id = jobs.enqueue("app.notices.jobs.render_document", t.id, str(doc.id))
        db.session.commit()
        doc_id = doc.id
        db.session.info.pop("committed_job_ids", None)
        row = db.session.get(JobRecord, (t.id, job_id))
        row.state, row.attempts, row.error = "pending", 1, jobs.LOST_ERROR
        row.next_attempt_at = utcnow() + timedelta(minutes=5)
        db.session.commit()
    login(client, admin)
    page = client.get(f"/t/{t.slug}/notices/documents/{doc_id}").text
    assert "执行任务的进程中断" in page and "立即重试" in page
    with app.app_context():
        bind_township(db.session, t.id)
        assert jobs.retry(t.id, job_id)
        row = db.session.get(JobRecord, (t.id, job_id))
        assert row.state == "pending" and row.next_attempt_at <= utcnow()
        db.session.rollback()

"""Background jobs: one way to run them (DESIGN §7).

`enqueue("app.notices.jobs.render_document", township_id, document_id)` writes a job row
(`JobRecord`, a transactional outbox) in the current transaction: a rollback drops it, a commit
keeps it. After the commit the row is handed over:

- JOBS_MODE "rq" (REDIS_URL set): pushed to the RQ queue; workers (`python -m workers`, several on
  several machines sharing one Redis) run `workers.context.execute(job_id)`. If Redis is down the
  request still succeeds; the row stays pending and `dispatch_due()` (worker start-up, the
  one-minute cron, the next request that enqueues) pushes it when Redis is back.
- JOBS_MODE "inline" (embedded demo, tests without Redis): the same `execute(job_id)` runs in this
  process, in a background thread after the response (or at once when JOBS_THREAD is off).

The job function receives the loaded township, then its id arguments: `fn(township, *ids)`.
Failures are retried with back-off (BACKOFF); after `max_attempts` the row is failed, shown to the
township's administrator with its error, and can be retried from the page. A row is claimed
atomically (pending -> running), so a job pushed twice runs once.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
import time
import traceback
import uuid
from datetime import timedelta
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import utcnow

log = logging.getLogger(__name__)

_PENDING = "pending_job_ids"
_COMMITTED = "committed_job_ids"
# Seconds to wait before attempt 2, 3, 4...: failures that can pass (a network blip, a lock).
BACKOFF = (30, 120, 600, 1800)
# A pending row handed to Redis but not started after this long is pushed again (a lost push).
REDISPATCH_AFTER = timedelta(minutes=10)
# On RQ, a running row whose RQ job is gone from the StartedJobRegistry lost its worker; the grace
# covers the moment between claiming the row and RQ's bookkeeping. Inline (embedded mode) the job
# runs in a thread of the web process, lost only with it: longer than any job may take.
RQ_GRACE = timedelta(seconds=10)
INLINE_LOST_AFTER = timedelta(minutes=35)
EXECUTE = "workers.context.execute"


def enqueue(func_path: str, *args: Any, max_attempts: int = 4) -> uuid.UUID:
    """Run `func_path(township, *args[1:])` once the current transaction commits.

    The first argument is the township's id; the others are ids (strings), never objects, so a
    retry sees the data as it is then.
    """
    from app.notices.models import JobRecord

    if not args:
        raise ValueError("enqueue needs the township id as its first argument")
    record = JobRecord(id=uuid.uuid4(), township_id=uuid.UUID(str(args[0])), func=func_path,
                       args=[str(a) for a in args[1:]], max_attempts=max_attempts)
    db.session.add(record)
    db.session.info.setdefault(_PENDING, []).append(record.id)
    return record.id


@event.listens_for(Session, "after_commit")
def _after_commit(session):
    pending = session.info.pop(_PENDING, [])
    if pending:
        session.info.setdefault(_COMMITTED, []).extend(pending)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session, previous_transaction):
    # The rows were never written: forget them (the outbox row went with the rollback).
    session.info.pop(_PENDING, None)


def queue_name() -> str:
    return current_app.config.get("JOBS_QUEUE") or os.environ.get("MINQING_JOBS_QUEUE", "minqing")


def _queue():
    from redis import Redis
    from rq import Queue

    connection = Redis.from_url(current_app.config["REDIS_URL"], socket_timeout=3,
                                socket_connect_timeout=2)
    # RQ's default serializer: `rq cron` enqueues with it whatever --serializer says (measured),
    # and our jobs carry only id strings.
    return Queue(queue_name(), connection=connection)


def run_committed() -> int:
    """Hand over the jobs whose transactions have committed (after each request, or by hand).
    Returns how many were run here (inline, synchronously)."""
    ids = db.session.info.pop(_COMMITTED, [])
    if not ids:
        return 0
    if current_app.config["JOBS_MODE"] == "rq":
        push(ids)
        dispatch_due(limit=50)
        return 0
    if current_app.config.get("JOBS_THREAD", False):
        app = current_app._get_current_object()
        threading.Thread(target=_run_in_thread, args=(app, ids), daemon=True).start()
        return 0
    return _run_inline(ids)


def _run_inline(ids: list[uuid.UUID]) -> int:
    """Run rows here, then the jobs they enqueued in turn (a batch's last part queues the merge),
    until none is left."""
    count = 0
    while ids:
        for job_id in ids:
            execute(job_id)
            count += 1
        ids = db.session.info.pop(_COMMITTED, [])
    return count


def _run_in_thread(app: Flask, ids: list[uuid.UUID]) -> None:
    with app.app_context():
        _run_inline(ids)
        db.session.remove()


def push(ids: list[uuid.UUID]) -> int:
    """Push job rows to Redis; a row Redis did not take stays pending for `dispatch_due`."""
    from app.notices.models import JobRecord

    pushed = []
    try:
        queue = _queue()
        for job_id in ids:
            queue.enqueue(EXECUTE, str(job_id), job_timeout=1800, result_ttl=3600,
                          failure_ttl=7 * 86400)
            pushed.append(job_id)
    except Exception as exc:  # Redis unreachable: the rows wait in the outbox
        log.warning("jobs: Redis unreachable (%s); %d job(s) stay pending",
                    type(exc).__name__, len(ids) - len(pushed))
    if pushed:
        db.session.execute(update(JobRecord).where(JobRecord.id.in_(pushed))
                           .values(dispatched_at=utcnow()),
                           execution_options={"all_townships": True})
        db.session.commit()
    return len(pushed)


def due_ids(limit: int = 500) -> list[uuid.UUID]:
    """Pending rows whose time has come and that are not already waiting in Redis."""
    from app.notices.models import JobRecord

    now = utcnow()
    return list(db.session.scalars(
        select(JobRecord.id)
        .where(JobRecord.state == "pending", JobRecord.next_attempt_at <= now,
               (JobRecord.dispatched_at.is_(None))
               | (JobRecord.dispatched_at < now - REDISPATCH_AFTER))
        .order_by(JobRecord.created_at).limit(limit),
        execution_options={"all_townships": True},
    ))


LOST_ERROR = "执行任务的进程中断（worker lost），已重新排队"


def _alive_rows() -> set[str] | None:
    """Outbox rows an RQ worker is executing right now, by RQ's own bookkeeping: the queue's
    StartedJobRegistry holds a job while its worker's heartbeat keeps it alive (cleaned up when
    the heartbeat lapses), and a worker whose work-horse died removes it at once. None when Redis
    cannot be asked (then nothing is declared lost)."""
    from rq.job import Job
    from rq.registry import StartedJobRegistry

    try:
        queue = _queue()
        registry = StartedJobRegistry(queue=queue)
        registry.cleanup()  # lapsed heartbeats: RQ moves their jobs to its failed registry
        entries = queue.connection.zrangebyscore(registry.key, time.time(), "+inf")
        ids = {(e.decode() if isinstance(e, bytes) else e).split(":", 1)[0] for e in entries}
        alive = set()
        for job in Job.fetch_many(ids, connection=queue.connection, serializer=queue.serializer):
            if job is not None and job.args:
                alive.add(str(job.args[0]))
        return alive
    except Exception as exc:
        log.warning("jobs: cannot ask Redis which jobs run (%s)", type(exc).__name__)
        return None


def recover_lost() -> int:
    """Rows left "running" by a worker that died (killed, machine lost) go back to pending: the
    attempt counts, and the job runs again within its max_attempts.

    On RQ a row is lost as soon as no live RQ job carries it (RQ_GRACE after it was claimed);
    inline, the thread that runs it dies only with its process, noticed after INLINE_LOST_AFTER."""
    from app.notices.models import JobRecord

    now = utcnow()
    if current_app.config["JOBS_MODE"] == "rq":
        running = list(db.session.scalars(
            select(JobRecord.id).where(JobRecord.state == "running",
                                       JobRecord.started_at < now - RQ_GRACE),
            execution_options={"all_townships": True}))
        if not running:
            return 0
        alive = _alive_rows()
        if alive is None:
            return 0
        lost = [job_id for job_id in running if str(job_id) not in alive]
        condition = JobRecord.id.in_(lost) if lost else None
    else:
        condition = JobRecord.started_at < now - INLINE_LOST_AFTER
    if condition is None:
        return 0
    result = db.session.execute(
        update(JobRecord).where(JobRecord.state == "running", condition)
        .values(state="pending", dispatched_at=None, next_attempt_at=now, error=LOST_ERROR),
        execution_options={"all_townships": True, "synchronize_session": False})
    db.session.commit()
    if result.rowcount:
        log.warning("jobs: %d job(s) lost their worker and wait to run again", result.rowcount)
    return result.rowcount


def requeue_lost(job_id: uuid.UUID | str) -> bool:
    """A work-horse died under this row (RQ's work_horse_killed_handler): run it again now.

    Killed after claiming the row, it is running: back to pending, the attempt counted. Killed
    before it claimed it (just forked), the row is still pending but marked as handed to Redis,
    which `due_ids` would not push again for REDISPATCH_AFTER: that mark is cleared. True when
    the row is pending and due now, for the caller to push; one waiting out a back-off is pushed
    by the dispatcher when its time comes."""
    from app.notices.models import JobRecord

    job_id = uuid.UUID(str(job_id))
    now = utcnow()
    options = {"all_townships": True, "synchronize_session": False}
    db.session.execute(
        update(JobRecord).where(JobRecord.id == job_id, JobRecord.state == "running")
        .values(state="pending", dispatched_at=None, next_attempt_at=now, error=LOST_ERROR),
        execution_options=options)
    # The RQ job that carried it is gone: whether due now or after a back-off, it is pushed again.
    next_attempt = db.session.execute(
        update(JobRecord).where(JobRecord.id == job_id, JobRecord.state == "pending")
        .values(dispatched_at=None).returning(JobRecord.next_attempt_at),
        execution_options=options).scalar()
    db.session.commit()
    return next_attempt is not None and next_attempt <= now


def purge_done(days: int = 30) -> int:
    """Finished rows older than `days` are history nobody reads: drop them (failed ones stay
    until an administrator retries them)."""
    from app.notices.models import JobRecord

    result = db.session.execute(
        db.delete(JobRecord).where(JobRecord.state == "done",
                                   JobRecord.finished_at < utcnow() - timedelta(days=days)),
        execution_options={"all_townships": True, "synchronize_session": False})
    db.session.commit()
    return result.rowcount


def dispatch_due(limit: int = 500) -> int:
    """Push (rq) or run (inline) the pending rows that are due: retries, and jobs Redis missed."""
    recover_lost()
    ids = due_ids(limit)
    if not ids:
        return 0
    if current_app.config["JOBS_MODE"] == "rq":
        return push(ids)
    return _run_inline(ids)


def run_pending(max_rounds: int = 20) -> int:
    """Run every job due now, to the end, in this process (tests, the demo, the CLI).

    In rq mode it really goes through Redis: push, then an in-process SimpleWorker in burst mode.
    """
    total = run_committed()
    for _ in range(max_rounds):
        if current_app.config["JOBS_MODE"] == "rq":
            from rq import SimpleWorker

            queue = _queue()
            dispatch_due()
            if not queue.count:
                break
            total += queue.count
            SimpleWorker([queue], connection=queue.connection,
                         serializer=queue.serializer).work(burst=True)
        else:
            done = dispatch_due()
            if not done:
                break
            total += done
    return total


def execute(job_id: uuid.UUID | str) -> str:
    """Run one job row: claim it, bind its township, call it, commit; on failure back off.

    Returns the row's new state. Safe to call twice for the same row: only one call claims it.
    """
    if not has_app_context():  # on an RQ worker: the app is built once per process
        from workers.context import app_context

        with app_context():
            return execute(job_id)
    from app.notices.models import JobRecord
    from app.tenancy import bind_township
    from app.townships.models import Township

    job_id = uuid.UUID(str(job_id))
    session = db.session
    bind_township(session, None)
    claimed = session.execute(
        update(JobRecord).where(JobRecord.id == job_id, JobRecord.state == "pending")
        .values(state="running", attempts=JobRecord.attempts + 1, started_at=utcnow()),
        execution_options={"all_townships": True, "synchronize_session": False},
    ).rowcount
    session.commit()
    if not claimed:
        return "skipped"
    record = session.scalar(select(JobRecord).where(JobRecord.id == job_id),
                            execution_options={"all_townships": True})
    township_id, func_path, args = record.township_id, record.func, list(record.args)
    try:
        bind_township(session, township_id)
        township = session.get(Township, township_id)
        module, _, name = func_path.rpartition(".")
        getattr(importlib.import_module(module), name)(township, *args)
        session.commit()
        state, error = "done", ""
    except Exception as exc:
        session.rollback()
        # The type and message only: a traceback's locals could carry residents' data.
        error = f"{type(exc).__name__}: {exc}"[:2000]
        log.warning("job %s (%s) failed: %s", job_id, func_path, type(exc).__name__)
        log.debug("%s", traceback.format_exc())
        state = "failed"
    bind_township(session, None)
    record = session.scalar(select(JobRecord).where(JobRecord.id == job_id),
                            execution_options={"all_townships": True})
    if state == "done":
        record.state, record.error, record.finished_at = "done", "", utcnow()
    elif record.attempts < record.max_attempts:
        delay = BACKOFF[min(record.attempts - 1, len(BACKOFF) - 1)]
        record.state, record.error = "pending", error
        record.next_attempt_at = utcnow() + timedelta(seconds=delay)
        record.dispatched_at = None
        state = "pending"
    else:
        record.state, record.error, record.finished_at = "failed", error, utcnow()
        _on_gave_up(record)
    session.commit()
    if current_app.config["JOBS_MODE"] == "rq":
        # Jobs this one enqueued (a batch's merge) go to Redis now, not at the next dispatch;
        # inline, the caller runs them in turn (_run_inline).
        followers = session.info.pop(_COMMITTED, [])
        if followers:
            push(followers)
    return state


def _on_gave_up(record) -> None:
    """A job that keeps failing: mark its document failed so the page says so."""
    from app.notices.models import Document

    if record.func == "app.notices.jobs.render_document" and record.args:
        doc = db.session.scalar(select(Document).where(
            Document.township_id == record.township_id, Document.id == uuid.UUID(record.args[0])))
        if doc is not None:
            doc.state, doc.error = "failed", record.error


def retry(township_id: uuid.UUID, job_id: uuid.UUID) -> bool:
    """Give a failed job another round of attempts, or run a job waiting after a failure at once
    (the administrator's retry button)."""
    from app.notices.models import Document, JobRecord

    record = db.session.scalar(select(JobRecord).where(JobRecord.township_id == township_id,
                                                       JobRecord.id == job_id))
    # A failed row, or one waiting for its next attempt after a failure or a lost worker: now.
    if record is None or not (record.state == "failed"
                              or (record.state == "pending" and record.attempts)):
        return False
    record.state, record.attempts, record.next_attempt_at = "pending", 0, utcnow()
    record.dispatched_at, record.finished_at = None, None
    if record.func == "app.notices.jobs.render_document" and record.args:
        doc = db.session.scalar(select(Document).where(
            Document.township_id == township_id, Document.id == uuid.UUID(record.args[0])))
        if doc is not None:
            doc.state, doc.progress, doc.error = "queued", 0, ""
    db.session.info.setdefault(_PENDING, []).append(record.id)
    return True


def register(app: Flask) -> None:
    """After each request, hand over the jobs its transaction committed. In the embedded mode
    they run in a background thread (the page answers at once, the progress bar moves); tests
    set TESTING and get them run synchronously."""
    app.config.setdefault("JOBS_THREAD", not app.config.get("TESTING", False))

    @app.after_request
    def _dispatch_jobs(response):
        try:
            run_committed()
            _inline_tick(app)
        except Exception:  # a job hand-over never breaks the page that asked for it
            log.exception("jobs: hand-over failed")
        return response


_last_tick = {"at": 0.0}
TICK_SECONDS = 30


def _inline_tick(app: Flask) -> None:
    """Embedded mode has no cron: every TICK_SECONDS a request also runs the due rows (retries
    after their back-off, jobs queued by the CLI or the demo), in the background thread."""
    if app.config["JOBS_MODE"] == "rq" or not app.config.get("JOBS_THREAD"):
        return
    now = time.monotonic()
    if now - _last_tick["at"] < TICK_SECONDS:
        return
    _last_tick["at"] = now
    ids = due_ids(limit=50)
    if ids:
        threading.Thread(target=_run_in_thread, args=(app, ids), daemon=True).start()


def queue_status() -> dict[str, Any]:
    """For /healthz: the mode, whether Redis answers, and how many jobs wait or failed."""
    from app.notices.models import JobRecord

    mode = current_app.config["JOBS_MODE"]
    status: dict[str, Any] = {"mode": mode, "status": "ok"}
    try:
        counts = dict(db.session.execute(
            select(JobRecord.state, db.func.count()).group_by(JobRecord.state),
            execution_options={"all_townships": True}).all())
        status["pending"] = counts.get("pending", 0)
        status["failed"] = counts.get("failed", 0)
    except Exception:  # the table may not exist yet before the first migration
        db.session.rollback()
    if mode != "rq":
        return status
    try:
        from redis import Redis

        Redis.from_url(current_app.config["REDIS_URL"], socket_timeout=1,
                       socket_connect_timeout=1).ping()
    except Exception as exc:  # Redis down: the page still answers, and says so
        status["status"] = f"unreachable: {type(exc).__name__}"
        status["note"] = "jobs are kept in the database and pushed when Redis returns"
    return status

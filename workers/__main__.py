"""Start an RQ worker: `python -m workers [--burst] [--max-jobs N]`.

Reads the same environment as the web app (DATABASE_URL, REDIS_URL, MINQING_*). Run as many as
you like, on as many machines as you like, all pointed at one Redis: each job row is claimed
atomically, so a job pushed twice runs once. At start-up, and every MAINTENANCE_SECONDS while it
waits for work, it pushes the jobs that waited in the database while Redis was unreachable and
takes up again the jobs whose worker died (app.jobs.dispatch_due). A work-horse that dies under a
job (killed, out of memory) has its row put back at once. Recurring work (reminder sweeps, the
outbox dispatcher) is scheduled by `rq cron workers/cron.py` (one process per installation).
"""

from __future__ import annotations

import argparse
import logging
import uuid

from rq import Worker

from workers.context import app_context

log = logging.getLogger("workers")
# How often an idle worker wakes to push waiting jobs and notice lost ones (RQ's heartbeat TTL
# follows: a worker that stops answering is gone from RQ's worker registry within a minute).
MAINTENANCE_SECONDS = 30
WORKER_TTL = 45


def dispatch() -> int:
    from app.jobs import dispatch_due

    try:
        with app_context():
            return dispatch_due()
    except Exception as exc:  # the database is down: the next round tries again
        log.warning("dispatch failed: %s", type(exc).__name__)
        return 0


def horse_killed(job, retpid, ret_val, rusage) -> None:
    """RQ's work_horse_killed_handler: the process running `job` died; its row runs again."""
    from app.jobs import requeue_lost

    if job is None or not job.args:
        return
    from app.jobs import push

    with app_context():
        if requeue_lost(job.args[0]):
            log.warning("work-horse %s died under job %s: queued again", retpid, job.args[0])
            push([uuid.UUID(str(job.args[0]))])


class MinqingWorker(Worker):
    """RQ's worker, which also runs the outbox's dispatcher between jobs."""

    def run_maintenance_tasks(self):
        super().run_maintenance_tasks()
        dispatch()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m workers")
    parser.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    # WeasyPrint's memory grows over many renders (upstream #2130): recycle the process.
    parser.add_argument("--max-jobs", type=int, default=500)
    options = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    with app_context() as app:
        from app.jobs import _queue

        if app.config["JOBS_MODE"] != "rq":
            raise SystemExit("REDIS_URL is not set: jobs run inside the web process (inline)")
        queue = _queue()
    # Every job is a fork of this process; the app (and its emptied pool) is reused. WeasyPrint
    # is loaded here once, not in every fork, and what start-up made is kept out of the garbage
    # collector's passes, which in a fork would also copy every page of it they touch.
    import weasyprint  # noqa: F401

    from app import freeze_start_up

    freeze_start_up()
    # The first maintenance round (at start-up) pushes the jobs that waited in the database.
    MinqingWorker([queue], connection=queue.connection, worker_ttl=WORKER_TTL,
                  maintenance_interval=MAINTENANCE_SECONDS,
                  work_horse_killed_handler=horse_killed).work(
        burst=options.burst, max_jobs=options.max_jobs)


if __name__ == "__main__":
    main()

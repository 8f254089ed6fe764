"""Start an RQ worker: `python -m workers [--burst] [--max-jobs N]`.

Reads the same environment as the web app (DATABASE_URL, REDIS_URL, MINQING_*). Run as many as
you like, on as many machines as you like, all pointed at one Redis: each job row is claimed
atomically, so a job pushed twice runs once. At start-up it pushes the jobs that waited in the
database while Redis was unreachable. Recurring work (reminder sweeps, the outbox dispatcher)
is scheduled by `rq cron workers/cron.py` (one process per installation is enough).
"""

from __future__ import annotations

import argparse
import logging

from rq import Worker

from workers.context import app_context


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m workers")
    parser.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    # WeasyPrint's memory grows over many renders (upstream #2130): recycle the process.
    parser.add_argument("--max-jobs", type=int, default=500)
    options = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    with app_context() as app:
        from app.jobs import _queue, dispatch_due

        if app.config["JOBS_MODE"] != "rq":
            raise SystemExit("REDIS_URL is not set: jobs run inside the web process (inline)")
        pushed = dispatch_due()
        logging.getLogger("workers").info("pushed %d waiting job(s)", pushed)
        queue = _queue()
    # Every job is a fork of this process; the app (and its emptied pool) is reused.
    Worker([queue], connection=queue.connection).work(
        burst=options.burst, max_jobs=options.max_jobs)


if __name__ == "__main__":
    main()

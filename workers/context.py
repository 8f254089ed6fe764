"""The job context on an RQ worker: one Flask app per worker process, an app context per job.

`app.jobs.execute(job_id)` loads the job row, binds its township (app.tenancy.bind_township),
runs it and commits or rolls back; this module only provides the application around it.
"""

from __future__ import annotations

import contextlib
import os

_app = None
_pid = None


def get_app():
    """The worker's Flask app, built once per process (after a fork, the pool is renewed)."""
    global _app, _pid
    if _app is None:
        from app import create_app

        _app = create_app()
    if _pid != os.getpid():
        from app.extensions import db

        with _app.app_context():
            # Connections inherited from the parent process must not be shared (fork).
            db.engine.dispose(close=False)
        _pid = os.getpid()
    return _app


@contextlib.contextmanager
def app_context():
    from flask import current_app, has_app_context

    if has_app_context():  # an in-process worker (tests, the demo): the running app
        yield current_app._get_current_object()
        return
    app = get_app()
    with app.app_context():
        try:
            yield app
        finally:
            from app.extensions import db

            db.session.remove()


def execute(job_id: str) -> str:
    """The function RQ runs: one outbox row."""
    from app.jobs import execute as run

    with app_context():
        return run(job_id)


def dispatch_due() -> int:
    """Cron: push the pending rows that are due (retries, and pushes Redis missed)."""
    from app.jobs import dispatch_due as dispatch
    from app.jobs import purge_done

    with app_context():
        purge_done()
        return dispatch()


def enqueue_sweeps() -> int:
    """Cron: one reminder-sweep job per active township (each runs in its own job context)."""
    from app.notices.reminders import enqueue_sweeps as enqueue

    with app_context():
        return enqueue()

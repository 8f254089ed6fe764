"""Background jobs: one way to run them (DESIGN §7).

`enqueue("app.notices.jobs.render_receipt", township_id, matter_id)` records the job with the
current transaction; it is handed to the queue only after the commit, so a job never sees data
that was rolled back. In production (JOBS_MODE "rq") jobs go to RQ on Redis; in the embedded
demo and in tests ("inline") they run in this process right after the commit.
"""

from __future__ import annotations

import importlib
from typing import Any

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db

_PENDING = "pending_jobs"


def enqueue(func_path: str, *args: Any) -> None:
    """Run `func_path(*args)` once the current transaction commits. Pass ids, not objects."""
    db.session.info.setdefault(_PENDING, []).append((func_path, tuple(str(a) for a in args)))


@event.listens_for(Session, "after_commit")
def _after_commit(session):
    pending = session.info.pop(_PENDING, [])
    if pending:
        session.info.setdefault("committed_jobs", []).extend(pending)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session, previous_transaction):
    session.info.pop(_PENDING, None)


def run_committed() -> None:
    """Dispatch the jobs whose transactions have committed (called after each request)."""
    jobs = db.session.info.pop("committed_jobs", [])
    for func_path, args in jobs:
        dispatch(func_path, args)


def dispatch(func_path: str, args: tuple[str, ...]) -> None:
    if current_app.config["JOBS_MODE"] == "rq":
        from redis import Redis
        from rq import Queue

        Queue("default", connection=Redis.from_url(current_app.config["REDIS_URL"])).enqueue(
            func_path, *args
        )
    else:
        module, _, name = func_path.rpartition(".")
        getattr(importlib.import_module(module), name)(*args)


def queue_status() -> dict[str, Any]:
    mode = current_app.config["JOBS_MODE"]
    if mode != "rq":
        return {"mode": mode, "status": "ok"}
    try:
        from redis import Redis

        Redis.from_url(current_app.config["REDIS_URL"], socket_timeout=1).ping()
    except Exception as exc:  # Redis down: the page still answers, and says so
        return {"mode": mode, "status": f"unreachable: {type(exc).__name__}"}
    return {"mode": mode, "status": "ok"}

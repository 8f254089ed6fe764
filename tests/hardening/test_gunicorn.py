"""The web server's settings (deploy/gunicorn.conf.py): the app made once in the master and
forked into the workers, each worker with database connections of its own."""

from __future__ import annotations

import runpy
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import text

from app.extensions import db

SETTINGS = Path(__file__).resolve().parents[2] / "deploy" / "gunicorn.conf.py"


def test_workers_fork_the_preloaded_app_and_open_their_own_connections(app):
    settings = runpy.run_path(str(SETTINGS))
    # Made once: a worker restarted after max_requests serves at once.
    assert settings["preload_app"] is True and settings["max_requests"] > 0
    with app.app_context():
        db.session.execute(text("select 1"))
        db.session.remove()
        inherited = db.engine.pool
    server = SimpleNamespace(app=SimpleNamespace(wsgi=lambda: app))
    settings["post_fork"](server, worker=None)
    with app.app_context():
        assert db.engine.pool is not inherited  # the master's pool is not the worker's
        assert db.session.execute(text("select 1")).scalar() == 1
    # A server of another WSGI app (the bench's bare page) is left as it is.
    settings["post_fork"](SimpleNamespace(app=SimpleNamespace(wsgi=SimpleNamespace)), None)


"""Test set-up: a real database built by the migrations, PostgreSQL and Redis when configured.

With DATABASE_URL set (CI), a fresh database named after it is created on that server and migrated;
without it, a temporary SQLite file. Each test starts from empty tables.
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests import factories

_TMP = Path(tempfile.mkdtemp(prefix="minqing-tests-"))

# The moved clock (scripts/test-clocks.sh): MINQING_TEST_NOW="2026-12-31T23:59:00+08:00" runs the
# session there with time-machine: the whole session travels (so session fixtures are built then),
# and each test starts again at that moment, the clock ticking, so "just before midnight" stays just
# before midnight for every test however long the run. The browser clock follows
# (tests/browser/conftest.py).
TEST_NOW = os.environ.get("MINQING_TEST_NOW") or None


def moved_now() -> datetime | None:
    """The moment the suite runs at when the clock is moved (aware), else None."""
    return datetime.fromisoformat(TEST_NOW) if TEST_NOW else None


def pytest_configure(config):
    if TEST_NOW:
        import time_machine

        moment = moved_now()
        if moment.tzinfo is None:
            raise pytest.UsageError("MINQING_TEST_NOW needs a UTC offset, e.g. +08:00")
        config._minqing_clock = time_machine.travel(moment, tick=True)
        config._minqing_clock.start()


def pytest_report_header(config):
    return f"clock: moved to {TEST_NOW}" if TEST_NOW else "clock: the machine's"


def pytest_unconfigure(config):
    traveller = getattr(config, "_minqing_clock", None)
    if traveller is not None:
        traveller.stop()


@pytest.fixture(autouse=True)
def _moved_clock():
    """Each test starts at MINQING_TEST_NOW when it is set (see above)."""
    if not TEST_NOW:
        yield
        return
    import time_machine

    with time_machine.travel(moved_now(), tick=True):
        yield


def _fresh_database_url() -> str:
    raw = os.environ.get("DATABASE_URL")
    if not raw:
        return f"sqlite:///{_TMP / 'test.sqlite3'}"
    from app.config import _sqlalchemy_url

    url = make_url(_sqlalchemy_url(raw))
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    name = f"{url.database or 'minqing'}_test{worker}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


# On PostgreSQL the app connects as a role that owns nothing and is no superuser, as in production
# (deploy/roles.sql), so row-level security applies to every test; migrations and the clean-up
# between tests run as the server's owner role (DATABASE_URL's user).
APP_ROLE = os.environ.get("MINQING_TEST_APP_ROLE", "minqing_app")


def _app_role_url(owner_url: str) -> str:
    url = make_url(owner_url)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :r) THEN "
            "EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB "
            "NOCREATEROLE', :r); "
            "END IF; EXCEPTION WHEN duplicate_object THEN NULL; END $$"
            .replace(":r", "'" + APP_ROLE.replace("'", "''") + "'")))
    admin.dispose()
    return url.set(username=APP_ROLE, password=None).render_as_string(hide_password=False)


_owner = {}


def _owner_engine(app):
    """The engine the clean-up uses: the owner's on PostgreSQL (TRUNCATE), else the app's."""
    from app.extensions import db

    owner_url = app.config.get("MIGRATION_DATABASE_URI")
    if not owner_url:
        return db.engine
    if owner_url not in _owner:
        _owner[owner_url] = create_engine(owner_url)
    return _owner[owner_url]


def _compile_translations() -> None:
    """The English catalogue, compiled as `make setup` does, so a plain pytest run has it too."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "compile", "-d",
                    str(root / "app" / "translations")], check=True, capture_output=True)


@pytest.fixture(scope="session")
def app():
    os.environ.setdefault("MINQING_VAR_DIR", str(_TMP / "var"))
    _compile_translations()
    from app import create_app
    from app.cli import migrate_database

    database_url = _fresh_database_url()
    owner_url = ""
    if database_url.startswith("postgresql"):
        owner_url, database_url = database_url, _app_role_url(database_url)
    application = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "MIGRATION_DATABASE_URI": owner_url,
            "VAR_DIR": str(_TMP / "var"),
            "DOCUMENTS_DIR": str(_TMP / "var" / "documents"),
            "LOGIN_RATE_LIMIT": "1000 per minute",
        }
    )
    with application.app_context():
        migrate_database()
    return application


@pytest.fixture(autouse=True)
def _clean(request, app):
    """Every test starts from empty tables and a fresh rate limiter."""
    from app.extensions import db, limiter

    if "app" not in request.fixturenames and "db_session" not in request.fixturenames:
        # Pure unit tests need no database.
        pass
    yield
    with app.app_context():
        db.session.remove()
        tables = [t for t in reversed(db.metadata.sorted_tables)]
        with _owner_engine(app).begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables)
                                  + " CASCADE"))
            else:
                for table in tables:
                    conn.execute(table.delete())
        limiter.reset()


@pytest.fixture(scope="session")
def live_server(app):
    """The test application on a free loopback port, for the whole session (browser tests,
    outside HTTP clients)."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def ctx(app):
    """An application context with a request context, for calling operations directly."""
    with app.test_request_context():
        yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def world(app):
    """Two townships with one user per role each, and a little data in each."""
    from app.extensions import db

    with app.app_context():
        # Keep the loaded attributes readable after the context ends (ids, slugs, names).
        db.session().expire_on_commit = False
        return factories.World.build()


def login(client, user) -> None:
    """Sign `user` (a user or a user id) in on `client` without the cost of the password hash,
    with the session version the account has now (sign-out and password change raise it)."""
    from app.accounts.models import User
    from app.extensions import db

    user_id = user.id if hasattr(user, "id") else user
    with client.application.app_context():
        alternative_id = db.session.get(User, user_id).get_id()
    with client.session_transaction() as session:
        session["_user_id"] = alternative_id
        session["_fresh"] = True


def csrf(html: str) -> str:
    """The CSRF token of a rendered page (from a form's hidden field)."""
    import re

    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)

"""Notices tests: a private RQ queue name when Redis is configured, so parallel runs of other
features' tests sharing the Redis never pick up these jobs."""

import uuid

import pytest


@pytest.fixture(autouse=True)
def _private_queue(app, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_QUEUE", f"minqing-test-{uuid.uuid4().hex[:8]}")
    monkeypatch.setitem(app.config, "JOBS_THREAD", False)
    yield


@pytest.fixture
def town_ctx(app, world):
    """An app context bound to township A, for calling operations directly."""
    from app.extensions import db
    from app.tenancy import bind_township

    with app.test_request_context():
        bind_township(db.session, world.a.township.id)
        yield world.a
        db.session.rollback()
        bind_township(db.session, None)

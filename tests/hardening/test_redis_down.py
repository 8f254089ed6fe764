"""Redis down: sign-in and the public forms still answer (rate limits counted in memory, with a
logged warning), and jobs kept in the database while it was down are pushed when it returns, by
the next enqueue and by a worker, not only by the scheduler. A Redis of the test's own is stopped
and started (tests/hardening/conftest.py)."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from app import jobs
from app.extensions import db
from app.notices.models import JobRecord
from app.tenancy import bind_township
from tests import factories
from tests.conftest import csrf


@pytest.fixture
def town(app):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("redisdown", code="RD", services=())
        v = factories.village(t, "东村")
        db.session.commit()
        return t, v


def test_sign_in_and_public_forms_work_with_redis_down(app, client, town, on_own_redis, caplog):
    t, v = town
    assert client.get("/login").status_code == 200  # the limits reach the running Redis
    on_own_redis.stop()
    caplog.set_level(logging.WARNING)
    page = client.get("/login")
    assert page.status_code == 200
    answer = client.post("/login", data={"csrf_token": csrf(page.text), "username": "nobody",
                                         "password": "wrong"})
    assert answer.status_code < 500
    form = client.get(f"/t/{t.slug}/raise")
    assert form.status_code == 200
    raised = client.post(f"/t/{t.slug}/raise", data={
        "csrf_token": csrf(form.text), "title": "村口垃圾没人清", "contact_name": "李四",
        "contact_phone": "13911112222", "village_id": str(v.id), "is_public": "y"})
    assert raised.status_code in (200, 302) and "RD-" in raised.text
    track = client.get(f"/t/{t.slug}/track")
    assert track.status_code == 200
    assert "falling back to in-memory storage" in caplog.text


def test_jobs_kept_while_redis_was_down_are_pushed_by_the_next_enqueue(app, town, on_own_redis,
                                                                          tmp_path):
    t, v = town
    from redis import Redis
    from rq import Queue

    on_own_redis.stop()
    with app.test_request_context():
        bind_township(db.session, t.id)
        first = jobs.enqueue("tests.hardening.jobfuncs.note", t.id, str(tmp_path / "a"))
        db.session.commit()
        jobs.run_committed()  # Redis refuses: the row stays pending in the outbox
        row = db.session.scalar(select(JobRecord).where(JobRecord.id == first))
        assert row.state == "pending" and row.dispatched_at is None
    on_own_redis.start()
    with app.test_request_context():
        bind_township(db.session, t.id)
        second = jobs.enqueue("tests.hardening.jobfuncs.note", t.id, str(tmp_path / "b"))
        db.session.commit()
        jobs.run_committed()
        queue = Queue(jobs.queue_name(), connection=Redis.from_url(on_own_redis.url))
        pushed = {j.args[0] for j in queue.get_jobs()}
        assert pushed == {str(first), str(second)}
        jobs.run_pending()
        assert (tmp_path / "a").read_text() == "redisdown\n"
        assert (tmp_path / "b").read_text() == "redisdown\n"


def test_a_worker_pushes_the_jobs_that_waited_when_redis_returns(app, town, on_own_redis,
                                                                 tmp_path):
    t, v = town
    from redis import Redis
    from rq import Queue

    from workers.__main__ import MinqingWorker

    on_own_redis.stop()
    with app.test_request_context():
        bind_township(db.session, t.id)
        waiting = jobs.enqueue("tests.hardening.jobfuncs.note", t.id, str(tmp_path / "a"))
        db.session.commit()
        jobs.run_committed()
    on_own_redis.start()
    with app.app_context():
        connection = Redis.from_url(on_own_redis.url)
        queue = Queue(jobs.queue_name(), connection=connection)
        assert queue.count == 0
        # What the worker does between jobs (every MAINTENANCE_SECONDS while idle).
        MinqingWorker([queue], connection=connection).run_maintenance_tasks()
        assert [j.args[0] for j in queue.get_jobs()] == [str(waiting)]

"""Jobs: after commit only, in a township's context, retried with back-off, failures visible and
retryable, run-twice safe, and nothing lost while Redis is unreachable."""

import os
from datetime import timedelta

import pytest
from sqlalchemy import select

from app import jobs
from app.accounts.models import Role
from app.extensions import db
from app.models import utcnow
from app.notices.models import Document, JobRecord, Notification
from tests.conftest import login
from tests.notices import sample_jobs

REMIND = "tests.notices.sample_jobs.remind"
FLAKY = "tests.notices.sample_jobs.flaky"


def _notes(town):
    return list(db.session.scalars(select(Notification).where(
        Notification.township_id == town.township.id)))


def test_a_rolled_back_transaction_drops_its_job(town_ctx):
    town = town_ctx
    jobs.enqueue(REMIND, town.township.id, town.users[Role.CADRE].id)
    db.session.rollback()
    assert jobs.run_pending() == 0
    assert db.session.scalars(select(JobRecord).where(JobRecord.func == REMIND)).all() == []
    assert _notes(town) == []


def test_a_committed_job_runs_in_its_townships_context_once(town_ctx):
    town = town_ctx
    sample_jobs.SEEN.clear()
    job_id = jobs.enqueue(REMIND, town.township.id, town.users[Role.CADRE].id)
    # Not before the commit.
    assert _notes(town) == []
    db.session.commit()
    assert jobs.run_pending() >= 1
    assert [town.township.id] == sample_jobs.SEEN
    assert [n.message for n in _notes(town)] == ["测试提醒"]
    # Pushed or run a second time: claimed already, nothing happens.
    assert jobs.execute(job_id) == "skipped"
    record = db.session.scalar(select(JobRecord).where(JobRecord.id == job_id))
    assert record.state == "done" and record.attempts == 1
    assert len(_notes(town)) == 1


def test_failures_back_off_then_succeed(town_ctx):
    town = town_ctx
    sample_jobs.FAILURES_LEFT["n"] = 1
    job_id = jobs.enqueue(FLAKY, town.township.id, town.users[Role.CADRE].id)
    db.session.commit()
    jobs.run_pending()
    record = db.session.scalar(select(JobRecord).where(JobRecord.id == job_id))
    db.session.refresh(record)
    assert record.state == "pending" and record.attempts == 1
    assert "ConnectionError" in record.error
    assert record.next_attempt_at > utcnow() + timedelta(seconds=20)  # back-off, not a hot loop
    assert jobs.run_pending() == 0  # not due yet
    record.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    jobs.run_pending()
    db.session.refresh(record)
    assert record.state == "done" and record.error == ""
    assert [n.message for n in _notes(town)] == ["终于成功"]


def test_a_job_that_keeps_failing_is_shown_to_the_admin_and_retried_from_the_page(
        app, world, client):
    from app.tenancy import bind_township

    town = world.a
    sample_jobs.FAILURES_LEFT["n"] = 2
    with app.test_request_context():
        bind_township(db.session, town.township.id)
        job_id = jobs.enqueue(FLAKY, town.township.id, town.users[Role.CADRE].id,
                              max_attempts=2)
        db.session.commit()
        for _ in range(2):
            jobs.run_pending()
            db.session.execute(db.update(JobRecord).values(next_attempt_at=utcnow()),
                               execution_options={"all_townships": True})
            db.session.commit()
        record = db.session.scalar(select(JobRecord).where(JobRecord.id == job_id))
        assert record.state == "failed" and record.attempts == 2
        bind_township(db.session, None)
    index = "/t/alpha/notices/"
    login(client, town.users[Role.CENTRE_STAFF])
    assert "短信网关暂时不可用" not in client.get(index).get_data(as_text=True)
    login(client, town.users[Role.TOWNSHIP_ADMIN])
    page = client.get(index).get_data(as_text=True)
    assert "短信网关暂时不可用" in page and "重试" in page
    # Another township's administrator cannot retry it.
    login(client, world.b.users[Role.TOWNSHIP_ADMIN])
    client.get("/t/beta/notices/")
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        assert client.post(f"/t/beta/notices/jobs/{job_id}/retry").status_code == 404
        login(client, town.users[Role.TOWNSHIP_ADMIN])
        response = client.post(f"/t/alpha/notices/jobs/{job_id}/retry")
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    assert response.status_code == 302
    with app.test_request_context():
        jobs.run_pending()
        record = db.session.scalar(select(JobRecord).where(JobRecord.id == job_id))
        assert record.state == "done"
        assert db.session.scalar(select(Notification.message).where(
            Notification.township_id == town.township.id)) == "终于成功"


def _redis_url():
    return os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


def test_redis_down_the_request_succeeds_and_the_job_runs_when_redis_returns(
        app, world, client, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_MODE", "rq")
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    town = world.a
    login(client, town.users[Role.CENTRE_STAFF])
    response = client.post("/t/alpha/notices/request",
                           data={"kind": "matter_receipt", "number": town.objects.matter.number})
    assert response.status_code == 302
    health = client.get("/healthz").get_json()
    assert health["jobs"]["status"].startswith("unreachable") and health["jobs"]["pending"] == 1
    with app.test_request_context():
        record = db.session.scalar(select(JobRecord).where(
            JobRecord.func == "app.notices.jobs.render_document", JobRecord.state != "failed"))
        assert record.state == "pending" and record.dispatched_at is None
        # Redis is back: the dispatcher (worker start-up, the cron, the next request) pushes it.
        monkeypatch.setitem(app.config, "REDIS_URL", _redis_url())
        from redis import Redis

        Redis.from_url(_redis_url()).ping()  # the test needs the real Redis here
        assert jobs.run_pending() == 1
        doc = db.session.scalar(select(Document).where(Document.kind == "matter_receipt"))
        assert doc.state == "ready" and doc.pages == 1
    health = client.get("/healthz").get_json()["jobs"]
    assert health["status"] == "ok" and health["pending"] == 0


@pytest.mark.parametrize("mode", ["inline", "rq"])
def test_both_modes_run_the_same_job(app, town_ctx, monkeypatch, mode):
    if mode == "rq":
        monkeypatch.setitem(app.config, "JOBS_MODE", "rq")
        monkeypatch.setitem(app.config, "REDIS_URL", _redis_url())
    else:
        monkeypatch.setitem(app.config, "JOBS_MODE", "inline")
    town = town_ctx
    jobs.enqueue(REMIND, town.township.id, town.users[Role.CADRE].id)
    db.session.commit()
    jobs.run_pending()
    assert [n.message for n in _notes(town)] == ["测试提醒"]


def test_a_job_whose_worker_died_runs_again(town_ctx):
    town = town_ctx
    job_id = jobs.enqueue(REMIND, town.township.id, town.users[Role.CADRE].id)
    db.session.commit()
    db.session.info.pop("committed_job_ids", None)  # as if the worker took it and was killed
    db.session.execute(db.update(JobRecord).where(JobRecord.id == job_id).values(
        state="running", attempts=1, started_at=utcnow() - timedelta(hours=1)),
        execution_options={"all_townships": True})
    db.session.commit()
    jobs.run_pending()
    record = db.session.scalar(select(JobRecord).where(JobRecord.id == job_id))
    db.session.refresh(record)
    assert record.state == "done" and record.attempts == 2
    assert [n.message for n in _notes(town)] == ["测试提醒"]

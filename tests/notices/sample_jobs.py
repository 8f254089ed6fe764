"""Jobs used by the tests (module-level state is shared with an in-process RQ SimpleWorker)."""

from app.notices.reminders import notify

FAILURES_LEFT = {"n": 0}
SEEN = []


def remind(township, user_id):
    """Records which township the job context bound, then sends one reminder."""
    from app.extensions import db
    from app.tenancy import bound_township_id

    SEEN.append(bound_township_id(db.session))
    notify(township, user_id, occasion="test-job", message="测试提醒")


def flaky(township, user_id):
    if FAILURES_LEFT["n"] > 0:
        FAILURES_LEFT["n"] -= 1
        raise ConnectionError("短信网关暂时不可用")
    notify(township, user_id, occasion="flaky-job", message="终于成功")

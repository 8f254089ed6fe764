"""Reminder sweeps: who hears of what, once per occasion; e-mail and SMS delivery."""

from datetime import date, timedelta

from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import db
from app.matters import operations as matters
from app.matters.models import Matter
from app.notices import reminders
from app.notices.models import JobRecord, Notification
from tests import factories

SENT_SMS = []


def fake_sms(phone, text):
    SENT_SMS.append((phone, text))


def _to(town, role):
    return [n.message for n in db.session.scalars(select(Notification).where(
        Notification.township_id == town.township.id,
        Notification.user_id == town.users[role].id))]


def _matter(town, **values):
    m = db.session.get(Matter, (town.township.id, town.objects.matter.id))
    for k, v in values.items():
        setattr(m, k, v)
    db.session.commit()
    return m


def test_due_soon_to_the_assignee_overdue_to_the_leaders_once(town_ctx):
    town = town_ctx
    today = date(2026, 11, 23)
    staff = town.users[Role.CENTRE_STAFF]
    m = _matter(town, assignee_id=staff.id, due_on=today + timedelta(days=1))
    assert reminders.sweep_matters(town.township, today) == 1
    assert reminders.sweep_matters(town.township, today) == 0  # the sweep ran twice: sent once
    assert _to(town, Role.CENTRE_STAFF) == [f"事项 {m.number}「{m.title}」将于 {m.due_on} 到期。"]
    assert _to(town, Role.LEADER) == []
    # Four days late: the assignee and, by rule, the leaders.
    later = today + timedelta(days=5)
    reminders.run_sweeps(town.township, later)
    reminders.run_sweeps(town.township, later)
    assert len(_to(town, Role.CENTRE_STAFF)) == 2 and "已超期" in _to(town, Role.CENTRE_STAFF)[1]
    leader = _to(town, Role.LEADER)
    assert len([t for t in leader if "督办" in t]) == 1
    # …and, once that day, the morning's daily supervision (日督查) with the overdue count.
    assert len([t for t in leader if t.startswith(f"日督查 {later}：超期 1 件")]) == 1
    assert len(leader) == 2
    # A closed matter reminds nobody.
    _matter(town, state="closed", due_on=later - timedelta(days=10))
    assert reminders.sweep_matters(town.township, later) == 0


def test_revisits_due_and_households_not_visited(town_ctx):
    town = town_ctx
    staff, cadre = town.users[Role.CENTRE_STAFF], town.users[Role.CADRE]
    m = _matter(town, assignee_id=staff.id, due_on=date(2027, 1, 1))
    matters.schedule_revisit(m, date(2026, 11, 20))
    h = factories.household(town.township, town.objects.village, head="赵大爷",
                            contact_cadre_id=cadre.id)
    db.session.commit()
    today = date(2026, 11, 23)
    assert reminders.sweep_revisits(town.township, today) == 1
    # Every contact cadre with a household not visited for too long (the world has others too).
    assert reminders.sweep_households(town.township, today) >= 1
    assert reminders.sweep_households(town.township, today) == 0
    db.session.commit()
    assert any("回访" in text for text in _to(town, Role.CENTRE_STAFF))
    assert _to(town, Role.CADRE) == [f"您联系的农户（{h.address}）已超过 180 天未走访。"]


def test_email_and_sms_when_configured(app, town_ctx, monkeypatch):
    town = town_ctx
    cadre = town.users[Role.CADRE]
    sent = []

    class FakeSMTP:
        def __init__(self, host, port, timeout=None):
            sent.append(("connect", host, port))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def login(self, user, password):
            sent.append(("login", user))

        def send_message(self, msg):
            sent.append(("mail", msg["To"], msg.get_content()))

    monkeypatch.setattr("smtplib.SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "SMTP_URL", "smtp://robot:pw@mail.example:2525")
    monkeypatch.setitem(app.config, "SMS_GATEWAY", "tests.notices.test_reminders:fake_sms")
    user = db.session.get(type(cadre), cadre.id)
    user.email, user.phone = "cadre@example.cn", "13700001234"
    SENT_SMS.clear()
    assert reminders.notify(town.township, cadre.id, occasion="x", message="明天值班")
    assert not reminders.notify(town.township, cadre.id, occasion="x", message="明天值班")
    assert sent == [("connect", "mail.example", 2525), ("login", "robot"),
                    ("mail", "cadre@example.cn", "明天值班\n")]
    assert SENT_SMS == [("13700001234", "明天值班")]


def test_the_schedule_enqueues_one_sweep_job_per_township(app, world, monkeypatch):
    calls = []
    monkeypatch.setattr(reminders, "run_sweeps", lambda t, day: calls.append((t.slug, day)))
    with app.test_request_context():
        assert reminders.enqueue_sweeps(date(2026, 11, 23)) == 2
        from app import jobs

        jobs.run_pending()
        assert sorted(calls) == [("alpha", date(2026, 11, 23)), ("beta", date(2026, 11, 23))]
        states = db.session.scalars(select(JobRecord.state).where(
            JobRecord.func == "app.notices.jobs.run_sweeps"),
            execution_options={"all_townships": True}).all()
        assert states == ["done", "done"]


def test_feature_sweeps_run_and_one_failing_keeps_the_others(town_ctx, monkeypatch):
    import pytest

    town = town_ctx
    cadre = town.users[Role.CADRE]

    def studio_sweep(township, today):
        return reminders.notify(township, cadre.id, occasion=f"duty:{today}",
                                message="明天您在党代表工作室值班")

    def broken(township, today):
        raise ValueError("坏了")

    monkeypatch.setattr(reminders, "feature_sweeps", lambda: iter([broken, studio_sweep]))
    with pytest.raises(RuntimeError, match="坏了"):
        reminders.run_sweeps(town.township, date(2026, 11, 23))
    assert _to(town, Role.CADRE) == ["明天您在党代表工作室值班"]


def test_local_storage_keeps_keys_inside_its_directory(tmp_path):
    import pytest

    from app.notices.storage import LocalStorage

    store = LocalStorage(tmp_path / "docs")
    store.put("t1/a.pdf", b"%PDF-1")
    assert store.get("t1/a.pdf") == b"%PDF-1"
    store.delete("t1/a.pdf")
    with pytest.raises(FileNotFoundError):
        store.get("t1/a.pdf")
    with pytest.raises(ValueError):
        store.put("../escape.pdf", b"x")


def test_the_0700_sweep_runs_for_each_townships_own_day(app, world, monkeypatch):
    """Cron fires at 07:00 Beijing time, 23:00 UTC the day before: the sweep is for the Beijing
    day, and a township in another zone is swept for its own day."""
    from datetime import UTC, datetime

    import time_machine

    from app.townships.models import Township

    calls = []
    monkeypatch.setattr(reminders, "run_sweeps", lambda t, day: calls.append((t.slug, day)))
    with app.test_request_context():
        beta = db.session.get(Township, world.b.township.id)
        beta.timezone = "Asia/Urumqi"  # UTC+6
        db.session.commit()
        with time_machine.travel(datetime(2026, 12, 31, 17, 30, tzinfo=UTC), tick=False):
            assert reminders.enqueue_sweeps() == 2
            from app import jobs

            jobs.run_pending()
    # 17:30 UTC: 01:30 on 1 January in Beijing, 23:30 on 31 December in Urumqi.
    assert sorted(calls) == [("alpha", date(2027, 1, 1)), ("beta", date(2026, 12, 31))]

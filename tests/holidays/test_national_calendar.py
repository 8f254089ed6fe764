"""The national calendar for years chinesecalendar does not know (it knows up to 2026).

The schedule used here is an example (tests/holidays/example-2027.txt), not the official one:
2027-01-01 off, 2027-01-04 and -05 off, Saturday 2027-01-09 a make-up working day.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.extensions import db
from app.holidays import operations as ops
from app.matters import operations as matters
from app.matters.models import MatterEvent
from app.tenancy import bind_township
from app.townships.operations import set_calendar_day
from app.townships.workdays import WorkCalendar, library_covers, uncovered_years
from tests import factories
from tests.conftest import csrf, login

EXAMPLE = (Path(__file__).parent / "example-2027.txt").read_text(encoding="utf-8")
# Sunday 20 December 2026, 10:00 in Beijing.
RECEIVED = datetime(2026, 12, 20, 2, 0, tzinfo=UTC)


@pytest.fixture
def town(ctx):
    t = factories.township()
    bind_township(db.session, t.id)
    staff = factories.user(t, Role.CENTRE_STAFF, name="窗口张芳")
    db.session.flush()
    return t, staff


def test_the_library_still_stops_at_2026():
    """When a chinesecalendar release knows 2027, this test says so: the example data here then
    competes with the official schedule (the national entries still win)."""
    assert library_covers(2026) and not library_covers(2027)


def test_parse_reads_days_ranges_csv_and_comments():
    entries = ops.parse(EXAMPLE + "\n2027-01-10,休,CSV 行\n")
    assert [(e.day, e.is_workday) for e in entries] == [
        (date(2027, 1, 1), False), (date(2027, 1, 4), False), (date(2027, 1, 5), False),
        (date(2027, 1, 9), True), (date(2027, 1, 10), False)]
    assert entries[0].name == "元旦（示例）"


def test_parse_names_each_bad_line():
    with pytest.raises(ops.ScheduleError) as caught:
        ops.parse("2027-01-01 休 元旦\n2027-02-30 休 无此日\n2027-01-06 班 周三不能调休\n"
                  "2027-01-01 休 重复\n元旦放假\n2027-01-02 玩 未知\n")
    assert [n for n, _m in caught.value.errors] == [2, 3, 4, 5, 6]


def test_fifteen_working_days_from_20_december_before_and_after_the_2027_schedule(town):
    t, staff = town
    m = matters.create_matter(t, channel="phone", title="路灯不亮", actor=staff, workdays=15,
                              now=RECEIVED)
    closed = matters.create_matter(t, channel="hall", title="已办结", actor=staff, workdays=15,
                                   now=RECEIVED)
    matters.reply(closed, staff, public_text="已办")
    db.session.flush()
    # Before: 2027 by weekends only (Dec 21–25, 28–31, Jan 1, 4–8), and it says so.
    assert m.due_on == date(2027, 1, 8)
    assert matters.due_is_estimate(m) and uncovered_years(t.id, date(2026, 12, 20)) == [2027]

    operator = factories.create_operator()
    result = ops.enter_schedule(ops.parse(EXAMPLE), operator, source="示例")
    db.session.flush()
    db.session.refresh(m)
    # After: Jan 1, 4, 5 off, Saturday Jan 9 worked: Dec 21–25, 28–31, Jan 6–9 (13), 11, 12.
    assert m.due_on == date(2027, 1, 12)
    assert not matters.due_is_estimate(m) and uncovered_years(t.id, date(2026, 12, 20)) == []
    assert result.years == [2027] and result.changed == {t.slug: 1}
    event = db.session.scalars(select(MatterEvent).where(
        MatterEvent.matter_id == m.id, MatterEvent.kind == "due_recomputed")).one()
    assert event.actor_id == operator.id
    assert (event.data["old_due_on"], event.data["new_due_on"]) == ("2027-01-08", "2027-01-12")
    assert not db.session.scalars(select(MatterEvent).where(
        MatterEvent.matter_id == closed.id, MatterEvent.kind == "due_recomputed")).all()
    audit = db.session.scalars(select(AuditEvent).where(
        AuditEvent.township_id == t.id, AuditEvent.action == "calendar.national_due_dates")).one()
    assert audit.actor_id == operator.id and audit.after == {"due_on": {m.number: "2027-01-12"}}
    # Entering the same schedule again moves nothing.
    assert ops.enter_schedule(ops.parse(EXAMPLE), operator).changed == {}


def test_a_make_up_saturday_is_a_working_day(town):
    t, _staff = town
    ops.enter_schedule(ops.parse(EXAMPLE), None)
    calendar = WorkCalendar.for_township(t.id)
    assert calendar.is_workday(date(2027, 1, 9))  # Saturday, 调休
    assert not calendar.is_workday(date(2027, 1, 16))  # an ordinary Saturday
    assert not calendar.is_workday(date(2027, 1, 4))  # Monday, off
    assert calendar.is_public_holiday(date(2027, 1, 4)) and not calendar.is_public_holiday(
        date(2027, 1, 9))
    assert calendar.add_workdays(date(2027, 1, 7), 2) == date(2027, 1, 9)


def test_a_township_holiday_on_top_of_the_national_one(town):
    t, staff = town
    ops.enter_schedule(ops.parse(EXAMPLE), None)
    set_calendar_day(t, date(2027, 1, 6), is_workday=False, note="本镇集市停办")
    set_calendar_day(t, date(2027, 1, 9), is_workday=False, note="本镇不调休")
    db.session.flush()
    calendar = WorkCalendar.for_township(t.id)
    assert not calendar.is_workday(date(2027, 1, 6)) and not calendar.is_workday(date(2027, 1, 9))
    assert calendar.is_workday(date(2027, 1, 7))
    m = matters.create_matter(t, channel="phone", title="积水", actor=staff, workdays=15,
                              now=RECEIVED)
    # Dec 21–25, 28–31 (9), Jan 7, 8, 11, 12, 13, 14 (the 9th is off here).
    assert m.due_on == date(2027, 1, 14)


def test_the_matter_page_and_the_ledger_say_a_due_date_is_counted_by_weekends(app, client):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township()
        bind_township(db.session, t.id)
        staff = factories.user(t, Role.CENTRE_STAFF)
        m = matters.create_matter(t, channel="phone", title="路灯不亮", actor=staff,
                                  workdays=15, now=RECEIVED)
        db.session.commit()
        bind_township(db.session, None)
    login(client, staff)
    note = "按周末推算，待国家放假安排公布后重算"
    assert note in client.get(f"/t/{t.slug}/matters/{m.id}").text
    assert note in client.get(f"/t/{t.slug}/matters/").text
    with app.app_context():
        ops.enter_schedule(ops.parse(EXAMPLE), None)
        db.session.commit()
    page = client.get(f"/t/{t.slug}/matters/{m.id}").text
    assert note not in page and "承诺办结日期重算" in page
    assert "2027年01月08日 → 2027年01月12日" in page
    assert note not in client.get(f"/t/{t.slug}/matters/").text


def test_the_receipt_says_so_too(app, ctx):
    from app.notices.pdf import render_pdf
    from tests.notices.helpers import pdf_text

    t = factories.township()
    bind_township(db.session, t.id)
    staff = factories.user(t, Role.CENTRE_STAFF)
    m = matters.create_matter(t, channel="phone", title="路灯不亮", actor=staff, workdays=15,
                              now=RECEIVED)
    db.session.flush()
    from app.notices.documents import receipt_context

    text = pdf_text(render_pdf("receipt.html", township=t, **receipt_context(t, m.id)))
    assert "按周末推算" in text.replace("\n", "")


def test_the_operator_enters_the_schedule_on_the_page(app, client):
    with app.app_context():
        db.session().expire_on_commit = False
        operator = factories.create_operator()
        db.session.commit()
    login(client, operator)
    page = client.get("/platform/calendar/")
    assert page.status_code == 200 and "2027 年的国家放假安排尚未录入" in page.text
    bad = client.post("/platform/calendar/", data={
        "csrf_token": csrf(page.text), "text": "2027-01-01 休 元旦\n2027-01-06 班 周三"})
    assert bad.status_code == 422 and "第 2 行" in bad.text and "2027-01-06 班 周三" in bad.text
    done = client.post("/platform/calendar/", data={
        "csrf_token": csrf(page.text), "text": EXAMPLE, "source": "示例"},
        follow_redirects=True)
    assert done.status_code == 200 and "已录入 2027 年的放假安排（4 天）" in done.text
    year = client.get("/platform/calendar/2027")
    assert "示例调休" in year.text and "调休上班" in year.text
    assert "2027 年的国家放假安排尚未录入" not in client.get("/platform/calendar/").text


def test_the_command_reads_a_file(app, tmp_path):
    path = tmp_path / "2027.txt"
    path.write_text(EXAMPLE, encoding="utf-8")
    runner = app.test_cli_runner()
    checked = runner.invoke(args=["minqing", "national-calendar", "--check", str(path)])
    assert checked.exit_code == 0 and "4 days in 2027 (3 off, 1 make-up" in checked.output
    with app.app_context():
        assert ops.years_entered() == []
    entered = runner.invoke(args=["minqing", "national-calendar", str(path)])
    assert entered.exit_code == 0, entered.output
    with app.app_context():
        assert [y.year for y in ops.years_entered()] == [2027]
        assert re.search("2027", ops.years_entered()[0].source)
    path.write_text("2027-01-06 班 周三\n", encoding="utf-8")
    refused = runner.invoke(args=["minqing", "national-calendar", str(path)])
    assert refused.exit_code != 0 and "line 1" in refused.output

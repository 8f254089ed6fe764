"""Escalation to the county (四级联动): one matter, one timeline in the township's ledger; the
department answers through the ledger's reply, or hands it back; overdue ones are reminded."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.counties import operations as ops
from app.counties.models import CountyEscalation, CountyRole, EscalationState
from app.extensions import db
from app.matters import operations as ledger
from app.matters.models import Level, Matter, Reply, State
from app.tenancy import bind_township
from tests import factories
from tests.conftest import csrf, login


def _fresh_matter(app, town, title="危房改造补助"):
    with app.app_context():
        bind_township(db.session, town.township.id)
        m = factories.matter(town.township, title=title, actor=town.users[Role.TOWNSHIP_ADMIN])
        db.session.commit()
        return m.id, m.number


def _matter(matter_id, town):
    bind_township(db.session, town.township.id)
    return db.session.get(Matter, (town.township.id, matter_id))


def test_township_escalates_and_the_department_answers(app, world, client):
    a = world.a
    matter_id, number = _fresh_matter(app, a)
    login(client, a.users[Role.LEADER])
    page = f"/t/alpha/county/matters/{matter_id}/escalate"
    html = client.get(page).get_data(True)
    assert "民政局" in html
    # Without a reason: the form comes back with its error, keeping the department chosen.
    response = client.post(page, data={"csrf_token": csrf(html),
                                       "department": str(a.objects.department.id), "reason": ""})
    assert response.status_code == 422
    response = client.post(page, data={"csrf_token": csrf(html),
                                       "department": str(a.objects.department.id),
                                       "reason": "涉及低保认定，乡镇无权审批"})
    assert response.status_code == 302
    with app.app_context():
        m = _matter(matter_id, a)
        assert (m.state, m.level, m.unit_name) == (State.ESCALATED, Level.COUNTY, "民政局")
        escalation = db.session.scalars(select(CountyEscalation).where(
            CountyEscalation.matter_id == matter_id)).one()
        assert escalation.state == EscalationState.OPEN
        assert escalation.due_on > ledger.local_today(a.township)
        kinds = [(e.kind, e.data.get("department")) for e in m.events]
        assert kinds[-1] == ("escalated", "民政局")
        escalation_id = escalation.id

    staff = a.objects.county_users[CountyRole.DEPARTMENT_STAFF]
    login(client, staff)
    county_page = f"/c/{a.objects.county.slug}/escalations/{escalation_id}"
    html = client.get(county_page).get_data(True)
    assert number in html and "提交答复" in html
    response = client.post(county_page + "/answer", data={
        "csrf_token": csrf(html), "public_text": "已按政策纳入低保，本月起发放。"})
    assert response.status_code == 302
    with app.app_context():
        m = _matter(matter_id, a)
        assert m.state == State.REPLIED
        reply = db.session.scalars(select(Reply).where(Reply.matter_id == matter_id)).one()
        assert (reply.public_text, reply.author_id) == ("已按政策纳入低保，本月起发放。", staff.id)
        escalation = db.session.scalars(select(CountyEscalation).where(
            CountyEscalation.matter_id == matter_id)).one()
        assert escalation.state == EscalationState.REPLIED
        # One timeline, in the township's ledger: escalated, then the department's reply.
        assert [e.kind for e in m.events][-2:] == ["escalated", "replied"]
        # The resident rates as for any reply; the rating is the township's and the county's.
        ledger.evaluate(m, rating="satisfied", source="resident_link")
        db.session.commit()
        from app.counties.figures import department_figures, figures

        bind_township(db.session, None)
        today = ledger.local_today(a.township)
        start, end = today.replace(day=1), today + timedelta(days=1)
        dept = department_figures(a.objects.county.id, [a.township.id], start, end, today)[
            a.objects.department.id]
        assert (dept.escalated, dept.answered, dept.answered_on_time) == (2, 1, 1)
        assert (dept.rated, dept.happy) == (1, 1)
        township = figures([a.township.id], start, end, today)[a.township.id]
        assert (township.rated, township.happy, township.escalated) == (1, 1, 2)
    login(client, a.users[Role.LEADER])
    detail = client.get(f"/t/alpha/matters/{matter_id}").get_data(True)
    assert "已按政策纳入低保" in detail


def test_left_to_the_supervisor_then_dispatched_then_handed_back(app, world, client):
    a = world.a
    matter_id, _number = _fresh_matter(app, a, "跨镇道路修缮")
    with app.app_context():
        m = _matter(matter_id, a)
        escalation = ops.escalate_to_county(m, a.users[Role.TOWNSHIP_ADMIN], reason="跨两个乡镇")
        db.session.commit()
        assert escalation.state == EscalationState.WAITING
        escalation_id = escalation.id
    # The department does not see what is not yet its own; the supervisor does.
    login(client, a.objects.county_users[CountyRole.DEPARTMENT_STAFF])
    page = f"/c/{a.objects.county.slug}/escalations/{escalation_id}"
    assert client.get(page).status_code == 404
    login(client, a.objects.county_users[CountyRole.COUNTY_SUPERVISOR])
    html = client.get(page).get_data(True)
    assert "分派" in html
    assert client.post(page + "/dispatch", data={
        "csrf_token": csrf(html), "department": str(a.objects.department.id)}).status_code == 302
    login(client, a.objects.county_users[CountyRole.DEPARTMENT_STAFF])
    html = client.get(page).get_data(True)
    assert client.post(page + "/return", data={"csrf_token": csrf(html), "reason": ""}
                       ).status_code == 422
    assert client.post(page + "/return", data={
        "csrf_token": csrf(html), "reason": "属交通局职责，请乡镇先报交通部门"}).status_code == 302
    with app.app_context():
        m = _matter(matter_id, a)
        assert (m.state, m.level) == (State.IN_PROGRESS, Level.TOWNSHIP)
        assert [e.kind for e in m.events][-3:] == ["escalated", "county_dispatched",
                                                   "handed_back"]
        assert m.events[-1].data["reason"] == "属交通局职责，请乡镇先报交通部门"
        escalation = db.session.get(CountyEscalation, (a.township.id, escalation_id))
        assert escalation.state == EscalationState.RETURNED
        # The township may send it up again.
        again = ops.escalate_to_county(m, a.users[Role.TOWNSHIP_ADMIN], reason="已补材料",
                                       department=escalation.department)
        assert again.state == EscalationState.OPEN


def test_a_township_without_a_county_cannot_escalate_to_one(app, world):
    with app.app_context():
        t = factories.township()
        bind_township(db.session, t.id)
        m = factories.matter(t)
        with pytest.raises(ledger.TransitionError):
            ops.escalate_to_county(m, None, reason="x")


def test_another_countys_department_is_refused(app, world):
    with app.app_context():
        bind_township(db.session, world.a.township.id)
        m = factories.matter(world.a.township)
        from app.counties.models import Department

        foreign = db.session.get(Department, world.b.objects.department.id)
        with pytest.raises(ledger.TransitionError):
            ops.escalate_to_county(m, None, reason="x", department=foreign)


def test_overdue_escalations_remind_the_department_and_the_supervisor(app, world):
    from app.counties.reminders import sweep
    from app.notices.models import Notification
    from app.townships.models import Township

    a = world.a
    with app.app_context():
        bind_township(db.session, a.township.id)
        township = db.session.get(Township, a.township.id)
        escalation = db.session.get(CountyEscalation, (a.township.id, a.objects.escalation.id))
        assert sweep(township, escalation.due_on) == 0  # due today: not yet overdue
        late_day = escalation.due_on + timedelta(days=1)
        assert sweep(township, late_day) == 2
        assert sweep(township, late_day) == 0  # once per escalation and deadline
        db.session.commit()
        users = set(db.session.scalars(select(Notification.user_id)))
        assert users == {a.objects.county_users[CountyRole.DEPARTMENT_STAFF].id,
                         a.objects.county_users[CountyRole.COUNTY_SUPERVISOR].id}


def test_the_countys_deadline_is_its_working_days(app, world):
    from app.counties.models import County

    with app.app_context():
        county = db.session.get(County, world.a.objects.county.id)
        county.escalation_workdays = 3
        bind_township(db.session, world.a.township.id)
        m = factories.matter(world.a.township)
        from datetime import UTC, datetime

        friday = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # 10:00 in China, a Friday
        escalation = ops.escalate_to_county(m, None, reason="x", now=friday)
        assert escalation.due_on == date(2026, 12, 2)  # Mon, Tue, Wed

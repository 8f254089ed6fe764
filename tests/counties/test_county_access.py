"""County pages × county roles × two counties (beside tests/test_access.py).

County A holds township A, county B township B (tests/route_params/counties.py). Every county
route is walked with each of county A's roles, with county B's people, with township staff, and
with county B's ids on county A's pages: a foreign id or a stranger is a 404.
"""

from __future__ import annotations

import pytest
from flask import url_for
from sqlalchemy import select

from app.accounts.models import Role
from app.counties.models import CountyRole
from tests.conftest import login
from tests.route_params import all_params

COUNTY_ROLES = list(CountyRole)


def _county_rules(app, method="GET"):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("counties.county.") and method in rule.methods:
            yield rule, app.view_functions[rule.endpoint].access


def _url(app, rule, town, params, id_town=None) -> str:
    values = {}
    for arg in rule.arguments:
        source = town if arg == "county_slug" else (id_town or town)
        values[arg] = params[arg](source)
    with app.test_request_context():
        return url_for(rule.endpoint, **values)


def test_county_rules_are_county_rules(app):
    rules = list(_county_rules(app))
    assert len(rules) >= 10
    assert all(access.kind == "county" for _r, access in rules)


@pytest.mark.parametrize("role", COUNTY_ROLES, ids=[r.value for r in COUNTY_ROLES])
def test_each_county_role_in_its_own_county(app, world, client, role):
    params = all_params()
    login(client, world.a.objects.county_users[role])
    failures = []
    for rule, access in _county_rules(app):
        url = _url(app, rule, world.a, params)
        status = client.get(url).status_code
        allowed = not access.roles or role in access.roles
        if (status >= 400) if allowed else status != 403:
            failures.append((url, access.describe(), status))
    assert failures == []


@pytest.mark.parametrize("role", COUNTY_ROLES, ids=[r.value for r in COUNTY_ROLES])
def test_another_countys_people_find_nothing(app, world, client, role):
    params = all_params()
    login(client, world.b.objects.county_users[role])
    failures = []
    for method in ("GET", "POST"):
        for rule, _access in _county_rules(app, method):
            url = _url(app, rule, world.a, params)
            app.config["WTF_CSRF_ENABLED"] = False
            try:
                status = client.open(url, method=method, data={}).status_code
            finally:
                app.config["WTF_CSRF_ENABLED"] = True
            if status != 404:
                failures.append((method, url, status))
    assert failures == []


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_township_staff_find_no_county_page(app, world, client, role):
    """Even the staff of a township of county A: the county's pages are not theirs."""
    params = all_params()
    login(client, world.a.users[role])
    failures = [(url, status) for rule, _a in _county_rules(app)
                if (status := client.get(url := _url(app, rule, world.a, params)).status_code)
                != 404]
    assert failures == []


def test_county_b_ids_on_county_a_pages_are_not_found(app, world, client):
    params = all_params()
    failures = []
    for role in COUNTY_ROLES:
        login(client, world.a.objects.county_users[role])
        for rule, access in _county_rules(app):
            if rule.arguments == {"county_slug"}:
                continue
            if access.roles and role not in access.roles:
                continue
            url = _url(app, rule, world.a, params, id_town=world.b)
            status = client.get(url).status_code
            if status != 404:
                failures.append((role.value, url, status))
    assert failures == []


def test_visitors_are_sent_to_sign_in(app, world, client):
    params = all_params()
    for rule, _access in _county_rules(app):
        response = client.get(_url(app, rule, world.a, params))
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_county_reading_a_matter_is_in_the_townships_audit_log(app, world, client):
    from app.audit.models import AuditEvent
    from app.extensions import db

    leader = world.a.objects.county_users[CountyRole.COUNTY_LEADER]
    login(client, leader)
    matter_id = world.a.objects.matter.id
    assert client.get(f"/c/{world.a.objects.county.slug}/matters/{matter_id}").status_code == 200
    # The same matter id through county B is not found, and leaves no trace.
    login(client, world.b.objects.county_users[CountyRole.COUNTY_LEADER])
    assert client.get(f"/c/{world.b.objects.county.slug}/matters/{matter_id}").status_code == 404
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "county.read")).all()
        assert [(e.township_id, e.actor_id, e.actor_kind, e.target_id) for e in events] == [
            (world.a.township.id, leader.id, "county", str(matter_id))]


def test_a_department_sees_only_its_own_escalations(app, world, client):
    from app.counties import operations as ops
    from app.extensions import db
    from tests.factories import create_user

    with app.app_context():
        from app.counties.models import County

        county = db.session.get(County, world.a.objects.county.id)
        other = ops.add_department(county, "人社局")
        someone = create_user(username="rsj-staff", name="人社局干部")
        ops.grant_county_role(county, someone, CountyRole.DEPARTMENT_STAFF, other)
        db.session.commit()
        someone_id = someone.id
    login(client, someone_id)
    page = f"/c/{world.a.objects.county.slug}/escalations"
    assert world.a.objects.escalated_matter.number not in client.get(page).get_data(True)
    assert client.get(f"{page}/{world.a.objects.escalation.id}").status_code == 404
    login(client, world.a.objects.county_users[CountyRole.DEPARTMENT_STAFF])
    assert world.a.objects.escalated_matter.number in client.get(page).get_data(True)

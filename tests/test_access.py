"""Every route × every role × both townships (DESIGN §8).

The routes are read from the application's URL map, so a new route is covered the day it is added;
its URL parameters come from tests/route_params. Each test walks all routes and reports every
failing one at once.
"""

from __future__ import annotations

import pytest
from flask import url_for

from app.access import Rule
from app.accounts.models import Role
from app.extensions import db
from app.tenancy import bind_township
from app.townships.operations import set_service
from tests.conftest import login
from tests.route_params import (
    all_params,
    csrf_exempt,
    not_ids,
    owned_endpoints,
    scoped_elsewhere,
)

ROLES = list(Role)
SIGN_IN_ADDRESSES = {"townships.login"}  # public pages whose whole point is the sign-in page


def _rules(app, method: str):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or method not in rule.methods:
            continue
        yield rule, app.view_functions[rule.endpoint].access


def _url(app, rule, town, params) -> str:
    values = {}
    for arg in rule.arguments:
        if arg == "slug":
            values["slug"] = town.township.slug
        elif arg in params:
            values[arg] = params[arg](town)
        else:
            pytest.fail(f"{rule.endpoint}: no test value for URL parameter <{arg}>; "
                        "add one in tests/route_params/")
    with app.test_request_context():
        return url_for(rule.endpoint, **values)


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers.get("Location", "")


def test_every_view_declares_who_may_use_it(app):
    undeclared = [e for e, v in app.view_functions.items()
                  if e != "static" and not isinstance(getattr(v, "access", None), Rule)]
    assert undeclared == []


def test_anonymous_visitor(app, world, client):
    params = all_params()
    failures = []
    for rule, access in _rules(app, "GET"):
        url = _url(app, rule, world.a, params)
        response = client.get(url)
        if access.kind == "public":
            # /t/<slug>/login is the township's address of the sign-in page: it leads there.
            to_login_ok = rule.endpoint in SIGN_IN_ADDRESSES
            if response.status_code >= 500 or (_is_login_redirect(response)
                                               and not to_login_ok):
                failures.append((url, response.status_code))
        elif not _is_login_redirect(response):
            failures.append((url, response.status_code))
    assert failures == []


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_each_role_in_its_own_township(app, world, client, role):
    params = all_params()
    owned = owned_endpoints()
    login(client, world.a.users[role])
    failures = []
    for rule, access in _rules(app, "GET"):
        url = _url(app, rule, world.a, params)
        status = client.get(url).status_code
        if access.kind == "staff":
            allowed = not access.roles or role in access.roles
            if rule.endpoint in owned and role not in owned[rule.endpoint]:
                expected_ok = status in (403, 404)
            else:
                expected_ok = status < 400 if allowed else status == 403
            if not expected_ok:
                failures.append((url, access.describe(), status))
        elif access.kind == "operator" and status != 404:
            failures.append((url, "operator", status))
        elif status >= 500:
            failures.append((url, access.describe(), status))
    assert failures == []


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_staff_of_another_township_find_nothing(app, world, client, role):
    """Township B's staff on township A's pages: 404, as if the page did not exist."""
    params = all_params()
    login(client, world.b.users[role])
    failures = []
    for rule, access in _rules(app, "GET"):
        if access.kind != "staff":
            continue
        url = _url(app, rule, world.a, params)
        status = client.get(url).status_code
        if status != 404:
            failures.append((url, status))
    assert failures == []


def test_ids_of_another_township_are_not_found(app, world, client):
    """Township A's pages given township B's ids answer 404, for every role and for visitors."""
    params = all_params()
    failures = []
    for role in [None, *ROLES]:
        if role is not None:
            login(client, world.a.users[role])
        for rule, access in _rules(app, "GET"):
            id_args = [a for a in rule.arguments
                       if a not in ("slug", "township_id") and a not in not_ids()]
            if not id_args or access.kind == "operator" or rule.endpoint in scoped_elsewhere():
                continue
            if access.kind == "staff" and (role is None or (access.roles and
                                                            role not in access.roles)):
                continue
            if access.kind in ("signed_in", "county") and role is None:
                continue  # a visitor is sent to the login page (test_anonymous_visitor)
            values = {"slug": world.a.township.slug}
            values.update({a: params[a](world.a) for a in rule.arguments
                           if a in not_ids() and a in params})
            values.update({a: params[a](world.b) for a in id_args})
            with app.test_request_context():
                url = url_for(rule.endpoint, **values)
            status = client.get(url).status_code
            if status != 404:
                failures.append((role and role.value, url, status))
    assert failures == []


def test_switched_off_service_model_answers_404(app, world, client):
    params = all_params()
    from app.service_models import REGISTRY

    login(client, world.a.users[Role.TOWNSHIP_ADMIN])
    failures = []
    for key, model in REGISTRY.items():
        with app.app_context():
            bind_township(db.session, world.a.township.id)
            from app.townships.models import Township

            town = db.session.get(Township, world.a.township.id)
            set_service(town, key, enabled=False)
            db.session.commit()
        for rule, _access in _rules(app, "GET"):
            if rule.endpoint.split(".")[0] != model.blueprint.name:
                continue
            url = _url(app, rule, world.a, params)
            status = client.get(url).status_code
            if status != 404:
                failures.append((key, url, status))
        with app.app_context():
            bind_township(db.session, world.a.township.id)
            town = db.session.get(Township, world.a.township.id)
            set_service(town, key, enabled=True)
            db.session.commit()
    assert failures == []


def test_state_changing_requests_need_a_csrf_token(app, world, client):
    params = all_params()
    login(client, world.a.users[Role.TOWNSHIP_ADMIN])
    failures = []
    for rule, _access in _rules(app, "POST"):
        if rule.endpoint in csrf_exempt():
            continue
        url = _url(app, rule, world.a, params)
        status = client.post(url, data={}).status_code
        if status != 400:
            failures.append((url, status))
    assert failures == []


@pytest.mark.parametrize("who", ["anonymous", "foreign", *[r.value for r in ROLES]])
def test_post_routes_check_access_too(app, world, client, who):
    """With CSRF out of the way, posting still meets the same rule as reading."""
    params = all_params()
    owned = owned_endpoints()
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        failures = []
        for rule, access in _rules(app, "POST"):
            if access.kind == "public":
                continue
            # Signed in afresh each time: one of the routes is "sign out".
            if who == "foreign":
                login(client, world.b.users[Role.TOWNSHIP_ADMIN])
            elif who != "anonymous":
                login(client, world.a.users[Role(who)])
            url = _url(app, rule, world.a, params)
            response = client.post(url, data={})
            status = response.status_code
            if who == "anonymous":
                ok = _is_login_redirect(response)
            elif who == "foreign":
                ok = status == 404 or access.kind == "signed_in"
            elif access.kind == "staff":
                allowed = not access.roles or Role(who) in access.roles
                if rule.endpoint in owned and Role(who) not in owned[rule.endpoint]:
                    ok = status in (403, 404)
                else:
                    ok = status != 403 and status != 404 if allowed else status == 403
            elif access.kind == "operator":
                ok = status == 404
            else:
                ok = status < 500
            if not ok:
                failures.append((url, access.describe(), status))
        assert failures == []
    finally:
        app.config["WTF_CSRF_ENABLED"] = True


def test_a_village_assistant_finds_no_household_of_another_village(app, world, client):
    """A village assistant of 东村, given a household of another village of their own township:
    every registry page about one household answers 404, GET and POST alike."""
    from tests import factories

    with app.app_context():
        bind_township(db.session, world.a.township.id)
        west = factories.household(world.a.township, factories.village(world.a.township, "西村"),
                                   head="赵西村")
        west_id = west.id
        db.session.commit()
    params = {**all_params(), "household_id": lambda town: west_id}
    app.config["WTF_CSRF_ENABLED"] = False
    failures = []
    try:
        for method in ("GET", "POST"):
            for rule, access in _rules(app, method):
                if "household_id" not in rule.arguments or \
                        not rule.endpoint.startswith("households."):
                    continue
                if access.roles and Role.VILLAGE_ASSISTANT not in access.roles:
                    continue
                login(client, world.a.users[Role.VILLAGE_ASSISTANT])
                url = _url(app, rule, world.a, params)
                status = client.open(url, method=method, data={}).status_code
                if status != 404:
                    failures.append((method, url, status))
        # ... while their own village's household opens.
        login(client, world.a.users[Role.VILLAGE_ASSISTANT])
        own = client.get(f"/t/{world.a.township.slug}/households/"
                         f"{world.a.objects.household.id}")
        assert own.status_code == 200
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    assert failures == []

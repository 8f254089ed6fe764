"""The county demo: 演示县 over three demo townships, with everything its pages show."""

from __future__ import annotations

from flask import url_for
from sqlalchemy import func, select

from app.cli import load_demo
from app.counties.demo import CODE, PEOPLE
from app.counties.models import County, CountyEscalation, CountyReport, CountySpotCheck
from app.extensions import db
from app.households.models import Household
from app.tenancy import bind_township
from app.townships.models import Township
from tests.conftest import login


def test_the_demo_has_a_county_and_every_county_page_opens(app, client):
    app.config["DEMO_MODE"] = True
    try:
        with app.app_context():
            load_demo()
            bind_township(db.session, None)
            county = db.session.scalar(select(County).where(County.code == CODE))
            towns = db.session.scalars(select(Township.id).where(
                Township.county_id == county.id)).all()
            assert len(towns) >= 3 and len(county.departments) >= 3
            states = db.session.scalars(select(CountyEscalation.state).execution_options(
                all_townships=True)).all()
            assert "replied" in states and "open" in states
            from app.clock import township_today

            # The township's day (the app's clock, moved in tests), not the database server's.
            overdue = db.session.scalar(select(func.count()).select_from(CountyEscalation)
                                        .where(CountyEscalation.state == "open",
                                               CountyEscalation.due_on < township_today()),
                                        execution_options={"all_townships": True})
            assert overdue >= 1
            from app.accounts.operations import find_user

            cadres = [find_user("county-cadre").id, find_user("county-cadre2").id]
            linked_towns = db.session.scalar(
                select(func.count(func.distinct(Household.township_id)))
                .where(Household.contact_cadre_id.in_(cadres)),
                execution_options={"all_townships": True})
            assert linked_towns == 2
            assert db.session.scalar(select(func.count()).select_from(CountySpotCheck)) == 1
            assert db.session.scalar(select(CountyReport.state)) == "ready"
            users = {username: find_user(username).id for username, *_ in PEOPLE}
            slug = county.slug
        login_page = client.get("/login").get_data(True)
        assert "county-admin" in login_page and "dept-minzheng" in login_page
        rules = [r for r in app.url_map.iter_rules() if "GET" in r.methods
                 and r.endpoint.startswith("counties.county.") and r.arguments == {"county_slug"}]
        failures = []
        for username, user_id in users.items():
            login(client, user_id)
            for rule in rules:
                with app.test_request_context():
                    url = url_for(rule.endpoint, county_slug=slug)
                status = client.get(url).status_code
                if status >= 500 or status == 404:
                    failures.append((username, url, status))
        assert failures == []
    finally:
        app.config["DEMO_MODE"] = False

"""The demo: every demo township loads from tenants/, and every page without an id in its address
opens for every demo account and for visitors, without a server error."""

from __future__ import annotations

from flask import url_for
from sqlalchemy import select

from app.accounts.models import RoleGrant, User
from app.cli import load_demo
from app.extensions import db
from app.tenancy import bind_township
from app.townships.models import Township
from app.townships.profiles import demo_profiles
from tests.conftest import login


def test_demo_loads_every_profile_and_every_page_opens(app, client):
    with app.app_context():
        assert load_demo() == len(demo_profiles())
        assert load_demo() == 0  # idempotent
        bind_township(db.session, None)
        townships = db.session.scalars(select(Township).where(Township.is_demo.is_(True))).all()
        accounts = db.session.execute(
            select(User.id, Township.slug).join(RoleGrant, RoleGrant.user_id == User.id)
            .join(Township, Township.id == RoleGrant.township_id).distinct(),
            execution_options={"all_townships": True},
        ).all()
        slugs = [t.slug for t in townships]
    rules = [r for r in app.url_map.iter_rules()
             if "GET" in r.methods and r.endpoint != "static" and r.arguments <= {"slug"}]
    failures = []

    def walk(slug_list):
        for slug in slug_list:
            for rule in rules:
                with app.test_request_context():
                    url = url_for(rule.endpoint, **({"slug": slug} if "slug" in rule.arguments
                                                     else {}))
                status = client.get(url).status_code
                if status >= 500:
                    failures.append((url, status))

    walk(slugs)
    for user_id, slug in accounts:
        login(client, user_id)
        walk([slug])
    assert accounts and failures == []

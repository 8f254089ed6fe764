"""Who may use a county's pages: `@county_staff(*roles)`, the county's own access decorator.

A county page lives under /c/<county_slug>/. It is open to people holding one of `roles` in that
county (no roles: any county role). Anyone else signed in gets a 404, as if the page did not
exist (township staff and another county's staff alike); a county role without the page's role
gets a 403. The rule is a `Rule`, so app.access.check_all_views_declare_access accepts it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import abort, g
from flask_login import current_user

from app.access import Rule, _attach
from app.counties.models import CountyRole, county_roles
from app.extensions import login_manager


@dataclass(frozen=True)
class CountyRule(Rule):
    def allows(self, user, township=None) -> bool:
        county = g.get("county")
        if county is None or not getattr(user, "is_authenticated", False):
            return False
        held = held_roles(user, county)
        return bool(held) and (not self.roles or bool(held & self.roles))

    def describe(self) -> str:
        return "county:" + (",".join(sorted(self.roles)) or "any")


def held_roles(user, county) -> set[CountyRole]:
    """The roles `user` holds in `county`, cached for the request."""
    cache = g.setdefault("_county_roles_cache", {})
    key = (user.id, county.id)
    if key not in cache:
        cache[key] = county_roles(user, county.id)
    return cache[key]


def county_staff(*roles: CountyRole | str) -> Callable[[Callable], Callable]:
    rule = CountyRule("county", frozenset(CountyRole(r) for r in roles))

    def decorate(view: Callable) -> Callable:
        def check():
            if not current_user.is_authenticated:
                abort(login_manager.unauthorized())
            county = g.get("county")
            if county is None:
                abort(404)
            held = held_roles(current_user, county)
            if not held:
                abort(404)
            if rule.roles and not held & rule.roles:
                abort(403)

        return _attach(view, rule, check)

    return decorate


def has_county_role(*roles: CountyRole | str) -> bool:
    """For templates: does the current user hold any of `roles` in this page's county?"""
    county = g.get("county")
    if county is None or not current_user.is_authenticated:
        return False
    held = held_roles(current_user, county)
    return bool(held & {CountyRole(r) for r in roles}) if roles else bool(held)

"""Who may use which page: one decorator per view, checked in one place.

Every view states its rule with one of the decorators below. create_app() refuses to start if a view
has none, so a new route cannot silently be open; tests/test_access.py walks every route with every
role and with another township's ids.

- `public`: anyone, residents included (no account).
- `staff(*roles)`: signed in and holding one of `roles` in the township of the URL (no roles:
  any role there). A signed-in user with no role in that township gets a 404, as if the page
  did not exist.
- `signed_in`: any signed-in user, outside a township's pages (choosing a township, signing out).
- `operator`: the platform's own operator, who creates townships.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps

from flask import abort, g
from flask_login import current_user

from app.accounts.models import Role
from app.extensions import login_manager


@dataclass(frozen=True)
class Rule:
    kind: str  # "public" | "staff" | "signed_in" | "operator"
    roles: frozenset[Role] = frozenset()

    def allows(self, user, township=None) -> bool:
        """Whether `user` may use a view with this rule (without raising)."""
        if self.kind == "public":
            return True
        if not getattr(user, "is_authenticated", False):
            return False
        if self.kind == "signed_in":
            return True
        if self.kind == "operator":
            return bool(user.is_operator)
        if township is None:
            return False
        held = user_roles(user, township)
        return bool(held) and (not self.roles or bool(held & self.roles))

    def describe(self) -> str:
        if self.kind == "staff":
            return "staff:" + (",".join(sorted(self.roles)) or "any")
        return self.kind


def user_roles(user, township) -> set[Role]:
    """The roles `user` holds in `township`, cached for the request."""
    cache = g.setdefault("_roles_cache", {})
    key = (user.id, township.id)
    if key not in cache:
        cache[key] = user.roles_in(township.id)
    return cache[key]


def _attach(view: Callable, rule: Rule, check: Callable[[], None] | None) -> Callable:
    if check is None:
        view.access = rule
        return view

    @wraps(view)
    def guarded(*args, **kwargs):
        check()
        return view(*args, **kwargs)

    guarded.access = rule
    return guarded


def public(view: Callable) -> Callable:
    return _attach(view, Rule("public"), None)


def signed_in(view: Callable) -> Callable:
    def check():
        if not current_user.is_authenticated:
            abort(login_manager.unauthorized())

    return _attach(view, Rule("signed_in"), check)


def operator(view: Callable) -> Callable:
    def check():
        if not current_user.is_authenticated:
            abort(login_manager.unauthorized())
        if not current_user.is_operator:
            abort(404)

    return _attach(view, Rule("operator"), check)


def staff(*roles: Role | str) -> Callable[[Callable], Callable]:
    rule = Rule("staff", frozenset(Role(r) for r in roles))

    def decorate(view: Callable) -> Callable:
        def check():
            if not current_user.is_authenticated:
                abort(login_manager.unauthorized())
            township = g.get("township")
            if township is None:
                abort(404)
            held = user_roles(current_user, township)
            if not held:
                abort(404)  # another township's staff: the page does not exist for them
            if rule.roles and not held & rule.roles:
                abort(403)

        return _attach(view, rule, check)

    return decorate


def has_role(township, *roles: Iterable[Role | str]) -> bool:
    """For templates and views: does the current user hold any of `roles` here?"""
    if not current_user.is_authenticated or township is None:
        return False
    held = user_roles(current_user, township)
    return bool(held & {Role(r) for r in roles}) if roles else bool(held)


def check_all_views_declare_access(app) -> None:
    missing = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and not isinstance(getattr(view, "access", None), Rule)
    ]
    if missing:
        raise RuntimeError("views without an access rule: " + ", ".join(sorted(missing)))

"""Who may set up a township: the one check (DESIGN-county-accounts §1–2).

- The platform operator: any township.
- A county administrator: the townships of its county, by division code (a township's 9-digit
  code starts with the county's 6-digit code).
- The person an onboarding link was issued to, once they opened it: that one township.
"""

from __future__ import annotations

from sqlalchemy import select

from app.counties.models import CountyRole, counties_of
from app.extensions import db


def county_codes(user) -> list[str]:
    """The 6-digit codes of the counties `user` administers."""
    return [c.code for c in counties_of(user, CountyRole.COUNTY_ADMIN)]


def may_onboard(user, division_code: str | None = None) -> bool:
    """Whether `user` may set up a township (with `division_code`: that township).

    Without a code: whether they may start the wizard or issue links at all (operator, county
    administrator). With one: whether that township is theirs to set up, which also holds for
    the person whose opened onboarding link names it."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "active", False):
        return False
    if user.is_operator:
        return True
    code = (division_code or "").strip()
    codes = county_codes(user)
    if not code:
        return bool(codes)
    if any(code.startswith(c) for c in codes):
        return True
    from app.onboarding.models import OnboardingLink

    return db.session.scalar(select(OnboardingLink.id).where(
        OnboardingLink.used_by_id == user.id, OnboardingLink.division_code == code,
        OnboardingLink.withdrawn_at.is_(None)).limit(1)) is not None


def division_allowed(user, code: str) -> bool:
    """For narrowing the division lists: `code` (province, city, county or township) lies on
    the way to or inside one of the user's counties (operators: everything)."""
    if user.is_operator:
        return True
    return any(code.startswith(c) or c.startswith(code) for c in county_codes(user))

"""Onboarding links: one named person sets up one named township and becomes its first
administrator. The link is one-time and expires; its secret is stored only as a hash."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from sqlalchemy import select

from app.clock import utcnow
from app.counties.models import County
from app.extensions import db
from app.onboarding.access import county_codes, may_onboard
from app.onboarding.models import OnboardingDraft, OnboardingLink
from app.onboarding.wizard import USERNAME_RE
from app.townships.models import Township

LINK_DAYS = 7


class LinkError(ValueError):
    pass


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_link(issuer, *, division_code: str | None, township_name: str, person_name: str,
               username: str, phone: str | None = None, days: int = LINK_DAYS):
    """A new link; returns (link, token). The token is shown once and never stored."""
    from app.divisions import catalog

    code = (division_code or "").strip() or None
    name = (township_name or "").strip()
    if code is not None and not re.fullmatch(r"\d{9}", code):
        raise LinkError("区划代码须为 9 位数字（乡镇级）。")
    if code is None and not issuer.is_operator:
        raise LinkError("县级管理员须填写本县乡镇的区划代码。")
    if not may_onboard(issuer, code):
        raise LinkError("这个乡镇不在您所管的县（区）内。")
    if code is not None:
        owner = db.session.scalar(select(Township.name).where(Township.division_code == code))
        if owner:
            raise LinkError(f"区划代码 {code} 已属于{owner}，一个乡镇只能开通一次。")
        picked = catalog.get(code) if catalog.available() else None
        if picked is not None and not name:
            name = picked.name
    if not name:
        raise LinkError("请填写乡镇（街道）名称。")
    if not (person_name or "").strip():
        raise LinkError("请填写第一位管理员的姓名。")
    if not USERNAME_RE.match((username or "").strip()):
        raise LinkError("用户名须为 3–60 位字母、数字、下划线、点或连字符。")
    if phone and not re.fullmatch(r"1[3-9]\d{9}", phone.strip()):
        raise LinkError("请填写 11 位手机号码。")
    county = db.session.scalar(select(County).where(County.code == code[:6])) if code else None
    token = secrets.token_urlsafe(24)
    link = OnboardingLink(token_hash=_hash(token), division_code=code, township_name=name[:80],
                          person_name=person_name.strip()[:40], username=username.strip(),
                          phone=(phone or "").strip() or None, issued_by_id=issuer.id,
                          county_id=county.id if county else None,
                          expires_at=utcnow() + timedelta(days=days))
    db.session.add(link)
    db.session.flush()
    return link, token


def link_for(token: str) -> OnboardingLink | None:
    """The link of `token`, whatever its state (None for an unknown token)."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(select(OnboardingLink).where(
        OnboardingLink.token_hash == _hash(token)))


def links_visible_to(user) -> list[OnboardingLink]:
    """Operator: every link; a county administrator: those of its counties (or issued by it)."""
    query = select(OnboardingLink).order_by(OnboardingLink.created_at.desc())
    if not user.is_operator:
        codes = county_codes(user)
        counties = select(County.id).where(County.code.in_(codes))
        query = query.where((OnboardingLink.county_id.in_(counties))
                            | (OnboardingLink.issued_by_id == user.id))
    return list(db.session.scalars(query))


def may_manage(user, link: OnboardingLink) -> bool:
    return user.is_operator or link in links_visible_to(user)


def withdraw(link: OnboardingLink) -> None:
    if link.status() == "open":
        link.withdrawn_at = utcnow()


def open_link(link: OnboardingLink, user) -> OnboardingDraft:
    """`user` (the person the link names, signed in) takes the link up: it is used from now on,
    and a draft for that one township is theirs. Raises LinkError when it is not open."""
    from app.onboarding import wizard

    if link.status() != "open":
        raise LinkError("链接已失效。")
    if user.username != link.username:
        raise LinkError("这个链接是发给另一位工作人员的。")
    link.used_at = utcnow()
    link.used_by_id = user.id
    draft = wizard.start(user)
    draft.link_id = link.id
    data = dict(draft.data)
    place = {"name": link.township_name}
    if link.division_code:
        from app.divisions import catalog

        chain = catalog.path_to(link.division_code) if catalog.available() else []
        for level, division in zip(("province", "city", "county", "township"), chain,
                                   strict=False):
            place[level] = division.code
        place["township"] = link.division_code
    data["place"] = place
    data["admin"] = {"name": user.name, "username": user.username, "phone": user.phone or ""}
    draft.data = data
    db.session.flush()
    return draft


def draft_link(draft: OnboardingDraft) -> OnboardingLink | None:
    return db.session.get(OnboardingLink, draft.link_id) if draft.link_id else None

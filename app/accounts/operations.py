"""Accounts: creating people, granting roles, invitations."""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from app.accounts.models import Role, RoleGrant, User
from app.extensions import db

INVITE_MAX_AGE = 7 * 24 * 3600


def find_user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username.strip()))


def create_user(*, username: str, name: str, password: str | None = None, **fields) -> User:
    """A new account; without a password it can only be entered through an invitation."""
    user = User(username=username.strip(), name=name.strip(), **fields)
    if password:
        user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def grant(township, user: User, role: Role | str, *, centre=None, village=None) -> RoleGrant:
    """Give `user` a role in `township` (idempotent)."""
    role = Role(role)
    existing = db.session.scalar(
        select(RoleGrant).where(
            RoleGrant.township_id == township.id,
            RoleGrant.user_id == user.id,
            RoleGrant.role == role.value,
            RoleGrant.centre_id == centre.id if centre else RoleGrant.centre_id.is_(None),
            RoleGrant.village_id == village.id if village else RoleGrant.village_id.is_(None),
        ),
        execution_options={"all_townships": True},
    )
    if existing:
        return existing
    row = RoleGrant(township_id=township.id, user_id=user.id, role=role.value,
                    centre_id=getattr(centre, "id", None), village_id=getattr(village, "id", None))
    db.session.add(row)
    db.session.flush()
    return row


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="minqing-invite")


def invitation_token(user: User) -> str:
    """A link token for setting the first password; it stops working once a password is set."""
    return _serializer().dumps({"u": str(user.id), "h": (user.password_hash or "")[-12:]})


def user_from_invitation(token: str) -> User | None:
    try:
        data = _serializer().loads(token, max_age=INVITE_MAX_AGE)
    except (BadSignature, SignatureExpired):
        return None
    user = db.session.get(User, _uuid(data.get("u")))
    if user is None or (user.password_hash or "")[-12:] != data.get("h"):
        return None
    return user


def _uuid(value):
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None

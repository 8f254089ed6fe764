"""Accounts (platform-wide people) and the roles they hold in each township (tenant rows)."""

from __future__ import annotations

import uuid
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models import (
    LabelledEnum,
    TenantScoped,
    UTCDateTime,
    new_id,
    tenant_fk,
    tenant_relationship,
    township_fk,
    utcnow,
)

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """The stored form of a password (argon2, deliberately slow: about half a second)."""
    return _hasher.hash(password)


class Role(LabelledEnum):
    TOWNSHIP_ADMIN = "township_admin"
    LEADER = "leader"
    CENTRE_STAFF = "centre_staff"
    VILLAGE_ASSISTANT = "village_assistant"
    CADRE = "cadre"
    PARTY_REP = "party_rep"

    @classmethod
    def labels(cls) -> dict[str, str]:
        from flask_babel import gettext as _

        return {
            "township_admin": _("乡镇管理员"),
            "leader": _("镇领导/督查"),
            "centre_staff": _("窗口/中心工作人员"),
            "village_assistant": _("村级事务助理"),
            "cadre": _("联户干部/党员"),
            "party_rep": _("党代表"),
        }


class User(UserMixin, db.Model):
    """A person who signs in. Residents and jurors never have accounts."""

    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(60), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(40), nullable=False)
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(120))
    post: Mapped[str | None] = mapped_column(String(60))  # 职务, printed on contact cards
    badge_no: Mapped[str | None] = mapped_column(String(20))  # 工号, shown at the window
    password_hash: Mapped[str | None] = mapped_column(String(200))
    is_operator: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    locale: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # Raised to end every session of this user (sign-out, password change, deactivation, an
    # administrator's "end sessions"): the session and the remember cookie carry the version they
    # were made with (get_id), and the loader refuses an older one.
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1",
                                                 nullable=False)
    # Wrong passwords in a row; at LOCK_AFTER the account is locked until `locked_until`.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0",
                                               nullable=False)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deactivated_reason: Mapped[str | None] = mapped_column(String(200))

    grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def set_password(self, password: str) -> None:
        self.password_hash = hash_password(password)

    def check_password(self, password: str) -> bool:
        if not self.password_hash:
            return False
        try:
            return _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:
        """Flask-Login's alternative id: the id and the session version, so that raising the
        version makes every older session and remember cookie of this user worthless."""
        return f"{self.id}:{self.session_version or 1}"

    def locked(self, now: datetime | None = None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or utcnow())

    def roles_in(self, township_id: uuid.UUID) -> set[Role]:
        """The roles this user holds in one township (read without the tenant filter)."""
        rows = db.session.execute(
            select(RoleGrant.role).where(
                RoleGrant.township_id == township_id, RoleGrant.user_id == self.id
            ),
            execution_options={"all_townships": True},
        ).scalars()
        return {Role(r) for r in rows}

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class RoleGrant(TenantScoped, db.Model):
    """A role held by a user in a township; centre staff name their centre, assistants a village."""

    __tablename__ = "role_grants"
    __table_args__ = (
        township_fk(),
        ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        tenant_fk("centre_id", "centres"),
        tenant_fk("village_id", "villages"),
        tenant_fk("grid_id", "grids"),
        UniqueConstraint(
            "township_id", "user_id", "role", "centre_id", "village_id",
            name="uq_role_grants_scope",
        ),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    centre_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    village_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # A village assistant for one grid of the village (网格员): sees that grid's households only.
    grid_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    user: Mapped[User] = relationship(back_populates="grants")
    centre = tenant_relationship("RoleGrant", "Centre", "centre_id")
    village = tenant_relationship("RoleGrant", "Village", "village_id")
    grid = tenant_relationship("RoleGrant", "Grid", "grid_id")


class SignIn(db.Model):
    """One attempt to sign in to an existing account: when, from where, with what, and whether it
    worked. Never the password typed; a username that matches no account leaves no row."""

    __tablename__ = "sign_ins"
    __table_args__ = (Index("ix_sign_ins_user_at", "user_id", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(200))
    success: Mapped[bool] = mapped_column(Boolean, nullable=False)
    # Why it failed: "password", "locked", "inactive" (none when it succeeded).
    reason: Mapped[str | None] = mapped_column(String(20))

"""Accounts: creating people, granting roles, invitations, and an account's life cycle
(signing in with lockout, password strength, ending sessions, deactivation, password resets)."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from app.accounts.models import Role, RoleGrant, SignIn, User
from app.clock import utcnow
from app.extensions import db

INVITE_MAX_AGE = 7 * 24 * 3600
RESET_MAX_AGE = 24 * 3600
LOCK_AFTER = 5  # wrong passwords in a row
LOCK_MINUTES = 15
MIN_PASSWORD_LENGTH = 8
MIN_PASSWORD_SCORE = 2  # zxcvbn's 0–4: 2 is "somewhat guessable", beyond the common lists
REMEMBER_DAYS = 14  # a township may set its own (settings["remember_days"], 1–90)


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


def grant(township, user: User, role: Role | str, *, centre=None, village=None,
          grid=None) -> RoleGrant:
    """Give `user` a role in `township` (idempotent); a village assistant may be limited to one
    grid of the village (网格员)."""
    role = Role(role)
    if grid is not None:
        village = village or grid.village
    existing = db.session.scalar(
        select(RoleGrant).where(
            RoleGrant.township_id == township.id,
            RoleGrant.user_id == user.id,
            RoleGrant.role == role.value,
            RoleGrant.centre_id == centre.id if centre else RoleGrant.centre_id.is_(None),
            RoleGrant.village_id == village.id if village else RoleGrant.village_id.is_(None),
            RoleGrant.grid_id == grid.id if grid else RoleGrant.grid_id.is_(None),
        ),
        execution_options={"all_townships": True},
    )
    if existing:
        return existing
    row = RoleGrant(township_id=township.id, user_id=user.id, role=role.value,
                    centre_id=getattr(centre, "id", None), village_id=getattr(village, "id", None),
                    grid_id=getattr(grid, "id", None))
    db.session.add(row)
    db.session.flush()
    return row


def _serializer(salt: str = "minqing-invite") -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


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


# ---------------------------------------------------------------- passwords and signing in

_WARNINGS = {  # zxcvbn's feedback, in the words of the interface
    "common": _l("这是常见密码，很容易被猜到。"),
    "repeat": _l("重复的字符或词很容易被猜到。"),
    "sequence": _l("abc、6543 这样的顺序很容易被猜到。"),
    "date": _l("日期和年份很容易被猜到。"),
    "keyboard": _l("键盘上相邻的键很容易被猜到。"),
    "name": _l("密码不能包含用户名或姓名。"),
}


def password_problem(password: str, *, user_inputs=()) -> str | None:
    """Why `password` is too weak (a sentence for people), or None. Strength is judged by
    zxcvbn (Dropbox's estimator: common-password lists, names, dates, keyboard patterns)."""
    from flask_babel import gettext as _
    from zxcvbn import zxcvbn

    if len(password) < MIN_PASSWORD_LENGTH:
        return _("密码至少 %(n)s 位。", n=MIN_PASSWORD_LENGTH)
    inputs = [str(i) for i in user_inputs if i]
    lowered = password.lower()
    if any(len(i) >= 3 and i.lower() in lowered for i in inputs):
        return str(_WARNINGS["name"])
    result = zxcvbn(password[:100], user_inputs=inputs)
    if result["score"] >= MIN_PASSWORD_SCORE:
        return None
    warning = (result.get("feedback") or {}).get("warning", "").lower()
    for key, words in (("common", ("common", "top-")), ("repeat", ("repeat",)),
                       ("sequence", ("sequence",)), ("date", ("date", "year")),
                       ("keyboard", ("keyboard", "row", "pattern"))):
        if any(w in warning for w in words):
            return str(_WARNINGS[key]) + _("请换一个更长、不常见的密码，例如几个词连在一起。")
    return _("密码太容易被猜到：请换一个更长、不常见的密码，例如几个词连在一起。")


class SignInRefused(Exception):
    """Why signing in did not work: `reason` is "password", "locked" or "inactive"."""

    def __init__(self, reason: str, user: User | None = None):
        super().__init__(reason)
        self.reason = reason
        self.user = user


def authenticate(username: str, password: str, *, address: str | None = None,
                 user_agent: str | None = None, now: datetime | None = None) -> User:
    """The account for these credentials, or SignInRefused. Every attempt on an existing
    account is recorded (time, address, user agent, outcome; never the password); LOCK_AFTER
    wrong passwords in a row lock it for LOCK_MINUTES, during which even the right one fails."""
    now = now or utcnow()
    user = find_user(username)
    if user is None:
        raise SignInRefused("password")
    if user.locked(now):
        reason = "locked"
    elif not user.check_password(password):
        user.failed_logins = (user.failed_logins or 0) + 1
        reason = "password"
        if user.failed_logins >= LOCK_AFTER:
            user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            user.failed_logins = 0
            reason = "locked"
    elif not user.active:
        reason = "inactive"
    else:
        reason = None
        user.failed_logins = 0
        user.locked_until = None
    db.session.add(SignIn(user_id=user.id, at=now, address=(address or "")[:45] or None,
                          user_agent=(user_agent or "")[:200] or None,
                          success=reason is None, reason=reason))
    db.session.flush()
    if reason is not None:
        raise SignInRefused(reason, user)
    return user


def recent_sign_ins(user: User, limit: int = 20) -> list[SignIn]:
    return list(db.session.scalars(select(SignIn).where(SignIn.user_id == user.id)
                                   .order_by(SignIn.at.desc()).limit(limit)))


def remember_days(user: User) -> int:
    """How long "stay signed in" lasts for `user`: the shortest their townships set."""
    from app.townships.models import Township

    settings = db.session.scalars(
        select(Township.settings).join(RoleGrant, RoleGrant.township_id == Township.id)
        .where(RoleGrant.user_id == user.id), execution_options={"all_townships": True}).all()
    days = [int(s.get("remember_days")) for s in settings if s and s.get("remember_days")]
    return min(days) if days else REMEMBER_DAYS


# ---------------------------------------------------------------- the life cycle

def end_sessions(user: User) -> None:
    """End every session of `user` on every device, remember cookies included: the version their
    cookies carry no longer matches (checked on every request by the user loader)."""
    user.session_version = (user.session_version or 1) + 1


def change_password(user: User, password: str) -> None:
    """A new password; every session of the user ends (the caller signs the current one in
    again), and a lock is lifted."""
    user.set_password(password)
    user.failed_logins = 0
    user.locked_until = None
    end_sessions(user)


def _townships_of(user: User) -> list:
    return sorted({g.township_id for g in db.session.scalars(
        select(RoleGrant).where(RoleGrant.user_id == user.id),
        execution_options={"all_townships": True})}, key=str)


def _audit_everywhere(user: User, actor, action: str, before, after, summary: str) -> None:
    from app.audit.operations import record

    for township_id in _townships_of(user):
        record(township_id, actor, action, user, before=before, after=after, summary=summary)


def deactivate_user(actor, user: User, reason: str = "") -> None:
    """The account can no longer sign in and every session of it ends; its grants stay (so its
    matters and households still show whose they were, until handed over). Recorded in the audit
    log of every township where it holds a role."""
    if not user.active:
        return
    user.active = False
    user.deactivated_at = utcnow()
    user.deactivated_reason = (reason or "").strip()[:200] or None
    end_sessions(user)
    _audit_everywhere(user, actor, "account.deactivate", {"active": True},
                      {"active": False, "reason": user.deactivated_reason},
                      f"停用账号 {user.name}（{user.username}）")


def reactivate_user(actor, user: User) -> None:
    """The account may sign in again (with its old password, or a reset link); a lock is lifted."""
    if user.active and not user.locked():
        return
    was_active = user.active
    user.active = True
    user.deactivated_at = None
    user.deactivated_reason = None
    user.failed_logins = 0
    user.locked_until = None
    _audit_everywhere(user, actor, "account.reactivate" if not was_active else "account.unlock",
                      {"active": was_active}, {"active": True},
                      f"{'启用' if not was_active else '解锁'}账号 {user.name}（{user.username}）")


def password_reset_token(user: User) -> str:
    """A one-time link token for choosing a new password (24 hours): it stops working once any
    new password is set, this link's or another."""
    return _serializer("minqing-reset").dumps(
        {"u": str(user.id), "h": (user.password_hash or "")[-12:]})


def user_from_reset(token: str) -> User | None:
    try:
        data = _serializer("minqing-reset").loads(token, max_age=RESET_MAX_AGE)
    except (BadSignature, SignatureExpired):
        return None
    key = _uuid(data.get("u"))
    user = db.session.get(User, key) if key is not None else None
    if user is None or not user.active or (user.password_hash or "")[-12:] != data.get("h"):
        return None
    return user


def _uuid(value):
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


# ---------------------------------------------------------------- in one township

class AccountError(ValueError):
    pass


def staff_member(township, user_id) -> User | None:
    """`user_id`'s account if it holds a role in `township` (else None: a 404 for the caller)."""
    key = _uuid(user_id)
    user = db.session.get(User, key) if key is not None else None
    if user is None or not user.roles_in(township.id):
        return None
    return user


def _other_active_admins(township, user: User) -> int:
    from sqlalchemy import func

    return db.session.scalar(
        select(func.count(func.distinct(RoleGrant.user_id)))
        .join(User, User.id == RoleGrant.user_id)
        .where(RoleGrant.township_id == township.id, RoleGrant.role == Role.TOWNSHIP_ADMIN,
               RoleGrant.user_id != user.id, User.active.is_(True)))


def deactivate_in_township(township, actor, user: User, reason: str = "") -> str:
    """A township administrator's "deactivate": the account itself when all its roles are in
    this township ("deactivated"), otherwise only this township's roles are revoked ("revoked":
    the person works elsewhere too). The township keeps an active administrator; nobody
    deactivates themself."""
    from app.audit.operations import record

    if user.id == getattr(actor, "id", None):
        raise AccountError("不能停用自己的账号。")
    if Role.TOWNSHIP_ADMIN in user.roles_in(township.id) and not _other_active_admins(
            township, user):
        raise AccountError("乡镇至少要保留一名可登录的管理员。")
    from app.tenancy import platform_wide

    with platform_wide():  # roles in other townships are other townships' rows
        grants = list(db.session.scalars(select(RoleGrant).where(RoleGrant.user_id == user.id),
                                         execution_options={"all_townships": True}))
    from app.counties.models import CountyGrant

    elsewhere = any(g.township_id != township.id for g in grants) or db.session.scalar(
        select(CountyGrant.id).where(CountyGrant.user_id == user.id).limit(1)) is not None
    if user.is_operator or elsewhere:
        for grant_row in grants:
            if grant_row.township_id == township.id:
                record(township.id, actor, "role.revoke", user,
                       before={"role": grant_row.role}, after=None,
                       summary=f"取消 {user.name} 的角色：{Role(grant_row.role).label}")
                db.session.delete(grant_row)
        db.session.flush()
        return "revoked"
    deactivate_user(actor, user, reason)
    return "deactivated"


def end_sessions_by(township, actor, user: User) -> None:
    """An administrator signs `user` out everywhere (a lost phone, a shared computer)."""
    from app.audit.operations import record

    end_sessions(user)
    record(township.id, actor, "account.end_sessions", user,
           summary=f"退出 {user.name} 在所有设备上的登录")


def issue_reset(township, actor, user: User) -> str:
    """A password-reset token for `user`, recorded in the township's audit log."""
    from app.audit.operations import record

    if not user.active:
        raise AccountError("账号已停用：请先启用，再重设密码。")
    record(township.id, actor, "account.reset", user,
           summary=f"为 {user.name} 生成重设密码链接")
    return password_reset_token(user)


def work_of(township, user: User) -> dict:
    """What `user` answers for in `township`, to hand over when they leave: open matters
    assigned to them, and active households they are the contact cadre or party member of."""
    from app.households.models import Household
    from app.matters.models import OPEN_STATES, Matter

    matters = list(db.session.scalars(select(Matter).where(
        Matter.township_id == township.id, Matter.assignee_id == user.id,
        Matter.state.in_([s.value for s in OPEN_STATES])).order_by(Matter.number)))
    households = list(db.session.scalars(select(Household).where(
        Household.township_id == township.id, Household.active.is_(True),
        (Household.contact_cadre_id == user.id) | (Household.party_member_id == user.id))
        .order_by(Household.village_id, Household.address)))
    return {"matters": matters, "households": households}


def hand_over_work(township, actor, from_user: User, to_user: User, note: str = "") -> dict:
    """Pass everything `from_user` answers for in `township` to `to_user`: per village through
    the map's recorded hand-over (households, their open matters, revisits, the map sheet), then
    the remaining open matters through the ledger's reassign, and party-member links. Returns
    the counts moved."""
    from app.audit.operations import record
    from app.households.models import Household, Village
    from app.map import operations as map_ops
    from app.matters import operations as ledger
    from app.tenancy import get_scoped

    if from_user.id == to_user.id:
        raise AccountError("交出和接手的不能是同一人。")
    if not to_user.active or not to_user.roles_in(township.id):
        raise AccountError("接手的人须是本乡镇在用的工作人员。")
    work = work_of(township, from_user)
    moved = {"households": 0, "matters": 0}
    village_ids = sorted({h.village_id for h in work["households"]
                          if h.contact_cadre_id == from_user.id}, key=str)
    for village_id in village_ids:
        village = get_scoped(Village, village_id, township.id)
        handover = map_ops.hand_over(township, actor, village=village, from_cadre=from_user,
                                     to_cadre=to_user, note=note)
        moved["households"] += len(handover.moved["households"])
        moved["matters"] += len(handover.moved["matters"])
    for matter in work_of(township, from_user)["matters"]:
        ledger.reassign(matter, actor, assignee=to_user)
        moved["matters"] += 1
    for household in db.session.scalars(select(Household).where(
            Household.township_id == township.id, Household.party_member_id == from_user.id)):
        household.party_member_id = to_user.id
        moved["households"] += 1
    if not any(moved.values()):
        raise AccountError("没有需要交接的事项或联系户。")
    record(township.id, actor, "account.handover", from_user,
           before={"responsible": from_user.name}, after={"responsible": to_user.name, **moved},
           summary=f"{from_user.name} 的工作交给 {to_user.name}：联系户 {moved['households']} 户，"
                   f"事项 {moved['matters']} 件")
    db.session.flush()
    return moved

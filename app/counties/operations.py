"""The county's work: counties and their townships, departments and staff, escalated matters.

Operations take explicit arguments and never touch the request; the caller commits. A change to
a township's rows (its matter, its escalation, its county) is recorded in that township's audit
log and, for a matter, on the matter's one timeline in the township's ledger.
"""

from __future__ import annotations

import re
import uuid
from datetime import date

from sqlalchemy import select

from app.accounts.models import User
from app.accounts.operations import create_user, find_user, invitation_token
from app.audit.operations import record
from app.counties.models import (
    County,
    CountyEscalation,
    CountyGrant,
    CountyRole,
    Department,
    EscalationState,
)
from app.extensions import db
from app.matters import operations as ledger
from app.matters.models import Level, Matter, State
from app.models import utcnow
from app.tenancy import bind_township
from app.townships.models import Township
from app.townships.workdays import WorkCalendar

CODE = re.compile(r"^\d{6}$")
SLUG = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")


class CountyError(ValueError):
    """A county operation refused, with a message for people."""


# ---------------------------------------------------------------- the county and its townships

def create_county(*, code: str, name: str, slug: str) -> County:
    """A new county, identified by its 6-digit division code."""
    code, name, slug = code.strip(), name.strip(), slug.strip().lower()
    if not CODE.match(code):
        raise CountyError("区县代码应为 6 位数字。")
    if not name:
        raise CountyError("请填写区县名称。")
    if not SLUG.match(slug):
        raise CountyError("网址代码应为 3–40 位小写字母、数字或连字符。")
    if db.session.scalar(select(County.id).where(County.code == code)):
        raise CountyError("该区县代码已经入驻。")
    if db.session.scalar(select(County.id).where(County.slug == slug)):
        raise CountyError("该网址代码已被使用。")
    county = County(code=code, name=name, slug=slug)
    db.session.add(county)
    db.session.flush()
    return county


def attach_township(county: County, township: Township, actor, *,
                    require_code_prefix: bool = False) -> None:
    """Make `township` one of the county's (design §4). A county administrator
    (`require_code_prefix`) may attach only a township whose division code starts with the
    county's code; the operator may attach any township not in another county."""
    if township.county_id == county.id:
        return
    if township.county_id is not None:
        other = db.session.get(County, township.county_id)
        raise CountyError(f"“{township.name}”已属于{other.name if other else '其他区县'}。")
    if require_code_prefix and not (township.division_code or "").startswith(county.code):
        raise CountyError(f"“{township.name}”的区划代码不在本县（{county.code}）范围内。")
    township.county_id = county.id
    record(township.id, actor, "township.county", township, before={"county": None},
           after={"county": county.name}, summary=f"归属{county.name}")
    db.session.flush()  # the township's audit row, before another township is bound


def attachable_townships(county: County, *, by_code: bool) -> list[Township]:
    """Townships not in any county that this county could attach (by code: its code prefix)."""
    query = select(Township).where(Township.county_id.is_(None))
    if by_code:
        query = query.where(Township.division_code.like(f"{county.code}%"))
    return list(db.session.scalars(query.order_by(Township.name)))


def add_department(county: County, name: str) -> Department:
    name = name.strip()
    if not name:
        raise CountyError("请填写部门名称。")
    if db.session.scalar(select(Department.id).where(Department.county_id == county.id,
                                                     Department.name == name)):
        raise CountyError("已有同名部门。")
    department = Department(county_id=county.id, name=name)
    db.session.add(department)
    db.session.flush()
    return department


def set_department_active(department: Department, active: bool) -> None:
    """Departments are retired, never deleted: their escalations keep naming them."""
    department.active = active


def grant_county_role(county: County, user: User, role: CountyRole | str,
                      department: Department | None = None) -> CountyGrant:
    """Give `user` a role in `county` (idempotent); department staff name their department."""
    role = CountyRole(role)
    if role == CountyRole.DEPARTMENT_STAFF and department is None:
        raise CountyError("部门工作人员须指定部门。")
    if department is not None and department.county_id != county.id:
        raise CountyError("部门不属于本县。")
    dept_id = department.id if role == CountyRole.DEPARTMENT_STAFF else None
    existing = db.session.scalar(select(CountyGrant).where(
        CountyGrant.county_id == county.id, CountyGrant.user_id == user.id,
        CountyGrant.role == role.value,
        CountyGrant.department_id == dept_id if dept_id else CountyGrant.department_id.is_(None)))
    if existing:
        return existing
    row = CountyGrant(county_id=county.id, user_id=user.id, role=role.value, department_id=dept_id)
    db.session.add(row)
    db.session.flush()
    return row


def invite_county_user(county: County, *, username: str, name: str, role: CountyRole | str,
                       phone: str | None = None, department: Department | None = None
                       ) -> tuple[User, str | None]:
    """A county role for a new account (with an invitation token to set its password) or for an
    existing one (no token: they sign in as they do)."""
    user = find_user(username)
    token = None
    if user is None:
        if not name.strip():
            raise CountyError("请填写姓名。")
        user = create_user(username=username, name=name, phone=phone or None)
        token = invitation_token(user)
    grant_county_role(county, user, role, department)
    return user, token


def revoke_county_grant(county: County, grant_id) -> None:
    grant = db.session.get(CountyGrant, grant_id)
    if grant is None or grant.county_id != county.id:
        raise CountyError("没有这项授权。")
    db.session.delete(grant)


def department_ids_of(user, county: County) -> list[uuid.UUID]:
    """The departments `user` works in, in this county."""
    return list(db.session.scalars(select(CountyGrant.department_id).where(
        CountyGrant.county_id == county.id, CountyGrant.user_id == user.id,
        CountyGrant.role == CountyRole.DEPARTMENT_STAFF.value,
        CountyGrant.department_id.is_not(None))))


# ---------------------------------------------------------------- escalation (四级联动)

def county_of(township: Township) -> County | None:
    return db.session.get(County, township.county_id) if township.county_id else None


def open_escalation(matter: Matter) -> CountyEscalation | None:
    return db.session.scalars(select(CountyEscalation).where(
        CountyEscalation.township_id == matter.township_id,
        CountyEscalation.matter_id == matter.id,
        CountyEscalation.state.in_([EscalationState.WAITING, EscalationState.OPEN]))).first()


def escalate_to_county(matter: Matter, actor, *, reason: str,
                       department: Department | None = None,
                       now=None) -> CountyEscalation:
    """The township hands a matter it cannot solve to its county, naming the department (or
    leaving it to the county supervisor to dispatch). The matter stays in the township's ledger,
    its level now the county's; the county answers within its working days."""
    township = db.session.get(Township, matter.township_id)
    county = county_of(township)
    if county is None:
        raise ledger.TransitionError("本乡镇尚未归属区县，无法上报县级。")
    if department is not None and (department.county_id != county.id or not department.active):
        raise ledger.TransitionError("请选择本县的部门。")
    if open_escalation(matter) is not None:
        raise ledger.TransitionError("该事项已上报县级，正在办理。")
    if Level(matter.level) == Level.COUNTY:
        matter.level = Level.TOWNSHIP.value  # handed back earlier: the township sends it again
    today = ledger.local_today(township, now)
    due_on = WorkCalendar.for_township(township.id).add_workdays(today,
                                                                  county.escalation_workdays)
    ledger.escalate(matter, actor, reason=reason, to_level=Level.COUNTY, county=county.name,
                    department=department.name if department else None, county_due_on=due_on)
    if department is not None:
        matter.unit_name = department.name
    escalation = CountyEscalation(
        township_id=matter.township_id, matter_id=matter.id, county_id=county.id,
        department_id=department.id if department else None,
        state=EscalationState.OPEN if department else EscalationState.WAITING,
        reason=reason.strip(), escalated_by_id=getattr(actor, "id", None),
        escalated_at=now or utcnow(), workdays=county.escalation_workdays, due_on=due_on)
    db.session.add(escalation)
    db.session.flush()
    record(matter.township_id, actor, "matter.escalate_county", matter,
           after={"county": county.name, "department": department.name if department else None},
           summary=f"{matter.number} 上报{county.name}")
    return escalation


def _bind(escalation: CountyEscalation) -> None:
    """County pages are platform-wide; a write to a township's rows binds that township."""
    bind_township(db.session, escalation.township_id)


def dispatch(escalation: CountyEscalation, actor, department: Department) -> None:
    """The county supervisor sends an escalation to a department (or to another one)."""
    if not escalation.is_open:
        raise ledger.TransitionError("该事项已不在县级办理。")
    if department.county_id != escalation.county_id or not department.active:
        raise ledger.TransitionError("请选择本县的部门。")
    _bind(escalation)
    before = escalation.department.name if escalation.department else None
    escalation.department_id = department.id
    escalation.state = EscalationState.OPEN.value
    matter = escalation.matter
    matter.unit_name = department.name
    ledger._record(matter, "county_dispatched", actor, matter.state, matter.state,
                   department=[before, department.name])
    record(matter.township_id, actor, "matter.county_dispatch", matter, before={"department":
           before}, after={"department": department.name}, actor_kind="county",
           summary=f"{matter.number} 分派{department.name}")


def answer(escalation: CountyEscalation, actor, *, public_text: str,
           private_notes: str = "") -> None:
    """The department's answer: the ledger's own reply, so it reaches the township and the
    resident as any reply does (rating link, board, close-out rule)."""
    if escalation.state != EscalationState.OPEN:
        raise ledger.TransitionError("该事项不在部门办理中，不能答复。")
    _bind(escalation)
    matter = escalation.matter
    township = db.session.get(Township, matter.township_id)
    ledger.reply(matter, actor, public_text=public_text, private_notes=private_notes,
                 township=township)
    escalation.state = EscalationState.REPLIED.value
    escalation.answered_at = utcnow()
    escalation.answered_by_id = actor.id
    record(matter.township_id, actor, "matter.county_reply", matter, actor_kind="county",
           summary=f"{matter.number} 县级答复")


def hand_back(escalation: CountyEscalation, actor, *, reason: str) -> None:
    """The department (or supervisor) hands the matter back to the township with its reasons."""
    if not escalation.is_open:
        raise ledger.TransitionError("该事项已不在县级办理。")
    _bind(escalation)
    matter = escalation.matter
    ledger.hand_back(matter, actor, reason=reason, to_level=Level.TOWNSHIP,
                     department=escalation.department.name if escalation.department else None)
    escalation.state = EscalationState.RETURNED.value
    escalation.returned_reason = reason.strip()
    escalation.answered_at = utcnow()
    escalation.answered_by_id = actor.id
    record(matter.township_id, actor, "matter.county_return", matter, actor_kind="county",
           summary=f"{matter.number} 县级退回")


def is_overdue(escalation: CountyEscalation, today: date) -> bool:
    return escalation.is_open and escalation.due_on < today


def escalations_query(county: County, township_ids, *, department_ids=None, states=None):
    """The county's escalations (its own townships only), oldest deadline first."""
    query = (select(CountyEscalation, Matter)
             .join(Matter, (Matter.township_id == CountyEscalation.township_id)
                   & (Matter.id == CountyEscalation.matter_id))
             .where(CountyEscalation.county_id == county.id,
                    CountyEscalation.township_id.in_(township_ids)))
    if department_ids is not None:
        query = query.where(CountyEscalation.department_id.in_(department_ids))
    if states:
        query = query.where(CountyEscalation.state.in_([str(s) for s in states]))
    return query.order_by(CountyEscalation.due_on, CountyEscalation.escalated_at)


STATE_AFTER_REPLY = (State.REPLIED.value, State.CLOSED.value)

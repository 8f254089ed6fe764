"""Hotline operations: record a call and what became of it; manage the response templates.

Operations take the township and the actor explicitly; the caller commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.audit.operations import changed, record, snapshot
from app.extensions import db
from app.hotline.models import CallOutcome, HotlineCall, ResponseTemplate
from app.households.models import FindingKind
from app.matters import operations as matters
from app.matters.models import Matter
from app.models import utcnow
from app.validation import normalize_phone

TEMPLATE_FIELDS = ("category", "title", "body", "active", "sort_order")


class CallError(ValueError):
    """A call that cannot be recorded as given (the message is for people)."""


def record_call(township, actor, *, number: str, outcome: str, called_at: datetime | None = None,
                caller_name: str = "", summary: str = "", category: str | None = None,
                matter_number: str = "", title: str = "", reply: str = "",
                village=None) -> HotlineCall:
    """Log one call. `outcome` new_matter registers a matter of channel phone (title, category);
    existing links the matter whose number the caller gave; advice keeps the reply given."""
    try:
        number = normalize_phone(number)
    except ValueError as error:
        raise CallError(str(error)) from None
    outcome = CallOutcome(outcome).value
    category = category if category in {k.value for k in FindingKind} else None
    matter = None
    if outcome == CallOutcome.NEW_MATTER:
        if not title.strip():
            raise CallError("请填写事由。")
        matter = matters.create_matter(
            township, channel="phone", title=title.strip(), actor=actor,
            description=summary.strip(), category=category or "suggestion", village=village,
            contact_name=caller_name.strip() or None, contact_phone=number)
    elif outcome == CallOutcome.EXISTING:
        matter = db.session.scalar(select(Matter).where(
            Matter.township_id == township.id,
            Matter.number == matter_number.strip().upper()))
        if matter is None:
            raise CallError("没有这个事项编号，请核对。")
    elif not reply.strip():
        raise CallError("请填写给群众的解答。")
    call = HotlineCall(
        township_id=township.id, called_at=called_at or utcnow(), number=number,
        number_tail=number[-4:], taken_by_id=actor.id, outcome=outcome,
        matter_id=matter.id if matter is not None else None,
        category=category or (matter.category if matter is not None else None),
        caller_name=caller_name.strip()[:40], summary=summary.strip(), reply=reply.strip())
    db.session.add(call)
    db.session.flush()
    return call


def calls(township, *, limit: int = 100) -> list[HotlineCall]:
    """The latest calls, newest first."""
    return list(db.session.scalars(
        select(HotlineCall).where(HotlineCall.township_id == township.id)
        .order_by(HotlineCall.called_at.desc()).limit(limit)))


def templates_for(township, category: str | None = None, *,
                  include_retired: bool = False) -> list[ResponseTemplate]:
    query = select(ResponseTemplate).where(ResponseTemplate.township_id == township.id)
    if category:
        query = query.where(ResponseTemplate.category == category)
    if not include_retired:
        query = query.where(ResponseTemplate.active.is_(True))
    return list(db.session.scalars(query.order_by(
        ResponseTemplate.category, ResponseTemplate.sort_order, ResponseTemplate.title)))


def _check(category: str, title: str, body: str) -> None:
    if category not in {k.value for k in FindingKind}:
        raise CallError("请选择类别。")
    if not title.strip() or not body.strip():
        raise CallError("请填写模板标题和内容。")


def create_template(township, actor, *, category: str, title: str, body: str,
                    sort_order: int = 0) -> ResponseTemplate:
    """A new response template; the audit log has it."""
    _check(category, title, body)
    row = ResponseTemplate(township_id=township.id, category=category, title=title.strip(),
                           body=body.strip(), sort_order=sort_order)
    db.session.add(row)
    db.session.flush()
    record(township.id, actor, "response_template.create", row,
           after=snapshot(row, TEMPLATE_FIELDS), summary=f"新建答复模板：{row.title}")
    return row


def update_template(township, actor, row: ResponseTemplate, *, category: str, title: str,
                    body: str, active: bool, sort_order: int = 0) -> ResponseTemplate:
    """Edit (or retire, with active False) a template; the audit log has what changed."""
    _check(category, title, body)
    before = snapshot(row, TEMPLATE_FIELDS)
    row.category, row.title, row.body = category, title.strip(), body.strip()
    row.active, row.sort_order = active, sort_order
    old, new = changed(before, snapshot(row, TEMPLATE_FIELDS))
    if new:
        action = "response_template.retire" if before["active"] and not active else \
            "response_template.edit"
        record(township.id, actor, action, row, before=old, after=new,
               summary=f"修改答复模板：{row.title}")
    return row


def picked_reply(township, template_id) -> str:
    """A template's text for the ledger's reply form (empty when none is picked)."""
    return (picked_text(township, template_id) or "") if template_id else ""


def picked_text(township, template_id) -> str | None:
    """The body of an active template of this township, to prefill a reply (None otherwise)."""
    import uuid

    try:
        key = uuid.UUID(str(template_id))
    except ValueError:
        return None
    row = db.session.scalar(select(ResponseTemplate).where(
        ResponseTemplate.township_id == township.id, ResponseTemplate.id == key,
        ResponseTemplate.active.is_(True)))
    return row.body if row is not None else None

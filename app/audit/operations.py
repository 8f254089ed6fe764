"""Writing the audit log. Callers record in the same transaction as the change (the caller commits),
so a change and its record stand or fall together."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from enum import Enum
from typing import Any

from app.audit.models import AuditEvent
from app.extensions import db
from app.privacy import mask_phone, mask_text

# Fields whose values the log keeps masked: its readers see a hint, never the number.
PHONE_FIELDS = {"phone", "mobile", "landline", "contact_phone"}
ID_FIELDS = {"id_number", "id_card", "id_no", "bank_card"}


def _plain(value: Any) -> Any:
    """A JSON-friendly value: ids and dates as text, enums as their value."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, uuid.UUID | date | datetime):
        return value.isoformat() if not isinstance(value, uuid.UUID) else str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return str(value)


def _redact(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    out = {}
    for key, value in values.items():
        value = _plain(value)
        if key in PHONE_FIELDS and isinstance(value, str):
            value = mask_phone(value)
        elif key in ID_FIELDS and isinstance(value, str):
            value = "*" * max(0, len(value) - 4) + value[-4:]
        elif isinstance(value, str):
            value = mask_text(value)
        out[key] = value
    return out


def snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    """The named attributes of `obj`, as the log keeps them (call before and after a change)."""
    return {name: _plain(getattr(obj, name, None)) for name in fields}


def changed(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    """Only the keys whose values differ, as (before, after)."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def record(township_id: uuid.UUID, actor, action: str, target: Any = None, *,
           before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
           summary: str = "", actor_kind: str | None = None,
           target_type: str | None = None, target_id: Any = None) -> AuditEvent:
    """Add one audit event to the session: `actor` (a User, a user id or None for the system) did
    `action` to `target` (a model row: its table and id are recorded). Phone and ID values in
    `before`/`after` and numbers inside free text are masked on the way in."""
    actor_id = getattr(actor, "id", actor)
    if target is not None:
        target_type = target_type or getattr(target, "__tablename__", type(target).__name__)
        target_id = target_id if target_id is not None else getattr(target, "id", None)
    event = AuditEvent(
        township_id=township_id,
        actor_id=actor_id,
        actor_kind=actor_kind or ("user" if actor_id else "system"),
        action=action,
        target_type=target_type,
        target_id=str(target_id) if target_id is not None else None,
        summary=mask_text(summary)[:200],
        before=_redact(before),
        after=_redact(after),
    )
    db.session.add(event)
    return event

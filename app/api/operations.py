"""Open311's business: keys, the services a township offers outside, requests as matters."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.api.models import ApiKey
from app.audit.operations import record
from app.catalogue.models import Centre, ServiceItem
from app.extensions import db
from app.households.models import FindingKind
from app.matters import operations as ledger
from app.matters.models import Channel, Matter, MatterEvent, State
from app.models import utcnow
from app.privacy import mask_text

# Categories of the ledger open to other systems unless the township says otherwise; petitions
# (信访) follow their own legal procedure and are not taken this way.
DEFAULT_CATEGORIES = ("suggestion", "hardship", "dispute", "prosperity")
MAX_RESULTS = 1000  # the cap on one GET requests answer
DEFAULT_WINDOW = timedelta(days=90)  # the spec's default range of GET requests


class ApiError(ValueError):
    """An answer in the spec's error format: `code` is the HTTP status."""

    def __init__(self, code: int, description: str):
        super().__init__(description)
        self.code = code
        self.description = description


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_key(township, actor, *, name: str) -> tuple[ApiKey, str]:
    """A new key for a sending system; the plain key is returned once and never stored."""
    if not name.strip():
        raise ApiError(400, "请填写接入系统的名称。")
    plain = "mq_" + secrets.token_urlsafe(24)
    row = ApiKey(township_id=township.id, name=name.strip()[:80], key_prefix=plain[:8],
                 key_hash=_hash(plain), created_by_id=getattr(actor, "id", None))
    db.session.add(row)
    db.session.flush()
    record(township.id, actor, "api_key.issue", row, after={"name": row.name,
                                                           "prefix": row.key_prefix},
           summary=f"发放接口密钥：{row.name}")
    return row, plain


def revoke_key(township, actor, row: ApiKey) -> None:
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        record(township.id, actor, "api_key.revoke", row, before={"active": True},
               after={"active": False}, summary=f"停用接口密钥：{row.name}")


def key_for(township, plain: str | None) -> ApiKey | None:
    """The township's active key matching `plain`, or None (missing, wrong, revoked, or
    another township's key)."""
    if not plain:
        return None
    row = db.session.scalar(select(ApiKey).where(
        ApiKey.township_id == township.id, ApiKey.key_hash == _hash(plain)))
    if row is None or row.revoked_at is not None:
        return None
    return row


# ---------------------------------------------------------------- services

@dataclass
class Service:
    code: str
    name: str
    group: str
    description: str
    attributes: list[dict] = field(default_factory=list)
    category: str | None = None
    item: ServiceItem | None = None

    @property
    def metadata(self) -> bool:
        return bool(self.attributes)


DATATYPES = {"text": "string", "number": "number", "date": "datetime", "choice": "singlevaluelist"}


def attributes_of(item) -> list[dict]:
    """A catalogue item's own intake questions as the spec's attributes."""
    from app.catalogue.questions import questions_of

    out = []
    for order, q in enumerate(questions_of(item), 1):
        out.append({"variable": True, "code": q["key"], "datatype": DATATYPES.get(
            q.get("kind"), "string"), "required": bool(q.get("required")),
            "datatype_description": "YYYY-MM-DD" if q.get("kind") == "date" else "",
            "order": order, "description": q["label"],
            "values": [{"key": c, "name": c} for c in q.get("choices") or []]})
    return out


def answers_from(item, attributes: dict[str, str]) -> list[dict]:
    """The answers of `attributes` (attribute[code]=value) to the item's questions, checked as
    at the window; a bad or missing one is a 400 naming it."""
    from app.catalogue.questions import field_name, questions_of, read_answers

    formdata = {field_name(q): attributes.get(q["key"], "") for q in questions_of(item)}
    answers, errors = read_answers(item, formdata)
    if errors:
        raise ApiError(400, "; ".join(f"attribute[{k}]: {v}" for k, v in errors.items()))
    return answers


def services(township) -> list[Service]:
    """The township's services open to other systems: its catalogue items (with their own
    intake questions as attributes) and the ledger's categories it accepts."""
    accepted = (township.settings or {}).get("open311_categories", list(DEFAULT_CATEGORIES))
    out = [Service(f"cat-{value}", label, "群众诉求", "", category=value)
           for value, label in FindingKind.choices() if value in accepted]
    centres = dict(db.session.execute(select(Centre.id, Centre.name).where(
        Centre.township_id == township.id)).all())
    for item in db.session.scalars(select(ServiceItem).where(
            ServiceItem.township_id == township.id, ServiceItem.active.is_(True))
            .order_by(ServiceItem.name)):
        out.append(Service(f"item-{item.id}", item.name, centres.get(item.centre_id, "办事服务"),
                           item.description or "", attributes_of(item),
                           category="service", item=item))
    return out


def service(township, code: str) -> Service:
    found = next((s for s in services(township) if s.code == code), None)
    if found is None:
        raise ApiError(404, f"service_code {code} not found")
    return found


# ---------------------------------------------------------------- requests

def create_request(township, key: ApiKey, *, service_code: str, description: str,
                   attributes: dict[str, str], first_name: str = "", last_name: str = "",
                   phone: str = "", email: str = "", address: str = "", notify: bool = False,
                   now: datetime | None = None) -> tuple[Matter, str]:
    """A request posted by another system becomes a matter of the ledger (channel "external"),
    the sending system recorded. Returns the matter and its token.

    `notify` is Minqing's one addition to the spec's fields: the sending system says the resident
    agreed (to that system) to be told of each public step, which needs a phone or an e-mail."""
    from app.catalogue.questions import store_answers
    from app.validation import normalize_phone

    chosen = service(township, service_code)
    text = (description or "").strip()
    if not text:
        raise ApiError(400, "description is required")
    if len(text) > 4000:
        raise ApiError(400, "description is longer than 4000 characters")
    answers = answers_from(chosen.item, attributes) if chosen.item else []
    contact_phone = None
    if phone.strip():
        try:
            contact_phone = normalize_phone(phone)
        except ValueError as exc:
            raise ApiError(400, f"phone: {exc}") from None
    if notify and not (contact_phone or email.strip()):
        raise ApiError(400, "notify: a phone or an email is needed to tell the resident")
    token = secrets.token_urlsafe(12)
    name = (last_name + first_name).strip() or None
    extra = store_answers({"external": {"system": key.name, "api_key": key.key_prefix,
                                        "token": token}}, answers)
    if address.strip():
        extra["external"]["address"] = address.strip()[:200]
    if email.strip():
        extra["external"]["email"] = email.strip()[:120]
    matter = ledger.create_matter(
        township, channel=Channel.EXTERNAL, title=text.splitlines()[0][:120],
        description=text, category=chosen.category or "service", service_item=chosen.item,
        contact_name=name, contact_phone=contact_phone, is_public=False, extra=extra, now=now)
    if notify:
        from app.notices import residents

        residents.agree(township, matter, given_at=Channel.EXTERNAL.value, phone=contact_phone,
                        email=email.strip()[:120] or None)
    key.last_used_at = utcnow()
    return matter, token


def by_token(township, token: str) -> Matter | None:
    for matter in db.session.scalars(select(Matter).where(
            Matter.township_id == township.id, Matter.channel == Channel.EXTERNAL.value)
            .order_by(Matter.received_at.desc())):
        if ((matter.extra or {}).get("external") or {}).get("token") == token:
            return matter
    return None


def _aware(day_or_time, zone: ZoneInfo):
    return day_or_time.astimezone(zone).isoformat(timespec="seconds")


def describe(township, matter: Matter, *, centres: dict, items: dict, updated: dict,
             full: bool = True) -> dict:
    """A matter as a GeoReport service request: only what the public board may show (no name,
    phone, ID or exact address; free text masked), and without its text when `full` is False."""
    zone = ZoneInfo(township.timezone)
    reply = matter.public_reply
    closed = matter.state in (State.CLOSED, State.WITHDRAWN, State.DUPLICATE,
                              State.NOT_RESPONSIBLE)
    if matter.service_item_id:
        code, name = f"item-{matter.service_item_id}", items.get(matter.service_item_id, "")
    else:
        code = f"cat-{matter.category}"
        try:
            name = FindingKind(matter.category).label
        except ValueError:
            name = matter.category or ""
    village = matter.village.name if matter.village_id and matter.village else ""
    due = datetime.combine(matter.due_on, time(23, 59, 59), tzinfo=zone)
    return {
        "service_request_id": matter.number,
        "status": "closed" if closed else "open",
        "status_notes": mask_text(reply.public_text) if reply and full else "",
        "service_name": name,
        "service_code": code,
        "description": mask_text(matter.title) if full else "",
        "agency_responsible": centres.get(matter.centre_id) or matter.unit_name or "",
        "service_notice": "",
        "requested_datetime": _aware(matter.received_at, zone),
        "updated_datetime": _aware(updated.get(matter.id, matter.received_at), zone),
        "expected_datetime": due.isoformat(timespec="seconds"),
        "address": village,
        "address_id": "",
        "zipcode": "",
        "lat": "",
        "long": "",
        "media_url": "",
    }


def _own(matter: Matter, key: ApiKey | None) -> bool:
    return key is not None and matter.channel == Channel.EXTERNAL.value and \
        ((matter.extra or {}).get("external") or {}).get("api_key") == key.key_prefix


def find_requests(township, key: ApiKey | None, *, ids: list[str], codes: list[str],
                  start: datetime | None, end: datetime | None,
                  statuses: list[str]) -> list[tuple[Matter, bool]]:
    """The requests a caller may read, each with whether its text may be shown: a matter public
    on the board, or one its own key sent, in full (masked); any other asked for by its number,
    its state only (no description, no reply text). Without numbers, only the first kind, in the
    date window (the spec's default: the last 90 days), capped."""
    query = select(Matter).where(Matter.township_id == township.id)
    if ids:
        query = query.where(Matter.number.in_(ids))
    else:
        end = end or utcnow()
        start = start or end - DEFAULT_WINDOW
        if start > end:
            raise ApiError(400, "start_date is after end_date")
        visible = Matter.is_public.is_(True)
        if key is not None:
            visible = visible | (Matter.channel == Channel.EXTERNAL.value)
        query = query.where(visible, Matter.received_at >= start, Matter.received_at <= end)
    rows = db.session.scalars(query.order_by(Matter.received_at.desc()).limit(MAX_RESULTS * 2))
    out = []
    for m in rows:
        full = bool(m.is_public) or _own(m, key)
        if not ids and not full:
            continue  # another system's private request
        out.append((m, full))
    if codes:
        out = [(m, f) for m, f in out if (f"item-{m.service_item_id}" if m.service_item_id
                                          else f"cat-{m.category}") in codes]
    if statuses:
        closed = {State.CLOSED, State.WITHDRAWN, State.DUPLICATE, State.NOT_RESPONSIBLE}
        out = [(m, f) for m, f in out if ("closed" if m.state in closed else "open") in statuses]
    return out[:MAX_RESULTS]


def last_updates(township, matters: list[Matter]) -> dict[uuid.UUID, datetime]:
    if not matters:
        return {}
    from sqlalchemy import func

    return dict(db.session.execute(select(MatterEvent.matter_id, func.max(MatterEvent.at)).where(
        MatterEvent.township_id == township.id,
        MatterEvent.matter_id.in_([m.id for m in matters])).group_by(MatterEvent.matter_id)).all())


def lookups(township) -> tuple[dict, dict]:
    centres = dict(db.session.execute(select(Centre.id, Centre.name).where(
        Centre.township_id == township.id)).all())
    items = dict(db.session.execute(select(ServiceItem.id, ServiceItem.name).where(
        ServiceItem.township_id == township.id)).all())
    return centres, items


def parse_when(value: str | None) -> datetime | None:
    """A w3c datetime of the spec (2010-01-01T00:00:00Z, or with an offset)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, f"{value} is not a w3c datetime (2026-12-01T00:00:00+08:00)") \
            from None
    if parsed.tzinfo is None:
        raise ApiError(400, f"{value} has no time zone")
    return parsed


"""Large document batches, split by village into parts that any number of workers share.

A batch is a Document of a batch kind (`kinds.Kind.part` names its part kind); asking for it
writes one part Document per village (`batch_id`, `position`) and one render job per part, all in
the requester's transaction (app.jobs' outbox). Each part is an ordinary document: its own job,
its own progress, its own download. A worker that dies under a part loses nothing else: the
finished parts stay ready, and the lost part's job is taken up again by app.jobs' recovery (RQ's
StartedJobRegistry and the work-horse handler), and re-rendering a ready part does nothing.

The part that finishes last, under a row lock on the batch, flips the batch from queued to
rendering and enqueues the one job that merges the parts (pypdf) into the combined file; the lock
and that conditional step make it happen exactly once, whichever worker gets there, and the
merge job itself is an outbox row like any other (taken up again if its worker dies).

Without Redis the jobs run in-process one after another, as every other job does.
"""

from __future__ import annotations

import io
import uuid

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app import jobs
from app.extensions import db
from app.households.models import Village
from app.map.models import Handover
from app.models import utcnow
from app.notices import kinds
from app.notices.models import Document

RENDER = "app.notices.jobs.render_document"


class NoVillages(ValueError):
    """The township has no village yet: a batch by village has nothing to split."""


def parts_of(batch: Document) -> list[Document]:
    """The batch's parts, in village order."""
    return list(db.session.scalars(select(Document).where(
        Document.township_id == batch.township_id, Document.batch_id == batch.id)
        .order_by(Document.position)))


def progress_of(batch: Document, parts: list[Document] | None = None) -> int:
    """The batch's progress, 0..100: its parts' progress summed (each part weighs the same),
    then the merge. A ready batch is 100."""
    if batch.state == "ready":
        return 100
    parts = parts_of(batch) if parts is None else parts
    if not parts:
        return batch.progress
    # The parts are 95 % of the work, the merge the rest.
    return min(99, sum(p.progress for p in parts) * 95 // (100 * len(parts)))


def villages_of(township) -> list[Village]:
    return list(db.session.scalars(select(Village).where(
        Village.township_id == township.id, Village.retired_at.is_(None))
        .order_by(Village.sort_order, Village.name)))


def request_batch(township, *, kind: str, actor, base: str | None = None) -> Document:
    """Queue a batch of `kind` for the whole township: the batch document, one part per village
    and one job per part. Asking again while one is still being made returns that one.

    Raises NoVillages when the township has none. The caller commits."""
    entry = kinds.get(kind)
    if entry.part is None:
        raise ValueError(f"{kind} is not a batch kind")
    part_entry = kinds.get(entry.part)
    waiting = db.session.scalar(select(Document).where(
        Document.township_id == township.id, Document.kind == kind, Document.subject_id == "all",
        Document.batch_id.is_(None), Document.state.in_(("queued", "rendering"))))
    if waiting is not None:
        return waiting
    villages = villages_of(township)
    if not villages:
        raise NoVillages(township.slug)
    from app.notices.operations import _label

    actor_id = getattr(actor, "id", None)
    batch = Document(id=uuid.uuid4(), township_id=township.id, kind=kind, subject_id="all",
                     title=_label(entry), requested_by_id=actor_id,
                     source={"villages": len(villages)})
    db.session.add(batch)
    db.session.flush()  # the parts' foreign key points at it
    label = _label(part_entry)
    for position, village in enumerate(villages, 1):
        part = Document(id=uuid.uuid4(), township_id=township.id, kind=entry.part,
                        subject_id=str(village.id), title=f"{label}·{village.name}"[:160],
                        requested_by_id=actor_id, batch_id=batch.id, position=position)
        db.session.add(part)
        jobs.enqueue(RENDER, township.id, part.id, *((base,) if base else ()))
    return batch


def part_finished(township, part: Document, base: str | None = None) -> bool:
    """Called in the part's own transaction once it is ready (not yet committed). Under a row lock
    on the batch, the part that leaves none unfinished enqueues the merge, once: returns True
    then. Parts finishing at the same moment on two workers queue on the lock; the second one,
    reading after the first committed, sees the batch already rendering and does nothing."""
    db.session.flush()
    batch = db.session.scalar(
        select(Document).where(Document.township_id == township.id,
                               Document.id == part.batch_id)
        .with_for_update().execution_options(populate_existing=True))
    if batch is None or batch.state != "queued":
        return False
    unfinished = db.session.scalar(select(func.count()).select_from(Document).where(
        Document.township_id == township.id, Document.batch_id == batch.id,
        Document.state != "ready"))
    if unfinished:
        return False
    batch.state, batch.progress, batch.progress_note = "rendering", 95, ""
    jobs.enqueue(RENDER, township.id, batch.id, *((base,) if base else ()))
    return True


def combine(township, batch: Document) -> None:
    """Merge the ready parts, in village order, into the batch's one file (pypdf) and store it.
    Run by the job the last part enqueued; a batch already ready is left alone."""
    from pypdf import PdfReader, PdfWriter

    from app.notices.storage import storage

    parts = parts_of(batch)
    missing = [p.title for p in parts if p.state != "ready" or not p.storage_key]
    if missing:  # cannot happen through part_finished; a hand-made call must not merge a hole
        raise ValueError("分村文书尚未全部生成：" + "、".join(missing))
    store = storage()
    writer = PdfWriter()
    for part in parts:
        writer.append(PdfReader(io.BytesIO(store.get(part.storage_key))))
    out = io.BytesIO()
    writer.write(out)
    data = out.getvalue()
    key = f"{township.id}/{batch.id}.pdf"
    store.put(key, data)
    batch.storage_key, batch.size, batch.pages = key, len(data), len(writer.pages)
    batch.source = {**(batch.source or {}), "villages": len(parts),
                    "households": sum(int((p.source or {}).get("households", 0)) for p in parts),
                    "handovers": sum(1 for p in parts if (p.source or {}).get("handover")),
                    "pages": sum(p.pages or 0 for p in parts)}
    batch.state, batch.progress, batch.progress_note, batch.error = "ready", 100, "", ""
    batch.finished_at = utcnow()


def merge_pdfs(*documents: bytes) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for data in documents:
        writer.append(PdfReader(io.BytesIO(data)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def latest_handover(township, village_id) -> Handover | None:
    return db.session.scalar(select(Handover).where(
        Handover.township_id == township.id, Handover.village_id == uuid.UUID(str(village_id)))
        .order_by(Handover.created_at.desc()).limit(1))


def handover_pack(township, subject_id) -> tuple[bytes, dict] | None:
    """The village's latest hand-over pack (app.map), when it has one, for its part's last
    pages."""
    from app.clock import township_today
    from app.map.operations import pack_context
    from app.notices.pdf import render_pdf

    record = latest_handover(township, subject_id)
    if record is None:
        return None
    context = pack_context(record, township_today(township))
    pdf = render_pdf("map_handover.html", township=township, record=record, **context)
    return pdf, {"handover": str(record.id)}


def _register() -> None:
    from app.access import Rule
    from app.accounts.models import Role
    from app.notices.documents import contact_cards_context

    # The hand-over pack is the map's (its roles); the contact cards any staff's.
    map_staff = Rule("staff", frozenset({Role.TOWNSHIP_ADMIN, Role.LEADER, Role.CADRE}))
    kinds.register("village_pack", template="contact_cards.html",
                   build_context=contact_cards_context, permission=map_staff.allows,
                   label=_l("联系卡及交接包"), appendix=handover_pack)
    kinds.register("contact_cards_batch", template="contact_cards.html",
                   build_context=contact_cards_context, permission=map_staff.allows,
                   label=_l("全镇联系卡（分村）"), part="village_pack")


_register()

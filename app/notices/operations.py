"""Stored documents and their requests (DESIGN §7). Explicit arguments; the caller commits."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from app import jobs
from app.extensions import db
from app.models import utcnow
from app.notices import kinds
from app.notices.models import Document, JobRecord


class NotAllowed(PermissionError):
    """The actor may not request (or download) this kind of document."""


def request_document(township, *, kind: str, subject_id, actor) -> Document:
    """Queue a PDF of `kind` about `subject_id`; the job renders and stores it after commit.

    The actor must pass the kind's permission (the same rule as the page it is asked from).
    Asking again while the same document is still queued or rendering returns that one. A batch
    kind (app.notices.batches) queues its parts, one per village; `subject_id` is then unused.
    """
    entry = kinds.get(kind)
    if actor is not None and not entry.permission(actor, township):
        raise NotAllowed(kind)
    from app import public_url

    if entry.part is not None:  # a batch: one part per village, each its own job
        from app.notices import batches

        return batches.request_batch(township, kind=kind, actor=actor, base=public_url.for_job())
    subject = str(subject_id)
    waiting = db.session.scalar(select(Document).where(
        Document.township_id == township.id, Document.kind == kind, Document.subject_id == subject,
        Document.state.in_(("queued", "rendering"))))
    if waiting is not None:
        return waiting
    doc = Document(id=uuid.uuid4(), township_id=township.id, kind=kind, subject_id=subject,
                   title=_label(entry), requested_by_id=getattr(actor, "id", None))
    db.session.add(doc)
    # A job has no request: the public address its QR codes open is recorded now.
    base = public_url.for_job()
    jobs.enqueue("app.notices.jobs.render_document", township.id, doc.id,
                 *((base,) if base else ()))
    return doc


def _label(entry) -> str:
    """The kind's label in the request's language; Chinese outside a request (CLI, jobs)."""
    from flask import has_request_context
    from flask_babel import force_locale

    if has_request_context():
        return str(entry.label)
    with force_locale("zh_Hans_CN"):
        return str(entry.label)


def may_download(user, township, doc: Document) -> bool:
    """Downloading checks the same rule as requesting."""
    return kinds.get(doc.kind).permission(user, township)


def job_for(township, doc: Document) -> JobRecord | None:
    """The latest render job of `doc` (JSON path queries differ between SQLite and PostgreSQL;
    a township's render jobs are few, so the match is done here)."""
    for record in db.session.scalars(
        select(JobRecord).where(JobRecord.township_id == township.id,
                                JobRecord.func == "app.notices.jobs.render_document")
        .order_by(JobRecord.created_at.desc())
    ):
        if record.args and record.args[0] == str(doc.id):
            return record
    return None


def jobs_for(township, docs: list[Document]) -> dict:
    """The latest render job of each of `docs` (a batch's parts), in one pass: {doc id: job}."""
    wanted = {str(d.id): d.id for d in docs}
    found: dict = {}
    for record in db.session.scalars(
        select(JobRecord).where(JobRecord.township_id == township.id,
                                JobRecord.func == "app.notices.jobs.render_document")
        .order_by(JobRecord.created_at.desc())
    ):
        doc_id = wanted.get(record.args[0]) if record.args else None
        if doc_id is not None and doc_id not in found:
            found[doc_id] = record
    return found


def failed_jobs(township) -> list[JobRecord]:
    return list(db.session.scalars(
        select(JobRecord).where(JobRecord.township_id == township.id, JobRecord.state == "failed")
        .order_by(JobRecord.finished_at.desc())))


def mark_read(township, user, notification_ids=None) -> int:
    """Mark the user's notifications read (all of them when no ids are given)."""
    from app.notices.models import Notification

    q = select(Notification).where(Notification.township_id == township.id,
                                   Notification.user_id == user.id,
                                   Notification.read_at.is_(None))
    if notification_ids:
        q = q.where(Notification.id.in_(notification_ids))
    count = 0
    for n in db.session.scalars(q):
        n.read_at = utcnow()
        count += 1
    return count

"""Jobs of the notices feature. Each receives the loaded township, then ids (app.jobs)."""

from __future__ import annotations

import uuid

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import utcnow
from app.notices import kinds
from app.notices.models import Document
from app.notices.pdf import render_pdf
from app.notices.storage import storage


def render_document(township, document_id: str, base_url: str | None = None) -> None:
    """Render a queued document, reporting progress, and store it. Rendering again a document
    that is already ready does nothing (a job run twice produces one file). `base_url` is the
    public address recorded when it was asked for (app.public_url)."""
    doc = db.session.scalar(select(Document).where(Document.township_id == township.id,
                                                   Document.id == uuid.UUID(document_id)))
    if doc is None or doc.state == "ready":
        return
    entry = kinds.get(doc.kind)
    if entry.part is not None:  # a batch: its parts are ready, merge them (app.notices.batches)
        from app.notices import batches

        batches.combine(township, doc)
        return
    doc.state, doc.progress, doc.error = "rendering", 1, ""
    db.session.commit()

    def progress(done: int, total: int, note: str = "") -> None:
        # Building the context is the first 60 %, WeasyPrint the rest. Committed so the page's
        # polling sees it.
        doc.progress = max(1, min(60, int(60 * done / max(total, 1))))
        doc.progress_note = note[:120]
        db.session.commit()

    # The address printed under QR codes: MINQING_PUBLIC_URL, else the host of the request that
    # asked for the document (recorded with the job).
    from app import public_url

    base = public_url.base_for(base_url)
    with current_app.test_request_context(base_url=base):
        context = entry.build_context(township, doc.subject_id, progress)
        doc.progress, doc.progress_note = 60, ""
        db.session.commit()
        source = context.pop("source", {})
        pdf = render_pdf(entry.template, township=township, page_size=entry.page_size, **context)
        appendix = entry.appendix(township, doc.subject_id) if entry.appendix else None
    if appendix is not None:
        from app.notices.batches import merge_pdfs

        more, more_source = appendix
        pdf = merge_pdfs(pdf, more)
        source = {**source, **more_source}
    key = f"{township.id}/{doc.id}.pdf"
    storage().put(key, pdf)
    doc.storage_key, doc.size, doc.pages = key, len(pdf), _count_pages(pdf)
    doc.source = source
    doc.state, doc.progress, doc.finished_at = "ready", 100, utcnow()
    if doc.batch_id is not None:  # the last part of a batch queues the merge (once)
        from app.notices.batches import part_finished

        part_finished(township, doc, base_url)


def _count_pages(pdf: bytes) -> int:
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def run_sweeps(township, day: str) -> None:
    """The reminder sweeps of one township for one day (see app.notices.reminders)."""
    from datetime import date

    from app.notices.reminders import run_sweeps as sweeps

    sweeps(township, date.fromisoformat(day))

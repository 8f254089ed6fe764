"""Notices: a ready document (with its stored file) and a failed job in both townships."""

import uuid

from app.accounts.models import Role
from app.notices.models import Document, JobRecord
from app.notices.storage import storage


def extend(town):
    from app.extensions import db

    t = town.township
    doc = Document(id=uuid.uuid4(), township_id=t.id, kind="board_poster",
                   subject_id=f"{town.objects.village.id}:2026-11", title="公开栏", state="ready",
                   progress=100, storage_key=f"{t.id}/route-params.pdf", size=5, pages=1)
    storage().put(doc.storage_key, b"%PDF-")
    job = JobRecord(id=uuid.uuid4(), township_id=t.id, func="app.notices.jobs.render_document",
                    args=[str(doc.id)], state="failed", attempts=4, error="OSError: test")
    db.session.add_all([doc, job])
    town.objects.document, town.objects.job = doc, job
    from app.notices.models import ResidentConsent

    # The world's matter: its resident agreed to be told (the stop link, the staff's button).
    town.objects.consent = ResidentConsent(id=uuid.uuid4(), township_id=t.id,
                                           matter_id=town.objects.matter.id, given_at="hall",
                                           phone="13800001234", token=f"stop-{t.slug}")
    db.session.add(town.objects.consent)


PARAMS = {
    "document_id": lambda town: town.objects.document.id,
    "job_id": lambda town: town.objects.job.id,
    "stop_token": lambda town: town.objects.consent.token,
}

# Changing the resident's agreement is for whom the matter concerns, as its page is.
OWNED = {"notices.consent": {Role.TOWNSHIP_ADMIN, Role.LEADER, Role.CENTRE_STAFF,
                             Role.VILLAGE_ASSISTANT}}

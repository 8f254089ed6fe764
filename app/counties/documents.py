"""The county's contact cards: every township's batch by village, asked for at once.

A county's 337,000 households are one batch per township (app.notices.batches): each township's
batch is split by village into parts that any number of RQ workers share, so the county's cards
are as many parts as it has villages, with one combined file per township and one per village.
Each batch is the township's own document, written under that township's binding, with an
audit event in its log naming the county user who asked; the county reads them back by the
townships' ids (a foreign township's document is a 404).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from app.audit.operations import record
from app.extensions import db
from app.notices import batches, kinds
from app.notices.models import Document
from app.tenancy import bound_to

KIND = "contact_cards_batch"
PART = kinds.get(KIND).part  # its parts' kind: one village each


@dataclass
class TownshipCards:
    township: object
    batch: Document | None
    parts: list[Document]

    @property
    def progress(self) -> int:
        return batches.progress_of(self.batch, self.parts) if self.batch is not None else 0


def request_contact_cards(county, townships, actor, base: str | None = None
                          ) -> tuple[list, list]:
    """Ask for every township's contact cards batch: (the townships asked for, those without
    a village, which have nothing to print). A township whose batch is still being made keeps
    it (request_batch returns that one, nothing is asked twice). The caller commits."""
    asked, empty = [], []
    for township in townships:
        with bound_to(db.session, township.id):
            try:
                batch = batches.request_batch(township, kind=KIND, actor=actor, base=base)
            except batches.NoVillages:
                empty.append(township)
                continue
            record(township.id, actor, "document.request", batch, actor_kind="county",
                   after={"kind": KIND, "villages": (batch.source or {}).get("villages")},
                   summary=f"{county.name}：全镇联系卡（分村）")
            db.session.flush()
        asked.append(township)
    return asked, empty


def latest(townships) -> list[TownshipCards]:
    """Each township's latest contact cards batch with its parts (None: never asked for)."""
    ids = [t.id for t in townships]
    newest: dict = {}
    if ids:
        # Only each township's newest batch is read: the county asks again month after month.
        last = (select(Document.township_id, func.max(Document.created_at).label("at"))
                .where(Document.township_id.in_(ids), Document.kind == KIND,
                       Document.batch_id.is_(None))
                .group_by(Document.township_id).subquery())
        for row in db.session.scalars(
                select(Document).join(last, (last.c.township_id == Document.township_id)
                                      & (last.c.at == Document.created_at))
                .where(Document.kind == KIND, Document.batch_id.is_(None)),
                execution_options={"all_townships": True}):
            newest.setdefault(row.township_id, row)
    parts: dict = {}
    if newest:
        for row in db.session.scalars(
                select(Document).where(Document.township_id.in_(ids),
                                       Document.batch_id.in_([b.id for b in newest.values()]))
                .order_by(Document.position), execution_options={"all_townships": True}):
            parts.setdefault(row.batch_id, []).append(row)
    return [TownshipCards(t, newest.get(t.id), parts.get(getattr(newest.get(t.id), "id", None),
                                                         [])) for t in townships]


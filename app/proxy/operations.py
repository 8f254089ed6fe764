"""Errands: open one for a villager, move its documents hand to hand, close it.

Every hand-over is written to the matter's append-only events (kind ``custody``) so the ledger's
timeline and the public tracking page show where the villager's papers are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from app.extensions import db
from app.matters import operations as matters
from app.matters.models import OPEN_STATES, Matter, State
from app.matters.operations import CLOSE_GUARDS, TransitionError, close_refusal
from app.models import utcnow
from app.proxy.models import FINAL_HOLDERS, Errand, ErrandDocument, Holder


@dataclass
class DocumentIn:
    name: str
    is_original: bool = True
    copies: int = 1


def _errand_of(matter: Matter) -> Errand | None:
    return db.session.scalar(
        select(Errand).where(Errand.township_id == matter.township_id,
                             Errand.matter_id == matter.id)
    )


def originals_out(errand: Errand) -> list[ErrandDocument]:
    """Originals (and documents the office issued) that have not reached their end: back with
    the resident, kept by the office, or used up."""
    return [d for d in errand.documents
            if (d.is_original or d.issued) and Holder(d.holder) not in FINAL_HOLDERS]


def _originals_guard(matter: Matter) -> str | None:
    if matter.channel != "proxy":
        return None
    errand = _errand_of(matter)
    if errand is None:
        return None
    out = originals_out(errand)
    if out:
        names = "、".join(d.name for d in out)
        return f"原件尚未归还群众（{names}），不能办结。"
    return None


CLOSE_GUARDS.append(_originals_guard)


def open_errand(township, actor, *, item, resident, documents: list[DocumentIn],
                description: str = "", is_public: bool | None = None,
                notify_consent: bool = False) -> Errand:
    """Open an errand for `resident`: a proxy matter plus the documents taken from them.
    `notify_consent`: the resident agreed to be told of its steps (app.notices.residents).

    Only proxiable service items are accepted; the documents start in the assistant's hands.
    """
    if not item.proxiable:
        raise TransitionError("该事项不可代办。")
    docs = [d for d in documents if d.name.strip()]
    for d in docs:
        if d.copies < 1:
            raise TransitionError("份数至少为 1。")
    matter = matters.create_matter(
        township, channel="proxy", title=item.name, actor=actor, description=description,
        service_item=item, resident=resident, is_public=is_public,
    )
    if notify_consent:
        from app.notices import residents

        residents.agree(township, matter, given_at="proxy", actor=actor)
    errand = Errand(township_id=township.id, matter_id=matter.id, assistant_id=actor.id)
    db.session.add(errand)
    db.session.flush()
    now = utcnow()
    for position, d in enumerate(docs):
        db.session.add(ErrandDocument(
            township_id=township.id, errand_id=errand.id, position=position,
            name=d.name.strip(), is_original=d.is_original, copies=d.copies,
            holder=Holder.ASSISTANT.value, holder_name=actor.name, moved_at=now,
        ))
    db.session.flush()
    matters._record(matter, "custody", actor, step="received_from_resident",
                    documents=[_describe(d) for d in docs], holder=actor.name)
    db.session.expire(errand, ["documents"])
    return errand


def _describe(d) -> str:
    kind = "新发" if getattr(d, "issued", False) else ("原件" if d.is_original else "复印件")
    return f"{d.name}（{kind}{d.copies}份）"


def _move(errand: Errand, actor, *, source: set[Holder], to: Holder, holder_name: str,
          step: str, allow_none: bool = False, **data) -> list[ErrandDocument]:
    moved = [d for d in errand.documents if Holder(d.holder) in source]
    if not moved:
        if allow_none:
            return []
        raise TransitionError("没有可交接的材料。")
    now = utcnow()
    for d in moved:
        d.holder, d.holder_name, d.moved_at = to.value, holder_name, now
    matters._record(errand.matter, "custody", actor, step=step, holder=holder_name,
                    documents=[_describe(d) for d in moved], **data)
    return moved


def hand_to_centre(errand: Errand, actor, *, received_by: str) -> list[ErrandDocument]:
    """The assistant hands the documents to the centre; `received_by` names who took them."""
    received_by = received_by.strip()
    if not received_by:
        raise TransitionError("请填写中心接收人。")
    matter = errand.matter
    if State(matter.state) not in OPEN_STATES:
        raise TransitionError("事项已不在办理中。")
    moved = _move(errand, actor, source={Holder.ASSISTANT}, to=Holder.CENTRE,
                  holder_name=received_by, step="handed_to_centre")
    if matter.state == State.RECEIVED and matter.centre_id:
        matters.assign(matter, actor, centre=matter.centre)
    return moved


def return_to_assistant(errand: Errand, actor, *, result: str) -> list[ErrandDocument]:
    """The centre finished: documents go back to the assistant, and the result is the reply.
    With every document kept or used up by the office there is nothing to hand back, and the
    reply is still given."""
    if not result.strip():
        raise TransitionError("请填写办理结果。")
    at_centre = any(Holder(d.holder) == Holder.CENTRE for d in errand.documents)
    if not at_centre and State(errand.matter.state) in (State.RECEIVED,):
        raise TransitionError("材料还没有交到中心。")
    moved = _move(errand, actor, source={Holder.CENTRE}, to=Holder.RETURNED_TO_ASSISTANT,
                  holder_name=errand.assistant.name, step="returned_to_assistant",
                  allow_none=True)
    if State(errand.matter.state) in OPEN_STATES:
        matters.reply(errand.matter, actor, public_text=result)
    return moved


def return_to_resident(errand: Errand, actor, *, confirmed: bool,
                       signed_by: str = "") -> list[ErrandDocument]:
    """The assistant gives the documents (and anything the office issued) back; the resident, or
    the family member named in `signed_by`, confirms having them and signs for them."""
    if not confirmed:
        raise TransitionError("须经群众当面确认收回材料。")
    signer = (signed_by or "").strip() or errand.matter.contact_name or "群众"
    moved = _move(errand, actor, source={Holder.ASSISTANT, Holder.RETURNED_TO_ASSISTANT},
                  to=Holder.RESIDENT, holder_name=signer, step="returned_to_resident",
                  confirmed=True, signed_by=signer)
    now = utcnow()
    for d in moved:
        d.signed_by, d.signed_at = signer, now
    return moved


def _document(errand: Errand, document_id) -> ErrandDocument:
    for d in errand.documents:
        if str(d.id) == str(document_id):
            return d
    raise TransitionError("没有这件材料。")


def keep_document(errand: Errand, actor, document_id, *, kept_by: str,
                  reason: str) -> ErrandDocument:
    """The office keeps a document (an original invoice filed with the claim): who keeps it and
    why are recorded, and it no longer holds up the close-out."""
    d = _document(errand, document_id)
    kept_by, reason = kept_by.strip(), reason.strip()
    if d.is_final:
        raise TransitionError("这件材料的去向已登记。")
    if not kept_by:
        raise TransitionError("请填写留存人（哪个部门、谁保管）。")
    if not reason:
        raise TransitionError("请填写留存原因。")
    d.holder, d.holder_name, d.note, d.moved_at = Holder.KEPT.value, kept_by, reason, utcnow()
    matters._record(errand.matter, "custody", actor, step="kept_by_office", holder=kept_by,
                    reason=reason, documents=[_describe(d)])
    return d


def use_up_document(errand: Errand, actor, document_id, *, reason: str = "") -> ErrandDocument:
    """A document used up in the handling (photos stuck on the new card, a form filed)."""
    d = _document(errand, document_id)
    if d.is_final:
        raise TransitionError("这件材料的去向已登记。")
    d.holder, d.note, d.moved_at = Holder.USED.value, reason.strip(), utcnow()
    matters._record(errand.matter, "custody", actor, step="used_up", holder=d.holder_name,
                    reason=d.note, documents=[_describe(d)])
    return d


def issue_document(errand: Errand, actor, *, name: str, issued_by: str = "",
                   copies: int = 1) -> ErrandDocument:
    """The office issued a document for the resident (the new social-security card): it goes to
    the assistant, who hands it over; the resident signs for it like for their originals."""
    name = name.strip()
    if not name:
        raise TransitionError("请填写新发证件的名称。")
    if State(errand.matter.state) not in (*OPEN_STATES, State.REPLIED):
        raise TransitionError("事项已不在办理中。")
    position = max((d.position for d in errand.documents), default=-1) + 1
    d = ErrandDocument(township_id=errand.township_id, errand_id=errand.id, position=position,
                       name=name[:60], is_original=True, issued=True, copies=max(1, copies),
                       holder=Holder.RETURNED_TO_ASSISTANT.value,
                       holder_name=errand.assistant.name, moved_at=utcnow(),
                       note=issued_by.strip()[:200])
    db.session.add(d)
    db.session.flush()
    matters._record(errand.matter, "custody", actor, step="issued", holder=errand.assistant.name,
                    issued_by=issued_by.strip(), documents=[_describe(d)])
    db.session.expire(errand, ["documents"])
    return d


def custody_of(errand: Errand) -> list[dict]:
    """Each document's present end, in plain terms, for the resident's tracking page: what it is,
    where it is, who keeps it and why, who signed for it and when."""
    rows = []
    for d in errand.documents:
        rows.append({"name": d.name, "kind": "issued" if d.issued else (
            "original" if d.is_original else "copy"), "copies": d.copies, "holder": d.holder,
            "holder_name": d.holder_name, "note": d.note, "signed_by": d.signed_by,
            "signed_at": d.signed_at, "moved_at": d.moved_at})
    return rows


def close_errand(errand: Errand, actor, township=None):
    """Close out the errand (销号): refused while an original is not back with its owner."""
    refusal = close_refusal(errand.matter)
    if refusal:
        raise TransitionError(refusal)
    return matters.close(errand.matter, actor, township)


def errands_for(township, *, assistant=None, centre_id=None, today: date) -> list[Errand]:
    """Errands of an assistant (or handed to a centre): open first, overdue first, by due date."""
    query = (select(Errand).join(Matter, (Matter.township_id == Errand.township_id)
                                 & (Matter.id == Errand.matter_id))
             .where(Errand.township_id == township.id))
    if assistant is not None:
        query = query.where(Errand.assistant_id == assistant.id)
    if centre_id is not None:
        query = query.where(Matter.centre_id == centre_id)
    errands = list(db.session.scalars(query))

    def key(e: Errand):
        m = e.matter
        is_open = State(m.state) in OPEN_STATES or m.state == State.REPLIED
        return (not is_open, not (is_open and m.due_on < today), m.due_on)

    return sorted(errands, key=key)

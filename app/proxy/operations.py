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
from app.proxy.models import Errand, ErrandDocument, Holder


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
    """Original documents not yet back with the resident."""
    return [d for d in errand.documents if d.is_original and d.holder != Holder.RESIDENT]


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
                description: str = "", is_public: bool | None = None) -> Errand:
    """Open an errand for `resident`: a proxy matter plus the documents taken from them.

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
    kind = "原件" if d.is_original else "复印件"
    return f"{d.name}（{kind}{d.copies}份）"


def _move(errand: Errand, actor, *, source: set[Holder], to: Holder, holder_name: str,
          step: str, **data) -> list[ErrandDocument]:
    moved = [d for d in errand.documents if Holder(d.holder) in source]
    if not moved:
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
    """The centre finished: documents go back to the assistant, and the result is the reply."""
    if not result.strip():
        raise TransitionError("请填写办理结果。")
    moved = _move(errand, actor, source={Holder.CENTRE}, to=Holder.RETURNED_TO_ASSISTANT,
                  holder_name=errand.assistant.name, step="returned_to_assistant")
    if State(errand.matter.state) in OPEN_STATES:
        matters.reply(errand.matter, actor, public_text=result)
    return moved


def return_to_resident(errand: Errand, actor, *, confirmed: bool) -> list[ErrandDocument]:
    """The assistant gives the documents back; the resident confirms having them."""
    if not confirmed:
        raise TransitionError("须经群众当面确认收回材料。")
    resident_name = errand.matter.contact_name or "群众"
    return _move(errand, actor, source={Holder.ASSISTANT, Holder.RETURNED_TO_ASSISTANT},
                 to=Holder.RESIDENT, holder_name=resident_name, step="returned_to_resident",
                 confirmed=True)


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

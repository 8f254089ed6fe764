"""会议纪要 with attendance for the township's meetings: an assembly (有奖批评大会) or a studio
session (党代表接待日). The roster comes from the meeting itself; the clerk ticks who came, adds
who else did, and writes what was said and decided. Kept as a document too."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.audit.operations import record
from app.cadres.models import MeetingKind, MeetingMinutes
from app.extensions import db
from app.notices.documents import ANY_STAFF
from app.notices.kinds import register
from app.tenancy import get_scoped


class MinutesError(ValueError):
    pass


@dataclass
class Meeting:
    """What the minutes are about: its title, day, place and roster."""

    kind: MeetingKind
    subject_id: uuid.UUID
    title: str
    held_on: date
    place: str
    roster: list[dict]
    back_endpoint: str
    back_args: dict


def meeting_of(township, kind: str, subject_id) -> Meeting | None:
    """The meeting of `kind` with `subject_id` in `township`, or None (a foreign id)."""
    kind = MeetingKind(kind)
    subject_id = uuid.UUID(str(subject_id))
    if kind == MeetingKind.ASSEMBLY:
        from app.assembly import operations as assembly_ops
        from app.assembly.models import Assembly

        row = get_scoped(Assembly, subject_id, township.id)
        if row is None:
            return None
        roster = [{"name": j.name, "role": "评审团成员", "present": bool(j.present)}
                  for j in assembly_ops.jurors_of(row, drawn=True)]
        for team in assembly_ops.teams_of(row):
            roster += [{"name": n, "role": f"批评团（{team.name}）", "present": True}
                       for n in team.members or []]
        roster += [{"name": s.name, "role": f"监督员（{s.unit}）" if s.unit else "监督员",
                    "present": True} for s in assembly_ops.supervisors_of(row)]
        return Meeting(kind, row.id, row.title, row.held_on, row.venue or "", roster,
                       "assembly.assembly", {"assembly_id": row.id})
    from app.studio.models import DutySession

    row = get_scoped(DutySession, subject_id, township.id)
    if row is None:
        return None
    roster = [{"name": a.member.name, "role": "值班党代表", "present": True}
              for a in sorted(row.assignments, key=lambda a: a.position)]
    return Meeting(kind, row.id, f"{row.studio.name}接待日", row.day, row.studio.place or "",
                   roster, "studio.studio", {"studio_id": row.studio_id})


def minutes_of(township, meeting: Meeting) -> MeetingMinutes | None:
    return db.session.scalar(select(MeetingMinutes).where(
        MeetingMinutes.township_id == township.id, MeetingMinutes.kind == meeting.kind.value,
        MeetingMinutes.subject_id == meeting.subject_id))


def save_minutes(township, actor, meeting: Meeting, *, chair: str, attendance: list[dict],
                 summary: str, decisions: str) -> MeetingMinutes:
    """Write (or correct) the minutes; the audit log keeps every version's changes."""
    if not summary.strip():
        raise MinutesError("请填写会议纪要的主要内容。")
    people = [{"name": a["name"].strip()[:40], "role": (a.get("role") or "").strip()[:60],
               "present": bool(a.get("present"))} for a in attendance if a.get("name", "").strip()]
    if not any(p["present"] for p in people):
        raise MinutesError("请勾选到会人员。")
    row = minutes_of(township, meeting)
    before = None
    if row is None:
        row = MeetingMinutes(township_id=township.id, kind=meeting.kind.value,
                             subject_id=meeting.subject_id, held_on=meeting.held_on,
                             place=meeting.place)
        db.session.add(row)
    else:
        before = {"summary": row.summary, "decisions": row.decisions,
                  "present": len(row.present)}
    row.chair = chair.strip()[:40]
    row.attendance = people
    row.summary = summary.strip()
    row.decisions = decisions.strip()
    row.recorded_by_id = actor.id
    db.session.flush()
    record(township.id, actor, "minutes.save", row, before=before,
           after={"summary": row.summary, "decisions": row.decisions,
                  "present": len(row.present)},
           summary=f"会议纪要：{meeting.title}（到会 {len(row.present)} 人）")
    return row


def minutes_context(township, subject_id, progress=None) -> dict:
    """subject_id: "<kind>:<meeting id>"."""
    kind, _sep, meeting_id = str(subject_id).partition(":")
    meeting = meeting_of(township, kind, meeting_id)
    row = minutes_of(township, meeting) if meeting else None
    if row is None:
        raise LookupError("minutes not found")
    return {"meeting": meeting, "minutes": row,
            "source": {"kind": kind, "meeting": meeting_id, "present": len(row.present)}}


register("meeting_minutes", template="meeting_minutes.html", build_context=minutes_context,
         permission=ANY_STAFF.allows, label=_l("会议纪要"))

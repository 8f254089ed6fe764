"""The studio's business: the duty rota, receptions and their cases, referral and reply, figures.

Explicit arguments, no request state; the caller commits.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from app.accounts.models import User
from app.clock import zone_of
from app.extensions import db
from app.matters import operations as ledger
from app.matters.models import SATISFIED_RATINGS, Channel, Evaluation, Matter, State
from app.models import utcnow
from app.studio.models import (
    DutyAssignment,
    DutySession,
    HolidayRule,
    MemberKind,
    Reception,
    ReceptionChannel,
    Representative,
    Studio,
    StudioCase,
)
from app.townships.models import Township
from app.townships.workdays import WorkCalendar


class StudioError(ValueError):
    """A step the rules do not allow; the message is for people."""


ANSWERED = (State.REPLIED.value, State.CLOSED.value)


WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


_OPENING = re.compile(
    r"^(?:周|星期)([一二三四五六日天])\s*(\d{1,2})[:：](\d{2})\s*[-–—~～至到]\s*(\d{1,2})[:：](\d{2})$")


def parse_pattern(text: str) -> list[dict]:
    """'周六 09:00-11:30；周二 19:00-21:00' → the studio's opening pattern (Monday is 0).

    Written the way people write it: 星期六 or 周六, 9:00 or 09：00, a dash, 至 or ～.
    """
    pattern = []
    for part in re.split(r"[;；,，\n]", text or ""):
        part = part.strip()
        if not part:
            continue
        found = _OPENING.match(part)
        try:
            if found is None:
                raise ValueError(part)
            day_word, h1, m1, h2, m2 = found.groups()
            start, end = time(int(h1), int(m1)), time(int(h2), int(m2))
        except ValueError as exc:
            raise StudioError(f"看不懂“{part}”，请写成“周六 09:00-11:30”。") from exc
        if end <= start:
            raise StudioError(f"“{part}”的结束时间须晚于开始时间。")
        pattern.append({"weekday": "一二三四五六日".index(day_word.replace("天", "日")),
                        "start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")})
    if not pattern:
        raise StudioError("请至少写一个开放时段，如“周六 09:00-11:30”。")
    return pattern


def pattern_text(pattern: list[dict]) -> str:
    return "；".join(f"{WEEKDAYS[p['weekday']]} {p['start']}-{p['end']}" for p in pattern)


def reps_of(studio: Studio) -> list[Representative]:
    return list(db.session.scalars(select(Representative).where(
        Representative.township_id == studio.township_id,
        Representative.studio_id == studio.id, Representative.active.is_(True),
        Representative.kind == MemberKind.REPRESENTATIVE.value).order_by(Representative.name)))


def party_rep_accounts(township_id) -> list:
    """Accounts holding the party_rep role in the township: who a member can be linked to."""
    from app.accounts.models import Role, RoleGrant

    return list(db.session.scalars(
        select(User).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.township_id == township_id, RoleGrant.role == Role.PARTY_REP.value)
        .distinct().order_by(User.name)))


def link_account(member: Representative, user_id) -> None:
    """Link a member to a party_rep account of the township (or unlink with None)."""
    if user_id in (None, ""):
        member.user_id = None
        return
    accounts = {str(u.id): u for u in party_rep_accounts(member.township_id)}
    if str(user_id) not in accounts:
        raise StudioError("只能关联本镇具有党代表角色的账号。")
    member.user_id = accounts[str(user_id)].id


def duties_of_user(township_id, user_id, start: date, limit: int = 8) -> list[DutyAssignment]:
    """The coming duties of whoever is linked to this account, at any studio of the township."""
    return list(db.session.scalars(
        select(DutyAssignment)
        .join(DutySession, (DutySession.township_id == DutyAssignment.township_id)
              & (DutySession.id == DutyAssignment.session_id))
        .join(Representative, (Representative.township_id == DutyAssignment.township_id)
              & (Representative.id == DutyAssignment.member_id))
        .where(DutyAssignment.township_id == township_id, Representative.user_id == user_id,
               DutySession.day >= start)
        .order_by(DutySession.day, DutySession.starts_at).limit(limit)))


def _duty_counts(studio: Studio) -> Counter:
    rows = db.session.execute(
        select(DutyAssignment.member_id, func.count())
        .join(DutySession, (DutySession.township_id == DutyAssignment.township_id)
              & (DutySession.id == DutyAssignment.session_id))
        .where(DutySession.township_id == studio.township_id,
               DutySession.studio_id == studio.id)
        .group_by(DutyAssignment.member_id))
    return Counter(dict(rows.all()))


def generate_month(studio: Studio, month_start: date, reps_per_session: int,
                   skip_holidays: bool = True, since: date | None = None) -> list[DutySession]:
    """Sessions of one month from the opening pattern, with representatives by rotation.

    Days off on the Chinese calendar (holidays and, for a weekday pattern, any day off) follow
    the studio's rule: no session, or the next working day. Weekend patterns are the point of
    a weekend studio, so ordinary weekends are kept; only public holidays move them.
    Rotation is fair: whoever has had the fewest duties at this studio goes first (ties by
    name), and nobody sits twice in one session. Generating a month again adds nothing twice.
    With `since`, days before it are left alone (a month already under way).
    """
    if not studio.active:
        raise StudioError("工作室已停用，不能排班。")
    reps = reps_of(studio)
    if not reps:
        raise StudioError("工作室还没有党代表，无法排班。")
    calendar = WorkCalendar.for_township(studio.township_id)
    month_start = month_start.replace(day=1)
    month_end = (month_start + timedelta(days=32)).replace(day=1)
    counts = _duty_counts(studio)
    created = []
    day = max(month_start, since) if since else month_start
    while day < month_end:
        for opening in studio.pattern or []:
            if day.weekday() != opening["weekday"]:
                continue
            held, moved_from = day, None
            if skip_holidays and calendar.is_public_holiday(day):
                if studio.holiday_rule == HolidayRule.SKIP:
                    continue
                # The next working day that is not already a regular opening at that hour.
                moved_from = day
                held = day + timedelta(days=1)
                while not calendar.is_workday(held) or any(
                        o["weekday"] == held.weekday() and o["start"] == opening["start"]
                        for o in studio.pattern):
                    held += timedelta(days=1)
            starts = time.fromisoformat(opening["start"])
            exists = db.session.scalar(select(DutySession.id).where(
                DutySession.township_id == studio.township_id,
                DutySession.studio_id == studio.id, DutySession.day == held,
                DutySession.starts_at == starts))
            if exists:
                continue
            session = DutySession(township_id=studio.township_id, studio_id=studio.id, day=held,
                                  starts_at=starts, ends_at=time.fromisoformat(opening["end"]),
                                  moved_from=moved_from)
            db.session.add(session)
            db.session.flush()
            chosen = sorted(reps, key=lambda r: (counts[r.id], r.name))[:reps_per_session]
            for position, rep in enumerate(chosen):
                counts[rep.id] += 1
                db.session.add(DutyAssignment(township_id=studio.township_id,
                                              session_id=session.id, position=position,
                                              member_id=rep.id))
            created.append(session)
        day += timedelta(days=1)
    db.session.flush()
    return created


def swap(assignment: DutyAssignment, replacement: Representative, note: str,
         today: date | None = None) -> None:
    """Someone else sits this duty; the rota keeps who was due."""
    if today is not None and assignment.session.day < today:
        raise StudioError("已过去的值班不能换班。")
    if not replacement.active or replacement.kind != MemberKind.REPRESENTATIVE:
        raise StudioError("只能换成在任的党代表。")
    if replacement.studio_id != assignment.session.studio_id:
        raise StudioError("只能换成本工作室的党代表。")
    taken = {a.member_id for a in assignment.session.assignments}
    if replacement.id in taken:
        raise StudioError(f"{replacement.name}已在这次值班中。")
    if not note.strip():
        raise StudioError("换班请写明原因。")
    if assignment.swapped_from_id is None:
        assignment.swapped_from_id = assignment.member_id
    assignment.member_id = replacement.id
    assignment.swap_note = note.strip()[:200]
    db.session.flush()


def retire(member: Representative, today: date) -> int:
    """A member leaves the rota: their coming duties pass to whoever has sat least (a swap on
    record, so the rota shows who was due). Returns how many duties were handed on."""
    member.active = False
    db.session.flush()
    studio = db.session.get(Studio, (member.township_id, member.studio_id))
    coming = db.session.scalars(
        select(DutyAssignment)
        .join(DutySession, (DutySession.township_id == DutyAssignment.township_id)
              & (DutySession.id == DutyAssignment.session_id))
        .where(DutyAssignment.township_id == member.township_id,
               DutyAssignment.member_id == member.id, DutySession.day >= today)
        .order_by(DutySession.day, DutySession.starts_at)).all()
    reps = reps_of(studio)
    counts = _duty_counts(studio)
    handed = 0
    for assignment in coming:
        taken = {a.member_id for a in assignment.session.assignments}
        free = [r for r in reps if r.id not in taken]
        if not free:  # nobody left to sit it: the place stays empty
            db.session.delete(assignment)
            continue
        chosen = min(free, key=lambda r: (counts[r.id], r.name))
        counts[chosen.id] += 1
        swap(assignment, chosen, "离任，自动顺延")
        handed += 1
    db.session.flush()
    return handed


def clear_month(studio: Studio, month_start: date, today: date) -> int:
    """Take back the coming sessions of a month that have received nobody (e.g. after the
    opening hours changed), so the month can be generated again. Past sessions stay."""
    month_start = month_start.replace(day=1)
    month_end = (month_start + timedelta(days=32)).replace(day=1)
    received = select(Reception.session_id).where(
        Reception.township_id == studio.township_id, Reception.session_id.is_not(None))
    sessions = db.session.scalars(select(DutySession).where(
        DutySession.township_id == studio.township_id, DutySession.studio_id == studio.id,
        DutySession.day >= max(month_start, today), DutySession.day < month_end,
        DutySession.id.not_in(received))).all()
    for session in sessions:
        for assignment in db.session.scalars(select(DutyAssignment).where(
                DutyAssignment.township_id == studio.township_id,
                DutyAssignment.session_id == session.id)):
            db.session.delete(assignment)
        db.session.flush()
        db.session.delete(session)
    db.session.flush()
    return len(sessions)


def sessions_between(studio: Studio, start: date, end: date) -> list[DutySession]:
    return list(db.session.scalars(select(DutySession).where(
        DutySession.township_id == studio.township_id, DutySession.studio_id == studio.id,
        DutySession.day >= start, DutySession.day < end)
        .order_by(DutySession.day, DutySession.starts_at)))


def receptions_per_session(studio: Studio, start: date, end: date) -> dict:
    """How many visitors each session of the period received (sessions without any: absent)."""
    rows = db.session.execute(
        select(Reception.session_id, func.count())
        .join(DutySession, (DutySession.township_id == Reception.township_id)
              & (DutySession.id == Reception.session_id))
        .where(Reception.township_id == studio.township_id, DutySession.studio_id == studio.id,
               DutySession.day >= start, DutySession.day < end)
        .group_by(Reception.session_id))
    return dict(rows.all())


# ---------------------------------------------------------------- receptions and cases

def receive(township, studio: Studio, actor, *, channel: str, topic: str, said: str = "",
            suggestions: list[str], member: Representative | None = None,
            session: DutySession | None = None, visitor_name: str | None = None,
            visitor_phone: str | None = None, reply_workdays: int | None = None,
            now=None, is_public: bool | None = None,
            notify_consent: bool = False) -> Reception:
    """Register a reception; each suggestion or request becomes a matter (channel studio).
    `notify_consent`: the visitor agreed to be told of each matter (app.notices.residents)."""
    suggestions = [s.strip() for s in suggestions if s and s.strip()]
    if not topic.strip():
        raise StudioError("请填写接待主题。")
    if not suggestions:
        raise StudioError("请至少登记一条意见建议或诉求。")
    reception = Reception(township_id=township.id, studio_id=studio.id,
                          session_id=getattr(session, "id", None),
                          member_id=getattr(member, "id", None),
                          channel=ReceptionChannel(channel).value,
                          visitor_name=(visitor_name or "").strip() or None,
                          visitor_phone=(visitor_phone or "").strip() or None,
                          topic=topic.strip(), said=said.strip(),
                          received_at=now or utcnow())
    db.session.add(reception)
    db.session.flush()
    context = f"{topic.strip()}：{said.strip()}" if said.strip() else topic.strip()
    for text in suggestions:
        # Every word is kept: the title is a headline, the whole text is the matter's description
        # and the case's own text.
        title = text if len(text) <= 120 else text[:119] + "…"
        matter = ledger.create_matter(
            township, channel=Channel.STUDIO, title=title, actor=actor,
            description=text if text == title and not context else f"{text}\n\n{context}",
            category="suggestion", contact_name=reception.visitor_name,
            contact_phone=reception.visitor_phone, workdays=reply_workdays, now=now,
            is_public=is_public,
            extra={"studio": studio.name, "received_by": getattr(member, "name", None)})
        if notify_consent:
            from app.notices import residents

            residents.agree(township, matter, given_at=Channel.STUDIO.value, actor=actor)
        if member is not None and member.user_id is not None:
            # The representative who received it answers for it until it is answered; with an
            # account, it is theirs in the ledger too (their list, their due-date reminders).
            ledger.assign(matter, actor, assignee=db.session.get(User, member.user_id))
        db.session.add(StudioCase(township_id=township.id, reception_id=reception.id,
                                  matter_id=matter.id, member_id=getattr(member, "id", None),
                                  text=text))
    db.session.flush()
    return reception


def refer(case: StudioCase, actor, *, unit: str = "", due: date, centre=None,
          today: date | None = None) -> None:
    """What the representative cannot solve goes to a department or centre, with a deadline.

    The matter is assigned (the ledger keeps the event); the case keeps whom it went to and by
    when they must answer, for the referral badge and the reply notice.
    """
    unit = (unit or "").strip()
    if not unit and centre is None:
        raise StudioError("请填写转办的部门或中心。")
    if today is not None and due < today:
        raise StudioError("答复期限不能早于今天。")
    if case.referred_to:
        raise StudioError(f"已转办{case.referred_to}。")
    # The representative stays the one who follows it up; the unit is who must answer.
    follower = db.session.get(User, case.matter.assignee_id) if case.matter.assignee_id \
        else None
    ledger.assign(case.matter, actor, assignee=follower, centre=centre, unit_name=unit or None,
                  commitment=f"请于{due:%Y年%m月%d日}前答复", commitment_due=due)
    case.referred_to = unit or centre.name
    case.referral_due = due
    db.session.flush()


def answer(case: StudioCase, actor, *, text: str, township) -> None:
    """The answer to the visitor, by the representative or the department referred to."""
    ledger.reply(case.matter, actor, public_text=text, township=township)


def rate(case: StudioCase, actor, *, rating: str, source: str, comment: str = "",
         township) -> None:
    """The visitor's rating, heard by a representative (the ledger keeps who entered it and how;
    a dissatisfied rating reopens the matter)."""
    from app.matters.models import EvaluationSource

    how = EvaluationSource(source).label
    ledger.evaluate(case.matter, rating=rating, source=source, comment=comment,
                    entered_by=actor, how=how, township=township)


CASE_FILTERS = ("open", "referred", "overdue", "answered", "good")


def filter_cases(cases: list[StudioCase], which: str | None, today: date,
                 member_id=None) -> list[StudioCase]:
    """The cases page's filters: waiting for an answer, referred, past the deadline, answered,
    good examples (each the rows behind a figure); optionally only what one representative
    received."""
    def keep(case: StudioCase) -> bool:
        answered = case.matter.state in ANSWERED
        return {
            "open": not answered,
            "referred": bool(case.referred_to),
            "overdue": not answered and case.matter.due_on is not None
            and (case.referral_due or case.matter.due_on) < today,
            "answered": answered,
            "good": case.good_example,
        }.get(which or "", True)

    return [c for c in cases if keep(c) and (member_id is None or c.member_id == member_id)]


def cases_of(studio: Studio) -> list[StudioCase]:
    return list(db.session.scalars(
        select(StudioCase).join(Reception, (Reception.township_id == StudioCase.township_id)
                                & (Reception.id == StudioCase.reception_id))
        .where(StudioCase.township_id == studio.township_id, Reception.studio_id == studio.id)
        .order_by(StudioCase.created_at.desc())))


# ---------------------------------------------------------------- figures

@dataclass(frozen=True)
class StudioFigures:
    name: str
    sessions: int
    visitors: int
    suggestions: int
    referred: int
    replied: int
    on_time: int
    rated: int
    satisfied: int

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def reply_rate(self) -> float | None:
        return self._rate(self.replied, self.suggestions)

    @property
    def on_time_rate(self) -> float | None:
        return self._rate(self.on_time, self.replied)

    @property
    def satisfaction_rate(self) -> float | None:
        return self._rate(self.satisfied, self.rated)


def figures(studio: Studio, today: date, member: Representative | None = None,
            since: date | None = None) -> StudioFigures:
    """Sessions held, visitors, suggestions, referred, replied (on time), satisfaction — for the
    studio, or for one representative (the sessions they sat, what they received); from `since`
    (a local date) when given, otherwise since the studio opened."""
    tid = studio.township_id
    township = db.session.get(Township, tid)
    zone = zone_of(township) if township is not None else UTC
    sessions = select(func.count()).select_from(DutySession).where(
        DutySession.township_id == tid, DutySession.studio_id == studio.id,
        DutySession.day <= today)
    receptions = select(func.count()).select_from(Reception).where(
        Reception.township_id == tid, Reception.studio_id == studio.id)
    cases = (select(StudioCase.id, StudioCase.referred_to, Matter.state, Matter.replied_at,
                    Matter.due_on, Matter.id)
             .join(Reception, (Reception.township_id == StudioCase.township_id)
                   & (Reception.id == StudioCase.reception_id))
             .join(Matter, (Matter.township_id == StudioCase.township_id)
                   & (Matter.id == StudioCase.matter_id))
             .where(StudioCase.township_id == tid, Reception.studio_id == studio.id))
    if since is not None:
        start = datetime.combine(since, time(), tzinfo=zone).astimezone(UTC)
        sessions = sessions.where(DutySession.day >= since)
        receptions = receptions.where(Reception.received_at >= start)
        cases = cases.where(Reception.received_at >= start)
    if member is not None:
        sessions = sessions.join(DutyAssignment, (
            DutyAssignment.township_id == DutySession.township_id)
            & (DutyAssignment.session_id == DutySession.id)).where(
            DutyAssignment.member_id == member.id)
        receptions = receptions.where(Reception.member_id == member.id)
        cases = cases.where(StudioCase.member_id == member.id)
    rows = db.session.execute(cases).all()
    replied = [r for r in rows if r.state in ANSWERED]
    on_time = [r for r in replied if r.replied_at is not None and
               r.replied_at.astimezone(zone).date() <= r.due_on]
    matter_ids = [r[5] for r in rows]
    satisfied_values = [r.value for r in SATISFIED_RATINGS]
    ratings = db.session.execute(
        select(Evaluation.rating).where(Evaluation.township_id == tid,
                                        Evaluation.matter_id.in_(matter_ids))).scalars().all() \
        if matter_ids else []
    return StudioFigures(
        name=member.name if member is not None else studio.name,
        sessions=db.session.scalar(sessions) or 0, visitors=db.session.scalar(receptions) or 0,
        suggestions=len(rows), referred=sum(1 for r in rows if r.referred_to),
        replied=len(replied), on_time=len(on_time), rated=len(ratings),
        satisfied=sum(1 for r in ratings if r in satisfied_values))

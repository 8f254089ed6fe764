"""Cadres' duties and evaluations: the business rules, without request globals.

The caller commits.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import secrets
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from app.cadres.models import (
    ActionOccurrence,
    CaseState,
    CaseWriteUp,
    Commitment,
    CommitmentRating,
    CommitmentState,
    DutyKind,
    DutyRecord,
    EvaluationRound,
    Frequency,
    OutreachKind,
    ParticipantCategory,
    Question,
    QuestionKind,
    RequiredAction,
    RoundParticipant,
    RoundRating,
    RoundState,
    TestAttempt,
)
from app.extensions import db
from app.matters.models import SATISFIED_RATINGS, Rating
from app.models import utcnow


class CadreError(ValueError):
    """A step the rules do not allow; the message is for people."""


# ---------------------------------------------------------------- required actions (十个一)

def period_key(frequency: str, day: date) -> str:
    """The period a day falls in, for a frequency: 2026-W47, 2026-11, 2026-Q4, 2026-H2, 2026."""
    frequency = Frequency(frequency)
    if frequency == Frequency.WEEKLY:
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if frequency == Frequency.MONTHLY:
        return f"{day.year}-{day.month:02d}"
    if frequency == Frequency.QUARTERLY:
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if frequency == Frequency.HALF_YEARLY:
        return f"{day.year}-H{1 if day.month <= 6 else 2}"
    return str(day.year)


def create_action(township, *, name: str, frequency: str, owner, unit_name: str = "",
                  description: str = "") -> RequiredAction:
    """A required action with its frequency and the person answerable for it."""
    action = RequiredAction(township_id=township.id, name=name.strip(),
                            frequency=Frequency(frequency).value, owner_id=owner.id,
                            unit_name=unit_name.strip(), description=description.strip())
    db.session.add(action)
    db.session.flush()
    return action


EVIDENCE_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
                  ".pdf": "application/pdf"}


def record_occurrence(action: RequiredAction, actor, *, day: date, done: bool, note: str = "",
                      visit=None, matter=None, attachment: tuple[str, bytes] | None = None,
                      reception=None, assembly=None, storage=None) -> ActionOccurrence:
    """Tick this period's occurrence as done (with evidence) or missed.

    Evidence is a note, a linked visit (走访, 下访 or 接访), matter, studio reception or
    assembly (a meeting), or an attached photo or scan (`attachment` = (file name, bytes)).
    A later entry for the same period corrects the earlier one; an earlier attachment stays
    unless a new one is given.
    """
    if attachment is not None:
        suffix = Path(attachment[0]).suffix.lower()
        if suffix not in EVIDENCE_TYPES or not attachment[1]:
            raise CadreError("佐证附件须为照片（JPG、PNG）或 PDF。")
    if done and not (note.strip() or visit or matter or attachment or reception or assembly):
        raise CadreError("完成须留下佐证：说明、关联的走访、接待、会议或事项，或附上照片、扫描件。")
    period = period_key(action.frequency, day)
    row = db.session.scalar(select(ActionOccurrence).where(
        ActionOccurrence.township_id == action.township_id,
        ActionOccurrence.action_id == action.id, ActionOccurrence.period == period))
    if row is None:
        row = ActionOccurrence(township_id=action.township_id, action_id=action.id,
                               period=period, done=done, recorded_by_id=actor.id)
        db.session.add(row)
    row.done = done
    row.note = note.strip()
    row.visit_id = getattr(visit, "id", None)
    row.matter_id = getattr(matter, "id", None)
    row.reception_id = getattr(reception, "id", None)
    row.assembly_id = getattr(assembly, "id", None)
    row.recorded_by_id = actor.id
    if attachment is not None:
        if storage is None:
            from app.notices.storage import storage as default_storage

            storage = default_storage()
        name, data = attachment
        key = f"{action.township_id}/evidence/{uuid.uuid4().hex}{Path(name).suffix.lower()}"
        storage.put(key, data)
        row.attachment_key, row.attachment_name = key, Path(name).name[:120]
    db.session.flush()
    return row


@dataclass
class ActionStatus:
    action: RequiredAction
    period: str
    occurrence: ActionOccurrence | None

    @property
    def state(self) -> str:
        if self.occurrence is None:
            return "pending"
        return "done" if self.occurrence.done else "missed"


def actions_this_period(township_id, today: date, owner_id=None) -> list[ActionStatus]:
    """Every active action with this period's tick, done, missed or still pending."""
    query = select(RequiredAction).where(RequiredAction.township_id == township_id,
                                         RequiredAction.active.is_(True))
    if owner_id is not None:
        query = query.where(RequiredAction.owner_id == owner_id)
    actions = db.session.scalars(query.order_by(RequiredAction.frequency,
                                                RequiredAction.name)).all()
    keys = {a.id: period_key(a.frequency, today) for a in actions}
    found = {}
    if actions:
        rows = db.session.scalars(select(ActionOccurrence).where(
            ActionOccurrence.township_id == township_id,
            ActionOccurrence.action_id.in_(list(keys)),
            ActionOccurrence.period.in_(set(keys.values())))).all()
        found = {(r.action_id, r.period): r for r in rows}
    return [ActionStatus(a, keys[a.id], found.get((a.id, keys[a.id]))) for a in actions]


# ---------------------------------------------------------------- commitments (承诺 亮诺 践诺 评诺)

def make_commitment(township, cadre, *, text: str, due_on: date, matter=None,
                    is_public: bool = True) -> Commitment:
    """A cadre's commitment, shown publicly when is_public (亮诺)."""
    if not text.strip():
        raise CadreError("承诺内容不能为空。")
    commitment = Commitment(township_id=township.id, cadre_id=cadre.id, year=due_on.year,
                            text=text.strip(), due_on=due_on, matter_id=getattr(matter, "id", None),
                            is_public=is_public, rating_token=secrets.token_urlsafe(18))
    db.session.add(commitment)
    db.session.flush()
    return commitment


def settle_commitment(commitment: Commitment, actor, *, kept: bool, evidence: str) -> Commitment:
    """Record whether the commitment was kept (践诺), with evidence."""
    if commitment.state != CommitmentState.MADE:
        raise CadreError("该承诺已经有结论。")
    if not evidence.strip():
        raise CadreError("请写明兑现情况作为佐证。")
    commitment.state = (CommitmentState.KEPT if kept else CommitmentState.NOT_KEPT).value
    commitment.evidence = evidence.strip()
    commitment.settled_at = utcnow()
    return commitment


def rater_key(township_id, phone: str, secret: str) -> str | None:
    """The key of one resident for 评诺: a keyed hash of the phone number the township's register
    holds for them (a household's or a resident's), or None when the register does not know it."""
    from app.households.models import Household, Resident

    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    if len(digits) < 7:
        return None
    spellings = {digits, (phone or "").strip()}
    known = db.session.scalar(select(Household.id).where(
        Household.township_id == township_id, Household.phone.in_(spellings)).limit(1)) or \
        db.session.scalar(select(Resident.id).where(
            Resident.township_id == township_id, Resident.phone.in_(spellings)).limit(1))
    if known is None:
        return None
    return hmac.new(secret.encode(), f"{township_id}:{digits}".encode(),
                    hashlib.sha256).hexdigest()


def rate_commitment(commitment: Commitment, *, rating: str, comment: str = "",
                    rater: str | None = None) -> CommitmentRating:
    """A resident rates a settled commitment (评诺) once: `rater` is their `rater_key`."""
    if commitment.state == CommitmentState.MADE:
        raise CadreError("承诺兑现后才能评价。")
    if not rater:
        raise CadreError("请填写您在本镇登记的手机号，每位群众对每项承诺评价一次。")
    already = db.session.scalar(select(CommitmentRating.id).where(
        CommitmentRating.township_id == commitment.township_id,
        CommitmentRating.commitment_id == commitment.id, CommitmentRating.rater_key == rater))
    if already:
        raise CadreError("您已经评价过这项承诺了，谢谢。")
    row = CommitmentRating(township_id=commitment.township_id, commitment_id=commitment.id,
                           rating=Rating(rating).value, comment=comment.strip()[:500],
                           rater_key=rater)
    db.session.add(row)
    db.session.flush()
    return row


def commitment_results(township_id, commitment_ids) -> dict:
    """For each commitment: {"count": n, "by_rating": {rating: n}, "satisfaction": share or None},
    from the rows (the public page and the cadre's own page show the same figures)."""
    results = {cid: {"count": 0, "by_rating": {}, "satisfaction": None} for cid in commitment_ids}
    if not results:
        return results
    rows = db.session.execute(
        select(CommitmentRating.commitment_id, CommitmentRating.rating, func.count())
        .where(CommitmentRating.township_id == township_id,
               CommitmentRating.commitment_id.in_(list(results)))
        .group_by(CommitmentRating.commitment_id, CommitmentRating.rating))
    for cid, rating, n in rows:
        entry = results[cid]
        entry["by_rating"][rating] = n
        entry["count"] += n
    for entry in results.values():
        if entry["count"]:
            satisfied = sum(n for r, n in entry["by_rating"].items() if Rating(r).is_satisfied)
            entry["satisfaction"] = satisfied / entry["count"]
    return results


# ---------------------------------------------------------------- evaluation rounds

def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_round(township, *, title: str, cadres, min_participants: int = 50,
               results_public: bool = False) -> EvaluationRound:
    """Open an evaluation round for a set of cadres."""
    if not cadres:
        raise CadreError("请选择至少一名被评议干部。")
    row = EvaluationRound(township_id=township.id, title=title.strip(),
                          min_participants=min_participants, results_public=results_public,
                          cadre_ids=[str(c.id) for c in cadres])
    db.session.add(row)
    db.session.flush()
    return row


def invite_participants(round_: EvaluationRound, *, category: str, count: int,
                        label_prefix: str = "") -> list[tuple[RoundParticipant, str]]:
    """Personal links for `count` participants of a category. The raw tokens are returned once."""
    if round_.state != RoundState.OPEN:
        raise CadreError("评议已结束。")
    category = ParticipantCategory(category)
    existing = db.session.scalar(select(func.count()).select_from(RoundParticipant).where(
        RoundParticipant.township_id == round_.township_id,
        RoundParticipant.round_id == round_.id))
    made = []
    for n in range(count):
        token = secrets.token_urlsafe(16)
        participant = RoundParticipant(
            township_id=round_.township_id, round_id=round_.id, category=category.value,
            label=f"{label_prefix or category.label}-{existing + n + 1:03d}",
            token_hash=_hash(token))
        db.session.add(participant)
        made.append((participant, token))
    db.session.flush()
    return made


def participant_for_token(township_id, token: str) -> RoundParticipant | None:
    return db.session.scalar(select(RoundParticipant).where(
        RoundParticipant.township_id == township_id,
        RoundParticipant.token_hash == _hash(token)))


def submit_ratings(round_: EvaluationRound, participant: RoundParticipant,
                   ratings: dict[str, tuple[str, str]]) -> int:
    """A participant rates cadres; each cadre once. Ratings are stored without the participant."""
    if round_.state != RoundState.OPEN:
        raise CadreError("评议已结束，不能再提交。")
    already = set(participant.rated_cadre_ids)
    valid = set(round_.cadre_ids)
    stored = 0
    for cadre_id, (rating, comment) in ratings.items():
        if cadre_id not in valid:
            raise CadreError("被评议干部不在本轮名单中。")
        if cadre_id in already:
            raise CadreError("您已经评议过这位干部。")
        db.session.add(RoundRating(township_id=round_.township_id, round_id=round_.id,
                                   cadre_id=_uuid(cadre_id), category=participant.category,
                                   rating=Rating(rating).value, comment=comment.strip()[:500]))
        already.add(cadre_id)
        stored += 1
    participant.rated_cadre_ids = sorted(already)
    db.session.flush()
    return stored


def enter_paper_form(round_: EvaluationRound, *, category: str,
                     ratings: dict[str, tuple[str, str]]) -> RoundParticipant:
    """The clerk types in one paper form: counted as one participant, anonymous like the rest."""
    participant, _token = invite_participants(round_, category=category, count=1,
                                              label_prefix="纸质表")[0]
    participant.paper = True
    submit_ratings(round_, participant, ratings)
    return participant


def participants_who_rated(round_: EvaluationRound) -> int:
    rows = db.session.scalars(select(RoundParticipant.rated_cadre_ids).where(
        RoundParticipant.township_id == round_.township_id,
        RoundParticipant.round_id == round_.id)).all()
    return sum(1 for r in rows if r)


def close_round(round_: EvaluationRound, *, force: bool = False) -> EvaluationRound:
    """Close the round; refused below the township's minimum number of participants."""
    if round_.state != RoundState.OPEN:
        raise CadreError("评议已结束。")
    taken = participants_who_rated(round_)
    if taken < round_.min_participants and not force:
        raise CadreError(f"参与评议的只有 {taken} 人，少于规定的 {round_.min_participants} 人。")
    round_.state = RoundState.CLOSED.value
    round_.closed_at = utcnow()
    return round_


@dataclass
class CadreResult:
    cadre_id: str
    count: int = 0
    by_rating: Counter = field(default_factory=Counter)
    by_category: Counter = field(default_factory=Counter)
    comments: list[str] = field(default_factory=list)

    @property
    def satisfaction(self) -> float | None:
        if not self.count:
            return None
        satisfied = sum(n for r, n in self.by_rating.items() if Rating(r) in SATISFIED_RATINGS)
        return satisfied / self.count


def round_results(round_: EvaluationRound) -> list[CadreResult]:
    """Per cadre: how many rated, by level and category, and satisfaction.

    Comments come sorted, so their order says nothing about who wrote them.
    """
    results = {cid: CadreResult(cid) for cid in round_.cadre_ids}
    rows = db.session.execute(select(RoundRating.cadre_id, RoundRating.category,
                                     RoundRating.rating, RoundRating.comment).where(
        RoundRating.township_id == round_.township_id, RoundRating.round_id == round_.id)).all()
    for cadre_id, category, rating, comment in rows:
        result = results.setdefault(str(cadre_id), CadreResult(str(cadre_id)))
        result.count += 1
        result.by_rating[rating] += 1
        result.by_category[category] += 1
        if comment:
            result.comments.append(comment)
    for result in results.values():
        result.comments.sort()
    return list(results.values())


# ---------------------------------------------------------------- typical cases (典型案例)

def submit_case(township, author, *, title: str, body: str, matter=None, visit=None) -> CaseWriteUp:
    if not title.strip() or not body.strip():
        raise CadreError("标题和正文都不能为空。")
    case = CaseWriteUp(township_id=township.id, author_id=author.id, title=title.strip(),
                       body=body.strip(), matter_id=getattr(matter, "id", None),
                       visit_id=getattr(visit, "id", None))
    db.session.add(case)
    db.session.flush()
    return case


def review_case(case: CaseWriteUp, leader, *, approve: bool, note: str = "") -> CaseWriteUp:
    """A leader approves a case (then it is public) or returns it for changes, saying what to
    change; the decision is kept in the audit log, the case's history."""
    from app.audit.operations import record

    if case.state == CaseState.APPROVED:
        raise CadreError("该案例已采用。")
    if case.state == CaseState.RETURNED:
        raise CadreError("该案例已退回，等作者修改后再审核。")
    if case.author_id == leader.id:
        raise CadreError("不能审核自己写的案例。")
    if not approve and not note.strip():
        raise CadreError("退回修改请写明要改什么。")
    before = case.state
    case.state = (CaseState.APPROVED if approve else CaseState.RETURNED).value
    case.approved_by_id = leader.id if approve else None
    case.approved_at = utcnow() if approve else None
    record(case.township_id, leader, "case.approve" if approve else "case.return", case,
           before={"state": before}, after={"state": case.state, "note": note.strip()},
           summary=("采用并公开" if approve else f"退回修改：{note.strip()}")[:200])
    return case


def resubmit_case(case: CaseWriteUp, author, *, title: str, body: str) -> CaseWriteUp:
    """The author edits a case returned for changes and sends it again for review; what it said
    before is kept in the audit log."""
    from app.audit.operations import changed, record, snapshot

    if case.author_id != author.id:
        raise CadreError("只有作者本人可以修改案例。")
    if case.state != CaseState.RETURNED:
        raise CadreError("只有退回修改的案例可以修改后重新提交。")
    if not title.strip() or not body.strip():
        raise CadreError("标题和正文都不能为空。")
    before = snapshot(case, ("title", "body", "state"))
    case.title, case.body = title.strip(), body.strip()
    case.state = CaseState.SUBMITTED.value
    old, new = changed(before, snapshot(case, ("title", "body", "state")))
    record(case.township_id, author, "case.resubmit", case, before=old, after=new,
           summary="修改后重新提交")
    db.session.flush()
    return case


# ---------------------------------------------------------------- the knowledge test (应知应会)

def add_question(township, *, kind: str, text: str, options: list[str], answer: list[int],
                 tags: list[str] | None = None, study_note: str = "") -> Question:
    kind = QuestionKind(kind)
    if kind == QuestionKind.TRUE_FALSE:
        options = ["正确", "错误"]
    options = [o.strip() for o in options if o.strip()]
    if len(options) < 2:
        raise CadreError("至少需要两个选项。")
    if not answer or any(i < 0 or i >= len(options) for i in answer):
        raise CadreError("正确答案须是选项之一。")
    if kind != QuestionKind.MULTIPLE and len(answer) != 1:
        raise CadreError("单选题和判断题只有一个正确答案。")
    question = Question(township_id=township.id, kind=kind.value, text=text.strip(),
                        options=options, answer=sorted(set(answer)), tags=tags or [],
                        study_note=study_note.strip())
    db.session.add(question)
    db.session.flush()
    return question


def draw_test(township, user, *, count: int = 5, minutes: int = 10, tag: str | None = None,
              now: datetime | None = None, rng: random.Random | None = None) -> TestAttempt:
    """Draw `count` questions at random (optionally of one tag) with a time limit."""
    query = select(Question.id, Question.tags).where(Question.township_id == township.id,
                                                     Question.active.is_(True))
    pool = [qid for qid, tags in db.session.execute(query).all() if not tag or tag in tags]
    if len(pool) < count:
        raise CadreError(f"题库里只有 {len(pool)} 道题，不够抽 {count} 道。")
    chosen = (rng or random.SystemRandom()).sample(pool, count)
    now = now or utcnow()
    attempt = TestAttempt(township_id=township.id, user_id=user.id,
                          question_ids=[str(q) for q in chosen], time_limit_minutes=minutes,
                          deadline=now + timedelta(minutes=minutes))
    db.session.add(attempt)
    db.session.flush()
    return attempt


GRACE = timedelta(seconds=30)  # for the page's own submit after the clock runs out


def submit_test(attempt: TestAttempt, answers: dict[str, list[int]],
                now: datetime | None = None) -> TestAttempt:
    """Score the answers (a question is right only if exactly the right options are chosen).

    Past the time limit the answers are not taken: what was not answered in time scores nothing.
    """
    if attempt.finished_at is not None:
        raise CadreError("这次测试已经交卷。")
    now = now or utcnow()
    late = now > attempt.deadline + GRACE
    questions = {str(q.id): q for q in db.session.scalars(select(Question).where(
        Question.township_id == attempt.township_id,
        Question.id.in_([_uuid(i) for i in attempt.question_ids])))}
    given = {} if late else {k: sorted(set(v)) for k, v in answers.items()
                             if k in questions}
    wrong = [qid for qid in attempt.question_ids
             if given.get(qid) != sorted(questions[qid].answer)]
    attempt.answers = given
    attempt.wrong_ids = wrong
    total = len(attempt.question_ids)
    attempt.score = round(100 * (total - len(wrong)) / total) if total else 0
    attempt.finished_at = now
    return attempt


# ---------------------------------------------------------------- 五必到 and 四到户

def record_duty(township, member, household, *, kind: str, on_date: date,
                note: str = "") -> DutyRecord:
    """A party member was there for a household (五必到), or reached it with something (四到户)."""
    family, _, value = kind.partition(":")
    if family == "duty":
        DutyKind(value)
    elif family == "outreach":
        OutreachKind(value)
    else:
        raise CadreError("未知的记录类型。")
    row = DutyRecord(township_id=township.id, household_id=household.id, member_id=member.id,
                     kind=kind, on_date=on_date, note=note.strip())
    db.session.add(row)
    db.session.flush()
    return row


def outreach_checklist(township_id, member_id, year: int, households) -> dict:
    """{household_id: {OutreachKind: reached?}} for a member's households in a year."""
    rows = db.session.execute(select(DutyRecord.household_id, DutyRecord.kind).where(
        DutyRecord.township_id == township_id, DutyRecord.member_id == member_id,
        DutyRecord.kind.like("outreach:%"),
        DutyRecord.on_date >= date(year, 1, 1), DutyRecord.on_date <= date(year, 12, 31))).all()
    reached = {(hid, kind.split(":", 1)[1]) for hid, kind in rows}
    return {h.id: {k: (h.id, k.value) in reached for k in OutreachKind} for h in households}


def _uuid(value):
    import uuid

    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))

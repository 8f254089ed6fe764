"""双评价: residents evaluate cadres in rounds, the organisation evaluates them too, and the two
are combined into one result per cadre per year with weights the township sets
(shared/seeds/001, Yishui). The residents' part is the satisfaction of the rounds closed in that
year; the organisation's part is its 0–100 score."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select

from app.accounts.models import Role, RoleGrant, User
from app.audit.operations import record
from app.cadres.models import EvaluationRound, OrgAssessment, RoundRating, RoundState
from app.extensions import db
from app.matters.models import SATISFIED_RATINGS

DEFAULT_WEIGHTS = {"residents": 60, "organisation": 40}


class DualError(ValueError):
    pass


def settings_of(township) -> dict:
    """{"residents": weight, "organisation": weight, "public": bool}: the township's choice."""
    own = (township.settings or {}).get("dual_evaluation") or {}
    return {"residents": int(own.get("residents", DEFAULT_WEIGHTS["residents"])),
            "organisation": int(own.get("organisation", DEFAULT_WEIGHTS["organisation"])),
            "public": bool(own.get("public", False))}


def set_weights(township, actor, *, residents: int, organisation: int, public: bool) -> None:
    if residents < 0 or organisation < 0 or residents + organisation != 100:
        raise DualError("两项权重须为非负整数，合计 100。")
    before = settings_of(township)
    after = {"residents": residents, "organisation": organisation, "public": public}
    township.settings = {**(township.settings or {}), "dual_evaluation": after}
    record(township.id, actor, "settings.dual_evaluation", township, before=before, after=after,
           summary=f"双评价权重：群众 {residents}%，组织 {organisation}%")


def assess(township, actor, *, cadre: User, year: int, score: int, note: str = "") -> OrgAssessment:
    """The organisation's score of `cadre` for `year` (entered again, it is corrected; the audit
    log keeps the earlier one). Nobody scores themselves."""
    if actor.id == cadre.id:
        raise DualError("不能给自己打组织评价分。")
    if not 0 <= score <= 100:
        raise DualError("组织评价须是 0 到 100 分。")
    row = db.session.scalar(select(OrgAssessment).where(
        OrgAssessment.township_id == township.id, OrgAssessment.year == year,
        OrgAssessment.cadre_id == cadre.id))
    before = {"score": row.score, "note": row.note} if row else None
    if row is None:
        row = OrgAssessment(township_id=township.id, year=year, cadre_id=cadre.id, score=score)
        db.session.add(row)
    row.score, row.note, row.assessor_id = score, note.strip(), actor.id
    db.session.flush()
    record(township.id, actor, "cadre.org_assessment", row, before=before,
           after={"score": score, "note": note.strip()},
           summary=f"{year} 年组织评价：{cadre.name} {score} 分")
    return row


@dataclass
class DualResult:
    cadre: User
    rated: int  # residents' ratings counted
    residents: float | None  # satisfaction share, 0..1
    organisation: int | None  # 0..100
    combined: float | None  # 0..100, with the township's weights


def results(township, year: int) -> list[DualResult]:
    """Each cadre's 双评价 for `year`, best combined first (a cadre missing either part has no
    combined result yet)."""
    zone = ZoneInfo(township.timezone)
    start = datetime(year, 1, 1, tzinfo=zone).astimezone(UTC)
    end = datetime(year + 1, 1, 1, tzinfo=zone).astimezone(UTC)
    rounds = select(EvaluationRound.id).where(
        EvaluationRound.township_id == township.id,
        EvaluationRound.state == RoundState.CLOSED.value,
        EvaluationRound.closed_at >= start, EvaluationRound.closed_at < end)
    satisfied = func.sum(case(
        (RoundRating.rating.in_([r.value for r in SATISFIED_RATINGS]), 1), else_=0))
    residents = {cid: (n, s or 0) for cid, n, s in db.session.execute(
        select(RoundRating.cadre_id, func.count(), satisfied).where(
            RoundRating.township_id == township.id, RoundRating.round_id.in_(rounds))
        .group_by(RoundRating.cadre_id))}
    org = dict(db.session.execute(select(OrgAssessment.cadre_id, OrgAssessment.score).where(
        OrgAssessment.township_id == township.id, OrgAssessment.year == year)).all())
    cadre_ids = set(db.session.scalars(select(RoleGrant.user_id).where(
        RoleGrant.township_id == township.id, RoleGrant.role == Role.CADRE))) \
        | set(residents) | set(org)
    weights = settings_of(township)
    out = []
    for user in db.session.scalars(select(User).where(User.id.in_(list(cadre_ids)))) \
            if cadre_ids else []:
        n, s = residents.get(user.id, (0, 0))
        share = s / n if n else None
        score = org.get(user.id)
        combined = None
        if share is not None and score is not None:
            combined = round((share * 100 * weights["residents"]
                              + score * weights["organisation"]) / 100, 1)
        out.append(DualResult(user, n, share, score, combined))
    return sorted(out, key=lambda r: (r.combined is None, -(r.combined or 0), r.cadre.name))

"""Demo visit diaries: twelve months of visits by month (走访 by the cadres, 下访 and 接访 by the
leaders), every village visited every month, and a few findings of the latest raised as matters."""

from __future__ import annotations

import random
from datetime import UTC, date, time, timedelta

from sqlalchemy import insert, select

from app.clock import at_local, utcnow
from app.extensions import db
from app.households.models import Household, Visit, VisitKind
from app.matters.operations import local_today
from app.models import new_id
from app.visits import operations as ops

FINDINGS = [
    {"hardship": "老两口独居，冬季取暖煤不够用。"},
    {"prosperity": "想扩大大棚种植，缺少技术指导。"},
    {"dispute": "与邻居因宅基地边界有争执。"},
    {"suggestion": "希望村里路灯晚上多开一个小时。"},
    {},
    {},
]


def seed(township) -> None:
    if db.session.scalar(select(Visit.id).where(Visit.township_id == township.id).limit(1)):
        return  # seeded already (or real diaries exist)
    households = db.session.scalars(
        select(Household).where(Household.township_id == township.id,
                                Household.active.is_(True))
        .order_by(Household.head_name)).all()
    if not households:
        return
    rng = random.Random(str(township.id))  # the same demo every time
    today = local_today(township)
    visits = _history(township, households, rng, today)
    if visits:
        db.session.execute(insert(Visit), visits)
        db.session.flush()
    # A few findings of the latest visits raised as matters, as a cadre would.
    raised = 0
    latest = db.session.scalars(select(Visit).where(
        Visit.township_id == township.id, Visit.kind == VisitKind.ROUND.value)
        .order_by(Visit.visited_on.desc(), Visit.household_id)).all()
    for visit in latest:
        if raised >= 3:
            break
        if visit.findings:
            ops.raise_matter(township, visit.visitor, visit, next(iter(visit.findings)))
            raised += 1


def _history(township, households, rng, today: date) -> list[dict]:
    """Twelve months of diaries (bulk rows): each contact cadre visits about two in five of
    their households a month, every village every month; leaders go down to a household or two
    (下访) and receive residents (接访)."""
    from app.accounts.models import Role, RoleGrant, User

    staff = {role: db.session.scalars(
        select(User).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.township_id == township.id, RoleGrant.role == role.value)
        .order_by(User.username)).all() for role in (Role.CADRE, Role.VILLAGE_ASSISTANT,
                                                      Role.LEADER, Role.TOWNSHIP_ADMIN)}
    workers = staff[Role.CADRE] + staff[Role.VILLAGE_ASSISTANT] or staff[Role.TOWNSHIP_ADMIN]
    if not workers:
        return []
    leaders = staff[Role.LEADER]
    by_village: dict = {}
    for household in households:
        by_village.setdefault(household.village_id, []).append(household)
    first = today.replace(day=1)
    months = [first]
    for _ in range(12):
        months.append((months[-1] - timedelta(days=1)).replace(day=1))
    rows = []

    def add(household, visitor_id, day, kind, method):
        findings = rng.choice(FINDINGS) if kind != VisitKind.RECEIVE.value or rng.random() < .5 \
            else {"suggestion": "来镇里反映村道破损的问题。"}
        rows.append(dict(
            id=new_id(), township_id=township.id, household_id=household.id,
            visitor_id=visitor_id, visited_on=day, method=method, kind=kind,
            notes=NOTES[kind], findings=findings,
            recorded_at=at_local(township, day, time(18, rng.randint(0, 59))).astimezone(UTC),
            created_at=at_local(township, day, time(18, rng.randint(0, 59))).astimezone(UTC)))

    for month in sorted(months):
        days = [d for d in (month + timedelta(days=n) for n in range(31))
                if d.month == month.month and d < today]
        if not days:
            continue
        for village_households in by_village.values():
            share = 0.4 * min(1.0, len(days) / 20)
            chosen = [h for h in village_households if rng.random() < share] or \
                [rng.choice(village_households)]
            for household in chosen:
                visitor = household.contact_cadre_id or rng.choice(workers).id
                add(household, visitor, rng.choice(days), VisitKind.ROUND.value,
                    rng.choice(["in_person", "in_person", "in_person", "phone", "message"]))
        for leader in leaders:
            add(rng.choice(households), leader.id, rng.choice(days), VisitKind.DOWN.value,
                "in_person")
            if rng.random() < 0.5:
                add(rng.choice(households), leader.id, rng.choice(days),
                    VisitKind.RECEIVE.value, "in_person")
    for row in rows:  # recorded the evening of the visit, never after now
        row["recorded_at"] = row["created_at"] = min(row["recorded_at"], utcnow())
    return rows


NOTES = {VisitKind.ROUND.value: "入户了解家庭近况。",
         VisitKind.DOWN.value: "到联系点下访，听取群众意见。",
         VisitKind.RECEIVE.value: "在镇综治信访服务中心接待来访群众。"}

"""Demo visit diaries: about two thirds of households visited this year, a few findings raised."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.households.models import Household, Visit
from app.matters.operations import local_today
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
                                Household.contact_cadre_id.is_not(None))
        .order_by(Household.head_name)).all()
    if not households:
        return
    rng = random.Random(str(township.id))  # the same demo every time
    today = local_today(township)
    raised = 0
    for household in households[: max(1, len(households) * 2 // 3)]:
        findings = rng.choice(FINDINGS)
        visit = ops.record_visit(
            township, household.contact_cadre, household=household,
            visited_on=today - timedelta(days=rng.randint(0, 200)),
            method=rng.choice(["in_person", "in_person", "phone", "message"]),
            notes="入户了解家庭近况。", findings=findings, today=today)
        if findings and raised < 3:
            ops.raise_matter(township, household.contact_cadre, visit, next(iter(findings)))
            raised += 1

"""Demo activity for townships with party representative studios: two studios, their members
(the township's party_rep accounts among them), last, this and next month's rota, visitors at
the sessions held with suggestions answered (one rated, a good example), referred and still
open, a phone call and an online suggestion."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from app.accounts.models import Role, RoleGrant, User
from app.clock import at_local
from app.extensions import db
from app.matters.operations import local_today
from app.studio import operations as ops
from app.studio.models import DutySession, MemberKind, RepLevel, Representative, Studio
from app.studio.service import MODEL

STUDIOS = (
    ("中山社区党代表工作室", "中山社区党群服务中心二楼", "周六 09:00-11:30"),
    ("商业街党代表工作室", "兴华路商会大楼一楼", "周二 19:00-21:00"),
)
EXTRA_REPS = (("黎志强", RepLevel.TOWNSHIP), ("何婉婷", RepLevel.COUNTY),
              ("梁国栋", RepLevel.TOWNSHIP), ("陈淑贞", RepLevel.CITY))


def seed(township) -> None:
    if not township.service_enabled("studio"):
        return
    if db.session.scalar(select(Studio.id).where(Studio.township_id == township.id).limit(1)):
        return
    accounts = db.session.scalars(
        select(User).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.township_id == township.id, RoleGrant.role == Role.PARTY_REP.value)
        .order_by(User.username)).all()
    settings = MODEL.settings_for(township)
    today = local_today(township)
    studios = []
    for index, (name, place, pattern) in enumerate(STUDIOS):
        studio = Studio(township_id=township.id, name=name, place=place,
                        phone=township.phone or "", pattern=ops.parse_pattern(pattern))
        db.session.add(studio)
        db.session.flush()
        members = [(u.name, RepLevel.TOWNSHIP, u.id) for u in accounts] + [
            (n, level, None) for n, level in EXTRA_REPS[index * 2:index * 2 + 2]]
        for rep_name, level, user_id in members:
            db.session.add(Representative(
                township_id=township.id, studio_id=studio.id, name=rep_name,
                level=level.value, user_id=user_id,
                intro="长期联系辖区群众，熟悉社区事务。"))
        db.session.add(Representative(township_id=township.id, studio_id=studio.id,
                                      name="卢晓燕", kind=MemberKind.LIAISON.value))
        db.session.flush()
        for month in _months_around(today):  # last month's rota is history to count
            ops.generate_month(studio, month, settings.reps_per_session,
                               settings.skip_holidays)
        studios.append(studio)
    _receptions(township, studios, settings, today)


def _months_around(today: date) -> list[date]:
    this = today.replace(day=1)
    return [(this - timedelta(days=1)).replace(day=1), this,
            (this + timedelta(days=32)).replace(day=1)]


def _at(township, session: DutySession, minutes: int) -> datetime:
    """A moment inside a session, in UTC (the session's hours are the township's)."""
    local = at_local(township, session.day, session.starts_at) + timedelta(minutes=minutes)
    return local.astimezone(UTC)


def _receptions(township, studios, settings, today: date) -> None:
    """Visitors at the last two sessions held, a phone call and an online suggestion: answered
    (one rated and a good example), referred with a deadline, and still open."""
    from app.matters import operations as ledger

    first, second = studios
    held = [s for s in ops.sessions_between(first, today - timedelta(days=62), today)
            if s.assignments]
    earlier, latest = held[-2], held[-1]
    rep = earlier.assignments[0].member
    ops.receive(township, first, None, channel="session", topic="养老服务", member=rep,
                session=earlier, said="社区老人多，午饭没人做。", visitor_name="陈伯",
                reply_workdays=settings.reply_workdays, now=_at(township, earlier, 20),
                suggestions=["社区增设长者饭堂"])
    rep = latest.assignments[0].member
    ops.receive(township, first, None, channel="session", topic="社区环境", member=rep,
                session=latest, said="小区垃圾清运不及时，南巷路面坑洼。",
                visitor_name="赵桂兰", visitor_phone="17244939092",
                reply_workdays=settings.reply_workdays, now=_at(township, latest, 35),
                suggestions=["增加垃圾清运次数", "修补南巷坑洼路面"])
    ops.receive(township, first, None, channel="phone", topic="学位", member=rep,
                said="外来务工子女入学咨询。", reply_workdays=settings.reply_workdays,
                suggestions=["公布积分入学办理流程"])
    ops.receive(township, second, None, channel="online", topic="停车",
                reply_workdays=settings.reply_workdays,
                suggestions=["商业街晚间乱停车，建议划定临时停车位"])
    by_title = {c.matter.title: c for c in ops.cases_of(first)}
    canteen = by_title["社区增设长者饭堂"]
    ops.answer(canteen, None, text="社区党群服务中心已开设长者饭堂，每日午餐 10 元。",
               township=township)
    ledger.evaluate(canteen.matter, rating="very_satisfied", source="resident_link",
                    township=township)
    canteen.good_example = True
    canteen.example_note = "党代表牵头协调场地和运营方，一个月内开餐，老人吃上热饭。"
    ops.answer(by_title["增加垃圾清运次数"], None, text="已协调环卫所每日清运两次。",
               township=township)
    ops.refer(by_title["修补南巷坑洼路面"], None, unit="镇规划建设办",
              due=today + timedelta(days=10))

"""Demo activity for townships with party representative studios: two studios, their members
(the township's party_rep accounts among them), this month's and next month's rota, receptions
with suggestions answered, referred and still open, and a good example."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.accounts.models import Role, RoleGrant, User
from app.extensions import db
from app.matters.operations import local_today
from app.studio import operations as ops
from app.studio.models import MemberKind, RepLevel, Representative, Studio
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
        ops.generate_month(studio, today.replace(day=1), settings.reps_per_session,
                           settings.skip_holidays)
        ops.generate_month(studio, (today.replace(day=1) + timedelta(days=32)).replace(day=1),
                           settings.reps_per_session, settings.skip_holidays)
        studios.append(studio)
    first = studios[0]
    rep = ops.reps_of(first)[0]
    ops.receive(township, first, None, channel="session", topic="社区环境", member=rep,
                said="小区垃圾清运不及时，南巷路面坑洼。", visitor_name="赵桂兰",
                visitor_phone="17244939092", reply_workdays=settings.reply_workdays,
                suggestions=["增加垃圾清运次数", "修补南巷坑洼路面"])
    ops.receive(township, first, None, channel="phone", topic="学位", member=rep,
                said="外来务工子女入学咨询。", reply_workdays=settings.reply_workdays,
                suggestions=["公布积分入学办理流程"])
    cases = sorted(ops.cases_of(first), key=lambda c: c.matter.title)
    by_title = {c.matter.title: c for c in cases}
    ops.answer(by_title["增加垃圾清运次数"], None, text="已协调环卫所每日清运两次。",
               township=township)
    by_title["增加垃圾清运次数"].good_example = True
    by_title["增加垃圾清运次数"].example_note = "当场联系环卫所，三天内落实，群众满意。"
    ops.refer(by_title["修补南巷坑洼路面"], None, unit="镇规划建设办",
              due=today + timedelta(days=10))

"""Demo assemblies for townships that hold them: last half-year's, scored, published and being
followed up (one criticism already closed with the resident satisfied), and the next one,
announced, with its teams registered and a criticism sent online."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from app.accounts.models import Role, RoleGrant, User
from app.assembly import operations as ops
from app.assembly.models import Assembly, AssemblyState
from app.extensions import db
from app.matters import operations as matters

TEAMS = [
    ("石鼓村党支部批评团", "石鼓村党支部",
     ["曾海燕", "付美玲", "江长青", "秦水生", "闫凤英", "韦明"]),
    ("梨子园村党支部批评团", "梨子园村党支部", ["秦长青", "江秋菊", "付红梅", "莫小兰", "覃大勇",
                                        "黄秀英", "韦志强"]),
]
JURY = ["周建国", "吴桂兰", "郑国强", "王淑芬", "冯志明", "陈玉兰", "褚卫东", "卫春梅", "蒋德胜",
        "沈秀珍", "韩立新", "杨翠花"]
CRITICISMS = [
    ("城南社区路灯坏了三个月没人修", "晚上老人出门看不见路，反映过两次没有下文。", "镇规划建设办"),
    ("低保评议结果没有张榜公示", "评议过程不公开，群众有意见。", "镇民政办"),
    ("便民服务中心午休时间不办事", "中午赶来办事的群众只能等到下午。", "镇便民服务中心"),
    ("梨子园村垃圾清运不及时", "垃圾池满了一个星期才运走。", "镇综合执法办"),
]


def _user(township, role: Role) -> User | None:
    grant = db.session.scalar(select(RoleGrant).where(
        RoleGrant.township_id == township.id, RoleGrant.role == role.value).limit(1))
    return db.session.get(User, grant.user_id) if grant else None


def seed(township) -> None:
    if not township.service_enabled("assembly"):
        return
    if db.session.scalar(select(Assembly.id).where(Assembly.township_id == township.id)
                         .limit(1)):
        return  # seeded already
    admin = _user(township, Role.TOWNSHIP_ADMIN)
    cadre = _user(township, Role.CADRE) or admin
    # The call-back is entered by a leader, never by whoever registered or answered the criticism.
    supervisor = _user(township, Role.LEADER)
    if admin is None:
        return
    today = matters.local_today(township)
    rng = random.Random(2026)  # the same demo every time

    # Last half-year's assembly, held two weeks ago. Dates in the past are set directly: the
    # operations (rightly) refuse to announce an assembly that is already over.
    past = ops.create_assembly(township, admin, title="上半年有奖批评大会",
                               held_on=today - timedelta(days=14), venue="城南镇文化广场",
                               rules="每个批评团发言不超过10分钟；批评要点名道姓、实事求是。")
    past.announced_on = past.held_on - timedelta(days=8)
    for name, branch, members in TEAMS:
        ops.add_team(past, name=name, branch=branch, leader=members[0], members=members)
    ops.add_supervisor(past, name="黎国华", unit="石鼓村")
    ops.add_supervisor(past, name="罗桂芬", unit="城南社区")
    ops.add_candidates(past, JURY[:6], kind="resident")
    ops.add_candidates(past, JURY[6:], kind="cadre")
    jury = ops.draw_jury(past, township, rng=rng)
    teams = ops.teams_of(past)
    rows = [ops.add_criticism(past, title=title, content=content, team=teams[i % 2],
                              raised_by=teams[i % 2].members[1], target_unit=unit,
                              responsible=cadre)
            for i, (title, content, unit) in enumerate(CRITICISMS)]
    past.state = AssemblyState.IN_SESSION.value
    for row in rows:
        ops.open_round(row, past)
        for juror in jury:
            points = {c["key"]: rng.randint(5, 10) for c in past.criteria}
            ops.submit_score(juror, row, past, points)
        ops.close_round(row, past, township, admin)
    ops.finish_scoring(past)
    ops.publish_results(past, township, admin)
    ops.begin_follow_up(past)
    # One criticism answered, revisited and closed with the resident satisfied; one answered.
    done, answered = rows[0].matter, rows[1].matter
    matters.reply(done, cadre, public_text="已更换城南社区3盏路灯，并建立每月巡查制度。",
                  township=township)
    if supervisor is not None and supervisor.id not in matters.answerable_for(done):
        matters.evaluate(done, rating="satisfied", source="phone", entered_by=supervisor,
                         how="电话回访", township=township)
    else:
        matters.evaluate(done, rating="satisfied", source="resident_link", township=township)
    matters.reply(answered, cadre, public_text="低保评议结果已在村务公开栏张榜公示7天。",
                  township=township)

    # The next one, announced in time, collecting criticisms.
    upcoming = ops.create_assembly(township, admin, title="下半年有奖批评大会",
                                   held_on=today + timedelta(days=10), venue="城南镇文化广场")
    ops.announce(upcoming, township, today=today)
    ops.open_registration(upcoming)
    for name, branch, members in TEAMS:
        ops.add_team(upcoming, name=name, branch=branch, leader=members[0], members=members)
    ops.add_candidates(upcoming, JURY, kind="resident")
    ops.add_criticism(upcoming, title="镇卫生院周末只有一个医生", source="online",
                      raised_by="闫家兴", contact_phone="18697251027")

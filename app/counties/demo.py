"""The county demo: 演示县 holding three of the demo townships, so a newcomer sees the county's
pages by the README's first command.

Departments; county staff in every role (password "demo", listed on the login page); two county
cadres linked to households in two townships; escalated matters (one answered and rated, one
overdue, one waiting for the supervisor); last month's county spot-check with two answers; and
last quarter's meeting report, made by its job. `seed_county()` runs after the townships are
loaded and is idempotent.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from app.accounts.models import hash_password
from app.accounts.operations import create_user, find_user
from app.clock import township_today, utcnow
from app.counties import operations as ops
from app.counties.models import County, CountyRole, Department
from app.extensions import db
from app.tenancy import bind_township
from app.townships.models import Township

CODE, NAME, SLUG = "990001", "演示县", "demo-county"
TOWNSHIPS = ("haogezhuang", "napo", "chengnan")
DEPARTMENTS = ("民政局", "人社局", "农业农村局", "交通运输局", "水利局")
PEOPLE = (  # username, name, role, department
    ("county-admin", "韩县管", CountyRole.COUNTY_ADMIN, None),
    ("county-leader", "邵县长", CountyRole.COUNTY_LEADER, None),
    ("county-supervisor", "冯督查", CountyRole.COUNTY_SUPERVISOR, None),
    ("dept-minzheng", "蒋科长", CountyRole.DEPARTMENT_STAFF, "民政局"),
    ("dept-nongye", "沈科长", CountyRole.DEPARTMENT_STAFF, "农业农村局"),
    ("county-cadre", "杨干部", CountyRole.COUNTY_CADRE, None),
    ("county-cadre2", "朱干部", CountyRole.COUNTY_CADRE, None),
)


def seed(township) -> None:
    """Per-township demo hook (app.demo): the county's demo is seeded once, by seed_county."""


def seed_county(password: str = "demo") -> bool:
    """Create the demo county if it is not there (and its three townships are). Commits."""
    bind_township(db.session, None)
    if db.session.scalar(select(County.id).where(County.code == CODE)):
        return False
    towns = [db.session.scalar(select(Township).where(Township.slug == s)) for s in TOWNSHIPS]
    towns = [t for t in towns if t is not None]
    if len(towns) < 3:
        return False
    county = ops.create_county(code=CODE, name=NAME, slug=SLUG)
    for t in towns:
        ops.attach_township(county, t, None)
    departments = {name: ops.add_department(county, name) for name in DEPARTMENTS}
    people = {}
    digest = hash_password(password)  # one slow hash for the accounts' common password
    for username, name, role, dept in PEOPLE:
        user = find_user(username) or create_user(username=username, name=name,
                                                  password_hash=digest)
        ops.grant_county_role(county, user, role, departments.get(dept))
        people[username] = user
    db.session.flush()
    _link_cadres(county, towns[:2], [people["county-cadre"], people["county-cadre2"]])
    _escalations(county, towns, departments, people)
    db.session.commit()
    _spot_check(county, people["county-supervisor"])
    db.session.commit()
    _report(county, people["county-leader"])
    return True


def _link_cadres(county, towns, cadres) -> None:
    from app.counties.cadres import link_household
    from app.households.models import Household

    for town in towns:
        households = db.session.scalars(
            select(Household).where(Household.township_id == town.id,
                                    Household.active.is_(True))
            .order_by(Household.address).limit(12),
            execution_options={"all_townships": True}).all()
        for i, household in enumerate(households):
            link_household(county, cadres[i % 2], household, None)
    # Each cadre records a visit in the first township.
    from app.visits.operations import record_visit

    for cadre in cadres:
        household = db.session.scalars(select(Household).where(
            Household.township_id == towns[0].id, Household.contact_cadre_id == cadre.id)
            .limit(1), execution_options={"all_townships": True}).first()
        if household is not None:
            bind_township(db.session, towns[0].id)
            record_visit(towns[0], cadre, household=household,
                         visited_on=township_today(towns[0]) - timedelta(days=3),
                         method="in_person", notes="了解了今年种粮补贴的发放情况。")
            db.session.flush()
            bind_township(db.session, None)


def _escalations(county, towns, departments, people) -> None:
    from app.accounts.models import Role, RoleGrant
    from app.matters import operations as ledger

    first = towns[0]
    bind_township(db.session, first.id)
    admin_id = db.session.scalar(select(RoleGrant.user_id).where(
        RoleGrant.township_id == first.id, RoleGrant.role == Role.TOWNSHIP_ADMIN).limit(1))
    from app.accounts.models import User

    admin = db.session.get(User, admin_id) if admin_id else None
    now = utcnow()
    answered = ledger.create_matter(
        first, channel="phone", title="低保申请长期未批", actor=admin, now=now - timedelta(days=20),
        description="家中老人重病，去年提交低保申请至今未批，乡镇已多次协调。",
        contact_name="王秀英", contact_phone="13900002222")
    ops.escalate_to_county(answered, admin, reason="低保审批权限在县民政局，乡镇无法解决。",
                           department=departments["民政局"], now=now - timedelta(days=19))
    db.session.flush()
    escalation = ops.open_escalation(answered)
    ops.answer(escalation, people["dept-minzheng"],
               public_text="经县民政局复核，已于本月纳入低保，每月按标准发放。")
    db.session.flush()
    bind_township(db.session, first.id)
    ledger.evaluate(answered, rating="very_satisfied", source="resident_link",
                    comment="县里很快就办了")
    late = ledger.create_matter(
        first, channel="visit", title="灌溉渠塌方影响春耕", actor=admin,
        now=now - timedelta(days=40), description="村东灌溉渠塌方约三十米，需县里立项修复。",
        contact_name="刘建国", contact_phone="13900003333")
    ops.escalate_to_county(late, admin, reason="修复资金须县农业农村局立项。",
                           department=departments["农业农村局"], now=now - timedelta(days=35))
    db.session.flush()
    second = towns[1]
    bind_township(db.session, second.id)
    waiting = ledger.create_matter(second, channel="phone", title="跨镇公路路面破损",
                                   now=now - timedelta(days=2),
                                   description="连接两镇的县道多处坑洼。")
    ops.escalate_to_county(waiting, None, reason="县道养护不属于乡镇，请县里分派。",
                           now=now - timedelta(days=2))
    db.session.flush()
    bind_township(db.session, None)


def _spot_check(county, supervisor) -> None:
    from app.counties import spotchecks
    from app.matters.operations import TransitionError
    from app.matters.rates import month_period

    today = township_today()
    start, end = month_period(today.replace(day=1) - timedelta(days=1))
    try:
        check = spotchecks.draw(county, supervisor, county.township_ids(), start=start,
                                end=today + timedelta(days=1), size=8, rng=random.Random(19))
    except TransitionError:
        return
    rows = spotchecks.items(check)
    for n, (item, _township) in enumerate(rows[:2]):
        spotchecks.record_call(item, supervisor, confirmed=n == 0,
                               note="" if n == 0 else "群众说没有人来过。")


def _report(county, leader) -> None:
    from app import jobs
    from app.counties import report
    from app.counties.jobs import request_report
    from app.notices.models import JobRecord

    request_report(county, report.last_quarter(township_today()), leader)
    db.session.commit()
    # Made now, in this process, so the demo has last quarter's report from the start.
    for job_id in db.session.scalars(select(JobRecord.id).where(
            JobRecord.func == "app.counties.jobs.render_report", JobRecord.state == "pending"),
            execution_options={"all_townships": True}).all():
        jobs.execute(job_id)


__all__ = ["seed", "seed_county", "Department"]

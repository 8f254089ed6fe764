"""A year of the ledger for every demo township (issue #22): matters received through the
channels month by month, more at spring ploughing, the summer floods, the autumn harvest and the
Spring Festival; assigned, answered on time or late, rated by residents (mostly satisfied, some
not, and then worked on again), called back where the township's rules say so, and closed. The
most recent are still being worked on, and a few are overdue.

Everything is dated relative to the township's today (app.clock) and in order: received <
assigned < replied < rated < closed, the promised date from the township's working-day calendar.
The rows and their timeline events are what the ledger's operations write (app.matters.operations:
the same event kinds, states and facts), made in bulk so the demo loads in seconds; the same
random seed gives the same year every time.
"""

from __future__ import annotations

import random
import secrets
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, insert, select, update

from app.accounts.models import Role, RoleGrant, User
from app.catalogue.models import ServiceItem
from app.clock import at_local, local_date, township_today, utcnow
from app.extensions import db
from app.households.models import Household, Resident, Village
from app.matters import publication
from app.matters.models import (
    Evaluation,
    Matter,
    MatterCounter,
    MatterEvent,
    Reply,
    Revisit,
    State,
)
from app.matters.operations import channel_rule
from app.models import new_id
from app.townships.workdays import WorkCalendar

MONTHS = 12
# How busy each calendar month is (1 = an ordinary month): the Spring Festival (people home,
# hardship before the holiday), spring ploughing, the flood season, the autumn harvest.
SEASON = {1: 1.5, 2: 1.3, 3: 1.4, 4: 1.3, 5: 1.0, 6: 1.2, 7: 1.3, 8: 1.0, 9: 1.1, 10: 1.3,
          11: 0.9, 12: 1.0}
PER_VILLAGE = 4  # matters a village raises in an ordinary month

# (months, category, title, description, reply)
TOPICS = [
    ((3, 4, 5), "prosperity", "春耕化肥种子价格咨询", "今年化肥涨价，想问有没有统一采购。",
     "已联系农资站统一采购，价格比市场低一成，到村委会登记即可。"),
    ((3, 4), "suggestion", "灌溉水渠淤堵影响春灌", "村北水渠淤泥堵塞，下游田块放不进水。",
     "已组织清淤，水渠恢复通水。"),
    ((3, 4, 5), "suggestion", "机耕路雨后泥泞", "去田里的机耕路一下雨拖拉机就陷。",
     "已铺设碎石，雨后可正常通行。"),
    ((4, 5), "prosperity", "想学果树嫁接技术", "家里种了二十亩果树，想请技术员来指导。",
     "已请县农技站技术员到村开展嫁接培训。"),
    ((6, 7, 8), "suggestion", "汛期河堤有渗水", "村东河堤有两处渗水，担心大雨出险。",
     "已安排巡堤并加固渗水段，汛期每日巡查。"),
    ((6, 7), "suggestion", "夏收期间收割机不够", "麦子熟了，排不上收割机。",
     "已协调邻村农机合作社增派两台收割机。"),
    ((6, 7, 8), "suggestion", "雨后道路积水", "村口低洼处雨后积水没过脚踝。",
     "已疏通排水沟并加装排水管。"),
    ((9, 10), "prosperity", "秋粮收购价格咨询", "玉米收了，想知道收购点和价格。",
     "已公布镇粮站收购价格和时间，可凭身份证交售。"),
    ((9, 10, 11), "suggestion", "秸秆堆放占道", "秋收后秸秆堆在路边，影响通行也怕着火。",
     "已组织秸秆统一清运还田。"),
    ((10, 11), "prosperity", "合作社贷款手续咨询", "想扩大养殖规模，问贴息贷款怎么办。",
     "已讲解贴息贷款政策，协助准备材料到信用社办理。"),
    ((12, 1, 2), "hardship", "冬季取暖煤不够", "老两口独居，今年的取暖煤还没着落。",
     "已送去取暖煤一吨，并纳入冬季重点关爱名单。"),
    ((12, 1, 2), "suggestion", "返乡人员多，村里停车难", "过年回来的车多，村道堵车。",
     "已在村委会院内和小学操场划定临时停车位。"),
    ((1, 2), "hardship", "春节前工资被拖欠", "在外务工的工钱年前还没结。",
     "已协助联系县劳动监察大队，工钱已于节前结清。"),
    ((1, 2, 12), "suggestion", "自来水管冻裂", "天冷水管冻裂，家里停水。",
     "已请水管员上门维修，并为管道加装保温层。"),
    ((1, 2, 3), "dispute", "邻里宅基地边界争执", "与邻居因院墙位置有争执。",
     "村调解委员会已上门调解，双方签订协议。"),
    ((), "suggestion", "路灯坏了没人修", "村口两盏路灯坏了半个月，晚上出门看不见。",
     "已更换路灯灯头，恢复照明。"),
    ((), "suggestion", "垃圾清运不及时", "垃圾池满了好几天没运走。",
     "已调整清运班次，每两天清运一次。"),
    ((), "suggestion", "村道路面破损", "村道有几处坑洼，骑车容易摔。",
     "已修补坑洼路面。"),
    ((), "suggestion", "希望增加公交班次", "到镇上的班车一天只有两趟。",
     "已与县公交公司协调，增加早晚各一班。"),
    ((), "hardship", "残疾人补贴咨询", "家里有残疾人，问两项补贴怎么申请。",
     "已讲解申请流程，协助提交材料。"),
    ((), "suggestion", "广场舞音响太吵", "晚上广场舞音响声音太大，影响休息。",
     "已与广场舞队约定音量和结束时间。"),
    ((), "prosperity", "电商培训报名咨询", "想学网上卖土特产，问有没有培训。",
     "已安排参加镇电商服务站下期培训。"),
]
RATINGS = (("very_satisfied", 44), ("satisfied", 34), ("basically_satisfied", 12),
           ("dissatisfied", 7), ("very_dissatisfied", 3))
COMMENTS = {"very_satisfied": ["办得快，谢谢", "干部很负责", ""],
            "satisfied": ["解决了", "", ""], "basically_satisfied": ["还行，就是慢了点", ""],
            "dissatisfied": ["问题没有真正解决", "答复了但没人来看"],
            "very_dissatisfied": ["拖了很久"]}


def _choice(rng, weighted):
    return rng.choices([v for v, _w in weighted], [w for _v, w in weighted])[0]


def _month_starts(today: date) -> list[date]:
    first = today.replace(day=1)
    months = [first]
    for _ in range(MONTHS):
        months.append((months[-1] - timedelta(days=1)).replace(day=1))
    return sorted(months)


class _Timeline:
    """The rows of one matter as the ledger's operations would write them."""

    def __init__(self, matter: dict):
        self.matter = matter
        self.events: list[dict] = []

    def event(self, at, kind, actor_id=None, actor_kind="user", from_state=None, to_state=None,
              **data):
        self.events.append(dict(
            id=new_id(), township_id=self.matter["township_id"], matter_id=self.matter["id"],
            seq=len(self.events) + 1, at=at, actor_id=actor_id,
            actor_kind=actor_kind if actor_id is None else "user", kind=kind,
            from_state=from_state, to_state=to_state, data=data))

    def move(self, at, to: State, actor_id=None, actor_kind="user", kind=None, **data):
        before = self.matter["state"]
        self.matter["state"] = to.value
        if self.matter["first_response_at"] is None:
            self.matter["first_response_at"] = at
        if to == State.REPLIED:
            self.matter["replied_at"] = at
        if to == State.CLOSED and self.matter["closed_at"] is None:
            self.matter["closed_at"] = at
        if to == State.REOPENED:
            self.matter["closed_at"] = None
        self.event(at, kind or to.value, actor_id, actor_kind, before, to.value, **data)


def seed(township) -> None:
    if db.session.scalar(select(func.count()).select_from(Matter).where(
            Matter.township_id == township.id,
            Matter.received_at < utcnow() - timedelta(days=60))):
        return  # seeded already (or a real history exists)
    seed_history(township)


def seed_history(township, now: datetime | None = None) -> int:
    """Twelve months of matters before `now` (default: the clock's now). Returns how many."""
    now = now or utcnow()
    today = township_today(township, now)
    rng = random.Random(f"history:{township.slug}")  # the same year every time
    tid = township.id
    villages = db.session.scalars(select(Village).where(Village.township_id == tid)
                                  .order_by(Village.sort_order, Village.name)).all()
    households = db.session.scalars(select(Household).where(
        Household.township_id == tid, Household.active.is_(True))
        .order_by(Household.address, Household.head_name)).all()
    heads = {r.household_id: r for r in db.session.scalars(select(Resident).where(
        Resident.township_id == tid, Resident.relation == "户主"))}
    staff = {role: db.session.scalars(
        select(User).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.township_id == tid, RoleGrant.role == role.value)
        .order_by(User.username)).all() for role in (Role.CADRE, Role.VILLAGE_ASSISTANT,
                                                      Role.LEADER, Role.TOWNSHIP_ADMIN,
                                                      Role.CENTRE_STAFF)}
    workers = staff[Role.CADRE] + staff[Role.VILLAGE_ASSISTANT] or staff[Role.TOWNSHIP_ADMIN]
    desk = (staff[Role.TOWNSHIP_ADMIN] or workers)[0] if workers else None
    if not villages or not households or desk is None:
        return 0
    by_village = {v.id: [h for h in households if h.village_id == v.id] for v in villages}
    villages = [v for v in villages if by_village[v.id]]
    items = []
    if township.service_enabled("one_stop"):
        items = [i for i in db.session.scalars(select(ServiceItem).where(
            ServiceItem.township_id == tid, ServiceItem.active.is_(True))
            .order_by(ServiceItem.name))]
    calendar = WorkCalendar.for_township(tid)
    rules = {c: channel_rule(township, c) for c in ("phone", "online", "visit", "hall")}
    start_publication = publication.initial_state(township)
    reply_publication = publication.initial_reply_state(township)

    matters, events, replies, evaluations, revisits = [], [], [], [], []
    for month in _month_starts(today):
        days = [month + timedelta(days=d) for d in range(31)
                if (month + timedelta(days=d)).month == month.month
                and month + timedelta(days=d) < today]
        if not days:
            continue
        share = len(days) / ((month + timedelta(days=32)).replace(day=1) - month).days
        for village in villages:
            # The month so far only: this month's first days get their share of it.
            count = max(1, round(share * PER_VILLAGE * SEASON[month.month]
                                 * rng.uniform(0.7, 1.3)))
            for _ in range(count):
                day = rng.choice(days)
                household = rng.choice(by_village[village.id])
                matter, timeline, more = _one_matter(
                    township, rng, calendar, rules, now, day, village, household,
                    heads.get(household.id), workers, desk, staff, items,
                    start_publication, reply_publication)
                matters.append(matter)
                events.extend(timeline)
                replies.extend(more["replies"])
                evaluations.extend(more["evaluations"])
                revisits.extend(more["revisits"])
    _number(township, matters)
    for table, rows in ((Matter, matters), (MatterEvent, events), (Reply, replies),
                        (Evaluation, evaluations), (Revisit, revisits)):
        if rows:
            db.session.execute(insert(table), rows)
    db.session.flush()
    # Bulk inserts pass by the session's bookkeeping: the rates' summary is counted once, here.
    from app.matters import summary

    summary.rebuild(township.id)
    return len(matters)


def _number(township, matters: list[dict]) -> None:
    """Tracking numbers in the order the matters came in, each year counted on from the
    township's counter (as next_number does), which is left at the last one given."""
    from app.matters.operations import next_number

    matters.sort(key=lambda m: m["received_at"])
    years: dict[int, list[dict]] = {}
    for m in matters:
        years.setdefault(m["_year"], []).append(m)
    table = MatterCounter.__table__
    for year, rows in years.items():
        first = int(next_number(township, year).rsplit("-", 1)[1])  # the counter row exists
        db.session.execute(update(table).where(table.c.township_id == township.id,
                                               table.c.year == year)
                           .values(last=first + len(rows) - 1))
        for n, m in enumerate(rows):
            m["number"] = f"{township.code}-{year}-{first + n:06d}"
    for m in matters:
        m.pop("_year")


def _at(township, day: date, rng, lo=8, hi=18) -> datetime:
    moment = at_local(township, day, time(rng.randint(lo, hi - 1), rng.randint(0, 59)))
    return moment.astimezone(UTC)


def _one_matter(township, rng, calendar, rules, now, day, village, household, head, workers,
                desk, staff, items, start_publication, reply_publication):
    tid = township.id
    topic_pool = [t for t in TOPICS if day.month in t[0]] * 2 + [t for t in TOPICS if not t[0]]
    _months, category, title, description, reply_text = rng.choice(topic_pool)
    channel = _choice(rng, (("phone", 35), ("visit", 30), ("online", 20),
                            ("hall", 15 if items else 0)))
    item = rng.choice(items) if channel == "hall" else None
    if item is not None:
        category, title, description = "service", item.name, ""
        reply_text = "已办结，结果已告知群众。"
    rule = rules[channel]
    workdays = item.promised_workdays if item is not None else rule.workdays
    received = _at(township, day, rng)
    if received >= now:
        received = now - timedelta(minutes=rng.randint(30, 600))
    cadre = next((w for w in workers if w.id == household.contact_cadre_id), None) \
        or rng.choice(workers)
    # Online: the resident's own submission; by phone and at the window: the desk's.
    creator = cadre if channel == "visit" else None if channel == "online" else desk
    is_public = (publication.default_public(township, category=category, service_item=item)
                 and category not in publication.ALWAYS_PRIVATE and rng.random() > 0.1)
    phone = household.phone
    matter = dict(
        id=new_id(), township_id=tid, number="", channel=channel, category=category,
        service_item_id=getattr(item, "id", None), title=title, description=description,
        resident_id=getattr(head, "id", None), household_id=household.id, village_id=village.id,
        contact_name=household.head_name, contact_phone=phone,
        contact_phone_tail=phone[-4:] if phone else None, state=State.RECEIVED.value,
        centre_id=getattr(item, "centre_id", None), assignee_id=None, unit_name=None,
        level="township", commitment=None, commitment_due=None, is_public=is_public,
        publication=start_publication, received_at=received, promised_workdays=workdays,
        due_on=calendar.add_workdays(day, workdays), first_response_at=None, replied_at=None,
        closed_at=None, stage=1, reopen_count=0, rating_token=secrets.token_urlsafe(18),
        created_by_id=getattr(creator, "id", None), created_at=received,
        extra={"history": True} | ({"materials_received": [
            m["name"] if isinstance(m, dict) else str(m) for m in item.materials or []],
            "materials_missing": []} if item is not None else {}),
        _year=day.year)
    line = _Timeline(matter)
    more = {"replies": [], "evaluations": [], "revisits": []}
    line.event(received, "created", getattr(creator, "id", None), "system", None,
               State.RECEIVED.value,
               channel=channel, due_on=matter["due_on"].isoformat())

    def after(moment, lo_hours, hi_hours):
        return moment + timedelta(minutes=rng.randint(int(lo_hours * 60), int(hi_hours * 60)))

    # Assigned within the working day, mostly within hours.
    assigned = after(received, 0.3, 6 if rng.random() < 0.9 else 40)
    if assigned >= now:
        return matter, line.events, more
    matter["assignee_id"] = cadre.id
    if rng.random() < 0.15 and item is None:
        matter["commitment"] = "承诺按期办结，并向群众当面反馈。"
        matter["commitment_due"] = matter["due_on"]
    line.move(assigned, State.ASSIGNED, desk.id, changes={"assignee": [None, str(cadre.id)]},
              commitment_due=matter["commitment_due"].isoformat()
              if matter["commitment_due"] else None)
    late = rng.random() < 0.1
    for stage in (1, 2):
        # Replied on a working day before the promised date, or a few days after it.
        start_day = local_date(assigned if stage == 1 else line.events[-1]["at"], township)
        limit = matter["due_on"] if stage == 1 else calendar.add_workdays(start_day, 5)
        if late:
            reply_day = limit + timedelta(days=rng.randint(1, 6))
        else:
            span = max(0, (limit - start_day).days)
            reply_day = start_day + timedelta(days=rng.randint(0, span) if span else 0)
        replied = max(_at(township, reply_day, rng, 9, 17), after(line.events[-1]["at"], 1, 3))
        if replied >= now:
            break
        more["replies"].append(dict(
            id=new_id(), township_id=tid, matter_id=matter["id"], stage=stage,
            public_text=reply_text, private_notes="", author_id=cadre.id,
            publication=reply_publication, created_at=replied))
        line.move(replied, State.REPLIED, cadre.id, public_text=reply_text)
        if rule.revisit_after_days:
            due = calendar.add_workdays(local_date(replied, township), rule.revisit_after_days)
            revisit = dict(id=new_id(), township_id=tid, matter_id=matter["id"], due_on=due,
                           done_at=None, done_by_id=None, method=None, outcome="",
                           created_at=replied)
            line.event(replied, "revisit_scheduled", None, "system", due_on=due.isoformat())
            more["revisits"].append(revisit)
        if rule.closeout == "on_reply":
            line.move(replied, State.CLOSED, cadre.id, kind="closed", rule="on_reply")
        # The resident's rating, mostly within days (the window's tablet: at once).
        rated = replied + timedelta(minutes=2) if channel == "hall" else after(replied, 2, 72)
        if rng.random() < 0.8 and rated < now:
            rating = _choice(rng, RATINGS) if stage == 1 else rng.choice(
                ["satisfied", "basically_satisfied", "very_satisfied"])
            if late and stage == 1 and rng.random() < 0.5:
                rating = "dissatisfied"
            source = "window" if channel == "hall" else "resident_link"
            more["evaluations"].append(dict(
                id=new_id(), township_id=tid, matter_id=matter["id"], stage=stage,
                rating=rating, comment=rng.choice(COMMENTS[rating]), source=source,
                entered_by_id=None, staff_id=cadre.id, centre_id=matter["centre_id"],
                created_at=rated))
            line.event(rated, "evaluated", None, "resident", rating=rating, source=source,
                       how=None, stage=stage)
            if rating in ("dissatisfied", "very_dissatisfied"):
                line.move(rated, State.REOPENED, None, "system", reason="群众评价不满意")
                matter["stage"] += 1
                matter["reopen_count"] += 1
                late = False
                continue
        else:
            rated = replied
        # The call-back, done on its day by a leader (who did not do the work).
        if more["revisits"] and more["revisits"][-1]["done_at"] is None:
            revisit = more["revisits"][-1]
            done = _at(township, revisit["due_on"], rng, 9, 17)
            caller = (staff[Role.LEADER] or [desk])[0]
            if done < now and rng.random() < 0.9:
                outcome = rng.choice(["群众表示问题已解决", "群众说已经修好了", "群众表示满意"])
                revisit.update(done_at=done, done_by_id=caller.id, method="phone",
                               outcome=outcome)
                line.event(done, "revisited", caller.id, method="phone", outcome=outcome)
        if rule.closeout == "manual":
            closed = after(max(rated, line.events[-1]["at"]), 1, 48)
            if closed < now:
                line.move(closed, State.CLOSED, cadre.id, rule="manual")
        break
    line.events.sort(key=lambda e: (e["at"], e["seq"]))
    for seq, e in enumerate(line.events, start=1):
        e["seq"] = seq
    return matter, line.events, more

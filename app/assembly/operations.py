"""The assembly's life: prepare, announce, draw the jury, run the rounds, score, publish, follow up.

States: draft → announced → registration → in_session → scored → published → follow_up.

Scores and anonymity: a juror's score is written as a `Score` row naming only the criticism, and a
separate `ScoreMark` row records that this juror has scored it (so they cannot score it twice).
Neither row carries a time, so nobody can pair them. A criticism's scores stay hidden until every
juror present has scored it (phone marks plus the clerk's paper sheets) or the clerk closes the
round.

Results: each juror's weighted total (0–100) is combined by the mean, or by the mean after dropping
the highest and the lowest (township setting; needs at least three scores). Ties: the higher mean on
the first criterion (批得准) ranks first; still equal, they share the rank and its prize
(standard competition ranking: 1, 1, 3).

Every criticism becomes a matter of channel `assembly` when its round closes (or when the results
are published, for one never presented), with the reply due in the township's `reply_workdays`.
It closes only on a satisfied evaluation: the guard below stands even if the channel's close-out
rule is changed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.assembly.models import (
    Assembly,
    AssemblyState,
    Criticism,
    CriticismSource,
    CriticTeam,
    Juror,
    RoundState,
    Score,
    ScoreMark,
    Supervisor,
)
from app.extensions import db
from app.matters import operations as matters
from app.matters.models import OPEN_STATES, Channel, Matter
from app.matters.operations import CLOSE_GUARDS, TransitionError
from app.models import utcnow

DEFAULT_CRITERIA = [
    {"key": "accurate", "name": "批得准", "weight": 40},
    {"key": "sharp", "name": "批得狠", "weight": 30},
    {"key": "constructive", "name": "批得有方向", "weight": 30},
]
DEFAULT_PRIZES = [
    {"name": "一等奖", "amount": 300, "count": 1},
    {"name": "二等奖", "amount": 200, "count": 2},
    {"name": "三等奖", "amount": 100, "count": 3},
]
MAX_POINTS = 10  # each criterion is scored 0..10

S = AssemblyState


def _settings(township):
    from app.assembly.service import MODEL

    return MODEL.settings_for(township)


def _require(assembly: Assembly, *states: AssemblyState, message: str) -> None:
    if AssemblyState(assembly.state) not in states:
        raise TransitionError(message)


# --- criteria and prizes, written as lines ------------------------------------------------------

def parse_criteria(text: str) -> list[dict]:
    """'批得准 40' per line → criteria; the weights must add up to 100."""
    rows = []
    for n, line in enumerate((text or "").splitlines(), 1):
        parts = line.replace("，", " ").replace(",", " ").split()
        if not parts:
            continue
        if len(parts) != 2 or not parts[1].isdigit() or int(parts[1]) <= 0:
            raise TransitionError(f"第 {n} 行应为“标准名称 权重”，例如“批得准 40”。")
        rows.append({"key": f"c{len(rows) + 1}", "name": parts[0][:20], "weight": int(parts[1])})
    if not rows:
        raise TransitionError("至少需要一项评分标准。")
    if sum(r["weight"] for r in rows) != 100:
        raise TransitionError("各项评分标准的权重合计须为 100。")
    return rows


def parse_prizes(text: str) -> list[dict]:
    """'一等奖 300 1' per line (name, amount in yuan, how many) → prize tiers, best first."""
    rows = []
    for n, line in enumerate((text or "").splitlines(), 1):
        parts = line.replace("，", " ").replace(",", " ").split()
        if not parts:
            continue
        if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit() \
                or int(parts[2]) < 1:
            raise TransitionError(f"第 {n} 行应为“奖项 金额 名额”，例如“一等奖 300 1”。")
        rows.append({"name": parts[0][:20], "amount": int(parts[1]), "count": int(parts[2])})
    return rows


def criteria_text(criteria) -> str:
    return "\n".join(f"{c['name']} {c['weight']}" for c in criteria)


def prizes_text(prizes) -> str:
    return "\n".join(f"{p['name']} {p['amount']} {p['count']}" for p in prizes)


# --- preparing ----------------------------------------------------------------------------------

def create_assembly(township, actor, *, title: str, held_on: date, venue: str,
                    starts_at: str = "09:00", rules: str = "", criteria=None,
                    prizes=None) -> Assembly:
    """A new assembly in draft, with the usual three criteria and prize tiers unless given."""
    if not title.strip() or not venue.strip():
        raise TransitionError("请填写大会名称和地点。")
    assembly = Assembly(
        township_id=township.id, title=title.strip(), held_on=held_on, venue=venue.strip(),
        starts_at=starts_at or "09:00", rules=rules.strip(),
        criteria=criteria or [dict(c) for c in DEFAULT_CRITERIA],
        prizes=prizes if prizes is not None else [dict(p) for p in DEFAULT_PRIZES],
        state=S.DRAFT.value, created_by_id=getattr(actor, "id", None))
    db.session.add(assembly)
    db.session.flush()
    return assembly


def update_assembly(assembly: Assembly, *, title: str, held_on: date, venue: str,
                    starts_at: str, rules: str, criteria, prizes) -> Assembly:
    """Edit an assembly; the date, criteria and prizes are fixed once it is announced."""
    announced = assembly.state != S.DRAFT
    if announced and (held_on != assembly.held_on or criteria != assembly.criteria
                      or prizes != assembly.prizes):
        raise TransitionError("大会已公告，日期、评分标准和奖项不能再改。")
    if assembly.state in (S.PUBLISHED, S.FOLLOW_UP):
        raise TransitionError("结果已公布，大会信息不能再改。")
    assembly.title, assembly.venue = title.strip(), venue.strip()
    assembly.starts_at, assembly.rules = starts_at, rules.strip()
    assembly.held_on, assembly.criteria, assembly.prizes = held_on, criteria, prizes
    return assembly


def earliest_date(township, today: date) -> date:
    """The earliest assembly date that may still be announced today."""
    return today + timedelta(days=_settings(township).announce_lead_days)


def announce(assembly: Assembly, township, *, today: date) -> Assembly:
    """Publish the notice: refused unless the date is at least the lead time away."""
    _require(assembly, S.DRAFT, message="大会已经公告过了。")
    lead = _settings(township).announce_lead_days
    if assembly.held_on < today + timedelta(days=lead):
        raise TransitionError(
            f"公告须至少提前 {lead} 天：大会日期 {assembly.held_on:%Y年%m月%d日} 太近，"
            f"最早可定在 {today + timedelta(days=lead):%Y年%m月%d日}。")
    assembly.state = S.ANNOUNCED.value
    assembly.announced_on = today
    return assembly


def open_registration(assembly: Assembly) -> Assembly:
    """Teams and supervisors may register (the notice is out)."""
    _require(assembly, S.ANNOUNCED, message="公告后才能开始报名。")
    assembly.state = S.REGISTRATION.value
    return assembly


PREPARING = (S.DRAFT, S.ANNOUNCED, S.REGISTRATION)


def add_team(assembly: Assembly, *, name: str, branch: str = "", leader: str = "",
             members: list[str]) -> CriticTeam:
    """Register a critics' team with its members (one name per member)."""
    _require(assembly, *PREPARING, message="大会已开始，不能再登记批评团。")
    members = [m.strip()[:40] for m in members if m.strip()]
    if not name.strip():
        raise TransitionError("请填写批评团名称。")
    if not members:
        raise TransitionError("请填写批评团成员。")
    team = CriticTeam(township_id=assembly.township_id, assembly_id=assembly.id,
                      name=name.strip(), branch=branch.strip(), leader=leader.strip(),
                      members=members)
    db.session.add(team)
    db.session.flush()
    return team


def add_supervisor(assembly: Assembly, *, name: str, unit: str = "") -> Supervisor:
    """Record a supervisor sent by a village or unit."""
    if not name.strip():
        raise TransitionError("请填写监督员姓名。")
    row = Supervisor(township_id=assembly.township_id, assembly_id=assembly.id,
                     name=name.strip(), unit=unit.strip())
    db.session.add(row)
    db.session.flush()
    return row


def add_candidates(assembly: Assembly, names: list[str], *, kind: str) -> list[Juror]:
    """Put names on the jury list (cadres or residents); the jury is drawn from it."""
    _require(assembly, *PREPARING, message="大会已开始，评审团名单不能再改。")
    if kind not in ("cadre", "resident"):
        raise TransitionError("无效的评委类别。")
    existing = set(db.session.scalars(select(Juror.name).where(
        Juror.township_id == assembly.township_id, Juror.assembly_id == assembly.id)))
    rows = []
    for name in names:
        name = name.strip()[:40]
        if name and name not in existing:
            existing.add(name)
            rows.append(Juror(township_id=assembly.township_id, assembly_id=assembly.id,
                              name=name, kind=kind))
    if not rows:
        raise TransitionError("没有新的名字可加入名单。")
    db.session.add_all(rows)
    db.session.flush()
    return rows


def jurors_of(assembly: Assembly, *, drawn: bool | None = None) -> list[Juror]:
    query = select(Juror).where(Juror.township_id == assembly.township_id,
                                Juror.assembly_id == assembly.id)
    if drawn is not None:
        query = query.where(Juror.drawn.is_(drawn))
    return list(db.session.scalars(query.order_by(Juror.kind, Juror.name)))


def _give_link(juror: Juror, how: str) -> None:
    juror.drawn, juror.drawn_by = True, how
    juror.token = secrets.token_urlsafe(24)  # 192 bits: unguessable
    juror.present, juror.on_paper = True, False


def draw_jury(assembly: Assembly, township, *, size: int | None = None, chosen=None,
              rng=None) -> list[Juror]:
    """Draw the jury from the list: `chosen` jurors by hand, or `size` (the setting by default)
    at random. Each drawn juror gets a personal, unguessable link. Drawing again replaces the
    jury (and its links) as long as the session has not started."""
    _require(assembly, *PREPARING, message="大会已开始，评审团不能再抽取。")
    pool = jurors_of(assembly)
    for juror in pool:
        juror.drawn, juror.drawn_by, juror.token = False, None, None
    db.session.flush()
    if chosen is not None:
        chosen_ids = {str(c) for c in chosen}
        picked = [j for j in pool if str(j.id) in chosen_ids]
        if not picked:
            raise TransitionError("请勾选评委。")
        how = "chosen"
    else:
        size = size or _settings(township).jury_size
        if len(pool) < size:
            raise TransitionError(f"名单只有 {len(pool)} 人，不够抽取 {size} 名评委。")
        picked = (rng or secrets.SystemRandom()).sample(pool, size)
        how = "random"
    for juror in picked:
        _give_link(juror, how)
    db.session.flush()
    return picked


def set_attendance(juror: Juror, *, present: bool, on_paper: bool) -> Juror:
    """On the day: is the juror here, and do they score on paper (no phone)?"""
    if not juror.drawn:
        raise TransitionError("该人员未被抽为评委。")
    has_marks = db.session.scalar(select(func.count()).select_from(ScoreMark).where(
        ScoreMark.township_id == juror.township_id, ScoreMark.juror_id == juror.id))
    if has_marks and on_paper:
        raise TransitionError("该评委已用手机评分，不能改为纸质评分。")
    juror.present, juror.on_paper = present, on_paper
    assembly = db.session.get(Assembly, (juror.township_id, juror.assembly_id))
    current = current_criticism(assembly)
    if current is not None and current.pending and progress(current, assembly).complete:
        _write_scores(current)  # the one we were waiting for has gone home
    return juror


def criticisms_of(assembly: Assembly, *, withdrawn: bool = False) -> list[Criticism]:
    """The assembly's criticisms in their order; `withdrawn=True`: those taken back instead."""
    taken_back = Criticism.withdrawn_at.is_not(None) if withdrawn else \
        Criticism.withdrawn_at.is_(None)
    return list(db.session.scalars(select(Criticism).where(
        Criticism.township_id == assembly.township_id, Criticism.assembly_id == assembly.id,
        taken_back).order_by(Criticism.position, Criticism.created_at)))


CRITICISM_WORDING = ("title", "content", "raised_by", "contact_phone")


def _still_editable(criticism: Criticism) -> None:
    if criticism.withdrawn_at is not None:
        raise TransitionError("这条批评意见已撤回。")
    if criticism.matter_id is not None or criticism.round_state != RoundState.WAITING:
        raise TransitionError("这条批评意见已经评分或已转为整改事项，不能再修改或撤回；"
                              "请在事项里处理。")


def edit_criticism(criticism: Criticism, actor, *, title: str, content: str = "",
                   raised_by: str = "", contact_phone: str | None = None) -> Criticism:
    """Correct a criticism's wording before it is scored and becomes a matter; the audit log
    keeps what it said before."""
    from app.audit.operations import changed, record, snapshot

    _still_editable(criticism)
    if not title.strip():
        raise TransitionError("请填写批评意见的标题。")
    before = snapshot(criticism, CRITICISM_WORDING)
    criticism.title = title.strip()[:120]
    criticism.content = content.strip()
    criticism.raised_by = raised_by.strip()[:40]
    criticism.contact_phone = (contact_phone or "").strip() or None
    old, new = changed(before, snapshot(criticism, CRITICISM_WORDING))
    if new:
        record(criticism.township_id, actor, "criticism.edit", criticism, before=old, after=new,
               summary=f"修改批评意见：{criticism.title}")
    db.session.flush()
    return criticism


def withdraw_criticism(criticism: Criticism, actor, *, reason: str) -> Criticism:
    """Take a criticism back before it is scored: kept with its reason, out of the order."""
    from app.audit.operations import record

    _still_editable(criticism)
    if not reason.strip():
        raise TransitionError("请写明撤回原因。")
    criticism.withdrawn_at = utcnow()
    criticism.withdrawn_reason = reason.strip()[:200]
    record(criticism.township_id, actor, "criticism.withdraw", criticism,
           before={"withdrawn": False}, after={"withdrawn": True, "reason": reason.strip()},
           summary=f"撤回批评意见：{criticism.title}")
    db.session.flush()
    return criticism


def add_criticism(assembly: Assembly, *, title: str, content: str = "",
                  source: str = CriticismSource.TEAM, raised_by: str = "",
                  contact_phone: str | None = None, team: CriticTeam | None = None,
                  target_unit: str = "", responsible=None,
                  notify_consent: bool = False) -> Criticism:
    """Collect a criticism (before the assembly, or on the day); it joins the end of the order.
    `notify_consent`: the resident agreed to be told of its matter's steps, once it is one."""
    _require(assembly, *PREPARING, S.IN_SESSION, message="评分已结束，不能再增加批评意见。")
    if not title.strip():
        raise TransitionError("请填写批评意见的标题。")
    CriticismSource(source)
    last = db.session.scalar(select(func.max(Criticism.position)).where(
        Criticism.township_id == assembly.township_id, Criticism.assembly_id == assembly.id))
    row = Criticism(township_id=assembly.township_id, assembly_id=assembly.id,
                    position=(last or 0) + 1, title=title.strip()[:120], content=content.strip(),
                    source=source, raised_by=raised_by.strip()[:40],
                    contact_phone=(contact_phone or "").strip() or None,
                    team_id=getattr(team, "id", None), target_unit=target_unit.strip()[:80],
                    responsible_id=getattr(responsible, "id", None),
                    notify_consent=bool(notify_consent))
    db.session.add(row)
    db.session.flush()
    return row


def assign_criticism(criticism: Criticism, *, team: CriticTeam | None, target_unit: str,
                     responsible) -> Criticism:
    """Which team presents it, which unit it is about, who answers for it."""
    criticism.team_id = getattr(team, "id", None)
    criticism.target_unit = target_unit.strip()[:80]
    criticism.responsible_id = getattr(responsible, "id", None)
    if criticism.matter is not None and responsible is not None \
            and criticism.matter.assignee_id != responsible.id \
            and criticism.matter.state in OPEN_STATES:
        matters.assign(criticism.matter, None, assignee=responsible,
                       unit_name=criticism.target_unit or None)
    return criticism


# --- in session ---------------------------------------------------------------------------------

def start_session(assembly: Assembly, *, today: date | None = None, reason: str = "",
                  actor=None) -> Assembly:
    """The assembly opens: the jury must be drawn and there must be something to score. It
    opens on or after its announced day; earlier only with a reason, which is kept (on the
    assembly and in the audit log). The day it opens is the day it was held."""
    _require(assembly, S.ANNOUNCED, S.REGISTRATION, message="大会须先公告才能开始。")
    if not jurors_of(assembly, drawn=True):
        raise TransitionError("请先抽取评审团。")
    if not criticisms_of(assembly):
        raise TransitionError("还没有批评意见。")
    if today is None:
        from app.clock import township_today
        from app.townships.models import Township

        today = township_today(db.session.get(Township, assembly.township_id))
    reason = (reason or "").strip()
    if today < assembly.held_on and not reason:
        raise TransitionError(
            f"大会已公告于 {assembly.held_on:%Y年%m月%d日} 召开，今天不能开始；"
            "如确需提前召开，请填写提前的原因。")
    assembly.state = S.IN_SESSION.value
    assembly.started_on = today
    if today < assembly.held_on:
        from app.audit.operations import record

        assembly.early_start_reason = reason[:500]
        record(assembly.township_id, actor, "assembly.early_start", assembly,
               before={"held_on": assembly.held_on.isoformat().replace("-", "/")},
               after={"started_on": today.isoformat().replace("-", "/")},
               summary=f"“{assembly.title}”提前召开：{reason[:120]}")
    return assembly


def current_criticism(assembly: Assembly) -> Criticism | None:
    return db.session.scalar(select(Criticism).where(
        Criticism.township_id == assembly.township_id, Criticism.assembly_id == assembly.id,
        Criticism.round_state == RoundState.OPEN.value))


def open_round(criticism: Criticism, assembly: Assembly) -> Criticism:
    """The clerk calls the next criticism: jurors may score it now. One round at a time."""
    _require(assembly, S.IN_SESSION, message="大会进行中才能评分。")
    if criticism.round_state != RoundState.WAITING:
        raise TransitionError("这条批评意见已经评过分了。")
    if current_criticism(assembly) is not None:
        raise TransitionError("请先结束当前这一条的评分。")
    criticism.round_state = RoundState.OPEN.value
    return criticism


@dataclass(frozen=True)
class Progress:
    phone_done: int
    phone_expected: int
    paper_done: int
    paper_expected: int

    @property
    def done(self) -> int:
        return self.phone_done + self.paper_done

    @property
    def expected(self) -> int:
        return self.phone_expected + self.paper_expected

    @property
    def complete(self) -> bool:
        return self.phone_done >= self.phone_expected and self.paper_done >= self.paper_expected


def progress(criticism: Criticism, assembly: Assembly) -> Progress:
    """How many of the jurors present have scored this criticism."""
    jury = [j for j in jurors_of(assembly, drawn=True) if j.present]
    phone_ids = {j.id for j in jury if not j.on_paper}
    marked = set(db.session.scalars(select(ScoreMark.juror_id).where(
        ScoreMark.township_id == criticism.township_id,
        ScoreMark.criticism_id == criticism.id)))
    return Progress(phone_done=len(marked & phone_ids), phone_expected=len(phone_ids),
                    paper_done=criticism.paper_sheets,
                    paper_expected=sum(1 for j in jury if j.on_paper))


def scores_visible(criticism: Criticism, assembly: Assembly) -> bool:
    """Scores are shown nowhere, the clerk's screen included, until the round is closed: once
    every juror has scored the clerk sees that the round is complete, not the scores."""
    return criticism.round_state == RoundState.CLOSED


def weighted_total(assembly: Assembly, values: dict) -> tuple[dict, float]:
    """Check one juror's points (0..10 per criterion) and weigh them to a total of 0..100."""
    clean = {}
    for c in assembly.criteria:
        raw = values.get(c["key"])
        try:
            points = int(raw)
        except (TypeError, ValueError):
            raise TransitionError(f"请为“{c['name']}”打分（0–{MAX_POINTS} 分）。") from None
        if not 0 <= points <= MAX_POINTS:
            raise TransitionError(f"“{c['name']}”的分数须在 0–{MAX_POINTS} 分之间。")
        clean[c["key"]] = points
    weights = sum(c["weight"] for c in assembly.criteria)
    total = sum(clean[c["key"]] * c["weight"] for c in assembly.criteria) * 10 / weights
    return clean, round(total, 2)


def has_scored(juror: Juror, criticism: Criticism) -> bool:
    return bool(db.session.scalar(select(ScoreMark.id).where(
        ScoreMark.township_id == juror.township_id, ScoreMark.criticism_id == criticism.id,
        ScoreMark.juror_id == juror.id)))


def _locked(criticism: Criticism) -> Criticism:
    """The criticism row, locked until commit (two jurors' scores arrive at the same moment)."""
    return db.session.scalars(
        select(Criticism).where(Criticism.township_id == criticism.township_id,
                                Criticism.id == criticism.id)
        .with_for_update().execution_options(populate_existing=True)).one()


def _hold(criticism: Criticism, values: dict, total: float) -> None:
    """Keep a score with the round's others, at a random place among them."""
    pending = list(criticism.pending or [])
    pending.insert(secrets.randbelow(len(pending) + 1), {"values": values, "total": total})
    criticism.pending = pending


def _write_scores(criticism: Criticism) -> None:
    """The round is complete or closed: its held scores become Score rows, in random order."""
    pending = list(criticism.pending or [])
    secrets.SystemRandom().shuffle(pending)
    for held in pending:
        db.session.add(Score(township_id=criticism.township_id, criticism_id=criticism.id,
                             values=held["values"], total=held["total"]))
    criticism.pending = []
    db.session.flush()


def submit_score(juror: Juror, criticism: Criticism, assembly: Assembly, values: dict) -> None:
    """A juror's score from their phone: once per criticism, only while its round is open.

    The mark (this juror has scored) and the score share nothing but the criticism: see above.
    """
    if not juror.drawn or juror.assembly_id != assembly.id:
        raise TransitionError("此链接不是本次大会的评委链接。")
    if not juror.present:
        raise TransitionError("您未登记到会，请向会务人员说明。")
    if juror.on_paper:
        raise TransitionError("您已登记为纸质评分，请在评分表上打分。")
    clean, total = weighted_total(assembly, values)
    criticism = _locked(criticism)
    if criticism.round_state != RoundState.OPEN:
        raise TransitionError("这条批评意见现在不在评分中。")
    try:
        with db.session.begin_nested():  # two taps at once: the unique mark lets one through
            db.session.add(ScoreMark(township_id=juror.township_id, criticism_id=criticism.id,
                                     juror_id=juror.id))
            db.session.flush()
    except IntegrityError:
        raise TransitionError("您已为这条批评意见打过分，不能重复打分。") from None
    _hold(criticism, clean, total)
    if progress(criticism, assembly).complete:
        _write_scores(criticism)
    db.session.flush()


def enter_paper_sheet(criticism: Criticism, assembly: Assembly, values: dict) -> None:
    """The clerk types in one paper sheet's scores for this criticism (the sheets carry no
    names); no more sheets than jurors present on paper."""
    clean, total = weighted_total(assembly, values)
    criticism = _locked(criticism)
    if criticism.round_state != RoundState.OPEN:
        raise TransitionError("这条批评意见现在不在评分中。")
    state = progress(criticism, assembly)
    if state.paper_done >= state.paper_expected:
        raise TransitionError("纸质评分表已全部录入（与到会的纸质评委人数相同）。")
    criticism.paper_sheets += 1
    _hold(criticism, clean, total)
    if progress(criticism, assembly).complete:
        _write_scores(criticism)
    db.session.flush()


def close_round(criticism: Criticism, assembly: Assembly, township, actor) -> Criticism:
    """The clerk ends the round: scores are final and shown; the criticism becomes a matter."""
    if criticism.round_state != RoundState.OPEN:
        raise TransitionError("这条批评意见现在不在评分中。")
    criticism = _locked(criticism)
    criticism.round_state = RoundState.CLOSED.value
    _write_scores(criticism)
    ensure_matter(criticism, assembly, township, actor)
    return criticism


def scores_of(criticism: Criticism) -> list[Score]:
    return list(db.session.scalars(select(Score).where(
        Score.township_id == criticism.township_id, Score.criticism_id == criticism.id)
        .order_by(Score.total)))


def finish_scoring(assembly: Assembly) -> Assembly:
    """All rounds are over."""
    _require(assembly, S.IN_SESSION, message="大会进行中才能结束评分。")
    if current_criticism(assembly) is not None:
        raise TransitionError("还有一条批评意见正在评分，请先结束该轮。")
    if not any(c.round_state == RoundState.CLOSED for c in criticisms_of(assembly)):
        raise TransitionError("还没有评完任何一条批评意见。")
    assembly.state = S.SCORED.value
    return assembly


# --- results ------------------------------------------------------------------------------------

def combine(totals: list[float], method: str) -> float | None:
    """The criticism's score from its jurors' totals: mean, or trimmed mean (drop the highest
    and the lowest once each, when there are at least three)."""
    if not totals:
        return None
    values = sorted(totals)
    if method == "trimmed" and len(values) >= 3:
        values = values[1:-1]
    return round(sum(values) / len(values), 2)


@dataclass
class Standing:
    criticism: Criticism
    score: float
    tie_break: float
    rank: int = 0
    prize: dict | None = None


def rank(assembly: Assembly, method: str) -> list[Standing]:
    """Rank the scored criticisms and give out the prize tiers (see the module's tie rule)."""
    first = assembly.criteria[0]["key"]
    standings = []
    for c in criticisms_of(assembly):
        scores = scores_of(c)
        score = combine([s.total for s in scores], method)
        if score is None:
            continue
        tie_break = combine([float(s.values.get(first, 0)) for s in scores], method)
        standings.append(Standing(c, score, tie_break))
    standings.sort(key=lambda s: (-s.score, -s.tie_break, s.criticism.position))
    for i, s in enumerate(standings):
        previous = standings[i - 1] if i else None
        same = previous and (previous.score, previous.tie_break) == (s.score, s.tie_break)
        s.rank = previous.rank if same else i + 1
    bounds, upto = [], 0
    for tier in assembly.prizes:
        upto += int(tier["count"])
        bounds.append((upto, tier))
    for s in standings:
        s.prize = next((tier for limit, tier in bounds if s.rank <= limit), None)
    return standings


def publish_results(assembly: Assembly, township, actor) -> list[Standing]:
    """Compute the ranking and prizes with the township's rule and publish them. Every criticism
    not yet a matter (one never presented) becomes one now."""
    _require(assembly, S.SCORED, message="评分结束后才能公布结果。")
    method = "trimmed" if _settings(township).drop_extremes else "mean"
    standings = rank(assembly, method)
    by_id = {s.criticism.id: s for s in standings}
    for c in criticisms_of(assembly):
        s = by_id.get(c.id)
        c.final_score = s.score if s else None
        c.rank = s.rank if s else None
        c.prize = s.prize["name"] if s and s.prize else None
        c.prize_amount = int(s.prize["amount"]) if s and s.prize else None
        ensure_matter(c, assembly, township, actor)
    assembly.combine = method
    assembly.state = S.PUBLISHED.value
    for juror in jurors_of(assembly, drawn=True):
        juror.token = None  # the jurors' links were for the day: they expire now
    assembly.published_at = utcnow()
    return standings


def begin_follow_up(assembly: Assembly) -> Assembly:
    """After the results: the criticisms are followed until each resident is satisfied."""
    _require(assembly, S.PUBLISHED, message="结果公布后才能转入跟踪督办。")
    assembly.state = S.FOLLOW_UP.value
    return assembly


def results(assembly: Assembly) -> list[Criticism]:
    """The published ranking: ranked criticisms first, by rank."""
    rows = criticisms_of(assembly)
    return sorted(rows, key=lambda c: (c.rank is None, c.rank or 0, c.position))


# --- follow-up ----------------------------------------------------------------------------------

def ensure_matter(criticism: Criticism, assembly: Assembly, township, actor) -> Matter:
    """The criticism's matter (channel assembly), created once, reply due in the township's
    `reply_workdays`, handed to the responsible person when one is named."""
    if criticism.matter_id is not None:
        return criticism.matter
    settings = _settings(township)
    matter = matters.create_matter(
        township, channel=Channel.ASSEMBLY, title=criticism.title, actor=actor,
        description=criticism.content, contact_name=criticism.raised_by or None,
        contact_phone=criticism.contact_phone, workdays=settings.reply_workdays,
        category="suggestion",
        extra={"assembly_id": str(assembly.id), "criticism_id": str(criticism.id),
               "assembly_title": assembly.title})
    criticism.matter_id = matter.id
    db.session.flush()
    if criticism.notify_consent:
        from app.notices import residents

        residents.agree(township, matter, given_at=Channel.ASSEMBLY.value, actor=actor)
    if criticism.responsible_id is not None or criticism.target_unit:
        matters.assign(matter, actor, assignee=criticism.responsible,
                       unit_name=criticism.target_unit or None)
    return matter


def _satisfied_guard(matter: Matter) -> str | None:
    """An assembly criticism closes only when the resident said they are satisfied."""
    if matter.channel != Channel.ASSEMBLY:
        return None
    if matters._satisfied_this_stage(matter):
        return None
    return "有奖批评意见须经群众评价满意后方可销号。"


CLOSE_GUARDS.append(_satisfied_guard)


def overdue(township, today: date, assembly: Assembly | None = None) -> list[Criticism]:
    """Criticisms whose reply is overdue (the leaders' list), longest overdue first."""
    query = (select(Criticism).join(Matter, (Matter.township_id == Criticism.township_id)
                                    & (Matter.id == Criticism.matter_id))
             .where(Criticism.township_id == township.id,
                    Matter.state.in_([s.value for s in OPEN_STATES]), Matter.due_on < today)
             .order_by(Matter.due_on))
    if assembly is not None:
        query = query.where(Criticism.assembly_id == assembly.id)
    return list(db.session.scalars(query))


def public_assemblies(township) -> list[Assembly]:
    """Assemblies the public may see (announced or later), newest first."""
    return list(db.session.scalars(select(Assembly).where(
        Assembly.township_id == township.id, Assembly.state != S.DRAFT.value)
        .order_by(Assembly.held_on.desc())))


def teams_of(assembly: Assembly) -> list[CriticTeam]:
    return list(db.session.scalars(select(CriticTeam).where(
        CriticTeam.township_id == assembly.township_id, CriticTeam.assembly_id == assembly.id)
        .order_by(CriticTeam.created_at)))


def supervisors_of(assembly: Assembly) -> list[Supervisor]:
    return list(db.session.scalars(select(Supervisor).where(
        Supervisor.township_id == assembly.township_id, Supervisor.assembly_id == assembly.id)
        .order_by(Supervisor.created_at)))

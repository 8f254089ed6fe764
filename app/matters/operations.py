"""The life of a matter (DESIGN §5), enforced in one place.

Every change goes through `_transition` or `_record`, which append a MatterEvent; nothing about a
matter is changed without a trace. Operations take explicit arguments and never touch the request;
the caller commits.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import event as sa_event
from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.clock import township_today
from app.extensions import db
from app.matters.models import (
    OPEN_STATES,
    Channel,
    Evaluation,
    EvaluationSource,
    Level,
    Matter,
    MatterCounter,
    MatterEvent,
    Rating,
    Reply,
    Revisit,
    State,
)
from app.models import utcnow
from app.townships.workdays import WorkCalendar

# Which state may follow which. Anything else is refused with TransitionError.
TRANSITIONS: dict[State, frozenset[State]] = {
    State.RECEIVED: frozenset({State.ASSIGNED, State.IN_PROGRESS, State.ESCALATED, State.REPLIED,
                               State.WITHDRAWN, State.DUPLICATE, State.NOT_RESPONSIBLE}),
    State.ASSIGNED: frozenset({State.ASSIGNED, State.IN_PROGRESS, State.ESCALATED, State.REPLIED,
                               State.WITHDRAWN, State.DUPLICATE, State.NOT_RESPONSIBLE}),
    State.IN_PROGRESS: frozenset({State.ASSIGNED, State.ESCALATED, State.REPLIED,
                                  State.WITHDRAWN, State.NOT_RESPONSIBLE}),
    State.ESCALATED: frozenset({State.ASSIGNED, State.IN_PROGRESS, State.ESCALATED,
                                State.REPLIED, State.NOT_RESPONSIBLE}),
    State.REOPENED: frozenset({State.ASSIGNED, State.IN_PROGRESS, State.ESCALATED,
                               State.REPLIED}),
    State.REPLIED: frozenset({State.CLOSED, State.REOPENED}),
    State.CLOSED: frozenset({State.REOPENED}),
    State.WITHDRAWN: frozenset(),
    State.DUPLICATE: frozenset(),
    State.NOT_RESPONSIBLE: frozenset(),
}

LEVEL_ORDER = (Level.VILLAGE, Level.TOWNSHIP, Level.COUNTY)

# Features that hold something a matter must not close without (an errand's original documents,
# say) add a guard here: it returns the reason for people, or None when closing is fine.
CLOSE_GUARDS: list = []


def close_refusal(matter) -> str | None:
    """Why `matter` may not close now (the first guard that objects), or None."""
    for guard in CLOSE_GUARDS:
        message = guard(matter)
        if message:
            return message
    return None


class TransitionError(ValueError):
    """An operation that the matter's state or the township's rules do not allow.

    `message` is shown to people as it is (translated by the caller's template).
    """


@dataclass(frozen=True)
class ChannelRule:
    """How matters of a channel are handled in a township (DESIGN §5)."""

    workdays: int
    # "on_reply": closes when replied; "manual": staff close after reply;
    # "satisfied": closes only on a satisfied evaluation from the resident.
    closeout: str
    # Call-back (回访) this many working days after the reply; None: no call-back.
    revisit_after_days: int | None = None


DEFAULT_RULES: dict[str, ChannelRule] = {
    Channel.HALL: ChannelRule(workdays=5, closeout="on_reply"),
    Channel.PROXY: ChannelRule(workdays=5, closeout="manual"),
    Channel.STUDIO: ChannelRule(workdays=15, closeout="manual"),
    Channel.ASSEMBLY: ChannelRule(workdays=15, closeout="satisfied", revisit_after_days=30),
    Channel.VISIT: ChannelRule(workdays=10, closeout="manual"),
    Channel.ONLINE: ChannelRule(workdays=10, closeout="manual"),
    Channel.PHONE: ChannelRule(workdays=10, closeout="manual"),
    Channel.EXTERNAL: ChannelRule(workdays=10, closeout="manual"),
}
CLOSEOUT_CHOICES = ("on_reply", "manual", "satisfied")


# A service model's settings may name the reply time and the revisit of its channel.
CHANNEL_MODELS = {Channel.HALL: "one_stop", Channel.PROXY: "proxy", Channel.STUDIO: "studio",
                  Channel.ASSEMBLY: "assembly"}


def _model_rule(township, channel: Channel, base: ChannelRule) -> ChannelRule:
    from app.service_models import REGISTRY

    model = REGISTRY.get(CHANNEL_MODELS.get(channel, ""))
    if model is None or not township.service_enabled(model.key):
        return base
    settings = model.settings_for(township)
    return ChannelRule(
        workdays=getattr(settings, "reply_workdays", base.workdays),
        closeout=base.closeout,
        revisit_after_days=getattr(settings, "revisit_after_days", base.revisit_after_days))


# A rule's value that a service model's settings name (rule field -> settings field). When the
# channel's service model is on and has the setting, that setting owns the value: the rules page
# shows it and links to the settings, and never stores its own copy.
MODEL_OWNED = {"workdays": "reply_workdays", "revisit_after_days": "revisit_after_days"}
RULE_FIELDS = ("workdays", "closeout", "revisit_after_days")


def owned_by_model(township, channel: str):
    """The service model whose settings own some of `channel`'s values, and which ones:
    (model or None, {rule field, ...})."""
    import dataclasses

    from app.service_models import REGISTRY

    model = REGISTRY.get(CHANNEL_MODELS.get(Channel(channel), ""))
    if model is None or not township.service_enabled(model.key):
        return None, set()
    names = {f.name for f in dataclasses.fields(model.settings_class)}
    return model, {rule for rule, name in MODEL_OWNED.items() if name in names}


def rule_base(township, channel: str) -> ChannelRule:
    """The rule without the rules page: the service model's settings over the defaults."""
    return _model_rule(township, Channel(channel), DEFAULT_RULES[Channel(channel)])


def channel_rule(township, channel: str) -> ChannelRule:
    """The township's rule for a channel. Each value has one owner: the service model's setting
    where it names the value (reply time, call-back), else the rules page, else the default.
    The rules page stores only what it overrides, so later changes elsewhere take effect."""
    base = rule_base(township, channel)
    own = (township.settings or {}).get("channels", {}).get(channel, {})
    _model, owned = owned_by_model(township, channel)
    closeout = own.get("closeout", base.closeout)
    if closeout not in CLOSEOUT_CHOICES:
        closeout = base.closeout
    workdays = base.workdays if "workdays" in owned else int(own.get("workdays", base.workdays))
    revisit = base.revisit_after_days if "revisit_after_days" in owned \
        else own.get("revisit_after_days", base.revisit_after_days)
    return ChannelRule(workdays=workdays, closeout=closeout,
                       revisit_after_days=int(revisit) if revisit else None)


def local_today(township, now: datetime | None = None) -> date:
    """Today in the township (app.clock.township_today, by its ledger name)."""
    return township_today(township, now)


def next_number(township, year: int) -> str:
    """The next tracking number of the township for `year`, e.g. HGZ-2026-000123.

    On PostgreSQL the counter row is moved on in its own short transaction, committed at once,
    so the row is locked for a moment and not until the intake commits: eight desks taking in at
    once never wait for each other's whole request. Numbers stay unique and in the order they
    were taken; an intake that fails after taking its number leaves that number unused (as a
    sequence would). A township not committed yet (its first matters made in the same
    transaction as itself) counts inside the transaction, as SQLite always does.
    """
    counted_here = db.session.info.setdefault(_NUMBERS_HERE, {})
    db.session.connection()  # the transaction has begun
    transaction = db.session().get_transaction()
    last = None
    if counted_here.get(township.id) is not transaction:
        last = _number_apart(township, year)
    if last is None:
        # This transaction may now hold the counter row: its next numbers are counted here too.
        counted_here[township.id] = transaction
        last = _number_in_transaction(db.session, township, year)
    return f"{township.code}-{year}-{last:06d}"


_NUMBERS_HERE = "matter_numbers_in_transaction"


def _counter_statements(dialect: str, township_id, year: int):
    table = MatterCounter.__table__
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return (
        insert(table).values(township_id=township_id, year=year, last=0)
        .on_conflict_do_nothing(index_elements=["township_id", "year"]),
        # The UPDATE takes the row lock, so two desks never get the same number.
        update(table).where(table.c.township_id == township_id, table.c.year == year)
        .values(last=table.c.last + 1).returning(table.c.last),
    )


def _number_in_transaction(session, township, year: int) -> int:
    create, take = _counter_statements(session.get_bind().dialect.name, township.id, year)
    session.execute(create)
    return session.execute(take).scalar_one()


def _number_apart(township, year: int) -> int | None:
    from sqlalchemy.engine import Engine
    from sqlalchemy.exc import IntegrityError, OperationalError

    bind = db.session.get_bind()
    if not isinstance(bind, Engine) or bind.dialect.name != "postgresql":
        return None
    table = MatterCounter.__table__
    # Made or moved on in one statement: the conflict's UPDATE takes the row lock as the
    # UPDATE of _counter_statements does.
    take = (pg_insert(table).values(township_id=township.id, year=year, last=1)
            .on_conflict_do_update(index_elements=["township_id", "year"],
                                   set_={"last": table.c.last + 1})
            .returning(table.c.last))
    try:
        with bind.begin() as conn:
            conn.execute(text("select set_config('app.township', :t, true), "
                              "set_config('lock_timeout', '3s', true)"), {"t": str(township.id)})
            return conn.execute(take).scalar_one()
    except IntegrityError:  # the township is not committed yet
        return None
    except OperationalError:  # the row is held (by this very transaction, or for too long)
        return None


_FRESH_SEQS = "matter_event_seqs_of_new_matters"  # session.info: {matter id: last seq}


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_fresh_seqs(session, transaction) -> None:
    if transaction.parent is not None and not transaction.nested:
        return  # a flush's own inner transaction
    # Committed, others may add events; rolled back (a savepoint too), the events may be gone.
    session.info.pop(_FRESH_SEQS, None)


def _record(matter: Matter, kind: str, actor=None, actor_kind: str = "user",
            from_state: str | None = None, to_state: str | None = None, **data) -> MatterEvent:
    # A matter made in this transaction has no events but the ones recorded here (nobody else
    # sees it before the commit): its next seq is known without asking the database.
    fresh = db.session.info.get(_FRESH_SEQS, {})
    if matter.id in fresh:
        seq = fresh[matter.id] + 1
    else:
        seq = (
            db.session.scalar(
                select(func.max(MatterEvent.seq)).where(
                    MatterEvent.township_id == matter.township_id,
                    MatterEvent.matter_id == matter.id,
                )
            )
            or 0
        ) + 1
    event = MatterEvent(
        township_id=matter.township_id,
        matter_id=matter.id,
        seq=seq,
        actor_id=getattr(actor, "id", None),
        actor_kind=actor_kind if actor is None else "user",
        kind=kind,
        from_state=from_state,
        to_state=to_state,
        data={k: _jsonable(v) for k, v in data.items()},
    )
    db.session.add(event)
    db.session.flush()
    if matter.id in fresh:
        fresh[matter.id] = seq
    from app.notices import residents

    residents.on_event(matter, event)  # a public step: the resident who agreed hears of it
    return event


def _jsonable(value):
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, date | datetime):
        return value.isoformat()
    if hasattr(value, "hex") and hasattr(value, "int"):  # uuid
        return str(value)
    return value


def _transition(matter: Matter, to: State, actor=None, actor_kind: str = "user", kind=None,
                **data) -> MatterEvent:
    current = State(matter.state)
    if to not in TRANSITIONS[current]:
        raise TransitionError(
            f"事项当前状态为“{current.label}”，不能改为“{to.label}”。"
        )
    if to == State.CLOSED and (refusal := close_refusal(matter)):
        raise TransitionError(refusal)
    matter.state = to.value
    now = utcnow()
    if matter.first_response_at is None and to != State.RECEIVED:
        matter.first_response_at = now
    if to == State.REPLIED:
        matter.replied_at = now
    if to in {State.CLOSED, *TERMINAL} and matter.closed_at is None:
        matter.closed_at = now
    if to == State.REOPENED:
        matter.closed_at = None
    return _record(matter, kind or to.value, actor, actor_kind, current.value, to.value, **data)


TERMINAL = (State.WITHDRAWN, State.DUPLICATE, State.NOT_RESPONSIBLE)


def create_matter(township, *, channel: str, title: str, actor=None, description: str = "",
                  category: str | None = None, service_item=None, resident=None, household=None,
                  village=None, centre=None, contact_name: str | None = None,
                  contact_phone: str | None = None, is_public: bool | None = None,
                  workdays: int | None = None, source_visit=None, extra: dict | None = None,
                  now: datetime | None = None) -> Matter:
    """Register a matter from any channel, with its number and promised date.

    `is_public` is the resident's answer to 「不公开」; None takes the default of the service item
    or category (app.matters.publication). A public matter goes on the board at once or waits
    for review, as the township chose.
    """
    from app.matters import publication

    channel = Channel(channel).value
    now = now or utcnow()
    today = local_today(township, now)
    if workdays is None:
        workdays = (
            service_item.promised_workdays if service_item is not None
            else channel_rule(township, channel).workdays
        )
    if household is None and resident is not None and resident.household_id:
        household = resident.household
    if village is None:
        village = (household.village if household is not None else None) or (
            resident.village if resident is not None else None
        )
    if centre is None and service_item is not None:
        centre = service_item.centre
    phone = contact_phone or (resident.phone if resident is not None else None) or (
        household.phone if household is not None else None
    )
    category = category or ("service" if service_item is not None else "suggestion")
    if is_public is None:
        is_public = publication.default_public(township, category=category,
                                               service_item=service_item)
    if category in publication.ALWAYS_PRIVATE:
        is_public = False
    matter = Matter(
        township_id=township.id,
        number=next_number(township, today.year),
        channel=channel,
        category=category,
        service_item_id=getattr(service_item, "id", None),
        title=title.strip(),
        description=description.strip(),
        resident_id=getattr(resident, "id", None),
        household_id=getattr(household, "id", None),
        village_id=getattr(village, "id", None),
        centre_id=getattr(centre, "id", None),
        contact_name=contact_name or (resident.name if resident is not None else None),
        contact_phone=phone,
        contact_phone_tail=phone[-4:] if phone else None,
        is_public=is_public,
        publication=publication.initial_state(township),
        received_at=now,
        promised_workdays=workdays,
        due_on=WorkCalendar.for_township(township.id).add_workdays(today, workdays),
        rating_token=secrets.token_urlsafe(18),
        source_visit_id=getattr(source_visit, "id", None),
        created_by_id=getattr(actor, "id", None),
        extra=extra or {},
    )
    db.session.add(matter)
    db.session.flush()
    db.session.info.setdefault(_FRESH_SEQS, {})[matter.id] = 0
    _record(matter, "created", actor, "system" if actor is None else "user", None,
            State.RECEIVED.value, channel=channel, due_on=matter.due_on)
    return matter


def assign(matter: Matter, actor, *, assignee=None, centre=None, unit_name: str | None = None,
           commitment: str | None = None, commitment_due: date | None = None) -> MatterEvent:
    """Hand the matter to a responsible person and unit, optionally with a commitment (承诺)."""
    if assignee is None and centre is None and not unit_name:
        raise TransitionError("请指定责任人或责任单位。")
    before = {
        "assignee": str(matter.assignee_id) if matter.assignee_id else None,
        "centre": str(matter.centre_id) if matter.centre_id else None,
        "unit_name": matter.unit_name,
        "commitment": matter.commitment,
    }
    matter.assignee_id = getattr(assignee, "id", None)
    if centre is not None:
        matter.centre_id = centre.id
    matter.unit_name = unit_name or matter.unit_name
    if commitment:
        matter.commitment = commitment
        matter.commitment_due = commitment_due
    after = {
        "assignee": str(matter.assignee_id) if matter.assignee_id else None,
        "centre": str(matter.centre_id) if matter.centre_id else None,
        "unit_name": matter.unit_name,
        "commitment": matter.commitment,
    }
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    return _transition(matter, State.ASSIGNED, actor, changes=changes,
                       commitment_due=commitment_due)


def transfer(matter: Matter, actor, *, centre, reason: str) -> MatterEvent:
    """Hand the matter to another centre of the hall, with the reason kept in its history.

    The state does not change; whoever held it at the old centre no longer does.
    """
    if matter.state in {State.CLOSED, *TERMINAL}:
        raise TransitionError("事项已办结，不能转交。")
    if not reason.strip():
        raise TransitionError("转交须写明原因。")
    if matter.centre_id == centre.id:
        raise TransitionError("事项已在该中心。")
    before = str(matter.centre_id) if matter.centre_id else None
    matter.centre_id = centre.id
    matter.assignee_id = None
    return _record(matter, "transferred", actor, centre=[before, str(centre.id)],
                   centre_name=centre.name, reason=reason.strip())


def reassign(matter: Matter, actor, *, assignee, kind: str = "handed_over",
             **data) -> MatterEvent:
    """A new responsible person for the matter, its state unchanged (a cadre's hand-over)."""
    before = str(matter.assignee_id) if matter.assignee_id else None
    matter.assignee_id = assignee.id
    return _record(matter, kind, actor, matter.state, matter.state,
                   changes={"assignee": [before, str(assignee.id)]}, **data)


def start(matter: Matter, actor) -> MatterEvent:
    """The responsible person starts work."""
    return _transition(matter, State.IN_PROGRESS, actor)


def escalate(matter: Matter, actor, *, reason: str, to_level: Level | None = None,
             **facts) -> MatterEvent:
    """Hand the matter up one level (村 → 镇 → 县), or straight to `to_level`, keeping the level.

    `facts` go on the timeline's event (the county escalation names its county and department).
    """
    current = Level(matter.level)
    index = LEVEL_ORDER.index(current)
    if index == len(LEVEL_ORDER) - 1:
        raise TransitionError("事项已在县级，无法继续上报。")
    if not reason.strip():
        raise TransitionError("上报须写明原因。")
    new_level = Level(to_level) if to_level is not None else LEVEL_ORDER[index + 1]
    if LEVEL_ORDER.index(new_level) <= index:
        raise TransitionError("只能向上一级上报。")
    matter.level = new_level.value
    return _transition(matter, State.ESCALATED, actor, level=[current.value, new_level.value],
                       reason=reason.strip(), **facts)


def hand_back(matter: Matter, actor, *, reason: str, to_level: Level = Level.TOWNSHIP,
              **facts) -> MatterEvent:
    """The level above hands an escalated matter back down with its reasons (退回): the level
    below works on it again, its history kept."""
    if matter.state != State.ESCALATED:
        raise TransitionError("只有已上报的事项才能退回。")
    if not reason.strip():
        raise TransitionError("退回须写明原因。")
    before = matter.level
    matter.level = Level(to_level).value
    return _transition(matter, State.IN_PROGRESS, actor, kind="handed_back",
                       level=[before, matter.level], reason=reason.strip(), **facts)


def reply(matter: Matter, actor, *, public_text: str, private_notes: str = "",
          township=None) -> Reply:
    """Answer the resident. Closes at once where the channel's rule says so."""
    if not public_text.strip():
        raise TransitionError("答复内容不能为空。")
    from app.matters import publication

    township = township or _township_of(matter)
    answer = Reply(township_id=matter.township_id, matter_id=matter.id, stage=matter.stage,
                   public_text=public_text.strip(), private_notes=private_notes.strip(),
                   author_id=getattr(actor, "id", None),
                   publication=publication.initial_reply_state(township))
    db.session.add(answer)
    _transition(matter, State.REPLIED, actor, public_text=answer.public_text)
    rule = channel_rule(township, matter.channel)
    if rule.revisit_after_days:
        # Call-backs are counted in working days, like every deadline of the ledger.
        calendar = WorkCalendar.for_township(matter.township_id)
        schedule_revisit(matter, calendar.add_workdays(local_today(township),
                                                       rule.revisit_after_days))
    if rule.closeout == "on_reply":
        _transition(matter, State.CLOSED, actor, kind="closed", rule="on_reply")
    return answer


def close(matter: Matter, actor, township=None) -> MatterEvent:
    """Close out (销号), if the channel's rule allows it now."""
    township = township or _township_of(matter)
    rule = channel_rule(township, matter.channel)
    if rule.closeout == "satisfied" and not _satisfied_this_stage(matter):
        raise TransitionError("该类事项须群众评价满意后方可销号。")
    return _transition(matter, State.CLOSED, actor, rule=rule.closeout)


def reopen(matter: Matter, actor=None, *, reason: str, actor_kind: str = "user") -> MatterEvent:
    """Back to work: the resident was not satisfied. Counted, and a new rating stage begins."""
    event = _transition(matter, State.REOPENED, actor, actor_kind, reason=reason)
    matter.stage += 1
    matter.reopen_count += 1
    return event


def end_without_resolution(matter: Matter, actor, *, to: State, reason: str) -> MatterEvent:
    """Withdrawn, duplicate or not the township's responsibility: closed, not counted resolved."""
    if to not in TERMINAL:
        raise TransitionError("无效的结束方式。")
    if not reason.strip():
        raise TransitionError("请写明原因。")
    return _transition(matter, to, actor, reason=reason.strip())


def evaluate(matter: Matter, *, rating: str, source: str, comment: str = "", entered_by=None,
             how: str | None = None, staff_id=None, township=None) -> Evaluation:
    """Record the resident's rating for the current stage, and apply the close-out rule.

    A satisfied rating closes a matter whose rule waits for it; a dissatisfied one reopens it.
    """
    rating_enum = Rating(rating)
    source_enum = EvaluationSource(source)
    if source_enum != EvaluationSource.RESIDENT_LINK and source_enum != EvaluationSource.WINDOW \
            and entered_by is None:
        raise TransitionError("工作人员代录评价须记录录入人。")
    if matter.state not in (State.REPLIED, State.CLOSED):
        raise TransitionError("事项答复后才能评价。")
    if entered_by is not None and entered_by.id in answerable_for(matter):
        raise TransitionError("您是本事项的受理、承办或答复人，不能代录群众评价；"
                              "请由督查人员或回访专席录入。")
    exists = db.session.scalar(
        select(func.count()).select_from(Evaluation).where(
            Evaluation.township_id == matter.township_id,
            Evaluation.matter_id == matter.id,
            Evaluation.stage == matter.stage,
        )
    )
    if exists:
        raise TransitionError("本阶段已经评价过了。")
    evaluation = Evaluation(
        township_id=matter.township_id, matter_id=matter.id, stage=matter.stage,
        rating=rating_enum.value, comment=comment.strip(), source=source_enum.value,
        entered_by_id=getattr(entered_by, "id", None), centre_id=matter.centre_id,
        staff_id=staff_id or matter.assignee_id or matter.created_by_id,
    )
    db.session.add(evaluation)
    db.session.flush()
    actor_kind = "resident" if entered_by is None else "user"
    _record(matter, "evaluated", entered_by, actor_kind, rating=rating_enum.value,
            source=source_enum.value, how=how, stage=matter.stage)
    township = township or _township_of(matter)
    rule = channel_rule(township, matter.channel)
    # A township may let only the resident's own word close a matter: a rating that staff typed
    # in (by phone, on a visit) then stands as a record but does not close it.
    own_word = source_enum in RESIDENTS_OWN_SOURCES
    waits_for_resident = bool((township.settings or {}).get("closeout_needs_resident_rating"))
    if rating_enum.is_satisfied:
        if matter.state == State.REPLIED and rule.closeout == "satisfied" and (
                own_word or not waits_for_resident):
            _transition(matter, State.CLOSED, None, "system", kind="closed", rule="satisfied")
    else:
        reopen(matter, None, reason="群众评价不满意", actor_kind="system")
    return evaluation


def record_due_change(matter: Matter, actor, *, old: date, new: date, cause: str,
                      years=()) -> MatterEvent:
    """The promised date moved (the national schedule of a year entered, say): an event on the
    matter's timeline with who, the old and the new date. The caller has set `matter.due_on`."""
    return _record(matter, "due_recomputed", actor, "user" if actor else "system",
                   old_due_on=old, new_due_on=new, cause=cause, years=list(years))


def due_is_estimate(matter: Matter, township=None, calendar: WorkCalendar | None = None) -> bool:
    """An open matter whose promised date reaches a year with no national schedule: counted by
    weekends only, recomputed when the schedule is entered."""
    if matter.state not in OPEN_STATES:
        return False
    calendar = calendar or WorkCalendar.for_township(matter.township_id)
    return not calendar.year_known(matter.due_on.year)


# Ratings that are the resident's own act (their link or QR code, the window's tablet) or were heard
# by someone independent of the work (a spot-check call).
RESIDENTS_OWN_SOURCES = frozenset({EvaluationSource.RESIDENT_LINK, EvaluationSource.WINDOW,
                                   EvaluationSource.SPOT_CHECK})


def answerable_for(matter: Matter) -> set[uuid.UUID]:
    """Ids of the users answerable for `matter`: who received it, everyone who was ever its
    responsible person, who replied, and the staff of the centre it is assigned to. None of them
    may type in the resident's rating of that work (no self-certified satisfaction)."""
    from app.accounts.models import Role, RoleGrant

    ids = {matter.assignee_id, matter.created_by_id}
    ids |= set(db.session.scalars(select(Reply.author_id).where(
        Reply.township_id == matter.township_id, Reply.matter_id == matter.id)))
    for event in db.session.scalars(select(MatterEvent).where(
            MatterEvent.township_id == matter.township_id, MatterEvent.matter_id == matter.id)):
        if event.kind in ("created", "replied", "started", "in_progress"):
            ids.add(event.actor_id)
        for value in ((event.data or {}).get("changes") or {}).get("assignee") or []:
            if value:
                ids.add(uuid.UUID(str(value)))
    if matter.centre_id:
        ids |= set(db.session.scalars(select(RoleGrant.user_id).where(
            RoleGrant.township_id == matter.township_id, RoleGrant.centre_id == matter.centre_id,
            RoleGrant.role == Role.CENTRE_STAFF.value)))
    ids.discard(None)
    return ids


def schedule_revisit(matter: Matter, due_on: date) -> Revisit:
    revisit = Revisit(township_id=matter.township_id, matter_id=matter.id, due_on=due_on)
    db.session.add(revisit)
    _record(matter, "revisit_scheduled", None, "system", due_on=due_on)
    return revisit


def record_revisit(revisit: Revisit, actor, *, method: str, outcome: str,
                   rating: str | None = None, township=None) -> Revisit:
    """Record that a scheduled revisit happened, and what the resident said (`outcome`, in
    their words). With a `rating`, the call-back is also the resident's evaluation of this stage
    (heard by phone or on a visit, entered by `actor`, their words as its comment), unless the
    stage is rated already."""
    if revisit.done_at is not None:
        raise TransitionError("该回访已记录。")
    if not outcome.strip():
        raise TransitionError("请记录群众在回访中说了什么。")
    revisit.done_at = utcnow()
    revisit.done_by_id = actor.id
    revisit.method = method
    revisit.outcome = outcome.strip()
    _record(revisit.matter, "revisited", actor, method=method, outcome=revisit.outcome)
    matter = revisit.matter
    if rating and matter.state in (State.REPLIED, State.CLOSED) and not db.session.scalar(
            select(func.count()).select_from(Evaluation).where(
                Evaluation.township_id == matter.township_id, Evaluation.matter_id == matter.id,
                Evaluation.stage == matter.stage)):
        source = EvaluationSource.VISIT if method == "visit" else EvaluationSource.PHONE
        evaluate(matter, rating=rating, source=source.value, comment=revisit.outcome,
                 entered_by=actor, how=source.label, township=township)
    return revisit


def _satisfied_this_stage(matter: Matter) -> bool:
    ratings = db.session.scalars(
        select(Evaluation.rating).where(
            Evaluation.township_id == matter.township_id,
            Evaluation.matter_id == matter.id,
            Evaluation.stage == matter.stage,
        )
    ).all()
    return any(Rating(r).is_satisfied for r in ratings)


def _township_of(matter: Matter):
    from app.townships.models import Township

    return db.session.get(Township, matter.township_id)


def is_overdue(matter: Matter, today: date) -> bool:
    return matter.state in OPEN_STATES and matter.due_on < today

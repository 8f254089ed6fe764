"""The ledger (台账): matters, their append-only events, replies, evaluations and revisits."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models import (
    JSONDoc,
    LabelledEnum,
    TenantScoped,
    Timestamped,
    UTCDateTime,
    tenant_fk,
    tenant_relationship,
    township_fk,
    utcnow,
)


class Channel(LabelledEnum):
    HALL = "hall"
    PROXY = "proxy"
    STUDIO = "studio"
    ASSEMBLY = "assembly"
    VISIT = "visit"
    ONLINE = "online"
    PHONE = "phone"
    EXTERNAL = "external"  # another system through the Open311 API (a 12345 hotline, an app)

    @classmethod
    def labels(cls) -> dict[str, str]:
        from flask_babel import gettext as _

        return {
            "hall": _("窗口受理"),
            "proxy": _("村级代办"),
            "studio": _("党代表工作室"),
            "assembly": _("有奖批评"),
            "visit": _("入户走访"),
            "online": _("网上提交"),
            "phone": _("电话"),
            "external": _("外部系统转入"),
        }


class State(LabelledEnum):
    RECEIVED = "received"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    ESCALATED = "escalated"
    REPLIED = "replied"
    REOPENED = "reopened"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    DUPLICATE = "duplicate"
    NOT_RESPONSIBLE = "not_responsible"

    @classmethod
    def labels(cls) -> dict[str, str]:
        from flask_babel import gettext as _

        return {
            "received": _("已受理"),
            "assigned": _("已交办"),
            "in_progress": _("办理中"),
            "escalated": _("已上报"),
            "replied": _("已答复"),
            "reopened": _("重新办理"),
            "closed": _("已办结"),
            "withdrawn": _("已撤回"),
            "duplicate": _("重复件"),
            "not_responsible": _("非职责范围"),
        }


OPEN_STATES = frozenset(
    {State.RECEIVED, State.ASSIGNED, State.IN_PROGRESS, State.ESCALATED, State.REOPENED}
)
TERMINAL_STATES = frozenset({State.WITHDRAWN, State.DUPLICATE, State.NOT_RESPONSIBLE})


class Level(LabelledEnum):
    """Escalation levels (村 → 镇 → 县)."""

    VILLAGE = "village"
    TOWNSHIP = "township"
    COUNTY = "county"

    @classmethod
    def labels(cls) -> dict[str, str]:
        from flask_babel import gettext as _

        return {"village": _("村级"), "township": _("镇级"), "county": _("县级")}


class Rating(LabelledEnum):
    """The national 好差评 five levels."""

    VERY_SATISFIED = "very_satisfied"
    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    DISSATISFIED = "dissatisfied"
    VERY_DISSATISFIED = "very_dissatisfied"

    @classmethod
    def labels(cls) -> dict[str, str]:
        from flask_babel import gettext as _

        return {
            "very_satisfied": _("非常满意"),
            "satisfied": _("满意"),
            "basically_satisfied": _("基本满意"),
            "dissatisfied": _("不满意"),
            "very_dissatisfied": _("非常不满意"),
        }

    @property
    def is_satisfied(self) -> bool:
        return self in SATISFIED_RATINGS


SATISFIED_RATINGS = frozenset(
    {Rating.VERY_SATISFIED, Rating.SATISFIED, Rating.BASICALLY_SATISFIED}
)


class EvaluationSource(LabelledEnum):
    RESIDENT_LINK = "resident_link"
    WINDOW = "window"
    PHONE = "phone"
    VISIT = "visit"
    SPOT_CHECK = "spot_check"

    @classmethod
    def labels(cls) -> dict[str, str]:
        from flask_babel import gettext as _

        return {
            "resident_link": _("群众扫码/链接评价"),
            "window": _("窗口评价器"),
            "phone": _("电话回访"),
            "visit": _("上门回访"),
            "spot_check": _("抽查回访"),
        }


class MatterCounter(db.Model):
    """Per-township, per-year counter behind the tracking numbers people read."""

    __tablename__ = "matter_counters"
    __table_args__ = (PrimaryKeyConstraint("township_id", "year"), township_fk())

    township_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    year: Mapped[int] = mapped_column(Integer)
    last: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


class Matter(TenantScoped, Timestamped, db.Model):
    """One thing a resident needs or raised, whatever channel it came from."""

    __tablename__ = "matters"
    __table_args__ = (
        township_fk(),
        tenant_fk("resident_id", "residents"),
        tenant_fk("household_id", "households"),
        tenant_fk("village_id", "villages"),
        tenant_fk("service_item_id", "service_items"),
        tenant_fk("centre_id", "centres"),
        tenant_fk("source_visit_id", "visits"),
        ForeignKeyConstraint(["assignee_id"], ["users.id"]),
        ForeignKeyConstraint(["created_by_id"], ["users.id"]),
        UniqueConstraint("township_id", "number", name="uq_matters_township_number"),
        UniqueConstraint("township_id", "rating_token", name="uq_matters_township_rating_token"),
        Index("ix_matters_township_state_due", "township_id", "state", "due_on"),
        # The ledger's default order: the first page of open matters without sorting them all.
        Index("ix_matters_township_due_received", "township_id", "due_on", "received_at"),
        Index("ix_matters_township_received", "township_id", "received_at"),
        Index("ix_matters_township_village", "township_id", "village_id"),
        Index("ix_matters_township_assignee", "township_id", "assignee_id"),
        Index("ix_matters_township_centre", "township_id", "centre_id"),
    )

    number: Mapped[str] = mapped_column(String(24), nullable=False)
    channel: Mapped[str] = mapped_column(String(12), nullable=False)
    # A FindingKind value, or "service" when service_item_id says what it is.
    category: Mapped[str] = mapped_column(String(20), nullable=False)
    service_item_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    title: Mapped[str] = mapped_column(String(120), nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    resident_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    household_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    village_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # Name and phone as given, for matters raised by people not in the registry.
    contact_name: Mapped[str | None] = mapped_column(String(40))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    contact_phone_tail: Mapped[str | None] = mapped_column(String(4))
    state: Mapped[str] = mapped_column(String(16), default=State.RECEIVED, nullable=False)
    centre_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    unit_name: Mapped[str | None] = mapped_column(String(80))  # responsible unit outside the hall
    level: Mapped[str] = mapped_column(String(10), default=Level.TOWNSHIP, nullable=False)
    commitment: Mapped[str | None] = mapped_column(Text)
    commitment_due: Mapped[date | None] = mapped_column(Date)
    is_public: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    # Whether a public matter is on the board yet: "pending" review, "published" or "withheld"
    # (see app.matters.publication). The board shows is_public and published only.
    publication: Mapped[str] = mapped_column(String(10), default="published", nullable=False,
                                             server_default="published")
    # The wording the board shows when a reviewer changed it; title/description stay as written.
    public_title: Mapped[str | None] = mapped_column(String(120))
    public_description: Mapped[str | None] = mapped_column(Text)
    withheld_reason: Mapped[str | None] = mapped_column(String(500))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    promised_workdays: Mapped[int] = mapped_column(Integer, nullable=False)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Each reopening starts a new stage; the resident rates once per stage.
    stage: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    rating_token: Mapped[str] = mapped_column(String(32), nullable=False)
    source_visit_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # Channel-specific facts (missing materials, booking code, ...), owned by the channel.
    extra: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict, nullable=False)

    resident = tenant_relationship("Matter", "Resident", "resident_id")
    household = tenant_relationship("Matter", "Household", "household_id")
    village = tenant_relationship("Matter", "Village", "village_id")
    service_item = tenant_relationship("Matter", "ServiceItem", "service_item_id")
    centre = tenant_relationship("Matter", "Centre", "centre_id")
    source_visit = tenant_relationship("Matter", "Visit", "source_visit_id")
    assignee = relationship("User", foreign_keys=[assignee_id])
    created_by = relationship("User", foreign_keys=[created_by_id])
    events: Mapped[list[MatterEvent]] = relationship(
        primaryjoin="and_(MatterEvent.township_id == Matter.township_id, "
        "foreign(MatterEvent.matter_id) == Matter.id)",
        viewonly=True,
        order_by="MatterEvent.seq",
    )
    replies: Mapped[list[Reply]] = relationship(
        primaryjoin="and_(Reply.township_id == Matter.township_id, "
        "foreign(Reply.matter_id) == Matter.id)",
        viewonly=True,
        order_by="Reply.created_at",
    )
    evaluations: Mapped[list[Evaluation]] = relationship(
        primaryjoin="and_(Evaluation.township_id == Matter.township_id, "
        "foreign(Evaluation.matter_id) == Matter.id)",
        viewonly=True,
        order_by="Evaluation.created_at",
    )

    @property
    def state_enum(self) -> State:
        return State(self.state)

    @property
    def channel_label(self) -> str:
        return Channel(self.channel).label

    @property
    def level_label(self) -> str:
        return Level(self.level).label

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def public_reply(self) -> Reply | None:
        """The latest reply cleared for public pages (published, not withheld)."""
        shown = [r for r in self.replies if r.publication == "published"]
        return shown[-1] if shown else None

    @property
    def on_board(self) -> bool:
        return self.is_public and self.publication == "published"

    @property
    def board_title(self) -> str:
        """What public pages show as the title: the reviewer's wording, else the original."""
        return self.public_title or self.title

    @property
    def board_description(self) -> str:
        return self.description if self.public_description is None else self.public_description

    def __repr__(self) -> str:
        return f"<Matter {self.number}>"


class MatterEvent(TenantScoped, db.Model):
    """One change to a matter: who, when, what, before and after. Never updated, never deleted."""

    __tablename__ = "matter_events"
    __table_args__ = (
        township_fk(),
        tenant_fk("matter_id", "matters", ondelete="CASCADE"),
        ForeignKeyConstraint(["actor_id"], ["users.id"]),
        Index("ix_matter_events_township_matter_seq", "township_id", "matter_id", "seq"),
        Index("ix_matter_events_township_kind_at", "township_id", "kind", "at"),
    )

    matter_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # Who acted when it was not a signed-in user: "resident", "system", "juror" ...
    actor_kind: Mapped[str] = mapped_column(String(12), default="user", nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str | None] = mapped_column(String(16))
    # {"field": [before, after], ...} and free facts such as a reason.
    data: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict, nullable=False)

    actor = relationship("User", foreign_keys=[actor_id])


@event.listens_for(MatterEvent, "before_update")
@event.listens_for(MatterEvent, "before_delete")
def _events_are_append_only(mapper, connection, target):
    raise RuntimeError("matter events are append-only")


class Reply(TenantScoped, Timestamped, db.Model):
    """The answer given to the resident: public text for the board, private notes apart."""

    __tablename__ = "replies"
    __table_args__ = (
        township_fk(),
        tenant_fk("matter_id", "matters", ondelete="CASCADE"),
        ForeignKeyConstraint(["author_id"], ["users.id"]),
    )

    matter_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    stage: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    public_text: Mapped[str] = mapped_column(Text, nullable=False)
    private_notes: Mapped[str] = mapped_column(Text, default="", nullable=False)
    author_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # Where the township reviews public replies: "pending", "published" or "withheld"; the
    # reviewer's wording in public_wording, the original public_text kept as written.
    publication: Mapped[str] = mapped_column(String(10), default="published", nullable=False,
                                             server_default="published")
    public_wording: Mapped[str | None] = mapped_column(Text)
    withheld_reason: Mapped[str | None] = mapped_column(String(500))

    author = relationship("User", foreign_keys=[author_id])

    @property
    def board_text(self) -> str:
        return self.public_wording or self.public_text


class Evaluation(TenantScoped, Timestamped, db.Model):
    """A resident's rating, on the national five levels, once per stage of a matter."""

    __tablename__ = "evaluations"
    __table_args__ = (
        township_fk(),
        tenant_fk("matter_id", "matters", ondelete="CASCADE"),
        tenant_fk("centre_id", "centres"),
        ForeignKeyConstraint(["entered_by_id"], ["users.id"]),
        ForeignKeyConstraint(["staff_id"], ["users.id"]),
        UniqueConstraint("township_id", "matter_id", "stage", name="uq_evaluations_matter_stage"),
        Index("ix_evaluations_township_created", "township_id", "created_at"),
    )

    matter_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    stage: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    rating: Mapped[str] = mapped_column(String(20), nullable=False)
    comment: Mapped[str] = mapped_column(Text, default="", nullable=False)
    source: Mapped[str] = mapped_column(String(16), nullable=False)
    # Staff who typed in a rating heard by phone or on a visit; None when the resident rated.
    entered_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # Whom and which centre the rating is about (for the centre's and staff's satisfaction rate).
    staff_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    centre_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    matter = tenant_relationship("Evaluation", "Matter", "matter_id")
    entered_by = relationship("User", foreign_keys=[entered_by_id])

    @property
    def rating_enum(self) -> Rating:
        return Rating(self.rating)

    @property
    def in_residents_words(self) -> bool:
        """Whether this rating is the resident's own: given by them (link, window tablet), or
        typed in by staff with what the resident said. Only these count for satisfaction."""
        return self.entered_by_id is None or bool((self.comment or "").strip())

    @classmethod
    def residents_own(cls):
        """The SQL form of `in_residents_words`, for the published figures."""
        from sqlalchemy import func, or_

        return or_(cls.entered_by_id.is_(None), func.length(func.trim(cls.comment)) > 0)


class Revisit(TenantScoped, Timestamped, db.Model):
    """A later call or visit checking the outcome (回访), scheduled by rule and then recorded."""

    __tablename__ = "revisits"
    __table_args__ = (
        township_fk(),
        tenant_fk("matter_id", "matters", ondelete="CASCADE"),
        ForeignKeyConstraint(["done_by_id"], ["users.id"]),
        Index("ix_revisits_township_due", "township_id", "due_on"),
        Index("ix_revisits_township_matter", "township_id", "matter_id"),
    )

    matter_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    method: Mapped[str | None] = mapped_column(String(12))
    outcome: Mapped[str] = mapped_column(Text, default="", nullable=False)

    matter = tenant_relationship("Revisit", "Matter", "matter_id")


class SpotCheck(TenantScoped, Timestamped, db.Model):
    """A random sample of recorded work (抽查), called back to see if residents confirm it."""

    __tablename__ = "spot_checks"
    __table_args__ = (
        township_fk(),
        ForeignKeyConstraint(["supervisor_id"], ["users.id"]),
    )

    supervisor_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    period_end: Mapped[date] = mapped_column(Date, nullable=False)  # exclusive
    # How the sample was asked for, e.g. {"size": 10} or {"percent": 5}.
    rule: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict, nullable=False)


class SpotCheckItem(TenantScoped, db.Model):
    """One sampled matter or visit, and what the resident said on the call."""

    __tablename__ = "spot_check_items"
    __table_args__ = (
        township_fk(),
        tenant_fk("spot_check_id", "spot_checks", ondelete="CASCADE"),
        tenant_fk("matter_id", "matters", ondelete="CASCADE"),
        tenant_fk("visit_id", "visits", ondelete="CASCADE"),
        ForeignKeyConstraint(["responsible_id"], ["users.id"]),
        ForeignKeyConstraint(["called_by_id"], ["users.id"]),
        Index("ix_spot_check_items_township_responsible", "township_id", "responsible_id"),
    )

    spot_check_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    matter_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    visit_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # The person whose recorded work is being checked (assignee or visitor).
    responsible_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # None until called; True when the resident confirms what was recorded.
    confirmed: Mapped[bool | None] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(Text, default="", nullable=False)
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    called_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)


NO_VILLAGE = uuid.UUID(int=0)  # RateSummary.village_id of matters that have no village


class RateSummary(db.Model):
    """The counts behind the published rates for one village and one local month (app.matters.
    summary): what the rows say, kept in the same transaction as every change to them.

    A matter counts in the month it was received; an evaluation in the month it was given; a
    revisit in the month it is due — the dates app.matters.rates counts by. Derived data: it can
    always be rebuilt from the rows (`flask minqing rates-summary --rebuild`).
    """

    __tablename__ = "rate_summaries"
    __table_args__ = (
        township_fk(),
        PrimaryKeyConstraint("township_id", "village_id", "month", name="pk_rate_summaries"),
    )

    township_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    village_id: Mapped[uuid.UUID] = mapped_column(Uuid)  # NO_VILLAGE for matters without one
    month: Mapped[date] = mapped_column(Date)  # the first day of the local month
    received: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    resolved: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    on_time: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    responded: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    rated: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    satisfied: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    revisits_due: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    revisits_done: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

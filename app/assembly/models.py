"""The rewarded-criticism assembly (有奖批评大会): teams, supervisors, the jury, criticisms, scores.

Anonymity of the jury is kept by the schema itself: a score row (`Score`) names the criticism and
nothing about who gave it, and has no timestamp; whether a juror has scored a criticism is a
separate mark (`ScoreMark`), also without a timestamp, so neither the pages nor a look at the
database can pair a juror with a score. Ids are random (uuid4), so their order says nothing either,
and the score rows are written all at once in random order when the round is complete (see
`Criticism.pending`), so neither does their place in the table.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    false,
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
)


class AssemblyState(LabelledEnum):
    DRAFT = "draft"
    ANNOUNCED = "announced"
    REGISTRATION = "registration"
    IN_SESSION = "in_session"
    SCORED = "scored"
    PUBLISHED = "published"
    FOLLOW_UP = "follow_up"

    @classmethod
    def labels(cls) -> dict[str, str]:
        from flask_babel import gettext as _

        return {
            "draft": _("草稿"),
            "announced": _("已公告"),
            "registration": _("报名中"),
            "in_session": _("大会进行中"),
            "scored": _("评分结束"),
            "published": _("结果已公布"),
            "follow_up": _("跟踪督办"),
        }


class RoundState(LabelledEnum):
    """A criticism's scoring round on the day."""

    WAITING = "waiting"
    OPEN = "open"
    CLOSED = "closed"

    @classmethod
    def labels(cls) -> dict[str, str]:
        from flask_babel import gettext as _

        return {"waiting": _("待评"), "open": _("正在评分"), "closed": _("评分结束")}


class CriticismSource(LabelledEnum):
    PROBLEM_ROUND = "problem_round"  # the monthly problem-finding rounds (每月找问题)
    ONLINE = "online"  # a resident's own form on the public page
    TEAM = "team"  # brought by a critics' team

    @classmethod
    def labels(cls) -> dict[str, str]:
        from flask_babel import gettext as _

        return {"problem_round": _("每月找问题"), "online": _("群众网上提交"),
                "team": _("批评团收集")}


class Assembly(TenantScoped, Timestamped, db.Model):
    """One assembly: its day and place, rules, criteria with weights, prize tiers, and state."""

    __tablename__ = "assemblies"
    __table_args__ = (
        township_fk(),
        ForeignKeyConstraint(["created_by_id"], ["users.id"]),
        Index("ix_assemblies_township_held", "township_id", "held_on"),
    )

    title: Mapped[str] = mapped_column(String(120), nullable=False)
    held_on: Mapped[date] = mapped_column(Date, nullable=False)
    starts_at: Mapped[str] = mapped_column(String(5), default="09:00", nullable=False)
    venue: Mapped[str] = mapped_column(String(120), nullable=False)
    rules: Mapped[str] = mapped_column(Text, default="", nullable=False)
    # [{"key": "accurate", "name": "批得准", "weight": 40}, ...]; weights add up to 100.
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list, nullable=False)
    # [{"name": "一等奖", "amount": 300, "count": 1}, ...], best first.
    prizes: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list, nullable=False)
    state: Mapped[str] = mapped_column(String(14), default=AssemblyState.DRAFT, nullable=False)
    announced_on: Mapped[date | None] = mapped_column(Date)
    # The day it was actually held (opened), and why, when it opened before its announced day.
    started_on: Mapped[date | None] = mapped_column(Date)
    early_start_reason: Mapped[str | None] = mapped_column(Text)
    # How the scores were combined when the results were computed ("mean" or "trimmed").
    combine: Mapped[str | None] = mapped_column(String(10))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    @property
    def state_enum(self) -> AssemblyState:
        return AssemblyState(self.state)


class CriticTeam(TenantScoped, Timestamped, db.Model):
    """A critics' team (批评团) sent by a party branch, with its members."""

    __tablename__ = "critic_teams"
    __table_args__ = (
        township_fk(),
        tenant_fk("assembly_id", "assemblies", ondelete="CASCADE"),
        Index("ix_critic_teams_township_assembly", "township_id", "assembly_id"),
    )

    assembly_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    name: Mapped[str] = mapped_column(String(60), nullable=False)
    branch: Mapped[str] = mapped_column(String(80), default="", nullable=False)
    leader: Mapped[str] = mapped_column(String(40), default="", nullable=False)
    members: Mapped[list[str]] = mapped_column(JSONDoc, default=list, nullable=False)


class Supervisor(TenantScoped, Timestamped, db.Model):
    """A supervisor sent by a village or unit to watch the assembly (监督员)."""

    __tablename__ = "assembly_supervisors"
    __table_args__ = (
        township_fk(),
        tenant_fk("assembly_id", "assemblies", ondelete="CASCADE"),
        Index("ix_assembly_supervisors_township_assembly", "township_id", "assembly_id"),
    )

    assembly_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    name: Mapped[str] = mapped_column(String(40), nullable=False)
    unit: Mapped[str] = mapped_column(String(80), default="", nullable=False)


class Juror(TenantScoped, Timestamped, db.Model):
    """A name on the jury list; once drawn, a juror with a personal link for the day.

    Jurors have no accounts. `token` is the unguessable part of their link. `on_paper` jurors
    score on the printed sheet, which the clerk enters without saying whose sheet it is.
    """

    __tablename__ = "jurors"
    __table_args__ = (
        township_fk(),
        tenant_fk("assembly_id", "assemblies", ondelete="CASCADE"),
        UniqueConstraint("township_id", "token", name="uq_jurors_township_token"),
        Index("ix_jurors_township_assembly", "township_id", "assembly_id"),
    )

    assembly_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    name: Mapped[str] = mapped_column(String(40), nullable=False)
    # "cadre" or "resident" (评审团由干部和群众组成)
    kind: Mapped[str] = mapped_column(String(10), default="resident", nullable=False)
    drawn: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # "random" or "chosen", once drawn
    drawn_by: Mapped[str | None] = mapped_column(String(8))
    token: Mapped[str | None] = mapped_column(String(43))
    present: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    on_paper: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)


class Criticism(TenantScoped, Timestamped, db.Model):
    """One criticism: collected before or brought on the day, scored, followed as a matter."""

    __tablename__ = "criticisms"
    __table_args__ = (
        township_fk(),
        tenant_fk("assembly_id", "assemblies", ondelete="CASCADE"),
        tenant_fk("team_id", "critic_teams", ondelete="SET NULL"),
        tenant_fk("matter_id", "matters"),
        ForeignKeyConstraint(["responsible_id"], ["users.id"]),
        Index("ix_criticisms_township_assembly", "township_id", "assembly_id", "position"),
    )

    assembly_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    team_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    position: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    title: Mapped[str] = mapped_column(String(120), nullable=False)
    content: Mapped[str] = mapped_column(Text, default="", nullable=False)
    source: Mapped[str] = mapped_column(String(14), default=CriticismSource.TEAM, nullable=False)
    # Who raised it (a resident or team member): masked on public pages; phone never public.
    raised_by: Mapped[str] = mapped_column(String(40), default="", nullable=False)
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    # Agreed to be told of the matter's steps (app.notices.residents), once it becomes one.
    notify_consent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(),
                                                 nullable=False)
    # Whom it is about, and who answers for it.
    target_unit: Mapped[str] = mapped_column(String(80), default="", nullable=False)
    responsible_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    round_state: Mapped[str] = mapped_column(String(8), default=RoundState.WAITING,
                                             nullable=False)
    # Paper sheets entered by the clerk for this criticism (not whose: anonymous).
    paper_sheets: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    # Scores received while the round is still open: [{"values": {...}, "total": 81.0}, ...],
    # each put at a random place. They become Score rows, in random order, once every juror
    # present has scored or the round is closed, so the order of the Score rows on disk does
    # not follow the order in which the jurors (whose marks are rows too) submitted them.
    pending: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list, nullable=False)
    # Filled when the results are computed.
    final_score: Mapped[float | None] = mapped_column(Float)
    rank: Mapped[int | None] = mapped_column(Integer)
    prize: Mapped[str | None] = mapped_column(String(40))
    prize_amount: Mapped[int | None] = mapped_column(Integer)
    matter_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # Withdrawn before it was scored (mistyped, duplicated, taken back by who raised it): kept,
    # with the reason, out of the order and the ranking. Its history is in the audit log.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_reason: Mapped[str | None] = mapped_column(String(200))

    team = tenant_relationship("Criticism", "CriticTeam", "team_id")
    matter = tenant_relationship("Criticism", "Matter", "matter_id")
    responsible = relationship("User", foreign_keys=[responsible_id])

    @property
    def round_enum(self) -> RoundState:
        return RoundState(self.round_state)


class Score(TenantScoped, db.Model):
    """One juror's score of one criticism, per criterion. Deliberately names no juror and carries
    no time: see the module's docstring."""

    __tablename__ = "assembly_scores"
    __table_args__ = (
        township_fk(),
        tenant_fk("criticism_id", "criticisms", ondelete="CASCADE"),
        Index("ix_assembly_scores_township_criticism", "township_id", "criticism_id"),
    )

    criticism_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    # {"accurate": 8, "sharp": 9, "constructive": 7}, each 0..10
    values: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict, nullable=False)
    total: Mapped[float] = mapped_column(Float, nullable=False)  # weighted, 0..100


class ScoreMark(TenantScoped, db.Model):
    """That a juror has scored a criticism (and so may not again); says nothing of the score."""

    __tablename__ = "assembly_score_marks"
    __table_args__ = (
        township_fk(),
        tenant_fk("criticism_id", "criticisms", ondelete="CASCADE"),
        tenant_fk("juror_id", "jurors", ondelete="CASCADE"),
        UniqueConstraint("township_id", "criticism_id", "juror_id",
                         name="uq_assembly_score_marks_once"),
    )

    criticism_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    juror_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)

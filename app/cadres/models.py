"""Cadres' duties and their evaluation: required actions, commitments, evaluation rounds by
residents, typical cases, the knowledge test, and party members' duty occasions (五必到, 四到户)."""

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
    String,
    Text,
    UniqueConstraint,
    Uuid,
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


class Frequency(LabelledEnum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half_yearly"
    YEARLY = "yearly"

    @classmethod
    def labels(cls) -> dict[str, str]:
        from flask_babel import gettext as _

        return {"weekly": _("每周"), "monthly": _("每月"), "quarterly": _("每季度"),
                "half_yearly": _("每半年"), "yearly": _("每年")}


class RequiredAction(TenantScoped, Timestamped, db.Model):
    """A required action with its frequency (十个一), e.g. 每周一次接访, and who answers for it."""

    __tablename__ = "required_actions"
    __table_args__ = (
        township_fk(),
        ForeignKeyConstraint(["owner_id"], ["users.id"]),
        UniqueConstraint("township_id", "name", "owner_id",
                         name="uq_required_actions_name_owner"),
    )

    name: Mapped[str] = mapped_column(String(80), nullable=False)
    frequency: Mapped[str] = mapped_column(String(12), nullable=False)
    owner_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    unit_name: Mapped[str] = mapped_column(String(80), default="", nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)

    owner = relationship("User", foreign_keys=[owner_id])


class ActionOccurrence(TenantScoped, Timestamped, db.Model):
    """One period's occurrence of a required action: done (with evidence) or missed."""

    __tablename__ = "action_occurrences"
    __table_args__ = (
        township_fk(),
        tenant_fk("action_id", "required_actions", ondelete="CASCADE"),
        tenant_fk("visit_id", "visits"),
        tenant_fk("matter_id", "matters"),
        # Named: the conventional name would pass PostgreSQL's 63 characters.
        ForeignKeyConstraint(["township_id", "reception_id"],
                             ["studio_receptions.township_id", "studio_receptions.id"],
                             name="fk_action_occurrences_reception"),
        ForeignKeyConstraint(["township_id", "assembly_id"],
                             ["assemblies.township_id", "assemblies.id"],
                             name="fk_action_occurrences_assembly"),
        ForeignKeyConstraint(["recorded_by_id"], ["users.id"]),
        UniqueConstraint("township_id", "action_id", "period", name="uq_action_occurrences_period"),
    )

    action_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    # 2026-W47, 2026-11, 2026-Q4, 2026-H2 or 2026, by the action's frequency.
    period: Mapped[str] = mapped_column(String(10), nullable=False)
    done: Mapped[bool] = mapped_column(Boolean, nullable=False)
    note: Mapped[str] = mapped_column(Text, default="", nullable=False)
    visit_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    matter_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    recorded_by_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    # A photo or scan kept as evidence (minutes of a meeting, a sign-in sheet), in the storage
    # of app.notices; its original file name for people.
    attachment_key: Mapped[str | None] = mapped_column(String(200))
    attachment_name: Mapped[str | None] = mapped_column(String(120))
    # A studio reception (接访) or an assembly (a meeting) the occurrence was.
    reception_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    assembly_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    action = tenant_relationship("ActionOccurrence", "RequiredAction", "action_id")
    visit = tenant_relationship("ActionOccurrence", "Visit", "visit_id")
    reception = tenant_relationship("ActionOccurrence", "Reception", "reception_id")
    assembly = tenant_relationship("ActionOccurrence", "Assembly", "assembly_id")


class CommitmentState(LabelledEnum):
    MADE = "made"
    KEPT = "kept"
    NOT_KEPT = "not_kept"

    @classmethod
    def labels(cls) -> dict[str, str]:
        from flask_babel import gettext as _

        return {"made": _("已承诺"), "kept": _("已践诺"), "not_kept": _("未兑现")}


class Commitment(TenantScoped, Timestamped, db.Model):
    """A cadre's public commitment (承诺 → 亮诺 → 践诺 → 评诺)."""

    __tablename__ = "commitments"
    __table_args__ = (
        township_fk(),
        ForeignKeyConstraint(["cadre_id"], ["users.id"]),
        tenant_fk("matter_id", "matters"),
        UniqueConstraint("township_id", "rating_token", name="uq_commitments_rating_token"),
        Index("ix_commitments_township_cadre", "township_id", "cadre_id"),
    )

    cadre_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    matter_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    is_public: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    state: Mapped[str] = mapped_column(String(10), default=CommitmentState.MADE, nullable=False)
    evidence: Mapped[str] = mapped_column(Text, default="", nullable=False)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rating_token: Mapped[str] = mapped_column(String(32), nullable=False)

    cadre = relationship("User", foreign_keys=[cadre_id])


class CommitmentRating(TenantScoped, Timestamped, db.Model):
    """A resident's rating of a kept (or broken) commitment, on the national five levels."""

    __tablename__ = "commitment_ratings"
    __table_args__ = (
        township_fk(),
        tenant_fk("commitment_id", "commitments", ondelete="CASCADE"),
        # One rating per resident per commitment (评诺): the resident is known by a keyed hash of
        # the phone number the register holds for them, never the number itself.
        UniqueConstraint("township_id", "commitment_id", "rater_key",
                         name="uq_commitment_ratings_rater"),
    )

    commitment_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    rating: Mapped[str] = mapped_column(String(20), nullable=False)
    comment: Mapped[str] = mapped_column(Text, default="", nullable=False)
    rater_key: Mapped[str | None] = mapped_column(String(64))


class RoundState(LabelledEnum):
    OPEN = "open"
    CLOSED = "closed"

    @classmethod
    def labels(cls) -> dict[str, str]:
        from flask_babel import gettext as _

        return {"open": _("评议中"), "closed": _("已结束")}


class ParticipantCategory(LabelledEnum):
    VILLAGE_CADRE = "village_cadre"
    PARTY_MEMBER = "party_member"
    GROUP_LEADER = "group_leader"
    RESIDENT = "resident"

    @classmethod
    def labels(cls) -> dict[str, str]:
        from flask_babel import gettext as _

        return {"village_cadre": _("村干部"), "party_member": _("党员"),
                "group_leader": _("村民小组长"), "resident": _("群众代表")}


class EvaluationRound(TenantScoped, Timestamped, db.Model):
    """A half-yearly evaluation of cadres by village cadres, party members and residents."""

    __tablename__ = "evaluation_rounds"
    __table_args__ = (township_fk(),)

    title: Mapped[str] = mapped_column(String(100), nullable=False)
    min_participants: Mapped[int] = mapped_column(Integer, default=50, nullable=False)
    state: Mapped[str] = mapped_column(String(10), default=RoundState.OPEN, nullable=False)
    results_public: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # User ids of the cadres being evaluated, in display order.
    cadre_ids: Mapped[list[str]] = mapped_column(JSONDoc, default=list, nullable=False)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RoundParticipant(TenantScoped, Timestamped, db.Model):
    """Someone invited to rate, with a personal link (only the token's hash is kept)."""

    __tablename__ = "round_participants"
    __table_args__ = (
        township_fk(),
        tenant_fk("round_id", "evaluation_rounds", ondelete="CASCADE"),
        UniqueConstraint("township_id", "token_hash", name="uq_round_participants_token"),
    )

    round_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    label: Mapped[str] = mapped_column(String(40), nullable=False)  # e.g. 东村-群众-07
    category: Mapped[str] = mapped_column(String(16), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    # Which cadres this participant has rated: kept apart from the ratings themselves.
    rated_cadre_ids: Mapped[list[str]] = mapped_column(JSONDoc, default=list, nullable=False)
    paper: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)


class RoundRating(TenantScoped, db.Model):
    """One anonymous rating of one cadre in a round.

    Deliberately without a participant id or a timestamp: who gave which rating cannot be
    recovered from the database, only that a participant has rated (RoundParticipant).
    """

    __tablename__ = "round_ratings"
    __table_args__ = (
        township_fk(),
        tenant_fk("round_id", "evaluation_rounds", ondelete="CASCADE"),
        ForeignKeyConstraint(["cadre_id"], ["users.id"]),
        Index("ix_round_ratings_township_round_cadre", "township_id", "round_id", "cadre_id"),
    )

    round_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    cadre_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    category: Mapped[str] = mapped_column(String(16), nullable=False)
    rating: Mapped[str] = mapped_column(String(20), nullable=False)
    comment: Mapped[str] = mapped_column(Text, default="", nullable=False)


class CaseState(LabelledEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"

    @classmethod
    def labels(cls) -> dict[str, str]:
        from flask_babel import gettext as _

        return {"submitted": _("待审核"), "approved": _("已采用"), "returned": _("退回修改")}


class CaseWriteUp(TenantScoped, Timestamped, db.Model):
    """A typical case (典型案例) written by a cadre, approved by a leader, then public."""

    __tablename__ = "case_write_ups"
    __table_args__ = (
        township_fk(),
        ForeignKeyConstraint(["author_id"], ["users.id"]),
        ForeignKeyConstraint(["approved_by_id"], ["users.id"]),
        tenant_fk("matter_id", "matters"),
        tenant_fk("visit_id", "visits"),
    )

    author_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    title: Mapped[str] = mapped_column(String(120), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    matter_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    visit_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    state: Mapped[str] = mapped_column(String(10), default=CaseState.SUBMITTED, nullable=False)
    approved_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    author = relationship("User", foreign_keys=[author_id])


class QuestionKind(LabelledEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUE_FALSE = "true_false"

    @classmethod
    def labels(cls) -> dict[str, str]:
        from flask_babel import gettext as _

        return {"single": _("单选"), "multiple": _("多选"), "true_false": _("判断")}


class Question(TenantScoped, Timestamped, db.Model):
    """A question of the township's knowledge test bank (应知应会)."""

    __tablename__ = "questions"
    __table_args__ = (township_fk(),)

    kind: Mapped[str] = mapped_column(String(12), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    options: Mapped[list[str]] = mapped_column(JSONDoc, default=list, nullable=False)
    answer: Mapped[list[int]] = mapped_column(JSONDoc, default=list, nullable=False)
    tags: Mapped[list[str]] = mapped_column(JSONDoc, default=list, nullable=False)
    study_note: Mapped[str] = mapped_column(Text, default="", nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)


class TestAttempt(TenantScoped, Timestamped, db.Model):
    """One sitting of the knowledge test: the drawn questions, the answers, the score."""

    __tablename__ = "test_attempts"
    __table_args__ = (
        township_fk(),
        ForeignKeyConstraint(["user_id"], ["users.id"]),
        Index("ix_test_attempts_township_user", "township_id", "user_id"),
    )

    __test__ = False  # not a pytest class, whatever its name says

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    question_ids: Mapped[list[str]] = mapped_column(JSONDoc, default=list, nullable=False)
    answers: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict, nullable=False)
    time_limit_minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    score: Mapped[int | None] = mapped_column(Integer)  # percent
    wrong_ids: Mapped[list[str]] = mapped_column(JSONDoc, default=list, nullable=False)


class DutyKind(LabelledEnum):
    """五必到: occasions a party member must attend for their linked households."""

    CEREMONY = "ceremony"
    ILLNESS = "illness"
    HARDSHIP = "hardship"
    ERRAND = "errand"
    WORRY = "worry"

    @classmethod
    def labels(cls) -> dict[str, str]:
        from flask_babel import gettext as _

        return {"ceremony": _("红白大事"), "illness": _("生病住院"), "hardship": _("急难重活"),
                "errand": _("代办事项"), "worry": _("思想波动")}


class OutreachKind(LabelledEnum):
    """四到户: what each linked household must be reached with."""

    POLICY = "policy"
    DECISION = "decision"
    PUBLIC_WORK = "public_work"
    CONSULTATION = "consultation"

    @classmethod
    def labels(cls) -> dict[str, str]:
        from flask_babel import gettext as _

        return {"policy": _("政策宣讲到户"), "decision": _("支部决议传达到户"),
                "public_work": _("公益活动发动到户"), "consultation": _("意见建议征求到户")}


class DutyRecord(TenantScoped, Timestamped, db.Model):
    """A duty occasion (五必到) or an outreach (四到户) done for a household by a member."""

    __tablename__ = "duty_records"
    __table_args__ = (
        township_fk(),
        tenant_fk("household_id", "households", ondelete="CASCADE"),
        ForeignKeyConstraint(["member_id"], ["users.id"]),
        Index("ix_duty_records_township_member", "township_id", "member_id", "on_date"),
    )

    household_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    member_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    # "duty:<DutyKind>" or "outreach:<OutreachKind>"
    kind: Mapped[str] = mapped_column(String(30), nullable=False)
    on_date: Mapped[date] = mapped_column(Date, nullable=False)
    note: Mapped[str] = mapped_column(Text, default="", nullable=False)

    household = tenant_relationship("DutyRecord", "Household", "household_id")


class ContactPoint(TenantScoped, Timestamped, db.Model):
    """A leader's contact point (联系点): a village they go down to (下访) regularly."""

    __tablename__ = "contact_points"
    __table_args__ = (
        township_fk(),
        ForeignKeyConstraint(["leader_id"], ["users.id"]),
        tenant_fk("village_id", "villages", ondelete="CASCADE"),
        UniqueConstraint("township_id", "leader_id", "village_id",
                         name="uq_contact_points_leader_village"),
    )

    leader_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    village_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    # Down-visits expected per month at this contact point.
    monthly_target: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    leader = relationship("User", foreign_keys=[leader_id])
    village = tenant_relationship("ContactPoint", "Village", "village_id")


class UnitClass(LabelledEnum):
    FIRST = "1"
    SECOND = "2"
    THIRD = "3"

    @classmethod
    def labels(cls) -> dict[str, str]:
        from flask_babel import gettext as _

        return {"1": _("一类"), "2": _("二类"), "3": _("三类")}


class Unit(TenantScoped, Timestamped, db.Model):
    """A unit evaluated in its class (分类考评): a centre of the hall or a village."""

    __tablename__ = "units"
    __table_args__ = (
        township_fk(),
        tenant_fk("centre_id", "centres", ondelete="CASCADE"),
        tenant_fk("village_id", "villages", ondelete="CASCADE"),
        UniqueConstraint("township_id", "name", name="uq_units_township_name"),
    )

    name: Mapped[str] = mapped_column(String(80), nullable=False)
    unit_class: Mapped[str] = mapped_column(String(2), nullable=False)
    centre_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    village_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class ClassTarget(TenantScoped, db.Model):
    """The targets of one class of units, in percent."""

    __tablename__ = "class_targets"
    __table_args__ = (
        township_fk(),
        UniqueConstraint("township_id", "unit_class", name="uq_class_targets_class"),
    )

    unit_class: Mapped[str] = mapped_column(String(2), nullable=False)
    resolution_pct: Mapped[int] = mapped_column(Integer, default=90, nullable=False)
    on_time_pct: Mapped[int] = mapped_column(Integer, default=90, nullable=False)
    satisfaction_pct: Mapped[int] = mapped_column(Integer, default=90, nullable=False)


class MeetingKind(LabelledEnum):
    ASSEMBLY = "assembly"
    STUDIO_SESSION = "studio_session"

    @classmethod
    def labels(cls) -> dict[str, str]:
        from flask_babel import gettext as _

        return {"assembly": _("有奖批评大会"), "studio_session": _("党代表工作室接待日")}


class MeetingMinutes(TenantScoped, Timestamped, db.Model):
    """会议纪要: the minutes of an assembly or a studio session, with who attended.

    `attendance` is [{"name", "role", "present": bool}], filled from the meeting's own roster
    (jurors, teams, supervisors; the representatives on duty) and extended by hand.
    """

    __tablename__ = "meeting_minutes"
    __table_args__ = (
        township_fk(),
        ForeignKeyConstraint(["recorded_by_id"], ["users.id"]),
        UniqueConstraint("township_id", "kind", "subject_id", name="uq_meeting_minutes_subject"),
    )

    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    subject_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    held_on: Mapped[date] = mapped_column(Date, nullable=False)
    place: Mapped[str] = mapped_column(String(120), default="", nullable=False)
    chair: Mapped[str] = mapped_column(String(40), default="", nullable=False)
    attendance: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list,
                                                             nullable=False)
    summary: Mapped[str] = mapped_column(Text, default="", nullable=False)
    decisions: Mapped[str] = mapped_column(Text, default="", nullable=False)
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    @property
    def present(self) -> list[dict[str, Any]]:
        return [a for a in self.attendance if a.get("present")]

    @property
    def absent(self) -> list[dict[str, Any]]:
        return [a for a in self.attendance if not a.get("present")]


class OrgAssessment(TenantScoped, Timestamped, db.Model):
    """组织评价: the organisation's score of a cadre for a year (0–100), beside the residents'
    rounds (双评价, shared/seeds/001); the two are combined with the township's weights."""

    __tablename__ = "org_assessments"
    __table_args__ = (
        township_fk(),
        ForeignKeyConstraint(["cadre_id"], ["users.id"]),
        ForeignKeyConstraint(["assessor_id"], ["users.id"]),
        UniqueConstraint("township_id", "year", "cadre_id", name="uq_org_assessments_cadre_year"),
    )

    year: Mapped[int] = mapped_column(Integer, nullable=False)
    cadre_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    score: Mapped[int] = mapped_column(Integer, nullable=False)
    note: Mapped[str] = mapped_column(Text, default="", nullable=False)
    assessor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)

"""What reaches the public board (回音壁), and who decides (issue #16).

- At intake: whether a matter is public at all. Every channel asks the resident (「不公开」); the
  question's default comes from the service item (`ServiceItem.public_default`) or the category,
  both set by the township. Assistance (低保, 救助 …), health, petitions and disputes start private.
- After intake: whether a public matter (and, where the township wants it, a public reply) goes on
  the board at once or waits in the review queue. A reviewer publishes it, publishes it in other
  words (the original kept, the change recorded: who, what, when) or keeps it off with a reason.

Every decision is a matter event on its timeline and an audit event of the township. Operations
take explicit arguments; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.accounts.models import Role
from app.audit.operations import record
from app.extensions import db

PENDING, PUBLISHED, WITHHELD = "pending", "published", "withheld"

# Words that make a service item private by nature: social assistance, health, petitions,
# disputes. A township may still set any item public on its catalogue page.
PRIVATE_WORDS = ("低保", "特困", "救助", "救济", "五保", "残疾", "医疗", "医保", "疾病", "大病",
                 "重病", "慢性病", "健康", "信访", "上访", "纠纷", "调解", "家暴", "孤儿", "优抚",
                 "殡葬", "丧葬")

# Categories of a matter (FindingKind values) and whether they are public by default.
CATEGORY_DEFAULTS = {"hardship": False, "prosperity": True, "dispute": False,
                     "suggestion": True, "petition": False, "service": True}
# Whatever a township sets, petitions never reach the board (NEVER_PUBLIC on the board).
ALWAYS_PRIVATE = frozenset({"petition"})

# Who reviews, besides whoever the township names.
REVIEWER_ROLES = (Role.TOWNSHIP_ADMIN, Role.LEADER)


def private_by_nature(name: str) -> bool:
    """Whether a service item called `name` is private unless the township says otherwise."""
    return any(word in (name or "") for word in PRIVATE_WORDS)


@dataclass(frozen=True)
class PublicationSettings:
    """A township's choices (township.settings["publication"])."""

    review: bool = False  # residents' submissions wait for review before the board
    review_replies: bool = False  # public replies wait for review too
    reviewers: tuple[str, ...] = ()  # user ids named as reviewers, besides admin and leaders
    categories: tuple[tuple[str, bool], ...] = tuple(CATEGORY_DEFAULTS.items())

    def category_public(self, category: str) -> bool:
        if category in ALWAYS_PRIVATE:
            return False
        return dict(self.categories).get(category, True)


def settings_for(township) -> PublicationSettings:
    own = (township.settings or {}).get("publication", {}) or {}
    categories = {**CATEGORY_DEFAULTS, **{k: bool(v) for k, v in
                                          (own.get("categories") or {}).items()
                                          if k in CATEGORY_DEFAULTS}}
    return PublicationSettings(
        review=bool(own.get("review", False)),
        review_replies=bool(own.get("review_replies", False)),
        reviewers=tuple(str(r) for r in own.get("reviewers", []) or []),
        categories=tuple(categories.items()))


def save_settings(township, actor, *, review: bool, review_replies: bool,
                  reviewers: list[str], categories: dict[str, bool]) -> None:
    """Store the township's publication choices, with an audit event."""
    before = (township.settings or {}).get("publication", {})
    after = {"review": bool(review), "review_replies": bool(review_replies),
             "reviewers": sorted(str(r) for r in reviewers),
             "categories": {k: bool(categories.get(k, v)) for k, v in CATEGORY_DEFAULTS.items()}}
    township.settings = {**(township.settings or {}), "publication": after}
    if before != after:
        record(township.id, actor, "settings.publication", township, before=before, after=after,
               summary="公开审核设置")


def default_public(township, *, category: str | None = None, service_item=None) -> bool:
    """What the 「不公开」 question starts at for a matter of this item or category."""
    if category in ALWAYS_PRIVATE:
        return False
    if service_item is not None:
        return bool(service_item.public_default)
    return settings_for(township).category_public(category or "suggestion")


def initial_state(township) -> str:
    """Where a new public matter starts: waiting for review, or on the board at once."""
    return PENDING if settings_for(township).review else PUBLISHED


def initial_reply_state(township) -> str:
    return PENDING if settings_for(township).review_replies else PUBLISHED


def may_review(user, township) -> bool:
    """Township administrators, leaders and the people the township names review public text."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.roles_in(township.id) & set(REVIEWER_ROLES):
        return True
    return str(user.id) in settings_for(township).reviewers


class PublicationError(ValueError):
    """A decision that cannot be taken (text for people)."""


def _event(matter, kind, actor, **data):
    from app.matters.operations import _record

    return _record(matter, kind, actor, matter.state, matter.state, **data)


def publish(township, matter, actor, *, title: str | None = None,
            description: str | None = None) -> None:
    """Put a matter on the board, in its own words or in the reviewer's (`title`,
    `description`); the original stays as written. Recorded as publication.publish, and as
    publication.edit when the wording changed."""
    if not matter.is_public:
        raise PublicationError("群众选择了不公开，不能发布到回音壁。")
    before = {"publication": matter.publication, "public_title": matter.board_title,
              "public_description": matter.board_description}
    edited = {}
    title = (title or "").strip() or None
    if title is not None and title != matter.board_title:
        edited["title"] = [matter.board_title, title]
        matter.public_title = None if title == matter.title else title
    if description is not None:
        description = description.strip()
        if description != matter.board_description:
            edited["description"] = [matter.board_description, description]
            matter.public_description = None if description == matter.description \
                else description
    if edited:
        _event(matter, "wording_edited", actor, changes=edited)
        record(township.id, actor, "publication.edit", matter, before={
            k: before[f"public_{k}"] for k in edited}, after={k: v[1] for k, v in edited.items()},
            summary=f"{matter.number} 修改公开文字")
    was = matter.publication
    matter.publication = PUBLISHED
    matter.withheld_reason = None
    if was != PUBLISHED or edited:
        _event(matter, "published", actor, publication=[was, PUBLISHED])
        record(township.id, actor, "publication.publish", matter,
               before={"publication": was}, after={"publication": PUBLISHED},
               summary=f"{matter.number} 发布到回音壁")


def withhold(township, matter, actor, *, reason: str) -> None:
    """Keep a matter off the board, with the reason (kept for staff, not shown publicly)."""
    reason = (reason or "").strip()
    if not reason:
        raise PublicationError("请写明不公开的原因。")
    was = matter.publication
    matter.publication = WITHHELD
    matter.withheld_reason = reason
    _event(matter, "withheld", actor, publication=[was, WITHHELD], reason=reason)
    record(township.id, actor, "publication.withhold", matter, before={"publication": was},
           after={"publication": WITHHELD, "reason": reason},
           summary=f"{matter.number} 不在回音壁公开")


def publish_reply(township, reply, matter, actor, *, text: str | None = None) -> None:
    """Put a public reply on the board, in its own words or the reviewer's."""
    text = (text or "").strip() or None
    was = reply.publication
    if text is not None and text != reply.board_text:
        before_text = reply.board_text
        reply.public_wording = None if text == reply.public_text else text
        _event(matter, "wording_edited", actor, reply=str(reply.id),
               changes={"reply": [before_text, text]})
        record(township.id, actor, "publication.edit", reply, before={"reply": before_text},
               after={"reply": text}, summary=f"{matter.number} 修改公开答复")
    reply.publication = PUBLISHED
    reply.withheld_reason = None
    _event(matter, "published", actor, reply=str(reply.id), publication=[was, PUBLISHED])
    record(township.id, actor, "publication.publish", reply, before={"publication": was},
           after={"publication": PUBLISHED}, summary=f"{matter.number} 发布答复")


def withhold_reply(township, reply, matter, actor, *, reason: str) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise PublicationError("请写明不公开的原因。")
    was = reply.publication
    reply.publication = WITHHELD
    reply.withheld_reason = reason
    _event(matter, "withheld", actor, reply=str(reply.id), publication=[was, WITHHELD],
           reason=reason)
    record(township.id, actor, "publication.withhold", reply, before={"publication": was},
           after={"publication": WITHHELD, "reason": reason},
           summary=f"{matter.number} 答复不公开")


def queue(township):
    """What waits for review: public matters and public replies, oldest first."""
    from sqlalchemy import select

    from app.matters.models import Matter, Reply
    from app.tenancy import scoped

    matters = db.session.scalars(scoped(Matter).where(
        Matter.is_public.is_(True), Matter.publication == PENDING,
        Matter.category.not_in(tuple(ALWAYS_PRIVATE))).order_by(Matter.received_at)).all()
    replies = db.session.execute(
        select(Reply, Matter).join(Matter, (Matter.township_id == Reply.township_id)
                                   & (Matter.id == Reply.matter_id))
        .where(Reply.township_id == township.id, Reply.publication == PENDING,
               Matter.is_public.is_(True))
        .order_by(Reply.created_at)).all()
    return matters, replies


def on_board():
    """The condition for a matter on public pages (board, posters, feeds): public, published,
    never a petition."""
    from sqlalchemy import and_

    from app.matters.models import Matter

    return and_(Matter.is_public.is_(True), Matter.publication == PUBLISHED,
                Matter.category.not_in(tuple(ALWAYS_PRIVATE)))


def settings_for_id(township_id) -> PublicationSettings:
    """The publication choices of the township with this id (jobs, tests)."""
    from app.townships.models import Township

    return settings_for(db.session.get(Township, township_id))

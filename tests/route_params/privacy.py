"""The review queue of public text and the 「显示」 of a phone number: a reply waiting for review
on the world's matter in both townships (added as a row, so the matter's state does not move)."""

from app.accounts.models import Role
from app.matters.models import Reply


def extend(town):
    from app.extensions import db

    matter = town.objects.matter
    town.objects.pending_reply = Reply(township_id=matter.township_id, matter_id=matter.id,
                                       public_text="已受理，正在办理。", publication="pending")
    db.session.add(town.objects.pending_reply)
    db.session.flush()


PARAMS = {
    "reply_id": lambda town: town.objects.pending_reply.id,
    # 「显示」 a resident's phone: the world's household (every staff member may ask, recorded).
    "source": lambda town: "household",
    "row_id": lambda town: town.objects.household.id,
}

# Only the township's administrator and leaders (and reviewers it names) review public text.
_REVIEWERS = {Role.TOWNSHIP_ADMIN, Role.LEADER}
OWNED = {endpoint: _REVIEWERS for endpoint in (
    "matters.review", "matters.decide", "matters.decide_reply")}

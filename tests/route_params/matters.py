"""The ledger's pages: a revisit in both townships; matters are seen by whom they concern."""

from datetime import date

from app.accounts.models import Role
from app.matters import operations as ops


def extend(town):
    town.objects.revisit = ops.schedule_revisit(town.objects.matter, date(2026, 12, 1))
    from app.extensions import db

    town.objects.spot_check = _spot_check(town)
    db.session.add(town.objects.spot_check)


PARAMS = {
    "revisit_id": lambda town: town.objects.revisit.id,
    "spot_check_id": lambda town: town.objects.spot_check.id,
}

# The world's matter is a hall matter of the centre's staff, in the assistant's village: cadres
# and party representatives it does not concern find nothing there.
_CONCERNED = {Role.TOWNSHIP_ADMIN, Role.LEADER, Role.CENTRE_STAFF, Role.VILLAGE_ASSISTANT}
OWNED = {endpoint: _CONCERNED for endpoint in (
    "matters.detail", "matters.assign", "matters.start", "matters.escalate", "matters.reply",
    "matters.close", "matters.reopen", "matters.end", "matters.record_rating",
    "matters.revisit")}


def _spot_check(town):
    from app.matters.models import SpotCheck

    return SpotCheck(township_id=town.township.id, supervisor_id=town.users[Role.LEADER].id,
                     period_start=date(2026, 11, 1), period_end=date(2026, 12, 1))

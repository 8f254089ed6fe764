"""Cadres' pages: one of each object in both townships."""

from datetime import date

from app.accounts.models import Role
from app.cadres import operations as ops


def extend(town):
    t, cadre = town.township, town.users[Role.CADRE]
    town.objects.action = ops.create_action(t, name="每月一次下访", frequency="monthly",
                                            owner=cadre)
    town.objects.commitment = ops.make_commitment(t, cadre, text="修路灯", due_on=date(2026, 12, 1))
    town.objects.round = ops.open_round(t, title="评议", cadres=[cadre], min_participants=1)
    town.objects.case = ops.submit_case(t, cadre, title="案例", body="正文")
    for n in range(5):
        ops.add_question(t, kind="true_false", text=f"题{n}", options=[], answer=[0])
    town.objects.attempt = ops.draw_test(t, cadre, count=5)
    town.objects.occurrence = ops.record_occurrence(
        town.objects.action, cadre, day=date(2026, 11, 2), done=True,
        attachment=("会议记录.jpg", b"\xff\xd8\xff minutes"))


PARAMS = {
    "occurrence_id": lambda town: town.objects.occurrence.id,
    "action_id": lambda town: town.objects.action.id,
    "commitment_id": lambda town: town.objects.commitment.id,
    "round_id": lambda town: town.objects.round.id,
    "case_id": lambda town: town.objects.case.id,
    "attempt_id": lambda town: town.objects.attempt.id,
    # Minutes of a meeting: the assembly of tests/route_params/assembly.py.
    "year": lambda town: 2026,
    "meeting_kind": lambda town: "assembly",
    "meeting_id": lambda town: town.objects.assembly.id,
}

# A test attempt is its taker's (the cadre's); supervisors may look at it.
# So are the action ticked and the commitment settled: their owner's, or a supervisor's.
_OWNER_OR_SUPERVISOR = {Role.CADRE, Role.TOWNSHIP_ADMIN, Role.LEADER}
OWNED = {
    "cadres.take_test": _OWNER_OR_SUPERVISOR,
    "cadres.tick": _OWNER_OR_SUPERVISOR,
    "cadres.settle": _OWNER_OR_SUPERVISOR,
    # A case is edited by its author alone (the cadre who wrote it).
    "cadres.edit_case": {Role.CADRE},
}

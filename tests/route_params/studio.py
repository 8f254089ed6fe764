"""The studio: a studio with two representatives, a month's rota and a reception in both
townships."""

from datetime import date


def extend(town):
    from app.extensions import db
    from app.studio import operations as ops
    from app.studio.models import Representative, Studio

    t = town.township
    o = town.objects
    o.studio = Studio(township_id=t.id, name="中心工作室", place="文化站",
                      pattern=[{"weekday": 5, "start": "09:00", "end": "11:30"}])
    db.session.add(o.studio)
    db.session.flush()
    reps = [Representative(township_id=t.id, studio_id=o.studio.id, name=name)
            for name in ("陈代表", "林代表")]
    db.session.add_all(reps)
    db.session.flush()
    o.studio_member = reps[0]
    sessions = ops.generate_month(o.studio, date(2026, 11, 1), 1)
    o.assignment = sessions[0].assignments[0]
    ops.receive(t, o.studio, None, channel="phone", topic="路灯", suggestions=["村口路灯坏了"])
    o.studio_case = ops.cases_of(o.studio)[0]
    o.studio_number = o.studio_case.matter.number


PARAMS = {
    "studio_id": lambda town: town.objects.studio.id,
    "assignment_id": lambda town: town.objects.assignment.id,
    "duty_session_id": lambda town: town.objects.assignment.session_id,
    "studio_member_id": lambda town: town.objects.studio_member.id,
    "studio_case_id": lambda town: town.objects.studio_case.id,
    "number": lambda town: town.objects.studio_number,
}

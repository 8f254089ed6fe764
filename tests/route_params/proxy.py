"""Proxy and visits: an errand and a visit in both townships."""

from datetime import date


def extend(town):
    from app.accounts.models import Role
    from app.extensions import db
    from app.households.models import Visit
    from app.proxy import operations as ops

    o = town.objects
    assistant = town.users[Role.VILLAGE_ASSISTANT]
    o.errand = ops.open_errand(town.township, assistant, item=o.service_item, resident=o.resident,
                               documents=[ops.DocumentIn("身份证")])
    o.errand_document_id = o.errand.documents[0].id
    o.visit = Visit(township_id=town.township.id, household_id=o.household.id,
                    visitor_id=town.users[Role.CADRE].id, visited_on=date(2026, 11, 2),
                    findings={"dispute": "邻居占道"})
    db.session.add(o.visit)
    db.session.flush()


PARAMS = {
    "errand_id": lambda town: town.objects.errand.id,
    "visit_id": lambda town: town.objects.visit.id,
    "step": lambda town: "centre",
    "errand_document_id": lambda town: town.objects.errand_document_id,
    "kind": lambda town: "dispute",
}

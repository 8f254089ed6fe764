"""The county's own tests: the world's townships also get the rows a county reads (an escalated
matter, a household linked to the county cadre, a sampled record in the county spot-check)."""

from __future__ import annotations

import uuid

import pytest

from app.accounts.models import Role
from app.counties import operations as county_ops
from app.counties.models import CountyRole, CountySpotCheck
from app.extensions import db
from app.matters import operations as ledger
from app.matters.models import SpotCheck, SpotCheckItem
from app.tenancy import bind_township
from tests import factories


def _add(town):
    t = town.township
    bind_township(db.session, t.id)
    matter = factories.matter(t, title="河道清淤", actor=town.users[Role.TOWNSHIP_ADMIN])
    ledger.assign(matter, town.users[Role.TOWNSHIP_ADMIN], assignee=town.users[Role.LEADER])
    from app.counties.models import Department

    department = db.session.get(Department, town.objects.department.id)
    escalation = county_ops.escalate_to_county(
        matter, town.users[Role.TOWNSHIP_ADMIN], reason="需县民政局核定", department=department)
    linked = factories.household(t, town.objects.village, head="赵联户", phone="13900001111")
    linked.contact_cadre_id = town.objects.county_users[CountyRole.COUNTY_CADRE].id
    supervisor = town.objects.county_users[CountyRole.COUNTY_SUPERVISOR]
    check = db.session.get(CountySpotCheck, town.objects.county_spot_check.id)
    part = SpotCheck(township_id=t.id, supervisor_id=supervisor.id,
                     period_start=check.period_start, period_end=check.period_end)
    db.session.add(part)
    db.session.flush()
    item = SpotCheckItem(township_id=t.id, spot_check_id=part.id, matter_id=matter.id)
    db.session.add(item)
    db.session.flush()
    check.parts = [{"township_id": str(t.id), "spot_check_id": str(part.id)}]
    from app.notices.models import Document
    from app.notices.storage import storage

    # The township's contact cards, made from the county's page (app.counties.documents).
    cards = Document(id=uuid.uuid4(), township_id=t.id, kind="contact_cards_batch",
                     subject_id="all", title="全镇联系卡", state="ready", progress=100,
                     storage_key=f"{t.id}/county-cards.pdf", size=5, pages=1)
    db.session.add(cards)
    storage().put(cards.storage_key, b"%PDF-")
    db.session.commit()
    bind_township(db.session, None)
    town.objects.county_cards_id = cards.id
    town.objects.escalation, town.objects.escalation_id = escalation, escalation.id
    town.objects.escalated_matter = matter
    town.objects.county_household = linked
    town.objects.county_household_id = linked.id
    town.objects.county_spot_item, town.objects.county_spot_item_id = item, item.id


@pytest.fixture(autouse=True)
def county_world(request):
    if "world" not in request.fixturenames:
        yield None
        return
    world = request.getfixturevalue("world")
    app = request.getfixturevalue("app")
    with app.app_context():
        db.session().expire_on_commit = False  # as the world's: ids and names stay readable
        for town in (world.a, world.b):
            _add(town)
    yield world

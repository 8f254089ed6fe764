"""Staff see residents' full phone numbers only where their role and scope need it (issue #16);
elsewhere masked, with a 「显示」 that is recorded in the audit log (phone.show)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.extensions import db
from app.matters.models import Matter
from app.privacy import may_see_phone
from app.tenancy import bind_township
from tests import factories
from tests.conftest import csrf, login

PHONE = "13812345678"


@pytest.fixture
def scene(app):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("phones", code="PH", services=())
        bind_township(db.session, t.id)
        east, west = factories.village(t, "东村"), factories.village(t, "西村")
        social, economy = factories.centre(t, "社会事务"), factories.centre(t, "经济发展")
        cadre = factories.user(t, Role.CADRE, name="联户干部")
        household = factories.household(t, east, head="李春秀", phone=PHONE,
                                        contact_cadre_id=cadre.id)
        people = {
            "admin": factories.user(t, Role.TOWNSHIP_ADMIN, name="管理员"),
            "leader": factories.user(t, Role.LEADER, name="镇长"),
            "east": factories.user(t, Role.VILLAGE_ASSISTANT, village=east, name="东村助理"),
            "west": factories.user(t, Role.VILLAGE_ASSISTANT, village=west, name="西村助理"),
            "social": factories.user(t, Role.CENTRE_STAFF, centre=social, name="社事员"),
            "economy": factories.user(t, Role.CENTRE_STAFF, centre=economy, name="经发员"),
            "cadre": cadre,
            "other_cadre": factories.user(t, Role.CADRE, name="别的干部"),
        }
        matter = factories.matter(t, channel="phone", title="取暖煤不够",
                                  household=household, centre=social)
        db.session.commit()
        bind_township(db.session, None)
        return t, people, household, matter


@pytest.mark.parametrize(("who", "sees"), [
    ("admin", True), ("leader", True), ("east", True), ("west", False), ("social", True),
    ("economy", False), ("cadre", True), ("other_cadre", False),
])
def test_one_function_decides_by_role_and_scope(app, scene, who, sees):
    t, people, household, matter = scene
    with app.test_request_context():
        bind_township(db.session, t.id)
        user = db.session.get(type(people[who]), people[who].id)
        row = db.session.get(Matter, (t.id, matter.id))
        assert may_see_phone(user, t, matter=row) is sees
        from app.households.models import Household

        home = db.session.get(Household, (t.id, household.id))
        expected_household = who in ("admin", "leader", "east", "cadre")
        assert may_see_phone(user, t, household=home) is expected_household


def test_the_assignee_sees_the_number_of_their_matter(app, scene):
    t, people, _household, matter = scene
    with app.test_request_context():
        bind_township(db.session, t.id)
        row = db.session.get(Matter, (t.id, matter.id))
        other = people["other_cadre"]
        assert not may_see_phone(other, t, matter=row)
        row.assignee_id = other.id
        assert may_see_phone(other, t, matter=row)


def _events(app, t):
    with app.app_context():
        return db.session.scalars(select(AuditEvent).where(
            AuditEvent.township_id == t.id, AuditEvent.action == "phone.show")).all()


def test_masked_with_a_show_that_is_recorded_htmx_and_without_js(app, client, scene):
    t, people, household, _matter = scene
    page_url = f"/t/{t.slug}/households/{household.id}"
    # The village's assistant sees the number on the household page; nothing to record.
    login(client, people["east"])
    assert PHONE in client.get(page_url).text
    # A cadre not linked to the household sees it masked, with 「显示」.
    login(client, people["other_cadre"])
    page = client.get(page_url)
    assert page.status_code == 200
    assert PHONE not in page.text and "138****5678" in page.text and "显示" in page.text
    show = f"/t/{t.slug}/matters/phone/household/{household.id}"
    assert client.post(show, data={}).status_code == 400  # CSRF is required
    token = csrf(page.text)
    fragment = client.post(show, data={"csrf_token": token}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and PHONE in fragment.text
    (event,) = _events(app, t)
    assert event.actor_id == people["other_cadre"].id and event.target_type == "households"
    assert event.target_id == str(household.id)
    assert "李春秀" in event.summary and PHONE not in str(event.after)
    # Without JavaScript: back to the page, where the number now shows.
    back = client.post(show, data={"csrf_token": token, "next": page_url})
    assert back.status_code == 302 and back.headers["Location"].endswith(page_url)
    assert PHONE in client.get(page_url).text
    assert len(_events(app, t)) == 2  # every show is on record
    # An outside address is never a place to go back to.
    away = client.post(show, data={"csrf_token": token, "next": "//evil.example/"})
    assert "evil" not in away.headers["Location"]


def test_the_hall_desk_masks_a_resident_of_no_concern_and_shows_on_request(app, client, scene):
    t, people, household, _matter = scene
    from tests.factories import resident_of

    with app.app_context():
        bind_township(db.session, t.id)
        resident = resident_of(db.session.get(type(household), (t.id, household.id)))
        resident_id = resident.id
        bind_township(db.session, None)
    if resident_id is None:
        pytest.skip("the household factory made no resident")
    from app.townships.operations import set_service

    with app.app_context():
        from app.townships.models import Township

        set_service(db.session.get(Township, t.id), "one_stop", enabled=True)
        db.session.commit()
    login(client, people["economy"])
    page = client.get(f"/t/{t.slug}/hall/?resident={resident_id}")
    assert page.status_code == 200
    assert PHONE not in page.text and "138****5678" in page.text
    assert 'formaction="/t/phones/matters/phone/resident/' in page.text  # no nested form
    desk = f"/t/{t.slug}/hall/?resident={resident_id}"
    client.post(f"/t/{t.slug}/matters/phone/resident/{resident_id}",
                data={"csrf_token": csrf(page.text), "next": desk})
    assert PHONE in client.get(f"/t/{t.slug}/hall/?resident={resident_id}").text
    assert _events(app, t)[0].target_type == "residents"


def test_whoever_registered_it_or_the_villages_assistant_sees_it_on_the_matter_page(
        app, client, scene):
    t, people, _household, matter = scene
    other = people["other_cadre"]
    with app.app_context():
        row = db.session.get(Matter, (t.id, matter.id))
        row.centre_id, row.household_id, row.village_id = None, None, None
        row.assignee_id = people["leader"].id
        row.contact_phone = PHONE
        db.session.commit()
    # Named a reviewer, they see the matter in the queue; its phone only as its registrar.
    with app.app_context():
        from app.matters import publication as pub
        from app.townships.models import Township

        pub.save_settings(db.session.get(Township, t.id), None, review=True,
                          review_replies=False, reviewers=[str(other.id)], categories={})
        row = db.session.get(Matter, (t.id, matter.id))
        row.created_by_id = other.id
        db.session.commit()
    login(client, other)
    page = client.get(f"/t/{t.slug}/matters/{matter.id}").text
    assert PHONE in page  # registered it: theirs
    with app.app_context():
        row = db.session.get(Matter, (t.id, matter.id))
        row.created_by_id = None
        row.village_id = scene[2].village_id
        db.session.commit()
    login(client, people["east"])  # the village's assistant: in scope
    assert PHONE in client.get(f"/t/{t.slug}/matters/{matter.id}").text

"""Grids in lists and roles (shared/seeds/001, 002): a village assistant can be given one grid of
the village (网格员) and then sees that grid's households only; staff lists filter by grid."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import Role, RoleGrant
from app.audit.models import AuditEvent
from app.extensions import db
from app.households.models import Grid
from app.tenancy import bind_township
from tests import factories
from tests.conftest import csrf, login


def test_a_grid_assistant_sees_the_grid_and_lists_filter_by_grid(app, client):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("wangge", code="WG", services=())
        bind_township(db.session, t.id)
        admin = factories.user(t, Role.TOWNSHIP_ADMIN, name="管理员")
        west = factories.village(t, "西村")
        assistant = factories.user(t, Role.VILLAGE_ASSISTANT, village=west, name="网格员小李")
        village = factories.village(t, "东村")
        first, second = Grid(township_id=t.id, village_id=village.id, name="一组"), \
            Grid(township_id=t.id, village_id=village.id, name="二组")
        db.session.add_all([first, second])
        db.session.flush()
        mine = factories.household(t, village, head="一组户", grid_id=first.id, phone=None)
        theirs = factories.household(t, village, head="二组户", grid_id=second.id, phone=None)
        loose = factories.household(t, village, head="无网格户", phone=None)
        db.session.commit()
    login(client, admin)
    person = client.get(f"/t/{t.slug}/staff/{assistant.id}")
    wrong = client.post(f"/t/{t.slug}/staff/{assistant.id}/grant", data={
        "csrf_token": csrf(person.text), "role": "village_assistant",
        "village_id": str(village.id), "grid_id": "not-a-grid"})
    assert wrong.status_code == 404
    given = client.post(f"/t/{t.slug}/staff/{assistant.id}/grant", data={
        "csrf_token": csrf(person.text), "role": "village_assistant", "grid_id": str(first.id)})
    assert given.status_code == 302
    with app.app_context():
        grant = db.session.scalar(select(RoleGrant).where(RoleGrant.user_id == assistant.id,
                                                          RoleGrant.grid_id.is_not(None)))
        assert (grant.village_id, grant.grid_id) == (village.id, first.id)
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "role.grant"))
        assert event.after["grid"] == "一组"
    everyone = client.get(f"/t/{t.slug}/households/?grid={second.id}")
    assert "二组户" in everyone.text and "一组户" not in everyone.text

    login(client, assistant)
    listing = client.get(f"/t/{t.slug}/households/")
    assert "一组户" in listing.text
    assert "二组户" not in listing.text and "无网格户" not in listing.text
    assert client.get(f"/t/{t.slug}/households/{mine.id}").status_code == 200
    assert client.get(f"/t/{t.slug}/households/{theirs.id}").status_code == 404
    assert client.get(f"/t/{t.slug}/households/{loose.id}").status_code == 404

"""The county's contact cards: one batch by village per township, asked for from the county's
page, each the township's own document with an audit event naming the county user; followed and
downloaded from the county, never a document of another county's township."""

from __future__ import annotations

import io

from pypdf import PdfReader
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.counties.models import CountyRole
from app.extensions import db
from app.notices.models import Document
from app.tenancy import bind_township
from app.townships.models import Township
from tests import factories
from tests.conftest import csrf, login


def _batches(app, township_id):
    with app.app_context():
        bind_township(db.session, township_id)
        return db.session.scalars(select(Document).where(
            Document.township_id == township_id, Document.kind == "contact_cards_batch",
            Document.subject_id == "all").order_by(Document.created_at)).all()


def test_the_county_asks_every_township_for_its_cards_and_downloads_them(app, world, client,
                                                                          monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_MODE", "inline")  # the parts render after the request
    town = world.a
    county = town.objects.county
    with app.app_context():
        t = db.session.get(Township, town.township.id)
        bind_township(db.session, t.id)
        second = factories.village(t, "二村")
        factories.household(t, second, head="李二村", phone="13700002222")
        # Another township of the same county, with no village: nothing to print there.
        empty = factories.township(slug="kongxiang")
        empty.name, empty.county_id = "空乡", county.id
        db.session.commit()
        bind_township(db.session, None)
    admin = town.objects.county_users[CountyRole.COUNTY_ADMIN]
    login(client, admin)
    page = client.get(f"/c/{county.slug}/contact-cards")
    assert page.status_code == 200
    assert "生成全县联系卡" in page.get_data(True)
    before = len(_batches(app, town.township.id))
    asked = client.post(f"/c/{county.slug}/contact-cards",
                        data={"csrf_token": csrf(page.get_data(True))}, follow_redirects=True)
    html = asked.get_data(True)
    assert asked.status_code == 200
    assert "空乡" in html and "还没有村" in html  # named, not silently skipped

    made = _batches(app, town.township.id)
    assert len(made) == before + 1
    batch = made[-1]
    assert batch.state == "ready" and batch.requested_by_id == admin.id
    with app.app_context():
        bind_township(db.session, town.township.id)
        parts = db.session.scalars(select(Document).where(
            Document.township_id == town.township.id, Document.batch_id == batch.id)
            .order_by(Document.position)).all()
        assert len(parts) >= 2 and all(p.state == "ready" for p in parts)
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.township_id == town.township.id, AuditEvent.action == "document.request",
            AuditEvent.target_id == str(batch.id)))
        assert event is not None and event.actor_id == admin.id
        assert event.actor_kind == "county" and county.name in event.summary

    # The page lists it ready with the township's file and each village's.
    html = client.get(f"/c/{county.slug}/contact-cards").get_data(True)
    assert f"/c/{county.slug}/contact-cards/{batch.id}/download" in html
    assert all(f"/contact-cards/{p.id}/download" in html for p in parts)
    combined = client.get(f"/c/{county.slug}/contact-cards/{batch.id}/download")
    assert combined.status_code == 200 and combined.mimetype == "application/pdf"
    pages = len(PdfReader(io.BytesIO(combined.data)).pages)
    assert pages == sum(p.pages for p in parts)
    text = "".join(PdfReader(io.BytesIO(client.get(
        f"/c/{county.slug}/contact-cards/{p.id}/download").data)).pages[0].extract_text()
        for p in parts)
    assert "李二村" in text  # the second village's household on its part

    # Asked again while nothing is pending: a new batch; the finished one stays downloadable.
    client.post(f"/c/{county.slug}/contact-cards",
                data={"csrf_token": csrf(html)})
    assert len(_batches(app, town.township.id)) == before + 2
    assert client.get(f"/c/{county.slug}/contact-cards/{batch.id}/download").status_code == 200


def test_a_batch_still_being_made_is_not_asked_for_twice(app, world, client, monkeypatch):
    # No job is handed over after the request: the batch stays queued.
    monkeypatch.setattr("app.jobs.run_committed", lambda *a, **k: 0)
    town = world.a
    county = town.objects.county
    login(client, town.objects.county_users[CountyRole.COUNTY_ADMIN])
    token = csrf(client.get(f"/c/{county.slug}/contact-cards").get_data(True))
    before = len(_batches(app, town.township.id))
    for _ in range(2):
        client.post(f"/c/{county.slug}/contact-cards", data={"csrf_token": token})
    made = _batches(app, town.township.id)
    assert len(made) == before + 1 and made[-1].state == "queued"
    html = client.get(f"/c/{county.slug}/contact-cards").get_data(True)
    assert 'hx-trigger="every 3s"' in html  # the table follows the parts while they render
    assert "http-equiv=\"refresh\"" in html  # and without JavaScript, the page reloads


def test_another_countys_documents_and_roles_find_nothing(app, world, client):
    a, b = world.a, world.b
    # County A's admin asks for township B's cards (county B's): not found.
    login(client, a.objects.county_users[CountyRole.COUNTY_ADMIN])
    foreign = b.objects.county_cards_id
    assert client.get(f"/c/{a.objects.county.slug}/contact-cards/{foreign}/download"
                      ).status_code == 404
    # A township document that is not the cards (the world's board poster): not the county's.
    assert client.get(f"/c/{a.objects.county.slug}/contact-cards/{a.objects.document.id}"
                      "/download").status_code == 404
    own = client.get(f"/c/{a.objects.county.slug}/contact-cards/{a.objects.county_cards_id}"
                     "/download")
    assert own.status_code == 200 and own.data.startswith(b"%PDF")
    # The county's leader compares townships but does not print their residents' cards.
    login(client, a.objects.county_users[CountyRole.COUNTY_LEADER])
    assert client.get(f"/c/{a.objects.county.slug}/contact-cards").status_code == 403

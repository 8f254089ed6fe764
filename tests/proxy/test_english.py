"""English pages speak English: the village station's and the hotline's staff pages show labels,
never raw enum values, and a refused errand form has no Chinese in its messages."""

from __future__ import annotations

import html
import re

from app.accounts.models import Role
from app.extensions import db
from app.proxy import operations as ops
from app.proxy.models import Errand
from app.tenancy import bind_township
from tests.conftest import login

RAW = ("in_progress", "not_responsible", "received_from_resident", "handed_to_centre",
       "returned_to_assistant", "returned_to_resident", "kept_by_office", "used_up",
       "new_matter", "assigned", "custody", "None")


def visible_text(page: str) -> str:
    """The words a person reads: no tags, attributes, scripts or styles."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_staff_pages_in_english_show_labels_not_raw_values(app, world, client):
    town = world.a
    slug = town.township.slug
    assistant = town.users[Role.VILLAGE_ASSISTANT]
    with app.app_context():
        bind_township(db.session, town.township.id)
        errand = db.session.get(Errand, (town.township.id, town.objects.errand.id))
        ops.hand_to_centre(errand, assistant, received_by="Zhang Fang")
        from app.matters import operations as matters

        matters.start(errand.matter, assistant)
        ops.keep_document(errand, assistant, errand.documents[0].id, kept_by="Centre",
                          reason="filed")
        db.session.commit()
    login(client, assistant)
    client.get(f"/t/{slug}/proxy/errands?lang=en")
    base = f"/t/{slug}"
    pages = [f"{base}/proxy/errands", f"{base}/proxy/errands/{town.objects.errand.id}",
             f"{base}/proxy/errands/new", f"{base}/proxy/errands/{town.objects.errand.id}/receipt"]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        text = visible_text(response.text)
        for raw in RAW:
            assert not re.search(rf"\b{raw}\b", text), (url, raw)
    detail = visible_text(client.get(pages[1]).text)
    assert "Kept by the office" in detail and "Hand-over of documents" not in detail
    login(client, town.users[Role.TOWNSHIP_ADMIN])
    client.get(f"{base}/hotline/?lang=en")
    for url in (f"{base}/hotline/", f"{base}/hotline/templates", f"{base}/matters/"):
        text = visible_text(client.get(url).text)
        for raw in RAW:
            assert not re.search(rf"\b{raw}\b", text), (url, raw)
    assert "Answered on the phone" in visible_text(client.get(f"{base}/hotline/").text)


def test_refused_hotline_call_in_english_has_no_chinese_messages(world, client):
    town = world.a
    login(client, town.users[Role.CENTRE_STAFF])
    url = f"/t/{town.township.slug}/hotline/"
    page = client.get(url + "?lang=en")
    token = re.search(r'csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    bad = client.post(url, data={"csrf_token": token, "number": "12345", "outcome": "advice",
                                 "called_at": "not a time"})
    assert bad.status_code == 422
    messages = re.findall(r'role="alert">([^<]+)', bad.text)
    assert messages
    for m in messages:
        assert not re.search(r"[\u4e00-\u9fff]", m), m

"""Atom feeds of the board (issue #21): the township's and each village's, what the board shows,
masked the same way, linked from the board page."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from app.extensions import db
from app.matters import operations as ops
from app.matters.models import Reply
from app.tenancy import bind_township
from tests import factories

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def town(app):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("feeds", code="FD", services=())
        bind_township(db.session, t.id)
        east, west = factories.village(t, "东村"), factories.village(t, "西村")
        ops.create_matter(t, channel="online", title="东村路灯坏了，电话13800138000",
                          village=east, contact_name="王小明", is_public=True)
        lamp = ops.create_matter(t, channel="online", title="西村垃圾没人清", village=west,
                                 contact_name="李四", is_public=True)
        db.session.add(Reply(township_id=t.id, matter_id=lamp.id,
                             public_text="已清运，有事请打0734-8123456"))
        ops.create_matter(t, channel="online", title="家里的难处", village=east,
                          is_public=False)
        pending = ops.create_matter(t, channel="online", title="还在审核的事", village=east,
                                    is_public=True)
        pending.publication = "pending"
        db.session.commit()
        bind_township(db.session, None)
        return t, east, west


def _entries(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)
    return root, [(e.findtext(f"{ATOM}title"), e.findtext(f"{ATOM}content") or "")
                  for e in root.findall(f"{ATOM}entry")]


def test_the_township_feed_is_the_board_masked_the_same_way(app, client, town):
    t, east, west = town
    root, entries = _entries(client, f"/t/{t.slug}/board.atom")
    titles = [title for title, _ in entries]
    assert titles == ["西村垃圾没人清", "东村路灯坏了，电话138****8000"]
    text = root and ET.tostring(root, encoding="unicode")
    for hidden in ("13800138000", "8123456", "王小明", "家里的难处", "还在审核的事"):
        assert hidden not in text
    assert "王**" in text and "0734****56" in text and "已清运" in text


def test_a_village_feed_has_its_own_part_only(app, client, town):
    t, east, west = town
    _root, entries = _entries(client, f"/t/{t.slug}/board/{west.id}.atom")
    assert [title for title, _ in entries] == ["西村垃圾没人清"]


def test_the_board_links_its_feeds(app, client, town):
    t, east, _west = town
    html = client.get(f"/t/{t.slug}/board").text
    assert f'href="/t/{t.slug}/board.atom"' in html
    assert 'rel="alternate" type="application/atom+xml"' in html
    assert f"/t/{t.slug}/board/{east.id}.atom" in html

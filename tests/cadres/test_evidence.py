"""A required action ticked with a photo of the meeting's minutes as its evidence."""

from __future__ import annotations

import io
import re

from app.accounts.models import Role
from app.cadres import operations as ops
from app.extensions import db
from app.tenancy import bind_township
from tests import factories
from tests.conftest import login

JPEG = b"\xff\xd8\xff\xe0minutes of the monthly problem meeting"


def test_tick_with_an_attachment_then_open_it(app, client):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township()
        bind_township(db.session, t.id)
        cadre = factories.user(t, Role.CADRE, name="张卫东")
        action = ops.create_action(t, name="每月一次问题会", frequency="monthly", owner=cadre)
        db.session.commit()
        bind_township(db.session, None)
    login(client, cadre)
    page = client.get(f"/t/{t.slug}/cadres/actions")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    url = f"/t/{t.slug}/cadres/actions/{action.id}/tick"
    refused = client.post(url, data={"csrf_token": token, "done": "yes",
                                     "attachment": (io.BytesIO(b"MZ"), "setup.exe")},
                          content_type="multipart/form-data", follow_redirects=True)
    assert "JPG、PNG" in refused.text and "佐证附件：" not in refused.text
    client.post(url, data={"csrf_token": token, "done": "yes",
                           "attachment": (io.BytesIO(JPEG), "问题会记录.jpg")},
                content_type="multipart/form-data")
    page = client.get(f"/t/{t.slug}/cadres/actions")
    assert "佐证附件：问题会记录.jpg" in page.text
    link = re.search(r'href="([^"]+/cadres/evidence/[^"]+)"', page.text).group(1)
    photo = client.get(link)
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg" and photo.data == JPEG


def test_a_studio_reception_is_the_evidence_of_the_weekly_reception(app, client):
    from app.studio import operations as studio_ops
    from app.studio.models import Studio

    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township()
        bind_township(db.session, t.id)
        rep = factories.user(t, Role.CADRE, Role.PARTY_REP, name="甘世杰")
        action = ops.create_action(t, name="每周一次接访", frequency="weekly", owner=rep)
        studio = Studio(township_id=t.id, name="中山社区工作室",
                        pattern=studio_ops.parse_pattern("周六 09:00-11:30"))
        db.session.add(studio)
        db.session.flush()
        reception = studio_ops.receive(t, studio, rep, channel="session", topic="垃圾清运",
                                       suggestions=["增加清运次数"])
        db.session.commit()
        bind_township(db.session, None)
    login(client, rep)
    page = client.get(f"/t/{t.slug}/cadres/actions")
    assert "垃圾清运" in page.text  # offered as evidence
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    client.post(f"/t/{t.slug}/cadres/actions/{action.id}/tick",
                data={"csrf_token": token, "done": "yes", "reception_id": str(reception.id)})
    page = client.get(f"/t/{t.slug}/cadres/actions")
    assert "接待：垃圾清运" in page.text

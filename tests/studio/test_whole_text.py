"""Every word a visitor typed is kept: a 2,000-character online suggestion reaches every page that
shows it (the staff's case, the matter, the reply letter), not only its first 120 characters."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import db
from app.matters.models import Matter
from app.studio import operations as ops
from app.studio.models import Studio, StudioCase
from app.tenancy import bind_township
from tests import factories
from tests.conftest import csrf, login

PARKING = "菜市场门口早晚乱停车，三轮车和小汽车挤在一起，老人买菜要绕到马路中间。"
SUGGESTION = (PARKING * 60)[:1990] + "建议划线设岗。"


def test_a_long_online_suggestion_is_kept_whole(app, client):
    assert len(SUGGESTION) > 1900
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township()
        bind_township(db.session, t.id)
        admin = factories.user(t, Role.TOWNSHIP_ADMIN, name="刘书记")
        row = Studio(township_id=t.id, name="西城工作室",
                     pattern=ops.parse_pattern("周六 09:00-11:30"))
        db.session.add(row)
        db.session.commit()
        bind_township(db.session, None)
    page = client.get(f"/t/{t.slug}/studios/{row.id}/suggest")
    done = client.post(f"/t/{t.slug}/studios/{row.id}/suggest", data={
        "csrf_token": csrf(page.text), "topic": "停车", "text": SUGGESTION, "name": "",
        "phone": ""})
    assert done.status_code == 302
    with app.app_context():
        bind_township(db.session, t.id)
        case = db.session.scalar(select(StudioCase))
        matter = db.session.scalar(select(Matter))
        assert case.text == SUGGESTION  # as typed, to the last character
        assert SUGGESTION in matter.description
        assert len(matter.title) <= 120 and matter.title.endswith("…")
        matter_id = matter.id
    login(client, admin)
    staff_page = client.get(f"/t/{t.slug}/studio/{row.id}/cases")
    assert staff_page.status_code == 200 and SUGGESTION in staff_page.text
    detail = client.get(f"/t/{t.slug}/matters/{matter_id}")
    assert SUGGESTION in detail.text

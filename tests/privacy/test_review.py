"""The review queue of public text (issue #16): a township chooses publish-at-once or review-first;
reviewers publish, publish in other words (original kept, change recorded) or withhold.

Requests are made outside an application context (each gets its own, as in production); the
database is read in short contexts of its own.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.extensions import db
from app.matters import operations as ops
from app.matters import publication as pub
from app.matters.models import Matter, MatterEvent
from app.tenancy import bind_township
from tests import factories
from tests.conftest import csrf, login


@pytest.fixture
def town(app):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("review", code="RV", services=())
        people = {role: factories.user(t, role, name=f"审-{role.value}")
                  for role in (Role.TOWNSHIP_ADMIN, Role.LEADER, Role.CADRE)}
        v = factories.village(t, "东村")
        pub.save_settings(t, None, review=True, review_replies=False, reviewers=[],
                          categories={})
        db.session.commit()
        return t, people, v


def _matter(app, t, *, title):
    with app.app_context():
        db.session().expire_on_commit = False
        return db.session.scalar(select(Matter).where(Matter.township_id == t.id,
                                                      Matter.title == title))


def _audit(app, t, action):
    with app.app_context():
        db.session().expire_on_commit = False
        return db.session.scalars(select(AuditEvent).where(AuditEvent.township_id == t.id,
                                                           AuditEvent.action == action)).all()


def _settings(app, t, **choices):
    from app.townships.models import Township

    with app.app_context():
        township = db.session.get(Township, t.id)
        pub.save_settings(township, None, **{"review": True, "review_replies": False,
                                             "reviewers": [], "categories": {}, **choices})
        db.session.commit()


def _raise(app, client, t, v, title, description="", publicity="public"):
    url = f"/t/{t.slug}/raise"
    token = csrf(client.get(url).get_data(as_text=True))
    response = client.post(url, data={"csrf_token": token, "title": title,
                                      "description": description, "village_id": str(v.id),
                                      "contact_name": "王小明", "contact_phone": "13900001111",
                                      "publicity": publicity})
    assert response.status_code == 200
    return _matter(app, t, title=title)


def _board(client, t):
    from app.board.cache import board_cache

    board_cache.clear()
    return client.get(f"/t/{t.slug}/board").get_data(as_text=True)


def test_review_first_keeps_a_submission_off_the_board_until_published_in_other_words(
        app, client, town):
    t, people, v = town
    matter = _raise(app, client, t, v, "东街路灯不亮，请打13800138000")
    assert (matter.is_public, matter.publication) == (True, "pending")
    assert "东街路灯不亮" not in _board(client, t)

    admin = people[Role.TOWNSHIP_ADMIN]
    login(client, admin)
    queue = client.get(f"/t/{t.slug}/matters/review").get_data(as_text=True)
    assert "东街路灯不亮，请打13800138000" in queue  # the reviewer reads the original
    assert "含电话或证件号码" in queue
    response = client.post(f"/t/{t.slug}/matters/{matter.id}/publication", data={
        "csrf_token": csrf(queue), "action": "publish",
        "public_title": "东街路灯不亮", "public_description": ""})
    assert response.status_code == 302

    matter = _matter(app, t, title="东街路灯不亮，请打13800138000")  # the original is kept
    assert (matter.publication, matter.public_title) == ("published", "东街路灯不亮")
    with app.app_context():
        kinds = [e.kind for e in db.session.scalars(select(MatterEvent).where(
            MatterEvent.township_id == t.id, MatterEvent.matter_id == matter.id)
            .order_by(MatterEvent.seq))]
    assert kinds[-2:] == ["wording_edited", "published"]
    (edit,) = _audit(app, t, "publication.edit")
    assert edit.actor_id == admin.id and edit.after == {"title": "东街路灯不亮"}
    assert edit.before == {"title": "东街路灯不亮，请打138****8000"}  # the log masks it too
    assert len(_audit(app, t, "publication.publish")) == 1

    detail = client.get(f"/t/{t.slug}/matters/{matter.id}").get_data(as_text=True)
    assert "群众原文" in detail and "东街路灯不亮，请打13800138000" in detail
    assert "修改公开文字" in detail and "审-township_admin" in detail

    client.get("/logout")
    board = _board(client, t)
    assert "东街路灯不亮" in board and "请打" not in board


def test_withholding_needs_a_reason_and_keeps_the_matter_off_the_board(app, client, town):
    t, people, v = town
    matter = _raise(app, client, t, v, "反映邻居家事")
    login(client, people[Role.LEADER])
    url = f"/t/{t.slug}/matters/{matter.id}/publication"
    token = csrf(client.get(f"/t/{t.slug}/matters/review").get_data(as_text=True))
    refused = client.post(url, data={"csrf_token": token, "action": "withhold", "reason": " "})
    assert refused.status_code == 422 and "请写明不公开的原因" in refused.get_data(as_text=True)
    assert client.post(url, data={"csrf_token": token, "action": "withhold",
                                  "reason": "涉及他人隐私"}).status_code == 302
    matter = _matter(app, t, title="反映邻居家事")
    assert (matter.publication, matter.withheld_reason) == ("withheld", "涉及他人隐私")
    (event,) = _audit(app, t, "publication.withhold")
    assert event.after["reason"] == "涉及他人隐私"
    client.get("/logout")
    assert "反映邻居家事" not in _board(client, t)


def test_a_resident_who_says_not_public_is_never_queued(app, client, town):
    t, people, v = town
    matter = _raise(app, client, t, v, "家里的难处", publicity="private")
    assert matter.is_public is False
    login(client, people[Role.TOWNSHIP_ADMIN])
    assert "家里的难处" not in client.get(f"/t/{t.slug}/matters/review").get_data(as_text=True)


def test_only_admins_leaders_and_named_reviewers_review(app, client, town):
    t, people, v = town
    matter = _raise(app, client, t, v, "建议增设公交站")
    cadre = people[Role.CADRE]
    login(client, cadre)
    assert client.get(f"/t/{t.slug}/matters/review").status_code == 403
    assert client.post(f"/t/{t.slug}/matters/{matter.id}/publication", data={
        "action": "publish"}).status_code in (400, 403)
    _settings(app, t, reviewers=[str(cadre.id)])
    queue = client.get(f"/t/{t.slug}/matters/review")
    assert queue.status_code == 200 and "建议增设公交站" in queue.get_data(as_text=True)
    assert client.post(f"/t/{t.slug}/matters/{matter.id}/publication", data={
        "csrf_token": csrf(queue.get_data(as_text=True)),
        "action": "publish"}).status_code == 302
    assert _matter(app, t, title="建议增设公交站").publication == "published"


def test_publish_at_once_and_replies_reviewed_where_the_township_wants_it(app, client, town):
    t, people, v = town
    _settings(app, t, review=False, review_replies=True)
    matter = _raise(app, client, t, v, "村口垃圾没人清")
    assert matter.publication == "published"
    assert "村口垃圾没人清" in _board(client, t)

    leader = people[Role.LEADER]
    with app.app_context():
        from app.townships.models import Township

        db.session().expire_on_commit = False
        bind_township(db.session, t.id)
        row = db.session.get(Matter, (t.id, matter.id))
        answer = ops.reply(row, leader, public_text="已清运，联系人电话13712345678",
                           township=db.session.get(Township, t.id))
        db.session.commit()
        bind_township(db.session, None)
    assert answer.publication == "pending"
    assert "已清运" not in _board(client, t)

    login(client, leader)
    queue = client.get(f"/t/{t.slug}/matters/review").get_data(as_text=True)
    assert "已清运，联系人电话13712345678" in queue
    client.post(f"/t/{t.slug}/matters/{matter.id}/replies/{answer.id}/publication", data={
        "csrf_token": csrf(queue), "action": "publish", "public_wording": "已清运。"})
    client.get("/logout")
    board = _board(client, t)
    assert "已清运。" in board and "联系人" not in board
    assert _audit(app, t, "publication.edit")[0].after == {"reply": "已清运。"}


def test_settings_page_saves_the_choice_and_item_defaults_with_an_audit_trail(app, client,
                                                                              town):
    t, people, v = town
    with app.app_context():
        db.session().expire_on_commit = False
        bind_township(db.session, t.id)
        item = factories.service_item(t, name="农机购置补贴")
        db.session.commit()
        bind_township(db.session, None)
    assert item.public_default is True
    login(client, people[Role.TOWNSHIP_ADMIN])
    url = f"/t/{t.slug}/matters/publication-settings"
    page = client.get(url).get_data(as_text=True)
    assert "农机购置补贴" in page
    data = {"csrf_token": csrf(page), "review": "immediate", "review_replies": "yes",
            "category-hardship": "private", "category-prosperity": "public",
            "category-dispute": "public", "category-suggestion": "public",
            "category-service": "public", f"item-{item.id}": "private"}
    assert client.post(url, data=data).status_code == 302
    with app.app_context():
        from app.catalogue.models import ServiceItem
        from app.townships.models import Township

        settings = pub.settings_for(db.session.get(Township, t.id))
        assert db.session.get(ServiceItem, (t.id, item.id)).public_default is False
    assert (settings.review, settings.review_replies) == (False, True)
    assert settings.category_public("dispute") is True
    assert settings.category_public("petition") is False  # never, whatever is posted
    assert _audit(app, t, "settings.publication")
    assert _audit(app, t, "catalogue.public_default")[0].after == {"public_default": False}
    login(client, people[Role.CADRE])
    assert client.get(url).status_code == 403


def test_a_published_matter_can_be_taken_down_from_its_page_and_put_back(app, client, town):
    t, people, v = town
    _settings(app, t, review=False)
    matter = _raise(app, client, t, v, "东村水渠堵了")
    assert "东村水渠堵了" in _board(client, t)
    login(client, people[Role.TOWNSHIP_ADMIN])
    detail = f"/t/{t.slug}/matters/{matter.id}"
    page = client.get(detail).text
    assert "从回音壁撤下" in page
    taken = client.post(f"{detail}/publication", data={
        "csrf_token": csrf(page), "action": "withhold", "reason": "涉及邻里矛盾",
        "next": "detail"})
    assert taken.status_code == 302 and taken.headers["Location"].endswith(detail)
    page = client.get(detail).text
    assert "涉及邻里矛盾" in page and "改为发布到回音壁" in page
    client.get("/logout")
    assert "东村水渠堵了" not in _board(client, t)
    login(client, people[Role.TOWNSHIP_ADMIN])
    client.post(f"{detail}/publication", data={"csrf_token": csrf(page), "action": "publish",
                                                "next": "detail"})
    client.get("/logout")
    assert "东村水渠堵了" in _board(client, t)
    assert [e.action for e in _audit(app, t, "publication.withhold")] == ["publication.withhold"]

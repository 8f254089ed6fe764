"""Nobody certifies their own success: the people answerable for a matter cannot type in the
resident's rating of it, and a township may let only the resident's own word close it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import db
from app.matters import operations as ops
from app.matters.models import Evaluation, State
from app.tenancy import bind_township
from tests import factories
from tests.conftest import csrf, login


@pytest.fixture
def town(ctx):
    t = factories.township("pingjia", code="PJ", services=())
    bind_township(db.session, t.id)
    return t


def test_the_responsible_person_cannot_enter_very_satisfied_for_his_own_reply(town):
    """The story: an assembly criticism's responsible person replied and, a minute later, entered
    「非常满意（电话回访）」 himself, which closed the matter."""
    clerk = factories.user(town, Role.CENTRE_STAFF, name="受理员")
    responsible = factories.user(town, Role.CADRE, name="责任人")
    m = factories.matter(town, channel="assembly", actor=clerk)
    ops.assign(m, clerk, assignee=responsible)
    ops.reply(m, responsible, public_text="已整改")
    for who in (responsible, clerk):
        with pytest.raises(ops.TransitionError, match="不能代录"):
            ops.evaluate(m, rating="very_satisfied", source="phone", entered_by=who,
                         how="电话回访")
    assert m.state == State.REPLIED
    assert db.session.scalars(select(Evaluation)).all() == []


def test_a_former_assignee_and_the_centre_s_colleagues_are_answerable_too(town):
    centre = factories.centre(town, "社会事务中心")
    first = factories.user(town, Role.CADRE, name="原责任人")
    second = factories.user(town, Role.CADRE, name="新责任人")
    colleague = factories.user(town, Role.CENTRE_STAFF, centre=centre, name="同中心")
    m = factories.matter(town, channel="phone")
    ops.assign(m, None, assignee=first, centre=centre)
    ops.reassign(m, None, assignee=second)
    ops.reply(m, second, public_text="已处理")
    assert {first.id, second.id, colleague.id} <= ops.answerable_for(m)


def test_a_supervisor_enters_a_rating_heard_by_phone_and_it_says_who_and_how(town):
    responsible = factories.user(town, Role.CADRE, name="责任人")
    supervisor = factories.user(town, Role.LEADER, name="督查员")
    m = factories.matter(town, channel="assembly")
    ops.assign(m, None, assignee=responsible)
    ops.reply(m, responsible, public_text="已整改")
    evaluation = ops.evaluate(m, rating="satisfied", source="phone", entered_by=supervisor,
                              how="电话回访", comment="修好了")
    assert (evaluation.entered_by_id, evaluation.source) == (supervisor.id, "phone")
    assert m.state == State.CLOSED  # the assembly's rule: closed when the resident is satisfied


def test_a_township_may_require_the_resident_s_own_rating_to_close(town):
    town.settings = {**(town.settings or {}), "closeout_needs_resident_rating": True}
    responsible = factories.user(town, Role.CADRE, name="责任人")
    supervisor = factories.user(town, Role.LEADER, name="督查员")
    m = factories.matter(town, channel="assembly")
    ops.assign(m, None, assignee=responsible)
    ops.reply(m, responsible, public_text="已整改")
    ops.evaluate(m, rating="satisfied", source="phone", entered_by=supervisor, how="电话回访")
    assert m.state == State.REPLIED  # recorded, but not the resident's own word

    other = factories.matter(town, channel="assembly")
    ops.assign(other, None, assignee=responsible)
    ops.reply(other, responsible, public_text="已整改")
    ops.evaluate(other, rating="satisfied", source="resident_link")
    assert other.state == State.CLOSED


def test_the_rating_form_refuses_the_responsible_person(app, client):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("pjpage", code="PJP", services=())
        bind_township(db.session, t.id)
        responsible = factories.user(t, Role.LEADER, name="责任领导")
        m = factories.matter(t, channel="assembly", actor=responsible)
        ops.assign(m, responsible, assignee=responsible)
        ops.reply(m, responsible, public_text="已整改")
        db.session.commit()
    login(client, responsible)
    page = client.get(f"/t/{t.slug}/matters/{m.id}")
    answer = client.post(f"/t/{t.slug}/matters/{m.id}/rating", data={
        "csrf_token": csrf(page.get_data(as_text=True)), "rating": "very_satisfied",
        "source": "phone", "comment": ""})
    assert answer.status_code == 422
    assert "不能代录" in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Evaluation)).all() == []


def test_the_admin_sets_whether_only_residents_close(app, client):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("pjrule", code="PJR", services=())
        admin = factories.user(t, Role.TOWNSHIP_ADMIN, name="管理员")
        db.session.commit()
    login(client, admin)
    page = client.get(f"/t/{t.slug}/matters/rules").get_data(as_text=True)
    assert client.post(f"/t/{t.slug}/matters/rules/resident-rating", data={
        "csrf_token": csrf(page), "closeout_needs_resident_rating": "1"}).status_code == 302
    from app.audit.models import AuditEvent
    from app.townships.models import Township

    with app.app_context():
        assert db.session.get(Township, t.id).settings["closeout_needs_resident_rating"] is True
        event = db.session.scalars(select(AuditEvent)).one()
        assert event.action == "rules.closeout_rating" and event.after == {
            "closeout_needs_resident_rating": True}

"""Residents' own ratings through public links: a meeting room of 60 on one network, and 评诺
once per resident with its results shown."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.cadres import operations as ops
from app.cadres.models import CommitmentRating, RoundRating
from app.extensions import db, limiter
from app.tenancy import bind_township
from tests import factories
from tests.conftest import csrf, login


@pytest.fixture
def town(app):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("pingyi", code="PY", services=())
        bind_township(db.session, t.id)
        leader = factories.user(t, Role.LEADER, name="刘书记")
        cadre = factories.user(t, Role.CADRE, name="张卫东")
        db.session.commit()
        return t, leader, cadre


@pytest.fixture
def real_limits(app):
    """The production limits: the suite's own config raises the sign-in limit, not these."""
    limiter.reset()
    yield
    limiter.reset()


def test_sixty_residents_in_one_room_all_get_their_answers_in(app, town, real_limits):
    t, leader, cadre = town
    with app.app_context():
        bind_township(db.session, t.id)
        r = ops.open_round(t, title="2026年干部评议大会", cadres=[cadre], min_participants=50)
        tokens = [token for _p, token in ops.invite_participants(r, category="resident",
                                                                 count=60)]
        db.session.commit()
    refused = []
    for token in tokens:  # one address: the test client's, for all sixty
        client = app.test_client()
        url = f"/t/{t.slug}/evaluate/{token}"
        page = client.get(url)
        answer = client.post(url, data={"csrf_token": csrf(page.get_data(as_text=True)),
                                        f"rating-{cadre.id}": "satisfied"})
        if answer.status_code != 200:
            refused.append(answer.status_code)
    assert refused == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RoundRating)) == 60


def test_a_refused_submission_keeps_what_was_typed(app, town, real_limits):
    t, leader, cadre = town
    with app.app_context():
        bind_township(db.session, t.id)
        r = ops.open_round(t, title="评议", cadres=[cadre], min_participants=1)
        ((_p, token),) = ops.invite_participants(r, category="resident", count=1)
        db.session.commit()
    client = app.test_client()
    url = f"/t/{t.slug}/evaluate/{token}"
    token_value = csrf(client.get(url).get_data(as_text=True))
    answers = [client.post(url, data={"csrf_token": token_value, f"rating-{cadre.id}": ""})
               for _ in range(21)]
    last = answers[-1]
    assert last.status_code == 429
    page = client.post(url, data={"csrf_token": token_value,
                                  f"rating-{cadre.id}": "basically_satisfied",
                                  f"comment-{cadre.id}": "希望多来村里"})
    html = page.get_data(as_text=True)
    assert page.status_code == 429 and "您选好的评价还在" in html
    assert re.search(r'value="basically_satisfied"\s+checked', html)
    assert "希望多来村里" in html


def test_a_commitment_is_rated_once_per_resident_and_the_results_are_public(app, client, town):
    t, leader, cadre = town
    with app.app_context():
        bind_township(db.session, t.id)
        factories.household(t, head="王大爷", phone="13800005678")
        c = ops.make_commitment(t, cadre, text="年底前修好东街路灯", due_on=date(2026, 12, 31))
        ops.settle_commitment(c, cadre, kept=True, evidence="已全部更换")
        db.session.commit()
        url = f"/t/{t.slug}/commitments/rate/{c.rating_token}"
    token = csrf(client.get(url).get_data(as_text=True))
    unknown = client.post(url, data={"csrf_token": token, "rating": "satisfied",
                                     "phone": "13999999999", "comment": "不错"})
    assert unknown.status_code == 422 and "没有这个号码" in unknown.get_data(as_text=True)
    assert "不错" in unknown.get_data(as_text=True)  # what was typed is kept
    first = client.post(url, data={"csrf_token": token, "rating": "satisfied",
                                   "phone": "13800005678", "comment": ""})
    assert first.status_code == 200 and "谢谢" in first.get_data(as_text=True)
    again = client.post(url, data={"csrf_token": token, "rating": "very_dissatisfied",
                                   "phone": "13800005678"})
    assert again.status_code == 422 and "已经评价过" in again.get_data(as_text=True)
    with app.app_context():
        rows = db.session.scalars(select(CommitmentRating)).all()
        assert [r.rating for r in rows] == ["satisfied"]
        assert "13800005678" not in rows[0].rater_key
    public = client.get(f"/t/{t.slug}/commitments").get_data(as_text=True)
    assert "群众评价 1 人" in public and "满意率 100%" in public and "满意 1" in public
    login(client, cadre)
    own = client.get(f"/t/{t.slug}/cadres/commitments").get_data(as_text=True)
    assert "群众评价 1 人" in own

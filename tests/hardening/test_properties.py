"""Property-based (Hypothesis): whatever residents or staff type into the public forms (raise,
track, book, cancel a booking, a studio suggestion, a rating) and the staff intake, the answer is
never a 5xx, and a refused submission saves nothing while an accepted one saves a whole matter
(its receipt event with it). Kept fast: a few dozen examples per form, no deadline."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.accounts.models import Role
from app.extensions import db, limiter
from app.hall.models import Booking
from app.matters import operations as ops
from app.matters.models import Evaluation, Matter, MatterEvent
from app.studio import operations as studio_ops
from app.studio.models import Studio
from app.tenancy import bind_township
from tests import factories
from tests.conftest import csrf, login

# What the probe and people type: anything printable, control characters, dates of the year 1 or
# 9999, huge numbers, formulas, markup, phone and ID numbers.
SPECIAL = st.sampled_from([
    "", " ", "0001-01-01", "9999-12-31", "2026-02-30", "99999999999999999999", "-1", "13912345678",
    "139 1234 5678", "110101199003077578", "=HYPERLINK(\"http://evil.example/\",\"点击\")",
    "<script>alert(1)</script>", "a\x00b", "\x01\x1b[31m", "路灯不亮", "x" * 6000, "%00", "../..",
])
TEXT = st.one_of(SPECIAL, st.text(st.characters(exclude_categories=("Cs",)), max_size=200))
# Valid values mixed in, so accepted submissions (and what they save) are exercised too.
PHONE = st.one_of(TEXT, st.just("13911112222"))
NAME = st.one_of(TEXT, st.just("李四"))
FAST = settings(max_examples=20, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@pytest.fixture
def town(app):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("props", code="PR")
        bind_township(db.session, t.id)
        v = factories.village(t, "东村")
        item = factories.service_item(t, bookable=True)
        staff = factories.user(t, Role.LEADER, name="刘镇长")
        studio = Studio(township_id=t.id, name="西城工作室",
                        pattern=studio_ops.parse_pattern("周六 09:00-11:30"))
        db.session.add(studio)
        replied = factories.matter(t, title="已答复的事")
        ops.reply(replied, staff, public_text="已修好")
        db.session.commit()
        bind_township(db.session, None)
        return {"t": t, "v": v, "item": item, "staff": staff, "studio": studio,
                "token": replied.rating_token}


def _counts(app, township_id):
    with app.app_context():
        bind_township(db.session, township_id)
        counts = {model.__name__: db.session.scalar(select(func.count()).select_from(model))
                  for model in (Matter, MatterEvent, Booking, Evaluation)}
        # No half-saved matter: every one has its events (received at least).
        bare = db.session.scalar(select(func.count()).select_from(Matter).where(
            ~Matter.id.in_(select(MatterEvent.matter_id))))
        db.session.remove()
    assert bare == 0
    return counts


def _check(app, client, town, url, data):
    limiter.reset()  # the per-hour limits would answer 429 after a few examples
    before = _counts(app, town["t"].id)
    answer = client.post(url, data=data)
    assert answer.status_code < 500, (url, data, answer.status_code)
    after = _counts(app, town["t"].id)
    if answer.status_code >= 400:
        assert after == before, (url, data)
    else:
        assert after["Matter"] - before["Matter"] in (0, 1)
        assert after["Booking"] - before["Booking"] in (0, 1)


@pytest.fixture
def public_client(app, town):
    client = app.test_client()
    token = csrf(client.get(f"/t/{town['t'].slug}/raise").text)
    return client, token


@FAST
@given(title=NAME, description=TEXT, name=NAME, phone=PHONE, village=TEXT, public=TEXT)
def test_raise(app, town, public_client, title, description, name, phone, village, public):
    client, token = public_client
    _check(app, client, town, f"/t/{town['t'].slug}/raise", {
        "csrf_token": token, "title": title, "description": description, "contact_name": name,
        "contact_phone": phone, "village_id": village or str(town["v"].id), "is_public": public})


@FAST
@given(number=TEXT, tail=TEXT)
def test_track(app, town, public_client, number, tail):
    client, token = public_client
    _check(app, client, town, f"/t/{town['t'].slug}/track",
           {"csrf_token": token, "number": number, "phone_tail": tail})


@FAST
@given(item=TEXT, day=TEXT, slot=TEXT, name=NAME, phone=PHONE, use_item=st.booleans())
def test_book(app, town, public_client, item, day, slot, name, phone, use_item):
    client, token = public_client
    _check(app, client, town, f"/t/{town['t'].slug}/hall/book", {
        "csrf_token": token, "item_id": str(town["item"].id) if use_item else item, "day": day,
        "slot": slot, "name": name, "phone": phone})


@FAST
@given(code=TEXT)
def test_cancel_booking(app, town, public_client, code):
    client, token = public_client
    _check(app, client, town, f"/t/{town['t'].slug}/hall/book/cancel",
           {"csrf_token": token, "code": code})


@FAST
@given(topic=NAME, text=NAME, name=NAME, phone=PHONE)
def test_studio_suggestion(app, town, public_client, topic, text, name, phone):
    client, token = public_client
    _check(app, client, town, f"/t/{town['t'].slug}/studios/{town['studio'].id}/suggest",
           {"csrf_token": token, "topic": topic, "text": text, "name": name, "phone": phone})


@FAST
@given(rating=TEXT, comment=TEXT)
def test_rating(app, town, public_client, rating, comment):
    client, token = public_client
    _check(app, client, town, f"/t/{town['t'].slug}/rate/{town['token']}",
           {"csrf_token": token, "rating": rating, "comment": comment})


@FAST
@given(channel=st.one_of(TEXT, st.just("phone")), category=st.one_of(TEXT, st.just("suggestion")),
       title=NAME, description=TEXT, name=NAME, phone=PHONE)
def test_staff_intake(app, town, channel, category, title, description, name, phone):
    client = app.test_client()
    login(client, town["staff"])
    token = csrf(client.get(f"/t/{town['t'].slug}/matters/new").text)
    _check(app, client, town, f"/t/{town['t'].slug}/matters/new", {
        "csrf_token": token, "channel": channel, "category": category, "title": title,
        "description": description, "village_id": str(town["v"].id), "contact_name": name,
        "contact_phone": phone, "is_public": "y"})

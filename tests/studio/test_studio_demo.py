"""The demo: Shilong's studios (the profile turns the studio on) get members, three months of
rota and visitors at sessions held, with answers (one rated), a referral, open cases and a good
example."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.matters.operations import local_today
from app.studio import demo
from app.studio import operations as ops
from app.studio.models import Reception, Representative, Studio
from app.tenancy import bind_township
from app.townships.profiles import PROFILE_DIR, load_profile, read_profile
from tests import factories


def test_the_dongguan_profile_gets_studio_activity_once(ctx):
    township = load_profile(read_profile(PROFILE_DIR / "dongguan-studio.toml"), slug="sl-demo",
                            is_demo=True, password="demo")
    bind_township(db.session, township.id)
    demo.seed(township)
    demo.seed(township)  # a second run adds nothing
    studios = db.session.scalars(select(Studio).order_by(Studio.name)).all()
    assert len(studios) == 2
    linked = db.session.scalars(select(Representative).where(
        Representative.user_id.is_not(None))).all()
    assert linked  # the profile's party_rep accounts sit on the rota and are reminded
    first = next(s for s in studios if s.name.startswith("中山"))
    figures = ops.figures(first, local_today(township))
    assert (figures.visitors, figures.suggestions, figures.referred, figures.replied,
            figures.rated, figures.satisfied) == (3, 4, 1, 2, 1, 1)
    assert figures.sessions >= 2  # visitors were received at sessions actually held
    received = [r for r in db.session.scalars(select(Reception).where(
        Reception.studio_id == first.id, Reception.session_id.is_not(None)))]
    assert len(received) == 2
    assert all(r.received_at.date() <= local_today(township) for r in received)
    assert any(c.good_example for c in ops.cases_of(first))
    second = next(s for s in studios if s is not first)
    assert [c.reception.channel for c in ops.cases_of(second)] == ["online"]


def test_a_township_without_the_studio_gets_nothing(ctx):
    t = factories.township(services=("proxy",))
    bind_township(db.session, t.id)
    demo.seed(t)
    assert db.session.scalar(select(Studio.id)) is None

"""The Chengnan demo (tenants/yingshan-chengnan.toml): a past assembly followed up, the next one
announced; towns without the assembly get none."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from app.assembly import demo
from app.assembly import operations as ops
from app.assembly.models import Assembly
from app.extensions import db
from app.tenancy import bind_township
from app.townships.profiles import load_profile, read_profile
from tests import factories

PROFILE = Path(__file__).resolve().parents[2] / "tenants" / "yingshan-chengnan.toml"


def test_chengnan_demo_assemblies(ctx):
    township = load_profile(read_profile(PROFILE), is_demo=True, password="demo-pass-123")
    bind_township(db.session, township.id)
    demo.seed(township)
    demo.seed(township)  # once only
    past, upcoming = db.session.scalars(select(Assembly).order_by(Assembly.held_on)).all()
    assert (past.state, upcoming.state) == ("follow_up", "registration")
    ranked = ops.results(past)
    assert ranked[0].rank == 1 and ranked[0].prize == "一等奖"
    states = {c.matter.state for c in ranked}
    assert "closed" in states and "replied" in states
    assert all(c.matter.channel == "assembly" for c in ranked)
    assert len(ops.teams_of(upcoming)) == 2 and len(ops.criticisms_of(upcoming)) == 1


def test_no_demo_assembly_where_the_model_is_off(ctx):
    t = factories.township(services=("proxy",))
    bind_township(db.session, t.id)
    demo.seed(t)
    assert db.session.scalar(select(Assembly.id)) is None

"""A channel's deadlines follow its service model's settings unless the rules page says more."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.matters import operations as ops
from app.matters.models import Revisit
from app.tenancy import bind_township
from app.townships.operations import set_service
from tests import factories


def test_assembly_revisit_and_reply_time_come_from_the_assembly_settings(ctx):
    t = factories.township()
    bind_township(db.session, t.id)
    set_service(t, "assembly", enabled=True,
                settings={"reply_workdays": 10, "revisit_after_days": 45})
    matter = factories.matter(t, channel="assembly", title="村务公开不及时")
    assert matter.promised_workdays == 10
    ops.reply(matter, None, public_text="已整改，每月公开一次。", township=t)
    revisit = db.session.scalar(select(Revisit).where(Revisit.matter_id == matter.id))
    assert revisit.due_on == ops.local_today(t) + timedelta(days=45)
    # The township's own rule for the channel still wins.
    t.settings = {"channels": {"assembly": {"workdays": 7}}}
    assert ops.channel_rule(t, "assembly").workdays == 7
    assert ops.channel_rule(t, "assembly").revisit_after_days == 45

"""A channel's rule: each value has one owner (the service model's setting where it names the
value, else the rules page, else the default), so the rules page and the settings never disagree;
call-backs after N working days on every channel; the satisfaction rate counts residents' words."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import db
from app.matters import operations as ops
from app.matters.models import Revisit
from app.matters.rates import compute_rates
from app.tenancy import bind_township
from app.townships.operations import set_service
from app.townships.workdays import WorkCalendar
from tests import factories
from tests.conftest import csrf, login


def test_assembly_revisit_and_reply_time_come_from_the_assembly_settings(ctx):
    t = factories.township()
    bind_township(db.session, t.id)
    set_service(t, "assembly", enabled=True,
                settings={"reply_workdays": 10, "revisit_after_days": 45})
    matter = factories.matter(t, channel="assembly", title="村务公开不及时")
    assert matter.promised_workdays == 10
    ops.reply(matter, None, public_text="已整改，每月公开一次。", township=t)
    revisit = db.session.scalar(select(Revisit).where(Revisit.matter_id == matter.id))
    # 45 working days, not calendar days.
    assert revisit.due_on == WorkCalendar.for_township(t.id).add_workdays(
        ops.local_today(t), 45)
    # A value the assembly's settings own is theirs: an old copy on the rules page is ignored.
    t.settings = {"channels": {"assembly": {"workdays": 7, "closeout": "manual"}}}
    assert ops.channel_rule(t, "assembly").workdays == 10
    assert ops.channel_rule(t, "assembly").revisit_after_days == 45
    assert ops.channel_rule(t, "assembly").closeout == "manual"  # the rules page's own value


def test_saving_the_rules_page_does_not_freeze_the_service_models_settings(app, client):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township()
        bind_township(db.session, t.id)
        admin = factories.user(t, Role.TOWNSHIP_ADMIN)
        set_service(t, "studio", enabled=True, settings={"reply_workdays": 15})
        db.session.commit()
    login(client, admin)
    page = client.get(f"/t/{t.slug}/matters/rules")
    assert page.status_code == 200 and "由“党代表工作室”的设置决定" in page.text
    form = {"csrf_token": csrf(page.text)}
    with app.app_context():
        bind_township(db.session, t.id)
        for channel in ops.Channel:
            rule = ops.channel_rule(t, channel.value)
            form[f"{channel.value}-workdays"] = str(rule.workdays)
            form[f"{channel.value}-closeout"] = rule.closeout
            form[f"{channel.value}-revisit"] = str(rule.revisit_after_days or "")
    form["hall-revisit"] = "3"  # the hall gets a call-back three working days after the reply
    bad = client.post(f"/t/{t.slug}/matters/rules", data={**form, "phone-revisit": "0"})
    assert bad.status_code == 422 and "回访时间须是" in bad.text
    saved = client.post(f"/t/{t.slug}/matters/rules", data=form)
    assert saved.status_code == 302
    with app.app_context():
        from app.townships.models import Township

        bind_township(db.session, t.id)
        town = db.session.get(Township, t.id)
        # Only what the page overrides is stored.
        assert town.settings["channels"] == {"hall": {"revisit_after_days": 3}}
        set_service(town, "studio", enabled=True, settings={"reply_workdays": 20})
        db.session.commit()
        assert ops.channel_rule(town, "studio").workdays == 20
        assert ops.channel_rule(town, "hall").revisit_after_days == 3


def test_a_call_back_records_the_residents_words_and_only_their_words_count(ctx):
    t = factories.township()
    bind_township(db.session, t.id)
    t.settings = {"channels": {"hall": {"revisit_after_days": 2}}}
    clerk = factories.user(t, Role.CENTRE_STAFF)
    heard = factories.matter(t, channel="hall", title="医保参保登记", actor=clerk)
    ops.reply(heard, clerk, public_text="已办结。", township=t)
    revisit = db.session.scalar(select(Revisit).where(Revisit.matter_id == heard.id))
    assert revisit.due_on == WorkCalendar.for_township(t.id).add_workdays(
        ops.local_today(t), 2)
    # The call-back desk, not the clerk who did the work, hears and records the resident.
    desk = factories.user(t, Role.LEADER, name="回访专席")
    ops.record_revisit(revisit, desk, method="phone", outcome="卡已经收到了，办得很快。",
                       rating="very_satisfied", township=t)
    assert heard.evaluations[-1].comment == "卡已经收到了，办得很快。"
    assert heard.evaluations[-1].in_residents_words
    # A staff entry without the resident's words is kept but does not count.
    bare = factories.matter(t, channel="phone", title="路灯不亮", actor=clerk)
    ops.reply(bare, clerk, public_text="已修好。", township=t)
    ops.evaluate(bare, rating="very_satisfied", source="phone", entered_by=desk, township=t)
    db.session.flush()
    today = ops.local_today(t)
    rates = compute_rates(t.id, today.replace(day=1), date(today.year + 1, 1, 1))
    assert (rates.satisfaction_rate.numerator, rates.satisfaction_rate.denominator) == (1, 1)
    # The board's figures (by village, the same rule).
    from app.matters.rates import rates_by_village

    board, _by_village = rates_by_village(t.id, today.replace(day=1), date(today.year + 1, 1, 1))
    assert board.satisfaction_rate.denominator == 1

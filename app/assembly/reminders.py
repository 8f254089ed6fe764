"""Reminders of the assembly: criticisms whose reply is overdue (to the responsible person and
at once to the leaders, who answer for criticisms left unanswered), and assemblies still in
draft whose last day to announce is near."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.extensions import db

ANNOUNCE_WARNING_DAYS = 3  # remind this many days before the last day to announce


def sweep(township, today: date) -> int:
    """Send today's assembly reminders; each one once per occasion (safe to run twice)."""
    from app.accounts.models import Role, RoleGrant
    from app.assembly import operations as ops
    from app.assembly.models import Assembly, AssemblyState
    from app.assembly.service import MODEL
    from app.notices.reminders import _, _leaders, notify

    if not township.service_enabled("assembly"):
        return 0
    sent = 0
    leaders = _leaders(township)
    for criticism in ops.overdue(township, today):
        matter = criticism.matter
        link = f"/t/{township.slug}/matters/{matter.id}"
        late = (today - matter.due_on).days
        who = matter.assignee_id or matter.created_by_id
        if who:
            sent += notify(township, who, occasion=f"assembly-overdue:{matter.id}:{matter.due_on}",
                           message=_("有奖批评意见 %(n)s「%(t)s」已超过答复期限（%(d)s），"
                                     "请尽快答复。") % {"n": matter.number, "t": matter.title,
                                                    "d": matter.due_on},
                           link=link)
        for leader in leaders:
            sent += notify(township, leader,
                           occasion=f"assembly-overdue-leader:{matter.id}:{matter.due_on}",
                           message=_("督办：有奖批评意见 %(n)s「%(t)s」逾期 %(k)s 天未答复。") % {
                               "n": matter.number, "t": matter.title, "k": late},
                           link=link)
    lead = MODEL.settings_for(township).announce_lead_days
    drafts = db.session.scalars(select(Assembly).where(
        Assembly.township_id == township.id, Assembly.state == AssemblyState.DRAFT.value,
        Assembly.held_on >= today + timedelta(days=lead),
        Assembly.held_on <= today + timedelta(days=lead + ANNOUNCE_WARNING_DAYS)))
    admins = None
    for assembly in drafts:
        if admins is None:
            admins = list(db.session.scalars(select(RoleGrant.user_id).where(
                RoleGrant.township_id == township.id,
                RoleGrant.role.in_([Role.TOWNSHIP_ADMIN.value, Role.LEADER.value])).distinct()))
        last_day = assembly.held_on - timedelta(days=lead)
        for user_id in admins:
            sent += notify(township, user_id, occasion=f"assembly-announce:{assembly.id}",
                           message=_("“%(t)s”须在 %(d)s 前发布公告（提前 %(n)s 天）。") % {
                               "t": assembly.title, "d": last_day, "n": lead},
                           link=f"/t/{township.slug}/assembly/assemblies/{assembly.id}")
    return sent

"""The township's audit log page: who changed what, when, before and after; filtered, paginated
and exported to Excel. For the township administrator only."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from app.access import staff
from app.accounts.models import Role, User
from app.audit.models import AuditEvent
from app.extensions import db
from app.privacy import mask_text
from app.spreadsheets import SheetWriter
from app.tenancy import TenantBlueprint, current_township, scoped

bp = TenantBlueprint("audit", __name__, url_prefix="/audit")

PER_PAGE = 50
MAX_PAGE = 100_000

# What each action reads as; an action another part adds and this list lacks shows as written.
ACTIONS = {
    "account.deactivate": _l("停用账号"), "account.reactivate": _l("启用账号"),
    "account.unlock": _l("解除锁定"), "account.reset": _l("重设密码链接"),
    "account.end_sessions": _l("退出所有登录"), "account.handover": _l("工作交接"),
    "staff.add": _l("添加工作人员"), "role.grant": _l("授予角色"), "role.revoke": _l("取消角色"),
    "settings.service": _l("服务模式设置"), "settings.sessions": _l("登录设置"),
    "calendar.set": _l("节假日与调休"), "rules.edit": _l("渠道规则"),
    "county.read": _l("县级查阅"),
    "resident_consent.given": _l("记录群众同意告知"),
    "resident_consent.stopped": _l("停止告知群众"),
}
KINDS = {"user": _l("工作人员"), "system": _l("系统"), "import": _l("导入"),
         "county": _l("县级"), "resident": _l("群众")}


def action_label(action: str) -> str:
    return str(ACTIONS.get(action, action))


def _zone(township) -> ZoneInfo:
    return ZoneInfo(township.timezone or "Asia/Shanghai")


def _day(value: str | None) -> date | None:
    try:
        day = date.fromisoformat((value or "").strip())
    except ValueError:
        return None
    return day if date(2000, 1, 1) <= day <= date(2999, 12, 31) else None


def _filters(township, args) -> tuple[list, dict]:
    """The conditions for the chosen filters, and the filters as understood (for the form)."""
    conditions = []
    chosen = {"who": args.get("who", ""), "action": args.get("action", ""),
              "target": (args.get("target") or "").strip()[:64],
              "since": _day(args.get("since")), "until": _day(args.get("until"))}
    who = chosen["who"]
    if who.startswith("kind:"):
        conditions.append(AuditEvent.actor_kind == who[5:])
    elif who:
        try:
            conditions.append(AuditEvent.actor_id == uuid.UUID(who))
        except ValueError:
            chosen["who"] = ""
    if chosen["action"]:
        action = chosen["action"]
        conditions.append(AuditEvent.action.startswith(action[:-1]) if action.endswith("*")
                          else AuditEvent.action == action)
    if chosen["target"]:
        target = chosen["target"]
        conditions.append(or_(AuditEvent.target_id == target, AuditEvent.target_type == target,
                              AuditEvent.summary.contains(target)))
    zone = _zone(township)
    if chosen["since"]:
        conditions.append(AuditEvent.at >= datetime.combine(chosen["since"], time(),
                                                            zone).astimezone(ZoneInfo("UTC")))
    if chosen["until"]:
        end = datetime.combine(chosen["until"] + timedelta(days=1), time(), zone)
        conditions.append(AuditEvent.at < end.astimezone(ZoneInfo("UTC")))
    return conditions, chosen


def _query(township, args):
    conditions, chosen = _filters(township, args)
    query = scoped(AuditEvent).where(*conditions).order_by(AuditEvent.at.desc(),
                                                           AuditEvent.id)
    return query, conditions, chosen


def _changes(event: AuditEvent) -> list[tuple[str, str, str]]:
    """(field, before, after) for every field the event names; values as the log keeps them
    (masked on the way in), masked once more in case free text slipped through."""
    before, after = event.before or {}, event.after or {}
    rows = []
    for key in list(before) + [k for k in after if k not in before]:
        rows.append((key, _show(before.get(key)), _show(after.get(key))))
    return rows


def _show(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_show(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}: {_show(v)}" for k, v in value.items())
    return mask_text(str(value))


def _people(township) -> list[tuple[str, str]]:
    """Who appears in this township's log, for the filter."""
    ids = select(AuditEvent.actor_id).where(AuditEvent.township_id == township.id,
                                            AuditEvent.actor_id.is_not(None)).distinct()
    return [(str(u.id), f"{u.name}（{u.username}）")
            for u in db.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.name))]


@bp.route("/")
@staff(Role.TOWNSHIP_ADMIN)
def log():
    """The audit log, newest first, 50 to a page."""
    township = current_township()
    query, conditions, chosen = _query(township, request.args)
    try:
        page = min(max(int(request.args.get("page", 1)), 1), MAX_PAGE)
    except ValueError:
        page = 1
    total = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.township_id == township.id, *conditions))
    pages = max(1, -(-total // PER_PAGE))
    page = min(page, pages)
    events = db.session.scalars(query.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    names = {u.id: u for u in db.session.scalars(select(User).where(
        User.id.in_({e.actor_id for e in events if e.actor_id})))}
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.township_id == township.id).distinct().order_by(AuditEvent.action)).all()
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("audit/log.html", township=township, events=events, names=names,
                           chosen=chosen, people=_people(township), actions=actions,
                           action_label=action_label, kinds=KINDS, changes=_changes,
                           page=page, pages=pages, total=total, args=args)


@bp.route("/export.xlsx")
@staff(Role.TOWNSHIP_ADMIN)
def export():
    """The filtered log as an Excel workbook, oldest first (through app.spreadsheets)."""
    township = current_township()
    conditions, _chosen = _filters(township, request.args)
    zone = _zone(township)
    names = dict(db.session.execute(select(User.id, User.name)).all())
    sheet = SheetWriter().add_sheet("操作记录", [
        "时间", "操作人", "操作人类型", "操作", "对象类型", "对象编号", "说明", "修改前", "修改后"])
    query = scoped(AuditEvent).where(*conditions).order_by(AuditEvent.at, AuditEvent.id)
    for event in db.session.scalars(query.execution_options(yield_per=1000)):
        changes = _changes(event)
        sheet.append([
            event.at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
            names.get(event.actor_id, ""), str(KINDS.get(event.actor_kind, event.actor_kind)),
            action_label(event.action), event.target_type or "", event.target_id or "",
            event.summary, "；".join(f"{k}: {b}" for k, b, _a in changes if b),
            "；".join(f"{k}: {a}" for k, _b, a in changes if a)])
    from app.clock import township_today

    return sheet.response(f"{township.code}-audit-{township_today(township).isoformat()}.xlsx")

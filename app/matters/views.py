"""The ledger (台账) for staff: lists with filters, one matter's page and the steps of its life,
the export to Excel, the leaders' figures, and the channel rules."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_, select

from app.access import has_role, staff
from app.accounts.models import Role, RoleGrant, User
from app.catalogue.models import Centre
from app.clock import zone_of
from app.extensions import db
from app.hotline.operations import picked_reply
from app.households.models import FindingKind, Household, Village
from app.matters import operations as ops
from app.matters.forms import (
    AssignForm,
    EndForm,
    MatterForm,
    ReasonForm,
    ReplyForm,
    RevisitForm,
    StaffRatingForm,
    publicity_value,
)
from app.matters.models import OPEN_STATES, Channel, Matter, MatterEvent, Revisit, State
from app.matters.rates import PERIODS, compute_rates
from app.tenancy import TenantBlueprint, current_township, get_or_404, scoped

bp = TenantBlueprint("matters", __name__, url_prefix="/matters")

WHOLE_TOWNSHIP = (Role.TOWNSHIP_ADMIN, Role.LEADER)
REVISIT_PREFIX = "callback"  # its rating field apart from the staff rating form's on one page
PER_PAGE = 30


def visible_condition(township):
    """What the current user sees: leaders the whole township, front-line staff what is theirs."""
    if has_role(township, *WHOLE_TOWNSHIP):
        return None
    grants = db.session.scalars(select(RoleGrant).where(
        RoleGrant.township_id == township.id, RoleGrant.user_id == current_user.id)).all()
    centres = [g.centre_id for g in grants if g.centre_id]
    villages = [g.village_id for g in grants if g.village_id]
    mine = [Matter.assignee_id == current_user.id, Matter.created_by_id == current_user.id,
            Matter.household_id.in_(select(Household.id).where(
                Household.township_id == township.id,
                Household.contact_cadre_id == current_user.id))]
    if centres:
        mine.append(Matter.centre_id.in_(centres))
    if villages:
        mine.append(Matter.village_id.in_(villages))
    return or_(*mine)


def _load(matter_id) -> Matter:
    """A matter this user may see; anything else is not found."""
    township = current_township()
    matter = get_or_404(Matter, matter_id)
    condition = visible_condition(township)
    if condition is not None and not db.session.scalar(
            select(Matter.id).where(Matter.township_id == township.id, Matter.id == matter.id,
                                    condition)):
        abort(404)
    return matter


def _today():
    return ops.local_today(current_township())


def _filtered(args):
    """The ledger query for the filters in `args` (all applied in SQL)."""
    township = current_township()
    query = scoped(Matter)
    condition = visible_condition(township)
    if condition is not None:
        query = query.where(condition)
    state = args.get("state", "")
    if state == "open":
        query = query.where(Matter.state.in_([s.value for s in OPEN_STATES]))
    elif state in State._value2member_map_:
        query = query.where(Matter.state == state)
    if args.get("channel") in Channel._value2member_map_:
        query = query.where(Matter.channel == args["channel"])
    for name, column in (("village", Matter.village_id), ("centre", Matter.centre_id),
                         ("assignee", Matter.assignee_id)):
        try:
            value = uuid.UUID(args.get(name, ""))
        except ValueError:
            continue
        query = query.where(column == value)
    if args.get("category"):
        query = query.where(Matter.category == args["category"])
    today = _today()
    if args.get("due") == "overdue":
        query = query.where(Matter.state.in_([s.value for s in OPEN_STATES]),
                            Matter.due_on < today)
        if args.get("age"):  # the dashboard's overdue matters by age (app.dashboard_charts)
            from app.dashboard_charts import age_condition

            query = query.where(*age_condition(args["age"], today))
    elif args.get("due") == "soon":
        # Deadlines are in working days, so is "soon": due within the next three working days.
        soon = _calendar().add_workdays(today, 3)
        query = query.where(Matter.state.in_([s.value for s in OPEN_STATES]),
                            Matter.due_on >= today, Matter.due_on <= soon)
    elif args.get("due") == "waiting":
        query = query.where(Matter.state.in_([s.value for s in OPEN_STATES]),
                            Matter.extra["materials_missing"].as_string() != "[]",
                            Matter.extra["materials_missing"].is_not(None))
    if args.get("month"):
        try:
            first = date.fromisoformat(args["month"] + "-01")
        except ValueError:
            first = None
        if first:
            from app.matters.rates import month_period, utc_bounds

            lo, hi = utc_bounds(township.timezone, *month_period(first))
            query = query.where(Matter.received_at >= lo, Matter.received_at < hi)
    if args.get("q"):
        words = args["q"].strip()
        query = query.where(or_(Matter.number == words.upper(),
                                Matter.title.contains(words),
                                Matter.contact_name == words))
    return query


def _calendar(township_id=None):
    """The township's work calendar, loaded once per request (the same one `due_estimate` and
    `workdays_left` use; a change of the national schedule drops it, app.holidays)."""
    from app.townships.workdays import WorkCalendar

    township_id = township_id or current_township().id
    calendars = g.setdefault("_work_calendars", {})
    calendar = calendars.get(township_id)
    if calendar is None:
        calendar = calendars[township_id] = WorkCalendar.for_township(township_id)
    return calendar


@bp.app_template_global()
def workdays_left(due_on: date, today: date) -> int:
    """Working days from today to the promised date (negative when overdue), on the township's
    work calendar: deadlines are counted in working days, so is what is left of them."""
    return _calendar().workdays_between(today, due_on)


def waiting_for_materials(matter) -> list[str]:
    """The documents an open matter still waits for (补交材料), or [] when nothing is missing."""
    if matter.state not in {s.value for s in OPEN_STATES}:
        return []
    return list((matter.extra or {}).get("materials_missing") or [])


@bp.app_template_global("waiting_for_materials")
def _waiting_for_materials(matter) -> list[str]:
    return waiting_for_materials(matter)


def _choices(township):
    villages = db.session.scalars(scoped(Village).order_by(Village.sort_order, Village.name)).all()
    centres = db.session.scalars(scoped(Centre).order_by(Centre.sort_order, Centre.name)).all()
    people = db.session.execute(
        select(User.id, User.name).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.township_id == township.id).distinct().order_by(User.name)).all()
    return villages, centres, people


@bp.route("/")
@staff()
def index():
    township = current_township()
    query = _filtered(request.args).order_by(Matter.due_on, Matter.received_at.desc())
    page = db.paginate(query, page=request.args.get("page", 1, type=int), per_page=PER_PAGE,
                       error_out=False)
    villages, centres, people = _choices(township)
    context = dict(township=township, page=page, args=request.args, today=_today(),
                   villages=villages, centres=centres, people=people,
                   villages_by_id={v.id: v.name for v in villages},
                   states=State.choices(), channels=Channel.choices(),
                   categories=FindingKind.choices() + [("service", _("服务事项"))],
                   filters={k: v for k, v in request.args.items() if k != "page"})
    if request.htmx and not request.htmx.boosted:
        return render_template("matters/_list.html", **context)
    return render_template("matters/index.html", **context)


@bp.route("/export.xlsx")
@staff()
def export():
    """The filtered ledger as an Excel workbook with Chinese headers."""
    from app.spreadsheets import SheetWriter

    township = current_township()
    sheet = SheetWriter().add_sheet("台账", [
        "事项编号", "受理时间", "来源", "类别", "事由", "村（社区）", "反映人", "状态",
        "责任人", "责任单位", "承诺办结日期", "是否超期", "答复时间", "答复内容", "办结时间",
        "评价", "评价方式", "办理信息", "待补交材料"])
    villages = {v.id: v.name for v in db.session.scalars(scoped(Village))}
    centres = {c.id: c.name for c in db.session.scalars(scoped(Centre))}
    names = dict(db.session.execute(select(User.id, User.name)).all())
    today = _today()
    query = _filtered(request.args).order_by(Matter.received_at)
    from app.catalogue.questions import answers_text
    from app.matters.models import EvaluationSource, Rating

    for m in db.session.scalars(query.execution_options(yield_per=1000)):
        reply = m.replies[-1].public_text if m.replies else ""
        rated = m.evaluations[-1] if m.evaluations else None
        sheet.append([
            m.number, m.received_at.astimezone(_zone(township)).strftime("%Y-%m-%d %H:%M"),
            Channel(m.channel).label, _category_label(m.category), m.title,
            villages.get(m.village_id, ""), m.contact_name or "", State(m.state).label,
            names.get(m.assignee_id, ""), m.unit_name or centres.get(m.centre_id, ""),
            m.due_on.isoformat(), "是" if m.is_open and m.due_on < today else "",
            m.replied_at.astimezone(_zone(township)).strftime("%Y-%m-%d %H:%M")
            if m.replied_at else "", reply,
            m.closed_at.astimezone(_zone(township)).strftime("%Y-%m-%d %H:%M")
            if m.closed_at and m.state == State.CLOSED.value else "",
            Rating(rated.rating).label if rated else "",
            EvaluationSource(rated.source).label if rated else "",
            answers_text(m), "、".join(waiting_for_materials(m))])
    return sheet.response(f"{township.code}-ledger-{today.isoformat()}.xlsx")


def _zone(township):
    return zone_of(township)


def _category_label(value: str) -> str:
    if value == "service":
        return _("服务事项")
    try:
        return FindingKind(value).label
    except ValueError:
        return value


@bp.app_template_global()
def category_label(value: str) -> str:
    return _category_label(value)


@bp.route("/new", methods=["GET", "POST"])
@staff()
def new():
    """Register a matter raised by phone, on a visit, by letter or at the window."""
    township = current_township()
    form = MatterForm()
    villages, _centres, _people = _choices(township)
    form.village_id.choices = [("", "—")] + [(str(v.id), v.name) for v in villages]
    if form.validate_on_submit():
        village = get_or_404(Village, form.village_id.data) if form.village_id.data else None
        matter = ops.create_matter(
            township, channel=form.channel.data, category=form.category.data,
            title=form.title.data, description=form.description.data or "", village=village,
            contact_name=form.contact_name.data, contact_phone=form.contact_phone.data or None,
            is_public=publicity_value(form.publicity.data), actor=current_user)
        if form.notify_consent.data:
            from app.notices import residents

            residents.agree(township, matter, given_at=matter.channel, actor=current_user)
        db.session.commit()
        flash(_("已登记，编号 %(number)s。", number=matter.number), "success")
        return redirect(url_for(".detail", matter_id=matter.id))
    return render_template("matters/new.html", township=township, form=form), (
        422 if form.errors else 200)


@bp.route("/<uuid:matter_id>")
@staff()
def detail(matter_id):
    township = current_township()
    matter = _load(matter_id)
    return render_template("matters/detail.html", **_detail_context(township, matter))


def _detail_context(township, matter, **forms):
    villages, centres, people = _choices(township)
    assign = forms.get("assign") or AssignForm(formdata=None)
    assign.assignee_id.choices = [("", "—")] + [(str(i), n) for i, n in people]
    assign.centre_id.choices = [("", "—")] + [(str(c.id), c.name) for c in centres]
    events = db.session.scalars(select(MatterEvent).where(
        MatterEvent.township_id == township.id, MatterEvent.matter_id == matter.id)
        .order_by(MatterEvent.seq)).all()
    revisits = db.session.scalars(scoped(Revisit).where(Revisit.matter_id == matter.id)
                                  .order_by(Revisit.due_on)).all()
    names = dict(db.session.execute(select(User.id, User.name)).all())
    return dict(
        township=township, matter=matter, events=events, revisits=revisits, names=names,
        today=_today(), allowed_next={s.value for s in ops.TRANSITIONS[State(matter.state)]},
        rule=ops.channel_rule(township, matter.channel),
        assign=assign, reply=forms.get("reply") or ReplyForm(
            formdata=None, public_text=picked_reply(township, request.args.get("reply_template"))),
        reason=forms.get("reason") or ReasonForm(formdata=None),
        end=forms.get("end") or EndForm(formdata=None),
        rating=forms.get("rating") or StaffRatingForm(formdata=None),
        revisit=forms.get("revisit") or RevisitForm(formdata=None, prefix=REVISIT_PREFIX),
        close_refusal=ops.close_refusal(matter),
        centres={c.id: c.name for c in centres}, villages={v.id: v.name for v in villages},
        error=forms.get("error"))


def _act(matter, step, **forms):
    """Run one step; on a refusal re-render the page with the message (status 422)."""
    township = current_township()
    try:
        step()
    except ops.TransitionError as exc:
        db.session.rollback()
        matter = _load(matter.id)
        return render_template("matters/detail.html", **_detail_context(
            township, matter, error=str(exc), **forms)), 422
    db.session.commit()
    flash(_("已保存。"), "success")
    return redirect(url_for(".detail", matter_id=matter.id))


def _invalid(matter, **forms):
    return render_template("matters/detail.html", **_detail_context(
        current_township(), matter, **forms)), 422


@bp.route("/<uuid:matter_id>/assign", methods=["POST"])
@staff()
def assign(matter_id):
    matter = _load(matter_id)
    form = AssignForm()
    _villages, centres, people = _choices(current_township())
    form.assignee_id.choices = [("", "—")] + [(str(i), n) for i, n in people]
    form.centre_id.choices = [("", "—")] + [(str(c.id), c.name) for c in centres]
    if not form.validate_on_submit():
        return _invalid(matter, assign=form)
    assignee = db.session.get(User, uuid.UUID(form.assignee_id.data)) \
        if form.assignee_id.data else None
    centre = get_or_404(Centre, form.centre_id.data) if form.centre_id.data else None
    return _act(matter, lambda: ops.assign(
        matter, current_user, assignee=assignee, centre=centre,
        unit_name=form.unit_name.data or None, commitment=form.commitment.data or None,
        commitment_due=form.commitment_due.data), assign=form)


@bp.route("/<uuid:matter_id>/start", methods=["POST"])
@staff()
def start(matter_id):
    matter = _load(matter_id)
    return _act(matter, lambda: ops.start(matter, current_user))


@bp.route("/<uuid:matter_id>/escalate", methods=["POST"])
@staff()
def escalate(matter_id):
    matter = _load(matter_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _invalid(matter, reason=form)
    return _act(matter, lambda: ops.escalate(matter, current_user, reason=form.reason.data),
                reason=form)


@bp.route("/<uuid:matter_id>/reply", methods=["POST"])
@staff()
def reply(matter_id):
    matter = _load(matter_id)
    form = ReplyForm()
    if not form.validate_on_submit():
        return _invalid(matter, reply=form)
    return _act(matter, lambda: ops.reply(matter, current_user, public_text=form.public_text.data,
                                          private_notes=form.private_notes.data or "",
                                          township=current_township()), reply=form)


@bp.route("/<uuid:matter_id>/close", methods=["POST"])
@staff()
def close(matter_id):
    matter = _load(matter_id)
    return _act(matter, lambda: ops.close(matter, current_user, township=current_township()))


@bp.route("/<uuid:matter_id>/reopen", methods=["POST"])
@staff()
def reopen(matter_id):
    matter = _load(matter_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _invalid(matter, reason=form)
    return _act(matter, lambda: ops.reopen(matter, current_user, reason=form.reason.data),
                reason=form)


@bp.route("/<uuid:matter_id>/end", methods=["POST"])
@staff()
def end(matter_id):
    matter = _load(matter_id)
    form = EndForm()
    if not form.validate_on_submit():
        return _invalid(matter, end=form)
    return _act(matter, lambda: ops.end_without_resolution(
        matter, current_user, to=State(form.to.data), reason=form.reason.data), end=form)


@bp.route("/<uuid:matter_id>/rating", methods=["POST"])
@staff()
def record_rating(matter_id):
    """A rating the resident gave by phone or on a visit, typed in by staff."""
    matter = _load(matter_id)
    form = StaffRatingForm()
    if not form.validate_on_submit():
        return _invalid(matter, rating=form)
    return _act(matter, lambda: ops.evaluate(
        matter, rating=form.rating.data, source=form.source.data,
        comment=form.comment.data or "", entered_by=current_user,
        how=dict(form.source.choices).get(form.source.data), township=current_township()),
        rating=form)


@bp.route("/<uuid:matter_id>/revisits/<uuid:revisit_id>", methods=["POST"])
@staff()
def revisit(matter_id, revisit_id):
    matter = _load(matter_id)
    row = get_or_404(Revisit, revisit_id)
    if row.matter_id != matter.id:
        abort(404)
    form = RevisitForm(prefix=REVISIT_PREFIX)
    if not form.validate_on_submit():
        return _invalid(matter, revisit=form)
    return _act(matter, lambda: ops.record_revisit(row, current_user, method=form.method.data,
                                                   outcome=form.outcome.data,
                                                   rating=form.rating.data or None,
                                                   township=current_township()), revisit=form)


# ---------------------------------------------------------------- leaders' figures

@bp.route("/dashboard")
@staff(*WHOLE_TOWNSHIP)
def dashboard():
    """The rates for the township and each village, centre and cadre; each links to its rows."""
    township = current_township()
    period = request.args.get("period", "month")
    maker = PERIODS.get(period, PERIODS["month"])
    try:
        day = date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        day = _today()
    start, end = maker(day)
    villages, centres, people = _choices(township)
    from app.board.views import rates_by_village_empty
    from app.matters.rates import cached_rates_by_village

    total, by_village = cached_rates_by_village(township.id, start, end)
    rows = [(_("全镇"), {}, total)]
    rows += [(v.name, {"village": v.id}, by_village.get(v.id, rates_by_village_empty()))
             for v in villages]
    _total, by_centre = cached_rates_by_village(township.id, start, end, by="centre")
    centre_rows = [(c.name, {"centre": c.id},
                    by_centre.get(c.id) or compute_rates(township.id, start, end,
                                                         centre_id=c.id)) for c in centres]
    month = start.strftime("%Y-%m") if period == "month" else ""
    from app.matters.spotchecks import mismatches

    flags = sum(mismatches(township.id, start, end).values())
    from app import dashboard_charts as dc

    base = {"month": month} if month else {}

    links = {}

    def link(filters):
        # The villages are ranked twice, each bar a link: each address is built once.
        key = tuple(sorted(filters.items()))
        if key not in links:
            links[key] = url_for("matters.index", **base, **filters)
        return links[key]

    cadres = dc.cadre_rows(township, start, end, people)
    rankings = [dc.ranking(_("各村%(f)s", f=_("问题解决率")), rows[1:], "resolution_rate", link),
                dc.ranking(_("各村%(f)s", f=_("群众满意率")), rows[1:], "satisfaction_rate", link),
                dc.ranking(_("各中心%(f)s", f=_("按时办结率")), centre_rows, "on_time_rate", link),
                dc.ranking(_("干部%(f)s", f=_("问题解决率")), cadres, "resolution_rate", link)]
    overdue_ages = dc.overdue_by_age(township, _today())
    return render_template("matters/dashboard.html", township=township, rows=rows, flags=flags,
                           centre_rows=centre_rows, start=start, end=end - timedelta(days=1),
                           period=period, day=day, overdue=overdue_ages["total"], month=month,
                           trends=dc.trends(township, day), rankings=rankings, figures=dc.FIGURES,
                           overdue_ages=overdue_ages)


# ---------------------------------------------------------------- channel rules

@bp.route("/rules", methods=["GET", "POST"])
@staff(Role.TOWNSHIP_ADMIN)
def rules():
    """Promised working days, the close-out rule and the call-back (回访) of each channel.

    A value a service model's settings own (the studio's reply time, the assembly's reply time
    and call-back) is shown here with a link to those settings and never stored here; the page
    stores only what it overrides, so the two never disagree.
    """
    township = current_township()
    errors = {}
    if request.method == "POST":
        channels = {}
        for channel in Channel:
            key = channel.value
            model, owned = ops.owned_by_model(township, key)
            base = ops.rule_base(township, key)
            values = {}
            if "workdays" not in owned:
                try:
                    values["workdays"] = int(request.form.get(f"{key}-workdays", ""))
                    if not 1 <= values["workdays"] <= 120:
                        raise ValueError
                except ValueError:
                    errors[key] = _("办理时限须是 1 到 120 之间的工作日数。")
                    continue
            closeout = request.form.get(f"{key}-closeout", "")
            if closeout not in ops.CLOSEOUT_CHOICES:
                errors[key] = _("请选择销号规则。")
                continue
            values["closeout"] = closeout
            if "revisit_after_days" not in owned:
                raw = request.form.get(f"{key}-revisit", "").strip()
                try:
                    values["revisit_after_days"] = int(raw) if raw else None
                    if raw and not 1 <= values["revisit_after_days"] <= 120:
                        raise ValueError
                except ValueError:
                    errors[key] = _("回访时间须是 1 到 120 之间的工作日数，不回访请留空。")
                    continue
            # Only what differs from the service model's settings and the defaults is stored.
            overrides = {name: value for name, value in values.items()
                         if value != getattr(base, name)}
            if overrides:
                channels[key] = overrides
        if not errors:
            from app.audit.operations import changed, record

            before = (township.settings or {}).get("channels", {})
            township.settings = {**(township.settings or {}), "channels": channels}
            was, now = changed(before, channels)
            if was or now:
                record(township.id, current_user, "matters.rules", township, before=was,
                       after=now, summary="修改各渠道办理规则")
            db.session.commit()
            flash(_("规则已保存，之后受理的事项按新规则计算时限。"), "success")
            return redirect(url_for(".rules"))
    rows = []
    for c in Channel:
        model, owned = ops.owned_by_model(township, c.value)
        rows.append((c, ops.channel_rule(township, c.value), model, owned))
    return render_template("matters/rules.html", township=township, errors=errors,
                           channels=rows, form=request.form if errors else None), (
        422 if errors else 200)


@bp.route("/rules/resident-rating", methods=["POST"])
@staff(Role.TOWNSHIP_ADMIN)
def rules_resident_rating():
    """Whether only the resident's own rating (their link, the window's tablet, a spot-check)
    may close a matter whose rule waits for satisfaction; ratings typed in by staff then stand
    as a record without closing it."""
    from app.audit.operations import record

    township = current_township()
    wanted = request.form.get("closeout_needs_resident_rating") == "1"
    before = bool((township.settings or {}).get("closeout_needs_resident_rating"))
    if wanted != before:
        township.settings = {**(township.settings or {}), "closeout_needs_resident_rating": wanted}
        record(township.id, current_user, "rules.closeout_rating", township,
               before={"closeout_needs_resident_rating": before},
               after={"closeout_needs_resident_rating": wanted},
               summary=_("满意销号须群众本人评价") if wanted else _("满意销号可由工作人员代录"))
        db.session.commit()
    flash(_("规则已保存。"), "success")
    return redirect(url_for(".rules"))


EVENT_LABELS = {
    "created": _l("受理"), "assigned": _l("交办"), "in_progress": _l("开始办理"),
    "escalated": _l("上报"), "replied": _l("答复"), "closed": _l("销号"),
    "reopened": _l("重新办理"), "withdrawn": _l("撤回"), "duplicate": _l("重复件"),
    "not_responsible": _l("非职责范围"), "evaluated": _l("群众评价"),
    "revisit_scheduled": _l("安排回访"), "revisited": _l("回访"), "custody": _l("材料交接"),
    "transferred": _l("转交其他中心"), "materials": _l("补齐材料"),
    "materials_reminded": _l("短信提醒群众补交材料"),
    "handed_over": _l("联户干部交接"),
    "due_recomputed": _l("承诺办结日期重算"),
    "published": _l("发布到回音壁"), "wording_edited": _l("修改公开文字"),
    "withheld": _l("不在回音壁公开"), "phone_shown": _l("查看完整电话"),
    "handed_back": _l("上级退回"), "county_dispatched": _l("县级分派部门"),
}
ESTIMATE_NOTE = _l("按周末推算，待国家放假安排公布后重算")


@bp.app_template_global()
def due_estimate(matter) -> bool:
    """Whether the matter's promised date is counted by weekends only (a year with no national
    schedule yet). One calendar per request."""
    return ops.due_is_estimate(matter, calendar=_calendar(matter.township_id))


@bp.app_template_global()
def estimate_note() -> str:
    return str(ESTIMATE_NOTE)
ACTOR_LABELS = {"resident": _l("群众"), "system": _l("系统"), "juror": _l("评审")}


@bp.app_template_global()
def event_label(event) -> str:
    """A step of a matter's history in plain words (staff and residents see the same words)."""
    return str(EVENT_LABELS.get(event.kind, event.kind))


@bp.app_template_global()
def actor_label(kind: str) -> str:
    return str(ACTOR_LABELS.get(kind, ""))


@bp.app_template_global()
def rating_label(value: str) -> str:
    from app.matters.models import Rating

    try:
        return Rating(value).label
    except ValueError:
        return value


# ---------------------------------------------------------------- spot-checks (抽查)

@bp.route("/spot-checks", methods=["GET", "POST"])
@staff(*WHOLE_TOWNSHIP)
def spot_checks():
    """Draw a random sample of the period's answered matters and visits to call back."""
    from app.matters import spotchecks
    from app.matters.models import SpotCheck

    township = current_township()
    error = None
    if request.method == "POST":
        try:
            start = date.fromisoformat(request.form.get("start", ""))
            end = date.fromisoformat(request.form.get("end", "")) + timedelta(days=1)
            size = int(request.form["size"]) if request.form.get("size") else None
            percent = int(request.form["percent"]) if request.form.get("percent") else None
            if (size is not None and size < 1) or (percent is not None and
                                                  not 1 <= percent <= 100):
                raise ValueError
            check = spotchecks.draw(township, current_user, start=start, end=end, size=size,
                                    percent=percent)
        except ValueError:
            error = _("请填写起止日期，以及抽查数量（正整数）或比例（1–100）。")
        except ops.TransitionError as exc:
            error = str(exc)
        else:
            db.session.commit()
            return redirect(url_for(".spot_check", spot_check_id=check.id))
    checks = db.session.scalars(scoped(SpotCheck).order_by(SpotCheck.created_at.desc())).all()
    names = dict(db.session.execute(select(User.id, User.name)).all())
    flags = sorted(((names.get(uid, "?"), n) for uid, n in
                    spotchecks.mismatches(township.id).items()), key=lambda p: -p[1])
    return render_template("matters/spot_checks.html", township=township, checks=checks,
                           flags=flags, error=error, form=request.form), (422 if error else 200)


@bp.route("/spot-checks/<uuid:spot_check_id>", methods=["GET", "POST"])
@staff(*WHOLE_TOWNSHIP)
def spot_check(spot_check_id):
    """The sample, with each resident to call and what they said."""
    from app.households.models import Visit
    from app.matters import spotchecks
    from app.matters.models import SpotCheck, SpotCheckItem

    township = current_township()
    check = get_or_404(SpotCheck, spot_check_id)
    error = None
    if request.method == "POST" and not request.form.get("item_id"):
        error = _("请选择要记录的一条。")
    elif request.method == "POST":
        item = get_or_404(SpotCheckItem, request.form.get("item_id"))
        if item.spot_check_id != check.id:
            abort(404)
        try:
            spotchecks.record_call(item, current_user,
                                   confirmed=request.form.get("confirmed") == "yes",
                                   note=request.form.get("note", ""))
        except ops.TransitionError as exc:
            error = str(exc)
        else:
            db.session.commit()
            return redirect(url_for(".spot_check", spot_check_id=check.id))
    items = db.session.scalars(scoped(SpotCheckItem).where(
        SpotCheckItem.spot_check_id == check.id)).all()
    matters = {m.id: m for m in db.session.scalars(scoped(Matter).where(
        Matter.id.in_([i.matter_id for i in items if i.matter_id])))}
    visits = {v.id: v for v in db.session.scalars(scoped(Visit).where(
        Visit.id.in_([i.visit_id for i in items if i.visit_id])))}
    names = dict(db.session.execute(select(User.id, User.name)).all())
    return render_template("matters/spot_check.html", township=township, check=check,
                           items=items, matters=matters, visits=visits, names=names,
                           error=error), (422 if error else 200)


from app.matters import review_views  # noqa: E402,F401  (the review queue, on this blueprint)

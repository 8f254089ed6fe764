"""民情日记: record visits on a phone, raise matters from them, summaries and coverage."""

from __future__ import annotations

from datetime import date, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from app.access import staff
from app.accounts.models import Role, RoleGrant
from app.extensions import db
from app.households.models import FindingKind, Household, Village, Visit, VisitKind, VisitMethod
from app.matters.forms import publicity_value
from app.matters.operations import TransitionError, local_today
from app.tenancy import TenantBlueprint, current_township, get_or_404, scoped
from app.visits import operations as ops
from app.visits.forms import FINDING_FIELDS, RaiseForm, VisitForm

bp = TenantBlueprint("visits", __name__, url_prefix="/visits")

REPORT_ROLES = (Role.TOWNSHIP_ADMIN, Role.LEADER, Role.CADRE, Role.VILLAGE_ASSISTANT,
                Role.PARTY_REP)


@bp.route("/")
@staff()
def index():
    township = current_township()
    visits = db.session.scalars(
        scoped(Visit).where(Visit.visitor_id == current_user.id)
        .order_by(Visit.visited_on.desc(), Visit.recorded_at.desc()).limit(50))
    return render_template("visits/index.html", visits=list(visits), FindingKind=FindingKind,
                           today=local_today(township))


MY_HOUSEHOLDS = 60  # the visitor's own households offered before any search


def _household_choices(form: VisitForm, q: str = "") -> list:
    """The households the visit form offers: what a search finds (head's name, address or house
    number, household number, phone tail), else the visitor's own contact households (a village
    assistant without any: their village's first ones); the one already chosen always. A village
    assistant sees only their villages. Never everyone."""
    from app.households.picker import search_households

    township = current_township()
    village_ids = [g.village_id for g in db.session.scalars(
        scoped(RoleGrant).where(RoleGrant.user_id == current_user.id,
                                RoleGrant.village_id.is_not(None)))] or None
    if q.strip():
        found = search_households(township, q, village_ids=village_ids, limit=40)
        by_number = db.session.scalars(scoped(Household).where(
            Household.active.is_(True), Household.household_number == q.strip()))
        rows = list({h.id: h for h in [*by_number, *found]}.values())
    else:
        query = scoped(Household).where(Household.active.is_(True), or_(
            Household.contact_cadre_id == current_user.id,
            Household.party_member_id == current_user.id))
        if village_ids:
            query = query.where(Household.village_id.in_(village_ids))
        rows = list(db.session.scalars(query.order_by(Household.head_name).limit(MY_HOUSEHOLDS)))
        if not rows and village_ids:  # a village assistant: their village's households
            rows = list(db.session.scalars(scoped(Household).where(
                Household.active.is_(True), Household.village_id.in_(village_ids))
                .order_by(Household.head_name).limit(MY_HOUSEHOLDS)))
    chosen = form.household_id.data
    if chosen and chosen not in {str(h.id) for h in rows}:
        household = db.session.scalar(scoped(Household).where(
            Household.id == _uuid_or_none(chosen)))
        if household is not None and (not village_ids or household.village_id in village_ids):
            rows.insert(0, household)
    villages = {v.id: v.name for v in db.session.scalars(scoped(Village))}
    form.household_id.choices = [("", _("请选择"))] + [
        (str(h.id), "、".join(p for p in (h.head_name, villages.get(h.village_id, ""),
                                          h.address, f"尾号{h.phone_tail}" if h.phone_tail
                                          else "") if p)) for h in rows]
    return rows


def _uuid_or_none(value):
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


@bp.route("/new", methods=["GET", "POST"])
@staff()
def new():
    township = current_township()
    form = VisitForm()
    q = request.values.get("q", "")
    if request.method == "GET" and request.args.get("household_id"):
        form.household_id.data = request.args["household_id"]
    found = _household_choices(form, q)
    if request.method == "POST" and request.form.get("action") == "search":
        # Without JavaScript the search button submits the visit form: come back with what was
        # typed and the households found.
        form.household_id.data = form.household_id.data or (
            str(found[0].id) if len(found) == 1 else "")
        return render_template("visits/new.html", form=form, findings=FINDING_FIELDS, q=q,
                               found=len(found))
    if request.method == "GET":
        form.visited_on.data = local_today(township)
        form.kind.data = ops.default_visit_kind(current_user, township)
    if form.validate_on_submit():
        household = get_or_404(Household, form.household_id.data)
        try:
            visit = ops.record_visit(
                township, current_user, household=household, visited_on=form.visited_on.data,
                method=form.method.data, notes=form.notes.data or "", kind=form.kind.data,
                findings={k: getattr(form, k).data for k in FINDING_FIELDS})
        except TransitionError as error:
            form.visited_on.errors = [*form.visited_on.errors, str(error)]
        else:
            db.session.commit()
            flash(_("走访已记录。"), "success")
            return redirect(url_for("visits.detail", visit_id=visit.id))
    status = 422 if request.method == "POST" else 200
    return render_template("visits/new.html", form=form, findings=FINDING_FIELDS, q=q,
                           found=len(found)), status


@bp.route("/<uuid:visit_id>")
@staff()
def detail(visit_id):
    visit = get_or_404(Visit, visit_id)
    fragment = request.htmx and not request.htmx.boosted  # a boosted page wants it all
    template = "visits/_detail.html" if fragment else "visits/detail.html"
    return render_template(template, visit=visit, raised=ops.raised_matters(visit),
                           form=RaiseForm(), FindingKind=FindingKind, VisitMethod=VisitMethod,
                           VisitKind=VisitKind)


@bp.route("/<uuid:visit_id>/raise/<kind>", methods=["POST"])
@staff()
def raise_matter(visit_id, kind):
    township = current_township()
    visit = get_or_404(Visit, visit_id)
    if kind not in FINDING_FIELDS:
        abort(404)
    form = RaiseForm()
    if form.validate_on_submit():
        try:
            matter = ops.raise_matter(township, current_user, visit, kind,
                                      is_public=publicity_value(form.publicity.data))
        except TransitionError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("已转为事项 %(number)s。", number=matter.number), "success")
    return redirect(url_for("visits.detail", visit_id=visit.id))


def _period(township) -> tuple[str, date, date]:
    """The period asked for: ?period=week|month&on=YYYY-MM-DD (default: this week)."""
    period = request.args.get("period", "week")
    try:
        on = date.fromisoformat(request.args.get("on", "")) if request.args.get("on") \
            else local_today(township)
    except ValueError:
        on = local_today(township)
    start, end = ops.month_of(on) if period == "month" else ops.week_of(on)
    return ("month" if period == "month" else "week"), start, end


def _cadre():
    """?cadre=me (the signed-in person's own diaries) or ?cadre=<user id>: (arg, user) or
    (None, None) for the whole township. Only a user with visits here can be named."""
    import uuid

    from app.accounts.models import User

    arg = request.args.get("cadre", "")
    if arg == "me":
        return "me", db.session.get(User, current_user.id)
    try:
        user = db.session.get(User, uuid.UUID(arg)) if arg else None
    except ValueError:
        user = None
    if user is None or not db.session.scalar(select(Visit.id).where(
            Visit.township_id == current_township().id, Visit.visitor_id == user.id).limit(1)):
        return None, None
    return str(user.id), user


@bp.route("/summary")
@staff(*REPORT_ROLES)
def summary():
    township = current_township()
    period, start, end = _period(township)
    cadre_arg, cadre = _cadre()
    data = ops.summary(township, start, end, visitor_id=cadre.id if cadre else None)
    # The previous period is the one before `start` (December → November), the next the one
    # after `end`, whatever the months' lengths.
    return render_template("visits/summary.html", s=data, period=period, labels=FINDING_FIELDS,
                           prev=start - timedelta(days=1), next=end + timedelta(days=1),
                           cadre=cadre, cadre_arg=cadre_arg)


@bp.route("/summary.pdf")
@staff(*REPORT_ROLES)
def summary_pdf():
    from app.notices.pdf import render_pdf

    township = current_township()
    period, start, end = _period(township)
    cadre_arg, cadre = _cadre()
    pdf = render_pdf("visit_summary.html", township=township,
                     s=ops.summary(township, start, end, visitor_id=cadre.id if cadre else None),
                     period=period, labels=FINDING_FIELDS, cadre=cadre)
    return pdf, 200, {"Content-Type": "application/pdf",
                      "Content-Disposition": f'inline; filename="visits-{start}.pdf"'}


def _coverage_dates(township) -> tuple[date, date, date]:
    """The coverage page's days (?start=&end=, this year to date by default) and today."""
    today = local_today(township)
    try:
        start = date.fromisoformat(request.args.get("start") or f"{today.year}-01-01")
        end = date.fromisoformat(request.args.get("end") or today.isoformat())
    except ValueError:
        start, end = date(today.year, 1, 1), today
    return (*sorted((start, end)), today)


@bp.route("/coverage")
@staff(*REPORT_ROLES)
def coverage():
    township = current_township()
    start, end, today = _coverage_dates(township)
    data = ops.coverage(township, start, end)
    fragment = request.htmx and not request.htmx.boosted  # a boosted page wants it all
    template = "visits/_coverage.html" if fragment else "visits/coverage.html"
    return render_template(template, c=data, today=today)




# ---------------------------------------------------------------- Excel exports (same filters)

def _visit_rows(visits):
    from app.households.models import VisitKind

    for v in visits:
        yield [v.visited_on, v.household.village.name, v.household.head_name,
               v.household.address, v.visitor.name, VisitMethod(v.method).label,
               VisitKind(v.kind).label if v.kind in {k.value for k in VisitKind} else v.kind,
               v.notes, *[(v.findings or {}).get(k.value, "") for k in FindingKind]]


def _visit_headers():
    return [_("日期"), _("村（社区）"), _("户主"), _("地址"), _("走访人"), _("方式"), _("类型"),
            _("备注"), *[FindingKind(k).label for k in FindingKind]]


@bp.route("/export.xlsx")
@staff()
def export():
    """My visits (the list's filter: the signed-in visitor's), every one of them, as Excel."""
    from app.spreadsheets import workbook_response

    visits = db.session.scalars(
        scoped(Visit).where(Visit.visitor_id == current_user.id)
        .order_by(Visit.visited_on.desc(), Visit.recorded_at.desc()))
    return workbook_response("visits.xlsx", _("民情日记"), _visit_headers(), _visit_rows(visits))


@bp.route("/summary.xlsx")
@staff(*REPORT_ROLES)
def summary_export():
    """The summary's period (?period=week|month&on=...): every visit in it, as Excel."""
    from app.spreadsheets import workbook_response

    township = current_township()
    _period_name, start, end = _period(township)
    visits = db.session.scalars(scoped(Visit).where(
        Visit.visited_on >= start, Visit.visited_on <= end).order_by(Visit.visited_on))
    return workbook_response(f"visits-{start}-{end}.xlsx", _("走访记录"), _visit_headers(),
                             _visit_rows(visits))


@bp.route("/coverage.xlsx")
@staff(*REPORT_ROLES)
def coverage_export():
    """The coverage page's figures for its dates (?start=&end=), one sheet per level."""
    from app.spreadsheets import SheetWriter

    township = current_township()
    start, end, today = _coverage_dates(township)
    c = ops.coverage(township, start, end)
    writer = SheetWriter()
    headers = [_("名称"), _("户数"), _("已走访户数"), _("覆盖率（%）"), _("全年走访达标户数"),
               _("目标（%）")]
    for title, rows in ((_("按村"), c["villages"]), (_("按网格"), c["grids"]),
                        (_("按联户干部"), c["cadres"])):
        writer.add_sheet(title, headers)
        for r in [*rows, c["total"]] if title == _("按村") else rows:
            writer.append([r.name, r.households, r.visited, r.rate, r.visited_enough,
                           r.target_pct])
    writer.add_sheet(_("未走访农户"), [_("村（社区）"), _("户主"), _("地址"), _("上次走访")])
    for h, last in c["not_visited"]:
        writer.append([h.village.name, h.head_name, h.address, last])
    return writer.response(f"coverage-{start}-{end}.xlsx")

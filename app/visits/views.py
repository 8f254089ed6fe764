"""民情日记: record visits on a phone, raise matters from them, summaries and coverage."""

from __future__ import annotations

from datetime import date, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import case

from app.access import staff
from app.accounts.models import Role, RoleGrant
from app.extensions import db
from app.households.models import FindingKind, Household, Visit, VisitMethod
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


def _household_choices(form: VisitForm) -> None:
    """The visitor's own contact households first, then their village, then the rest."""
    village_ids = [g.village_id for g in db.session.scalars(
        scoped(RoleGrant).where(RoleGrant.user_id == current_user.id,
                                RoleGrant.village_id.is_not(None)))]
    mine = case((Household.contact_cadre_id == current_user.id, 0),
                (Household.party_member_id == current_user.id, 0), else_=1)
    query = scoped(Household).where(Household.active.is_(True))
    if village_ids:
        query = query.where(Household.village_id.in_(village_ids))
    query = query.order_by(mine, Household.head_name).limit(2000)
    form.household_id.choices = [("", _("请选择"))] + [
        (str(h.id), f"{h.head_name}（{h.address or h.village.name}）")
        for h in db.session.scalars(query)]


@bp.route("/new", methods=["GET", "POST"])
@staff()
def new():
    township = current_township()
    form = VisitForm()
    _household_choices(form)
    if request.method == "GET":
        form.visited_on.data = local_today(township)
        if request.args.get("household_id"):
            form.household_id.data = request.args["household_id"]
    if form.validate_on_submit():
        household = get_or_404(Household, form.household_id.data)
        try:
            visit = ops.record_visit(
                township, current_user, household=household, visited_on=form.visited_on.data,
                method=form.method.data, notes=form.notes.data or "",
                findings={k: getattr(form, k).data for k in FINDING_FIELDS})
        except TransitionError as error:
            form.visited_on.errors = [*form.visited_on.errors, str(error)]
        else:
            db.session.commit()
            flash(_("走访已记录。"), "success")
            return redirect(url_for("visits.detail", visit_id=visit.id))
    status = 422 if request.method == "POST" else 200
    return render_template("visits/new.html", form=form, findings=FINDING_FIELDS), status


@bp.route("/<uuid:visit_id>")
@staff()
def detail(visit_id):
    visit = get_or_404(Visit, visit_id)
    fragment = request.htmx and not request.htmx.boosted  # a boosted page wants it all
    template = "visits/_detail.html" if fragment else "visits/detail.html"
    return render_template(template, visit=visit, raised=ops.raised_matters(visit),
                           form=RaiseForm(), FindingKind=FindingKind, VisitMethod=VisitMethod)


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


@bp.route("/summary")
@staff(*REPORT_ROLES)
def summary():
    township = current_township()
    period, start, end = _period(township)
    data = ops.summary(township, start, end)
    step = timedelta(days=31) if period == "month" else timedelta(days=7)
    return render_template("visits/summary.html", s=data, period=period, labels=FINDING_FIELDS,
                           prev=start - step, next=start + step)


@bp.route("/summary.pdf")
@staff(*REPORT_ROLES)
def summary_pdf():
    from app.notices.pdf import render_pdf

    township = current_township()
    period, start, end = _period(township)
    pdf = render_pdf("visit_summary.html", township=township, s=ops.summary(township, start, end),
                     period=period, labels=FINDING_FIELDS)
    return pdf, 200, {"Content-Type": "application/pdf",
                      "Content-Disposition": f'inline; filename="visits-{start}.pdf"'}


@bp.route("/coverage")
@staff(*REPORT_ROLES)
def coverage():
    township = current_township()
    today = local_today(township)
    try:
        start = date.fromisoformat(request.args.get("start") or f"{today.year}-01-01")
        end = date.fromisoformat(request.args.get("end") or today.isoformat())
    except ValueError:
        start, end = date(today.year, 1, 1), today
    if start > end:
        start, end = end, start
    data = ops.coverage(township, start, end)
    fragment = request.htmx and not request.htmx.boosted  # a boosted page wants it all
    template = "visits/_coverage.html" if fragment else "visits/coverage.html"
    return render_template(template, c=data, today=today)



"""The assembly's public pages (/t/<slug>/assemblies): announcements, results, each criticism's
follow-up, residents' criticisms sent online, and the jurors' scoring pages (their own link, no
account)."""

from __future__ import annotations

import uuid

from flask import abort, render_template, request
from flask_babel import gettext as _

from app.access import public
from app.assembly import operations as ops
from app.assembly.forms import PublicCriticismForm, StepForm
from app.assembly.models import Assembly, AssemblyState, CriticismSource, Juror
from app.assembly.service import MODEL
from app.extensions import db, limiter
from app.matters.operations import TransitionError, local_today
from app.tenancy import TenantBlueprint, current_township, get_or_404, scoped

# create_app registers a feature's `views.bp`: here it is the public blueprint; the staff pages'
# blueprint (app.assembly.service.bp) registers through the service-model registry.
bp = TenantBlueprint("assembly_public", __name__, url_prefix="/assemblies",
                     service_model="assembly")

RESULTS_STATES = (AssemblyState.PUBLISHED, AssemblyState.FOLLOW_UP)
COLLECTING = (AssemblyState.ANNOUNCED, AssemblyState.REGISTRATION)


def _public_assembly(assembly_id) -> Assembly:
    assembly = get_or_404(Assembly, assembly_id)
    if assembly.state == AssemblyState.DRAFT:
        abort(404)
    return assembly


@bp.route("/")
@public
def index():
    """Every announced assembly, newest first."""
    township = current_township()
    return render_template("assembly/public_index.html", township=township,
                           assemblies=ops.public_assemblies(township), State=AssemblyState,
                           RESULTS_STATES=RESULTS_STATES)


@bp.route("/<uuid:assembly_id>")
@public
def assembly(assembly_id):
    """The notice, the teams, the results once published, and what became of each criticism."""
    township = current_township()
    assembly = _public_assembly(assembly_id)
    published = assembly.state_enum in RESULTS_STATES
    criticisms = ops.results(assembly) if published else ops.criticisms_of(assembly)
    return render_template(
        "assembly/public_assembly.html", township=township, assembly=assembly,
        teams=ops.teams_of(assembly), criticisms=criticisms, published=published,
        collecting=assembly.state_enum in COLLECTING, State=AssemblyState,
        settings=MODEL.settings_for(township), today=local_today(township))


def _pdf(template: str, name: str, **context):
    from app.notices.pdf import render_pdf

    pdf = render_pdf(template, township=current_township(), **context)
    return pdf, 200, {"Content-Type": "application/pdf",
                      "Content-Disposition": f'inline; filename="{name}.pdf"'}


@bp.route("/<uuid:assembly_id>/announcement.pdf")
@public
def announcement_pdf(assembly_id):
    """The public notice (大会公告) to print and post."""
    assembly = _public_assembly(assembly_id)
    return _pdf("assembly_announcement.html", "announcement", assembly=assembly,
                teams=ops.teams_of(assembly), lead_days=MODEL.settings_for(
                    current_township()).announce_lead_days)


@bp.route("/<uuid:assembly_id>/results.pdf")
@public
def results_pdf(assembly_id):
    """The results notice (评选结果通报): ranking, prizes, and who answers for each criticism."""
    assembly = _public_assembly(assembly_id)
    if assembly.state_enum not in RESULTS_STATES:
        abort(404)
    return _pdf("assembly_results.html", "results", assembly=assembly,
                criticisms=ops.results(assembly))


@bp.route("/<uuid:assembly_id>/criticise", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
@public
def criticise(assembly_id):
    """A resident sends a criticism before the assembly; staff assign it to a team."""
    township = current_township()
    assembly = _public_assembly(assembly_id)
    if assembly.state_enum not in COLLECTING:
        return render_template("assembly/criticise.html", township=township,
                               assembly=assembly, form=None, closed=True)
    form = PublicCriticismForm()
    if form.validate_on_submit():
        try:
            ops.add_criticism(assembly, title=form.title.data, content=form.content.data or "",
                              source=CriticismSource.ONLINE, raised_by=form.raised_by.data,
                              contact_phone=form.contact_phone.data,
                              notify_consent=form.notify_consent.data)
        except TransitionError:
            db.session.rollback()
            abort(409)
        db.session.commit()
        return render_template("assembly/criticise.html", township=township,
                               assembly=assembly, form=None, thanked=True)
    return render_template("assembly/criticise.html", township=township, assembly=assembly,
                           form=form), (422 if form.errors else 200)


# --- jurors -------------------------------------------------------------------------------------

def _juror(token: str) -> tuple[Juror, Assembly]:
    juror = db.session.scalar(scoped(Juror).where(Juror.token == token, Juror.drawn.is_(True)))
    if juror is None:
        abort(404)
    return juror, get_or_404(Assembly, juror.assembly_id)


def _juror_page(juror, assembly, status=200, error=None, thanked=False):
    current = ops.current_criticism(assembly) if assembly.state == AssemblyState.IN_SESSION \
        else None
    scored = current is not None and ops.has_scored(juror, current)
    context = dict(township=current_township(), juror=juror, assembly=assembly,
                   current=current, scored=scored, error=error, thanked=thanked,
                   form=StepForm(formdata=None), max_points=ops.MAX_POINTS, State=AssemblyState,
                   values=request.form if error else {})
    if request.htmx and not request.htmx.boosted:
        return render_template("assembly/_juror.html", **context), status
    return render_template("assembly/juror.html", **context), status


@bp.route("/jury/<juror_token>", methods=["GET", "POST"])
@public
def juror(juror_token):
    """A juror's page for the day: the criticism being scored now, and their score form.
    Nothing here shows scores: they are revealed on the clerk's screen, never per juror."""
    juror, assembly = _juror(juror_token)
    if request.method == "GET":
        return _juror_page(juror, assembly)
    if not StepForm().validate_on_submit():
        return _juror_page(juror, assembly, 400, error=_("页面已过期，请刷新后重新打分。"))
    current = ops.current_criticism(assembly)
    try:
        asked = uuid.UUID(request.form.get("criticism_id", ""))
    except ValueError:
        asked = None
    if current is None or current.id != asked:
        return _juror_page(juror, assembly, 409,
                           error=_("会务人员已切换到下一条批评意见，请为当前这一条打分。"))
    values = {c["key"]: request.form.get(c["key"]) for c in assembly.criteria}
    try:
        ops.submit_score(juror, current, assembly, values)
    except TransitionError as exc:
        db.session.rollback()
        juror, assembly = _juror(juror_token)
        return _juror_page(juror, assembly, 422, error=str(exc))
    db.session.commit()
    return _juror_page(juror, assembly, thanked=True)


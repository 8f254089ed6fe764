"""The hotline's pages: the call log (phone-channel staff) and the response templates (the
township administrator manages them; staff pick one and edit it before replying)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.access import staff
from app.accounts.models import Role
from app.clock import township_now, zone_of
from app.extensions import db
from app.hotline import operations as ops
from app.hotline.forms import CallForm, TemplateForm
from app.hotline.models import CallOutcome, ResponseTemplate
from app.households.models import FindingKind
from app.tenancy import TenantBlueprint, current_township, get_or_404

bp = TenantBlueprint("hotline", __name__, url_prefix="/hotline")
CALL_ROLES = (Role.CENTRE_STAFF, Role.TOWNSHIP_ADMIN, Role.LEADER)


def _template_choices(township) -> list[tuple[str, str]]:
    return [("", _("不用模板"))] + [
        (str(t.id), f"{FindingKind(t.category).label} · {t.title}")
        for t in ops.templates_for(township)]


@bp.route("/", methods=["GET", "POST"])
@staff(*CALL_ROLES)
def calls():
    """Record a call as it is taken; the latest calls below, numbers masked."""
    township = current_township()
    form = CallForm()
    form.template_id.choices = _template_choices(township)
    if request.method == "GET":
        form.called_at.data = township_now(township).replace(second=0, microsecond=0,
                                                             tzinfo=None)
        if request.args.get("template_id"):
            form.template_id.data = request.args["template_id"]
            form.reply.data = ops.picked_text(township, request.args["template_id"]) or ""
            form.outcome.data = CallOutcome.ADVICE.value
    status = 200
    if request.method == "POST" and request.form.get("action") == "template":
        # Without JavaScript: the picked template's text into the reply, everything else kept.
        if form.csrf_token.validate(form):
            form.reply.data = ops.picked_text(township, form.template_id.data) or form.reply.data
    elif form.validate_on_submit():
        called_at = None
        if form.called_at.data:
            called_at = form.called_at.data.replace(tzinfo=zone_of(township))
        village = None
        try:
            call = ops.record_call(
                township, current_user, number=form.number.data, outcome=form.outcome.data,
                called_at=called_at, caller_name=form.caller_name.data or "",
                summary=form.summary.data or "", category=form.category.data or None,
                matter_number=form.matter_number.data or "", title=form.title.data or "",
                reply=form.reply.data or "", village=village)
        except ops.CallError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
            status = 422
        else:
            if call.matter is not None and call.outcome == CallOutcome.NEW_MATTER and \
                    form.notify_consent.data:
                from app.notices import residents

                residents.agree(township, call.matter, given_at=call.matter.channel,
                                actor=current_user)
            db.session.commit()
            if call.matter is not None and call.outcome == CallOutcome.NEW_MATTER:
                flash(_("来电已记录，并登记为事项 %(number)s。", number=call.matter.number),
                      "success")
            else:
                flash(_("来电已记录。"), "success")
            return redirect(url_for("hotline.calls"))
    elif request.method == "POST":
        status = 422
    return render_template("hotline/calls.html", form=form, calls=ops.calls(township),
                           CallOutcome=CallOutcome, FindingKind=FindingKind), status


@bp.route("/templates/pick")
@staff(*CALL_ROLES)
def pick_template():
    """The reply field filled with a template's text (htmx swaps it in; staff edit it)."""
    township = current_township()
    name = request.args.get("field", "reply")
    if name not in ("reply", "public_text"):
        name = "reply"
    text = ops.picked_text(township, request.args.get("template_id")) or request.args.get(
        name, "")
    return render_template("hotline/_reply_field.html", name=name, text=text)


@bp.route("/templates", methods=["GET", "POST"])
@staff(Role.TOWNSHIP_ADMIN)
def templates():
    """The township's response templates by category; a new one."""
    township = current_township()
    form = TemplateForm()
    if form.validate_on_submit():
        try:
            ops.create_template(township, current_user, category=form.category.data,
                                title=form.title.data, body=form.body.data,
                                sort_order=form.sort_order.data or 0)
        except ops.CallError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(_("模板已保存。"), "success")
            return redirect(url_for("hotline.templates"))
    rows = ops.templates_for(township, include_retired=True)
    return render_template("hotline/templates.html", form=form, rows=rows,
                           FindingKind=FindingKind), (422 if request.method == "POST" else 200)


@bp.route("/templates/<uuid:response_template_id>", methods=["GET", "POST"])
@staff(Role.TOWNSHIP_ADMIN)
def edit_template(response_template_id):
    """Edit a template, or retire it (untick 在用); every change is in the audit log."""
    township = current_township()
    row = get_or_404(ResponseTemplate, response_template_id)
    form = TemplateForm(obj=row)
    if form.validate_on_submit():
        try:
            ops.update_template(township, current_user, row, category=form.category.data,
                                title=form.title.data, body=form.body.data,
                                active=form.active.data, sort_order=form.sort_order.data or 0)
        except ops.CallError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(_("模板已保存。"), "success")
            return redirect(url_for("hotline.templates"))
    return render_template("hotline/edit_template.html", form=form, row=row), (
        422 if request.method == "POST" else 200)


@bp.app_template_global()
def reply_templates_for(matter) -> list:
    """Active templates of a matter's category, for the ledger's reply form."""
    if matter is None:
        return []
    return ops.templates_for(current_township(), matter.category)



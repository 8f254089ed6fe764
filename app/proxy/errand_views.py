"""Errand pages for village assistants (on a phone) and the centres they hand papers to."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from app.access import staff
from app.accounts.models import Role, RoleGrant
from app.catalogue.models import ServiceItem
from app.extensions import db
from app.households.models import Resident
from app.households.picker import picker_state
from app.matters.forms import publicity_value
from app.matters.models import State
from app.matters.operations import TransitionError, local_today
from app.proxy import operations as ops
from app.proxy.forms import (
    MAX_DOCUMENTS,
    CloseForm,
    DocumentOutcomeForm,
    ErrandForm,
    HandToCentreForm,
    IssueForm,
    ReturnToAssistantForm,
    ReturnToResidentForm,
)
from app.proxy.models import Errand, ErrandDocument, Holder
from app.proxy.service import bp
from app.tenancy import current_township, get_or_404, scoped

ERRAND_ROLES = (Role.VILLAGE_ASSISTANT, Role.CENTRE_STAFF, Role.TOWNSHIP_ADMIN, Role.LEADER)


def _my_centre_ids(township) -> list:
    return [g.centre_id for g in db.session.scalars(
        scoped(RoleGrant).where(RoleGrant.user_id == current_user.id,
                                RoleGrant.role == Role.CENTRE_STAFF.value,
                                RoleGrant.centre_id.is_not(None)))]


@bp.route("/errands")
@staff(*ERRAND_ROLES)
def errands():
    township = current_township()
    today = local_today(township)
    mine = ops.errands_for(township, assistant=current_user, today=today)
    handed = []
    for centre_id in _my_centre_ids(township):
        handed += ops.errands_for(township, centre_id=centre_id, today=today)
    return render_template("proxy/errands.html", mine=mine, handed=handed, today=today,
                           Holder=Holder, State=State, originals_out=ops.originals_out)


def _fill_choices(form: ErrandForm, township) -> list[ServiceItem]:
    items = db.session.scalars(
        scoped(ServiceItem).where(ServiceItem.proxiable.is_(True), ServiceItem.active.is_(True))
        .order_by(ServiceItem.name)).all()
    form.item_id.choices = [("", _("请选择"))] + [(str(i.id), i.name) for i in items]
    return items


def _item_materials(items, item_id) -> list[dict]:
    item = next((i for i in items if str(i.id) == str(item_id or "")), None)
    out = []
    for m in (item.materials if item is not None else None) or []:
        if isinstance(m, dict) and m.get("name"):
            out.append({"name": str(m["name"]), "original": bool(m.get("original", True)),
                        "copies": int(m.get("copies") or 1)})
        elif isinstance(m, str) and m.strip():
            out.append({"name": m.strip(), "original": True, "copies": 1})
    return out


def _prefill(form: ErrandForm, materials: list[dict]) -> None:
    """The item's list of materials into the document rows: each one not there yet goes into
    the first empty row, or a new row; what was typed stays."""
    have = {(row.form.name.data or "").strip() for row in form.documents}
    for m in materials:
        if m["name"] in have:
            continue
        row = next((r for r in form.documents if not (r.form.name.data or "").strip()), None)
        if row is None:
            if len(form.documents) >= MAX_DOCUMENTS:
                break
            row = form.documents.append_entry()
        row.form.name.data = m["name"]
        row.form.kind.data = "original" if m["original"] else "copy"
        row.form.copies.data = m["copies"]
        have.add(m["name"])


def _add_row(form: ErrandForm) -> None:
    if len(form.documents) < MAX_DOCUMENTS:
        row = form.documents.append_entry()
        row.form.kind.data, row.form.copies.data = "original", 1


def _errand_page(form, township, status=200, picker=None, formdata=None):
    if picker is None:
        picker = picker_state(township, formdata if formdata is not None else MultiDict())
    return render_template("proxy/new_errand.html", form=form, picker=picker,
                           max_documents=MAX_DOCUMENTS), status


@bp.route("/errands/new", methods=["GET", "POST"])
@staff(Role.VILLAGE_ASSISTANT, Role.TOWNSHIP_ADMIN)
def new_errand():
    """The errand form on the assistant's phone. Besides saving, its buttons (each also works
    without JavaScript, as a plain round trip that keeps everything typed) search the register,
    register a new villager, add a document row, and fill the rows from the item's materials."""
    township = current_township()
    if request.method == "GET":
        form = ErrandForm(formdata=request.args if request.args else None)
        items = _fill_choices(form, township)
        if form.item_id.data:
            _prefill(form, _item_materials(items, form.item_id.data))
        return _errand_page(form, township, formdata=request.args)
    form = ErrandForm()
    items = _fill_choices(form, township)
    action = request.form.get("action", "save")
    if action in ("add_row", "prefill", "search", "register"):
        if not form.csrf_token.validate(form):  # these round trips may register someone
            return _errand_page(form, township, 400, formdata=request.form)
        if action == "add_row":
            _add_row(form)
        elif action == "prefill":
            _prefill(form, _item_materials(items, form.item_id.data))
        picker = picker_state(township, request.form, action=action)
        if picker.registered is not None:
            db.session.commit()
            form.resident_id.data = str(picker.registered.id)
            return _errand_page(form, township, picker=picker)
        status = 422 if action == "register" else 200
        return _errand_page(form, township, status, picker=picker)
    if form.validate_on_submit():
        item = get_or_404(ServiceItem, form.item_id.data)
        resident = get_or_404(Resident, form.resident_id.data)
        documents = [ops.DocumentIn(name=d.form.name.data or "",
                                    is_original=d.form.kind.data == "original",
                                    copies=d.form.copies.data or 1) for d in form.documents]
        try:
            errand = ops.open_errand(township, current_user, item=item, resident=resident,
                                     documents=documents, description=form.description.data or "",
                                     is_public=publicity_value(form.publicity.data),
                                     notify_consent=form.notify_consent.data)
        except TransitionError as error:
            form.item_id.errors = [*form.item_id.errors, str(error)]
        else:
            db.session.commit()
            flash(_("代办已登记，请把回执交给群众。"), "success")
            return redirect(url_for("proxy.errand", errand_id=errand.id))
    return _errand_page(form, township, 422, formdata=request.form)


@bp.route("/errands/new/documents")
@staff(Role.VILLAGE_ASSISTANT, Role.TOWNSHIP_ADMIN)
def errand_documents():
    """The document rows (htmx): filled from the chosen item's materials, or one row more."""
    township = current_township()
    form = ErrandForm(formdata=request.args)
    items = _fill_choices(form, township)
    if request.args.get("action") == "add_row":
        _add_row(form)
    else:
        _prefill(form, _item_materials(items, form.item_id.data))
    return render_template("proxy/_documents.html", form=form, max_documents=MAX_DOCUMENTS)


def _detail(errand: Errand, status: int = 200, **forms):
    forms.setdefault("centre_form", HandToCentreForm(prefix="centre"))
    forms.setdefault("back_form", ReturnToAssistantForm(prefix="back"))
    forms.setdefault("resident_form", ReturnToResidentForm(prefix="resident"))
    forms.setdefault("close_form", CloseForm(prefix="close"))
    forms.setdefault("issue_form", IssueForm(prefix="issue"))
    doc_forms = forms.pop("doc_forms", {})
    for d in errand.documents:
        doc_forms.setdefault(d.id, DocumentOutcomeForm(prefix=f"doc-{d.id.hex[:8]}"))
    forms["doc_forms"] = doc_forms
    fragment = request.htmx and not request.htmx.boosted  # a boosted page wants it all
    template = "proxy/_errand.html" if fragment else "proxy/errand.html"
    return render_template(template, errand=errand, matter=errand.matter, Holder=Holder,
                           out=ops.originals_out(errand), State=State,
                           **forms), status


@bp.route("/errands/<uuid:errand_id>")
@staff(*ERRAND_ROLES)
def errand(errand_id):
    return _detail(get_or_404(Errand, errand_id))


STEPS = {
    "centre": (HandToCentreForm, lambda e, f: ops.hand_to_centre(
        e, current_user, received_by=f.received_by.data), "centre_form"),
    "back": (ReturnToAssistantForm, lambda e, f: ops.return_to_assistant(
        e, current_user, result=f.result.data), "back_form"),
    "resident": (ReturnToResidentForm, lambda e, f: ops.return_to_resident(
        e, current_user, confirmed=f.confirmed.data, signed_by=f.signed_by.data or ""),
        "resident_form"),
    "issue": (IssueForm, lambda e, f: ops.issue_document(
        e, current_user, name=f.name.data, issued_by=f.issued_by.data or ""), "issue_form"),
    "close": (CloseForm, lambda e, f: ops.close_errand(e, current_user, current_township()),
              "close_form"),
}


@bp.route("/errands/<uuid:errand_id>/<any(centre, back, resident, issue, close):step>",
          methods=["POST"])
@staff(*ERRAND_ROLES)
def errand_step(errand_id, step):
    errand = get_or_404(Errand, errand_id)
    form_class, action, name = STEPS[step]
    form = form_class(prefix=step)
    if form.validate_on_submit():
        try:
            action(errand, form)
        except TransitionError as error:
            db.session.rollback()
            errand = get_or_404(Errand, errand_id)
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(_("已记录。"), "success")
            return redirect(url_for("proxy.errand", errand_id=errand.id))
    return _detail(errand, 422, **{name: form})


@bp.route("/errands/<uuid:errand_id>/documents/<uuid:errand_document_id>", methods=["POST"])
@staff(*ERRAND_ROLES)
def errand_document(errand_id, errand_document_id):
    """One document's end when it does not go back to the resident: kept by the office (who,
    why) or used up."""
    errand = get_or_404(Errand, errand_id)
    document = get_or_404(ErrandDocument, errand_document_id)
    if document.errand_id != errand.id:
        abort(404)
    form = DocumentOutcomeForm(prefix=f"doc-{document.id.hex[:8]}")
    if form.validate_on_submit():
        try:
            if form.outcome.data == "kept":
                ops.keep_document(errand, current_user, document.id, kept_by=form.kept_by.data,
                                  reason=form.reason.data)
            else:
                ops.use_up_document(errand, current_user, document.id,
                                    reason=form.reason.data or "")
        except TransitionError as error:
            db.session.rollback()
            errand = get_or_404(Errand, errand_id)
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(_("已记录。"), "success")
            return redirect(url_for("proxy.errand", errand_id=errand.id))
    return _detail(errand, 422, doc_forms={document.id: form})


@bp.route("/errands/<uuid:errand_id>/receipt.pdf")
@staff(*ERRAND_ROLES)
def errand_receipt(errand_id):
    from app.notices.documents import receipt_context
    from app.notices.pdf import render_pdf

    township = current_township()
    errand = get_or_404(Errand, errand_id)
    context = receipt_context(township, errand.matter_id)
    pdf = render_pdf("errand_receipt.html", township=township, errand=errand,
                     assistant=errand.assistant, **context)
    return pdf, 200, {"Content-Type": "application/pdf",
                      "Content-Disposition": f'inline; filename="errand-{context["number"]}.pdf"'}


@bp.route("/errands/<uuid:errand_id>/receipt")
@staff(*ERRAND_ROLES)
def errand_receipt_page(errand_id):
    """The receipt shown on the assistant's phone, for the resident to read or photograph."""
    from app.notices.documents import receipt_context

    errand = get_or_404(Errand, errand_id)
    return render_template("proxy/receipt.html", errand=errand,
                           **receipt_context(current_township(), errand.matter_id))




STEP_LABELS = {
    "received_from_resident": _l("代办员收取材料"), "handed_to_centre": _l("材料交中心"),
    "returned_to_assistant": _l("中心退回材料"),
    "returned_to_resident": _l("材料归还群众，群众已确认"),
    "kept_by_office": _l("乡镇留存材料"), "used_up": _l("材料在办理中用掉"),
    "issued": _l("新发证件交代办员"),
}


@bp.app_template_global()
def custody_step_label(step: str) -> str:
    """A custody step in staff words; an unknown step is named, never shown raw."""
    return str(STEP_LABELS.get(step, _l("材料交接")))


@bp.app_template_global()
def errand_custody(matter) -> list[dict]:
    """For the resident's tracking page: each document of a proxy matter and where it ended."""
    if matter is None or matter.channel != "proxy":
        return []
    errand = ops._errand_of(matter)
    return ops.custody_of(errand) if errand is not None else []

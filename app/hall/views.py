"""The hall's public pages: the service catalogue and its guides, booking, who is on duty, and the
rating tablet at the window. No account is needed for any of them."""

from __future__ import annotations

from datetime import date

from flask import Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.access import public
from app.catalogue import questions
from app.catalogue.models import Centre, ServiceItem
from app.extensions import db, limiter
from app.hall import operations as ops
from app.hall.forms import BookingForm, CancelForm, TabletRatingForm
from app.hall.models import BookingState, Window, WindowDuty
from app.hall.service import MODEL
from app.matters.operations import TransitionError, local_today
from app.tenancy import TenantBlueprint, current_township, get_or_404, get_scoped, scoped

bp = TenantBlueprint("hall_public", __name__, service_model="one_stop")


def _on_duty(township) -> list[WindowDuty]:
    return list(db.session.scalars(
        scoped(WindowDuty).join(Window, (Window.township_id == WindowDuty.township_id)
                                & (Window.id == WindowDuty.window_id))
        .where(WindowDuty.day == local_today(township))
        .order_by(Window.sort_order, Window.name)))


@bp.route("/services")
@public
def services():
    """The catalogue by centre, each item with its guide; who is on duty today."""
    township = current_township()
    centres = list(db.session.scalars(scoped(Centre).order_by(Centre.sort_order, Centre.name)))
    items = list(db.session.scalars(scoped(ServiceItem).where(ServiceItem.active.is_(True))
                                    .order_by(ServiceItem.name)))
    by_centre = [(c, [i for i in items if i.centre_id == c.id]) for c in centres]
    return render_template("hall/services.html", township=township, by_centre=by_centre,
                           on_duty=_on_duty(township))


def _guide_context(item_id):
    township = current_township()
    item = get_or_404(ServiceItem, item_id)
    if not item.active:
        abort(404)
    return {"township": township, "item": item, "materials": item.materials or [],
            "modes": ops.modes_summary(township)}


@bp.route("/services/<uuid:item_id>")
@public
def guide(item_id):
    """An item's guide (办事指南 / 明白纸) as a page."""
    return render_template("hall/guide.html", **_guide_context(item_id))


@bp.route("/services/<uuid:item_id>/guide.pdf")
@limiter.limit("60 per minute")
@public
def guide_pdf(item_id):
    """The same guide as a printable A4 PDF, rendered on request and cached by the item's state."""
    context = _guide_context(item_id)
    pdf = ops.guide_pdf(context)
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f"inline; filename=guide-{context['item'].id}.pdf",
        "Cache-Control": "public, max-age=300"})


def _booking_form(township, today):
    settings = MODEL.settings_for(township)
    form = BookingForm(request.form if request.method == "POST" else request.args,
                       meta={"csrf": request.method == "POST"})
    items = db.session.scalars(scoped(ServiceItem).where(
        ServiceItem.active.is_(True), ServiceItem.bookable.is_(True)).order_by(ServiceItem.name))
    form.item_id.choices = [("", _("请选择"))] + [(str(i.id), i.name) for i in items]
    days = ops.bookable_days(township, settings.booking_horizon_days, today)
    form.day.choices = [("", _("请选择"))] + [
        (d.isoformat(), f"{d.month}月{d.day}日 {_weekday(d)} · {kind.label}") for d, kind in days]
    slots = []
    chosen = _date(form.day.data)
    if chosen and any(d == chosen for d, _k in days):
        slots = ops.slots_on(township, chosen)
    form.slot.choices = [("", _("请选择"))] + [
        (s.key, f"{s.starts_at:%H:%M}–{s.ends_at:%H:%M}") for s in slots
        if not s.closed and s.free]
    return form, slots


def _weekday(day: date) -> str:
    return (_("周一"), _("周二"), _("周三"), _("周四"), _("周五"), _("周六"), _("周日"))[
        day.weekday()]


def _date(value) -> date | None:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return None


@bp.route("/book", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
@public
def book():
    """Book a place without an account: item, day, slot, name and mobile; a code comes back."""
    township = current_township()
    today = local_today(township)
    form, slots = _booking_form(township, today)
    error = None
    chosen = get_scoped(ServiceItem, form.item_id.data, township.id) if form.item_id.data \
        else None
    answers, answer_errors = questions.read_answers(chosen, request.form) \
        if request.method == "POST" else ([], {})
    if request.method == "POST" and form.validate() and not answer_errors:
        item = get_or_404(ServiceItem, form.item_id.data)
        try:
            booking = ops.book(township, item=item, slot_key=form.slot.data,
                               day=_date(form.day.data), name=form.name.data,
                               phone=form.phone.data, answers=answers,
                               notify_consent=form.notify_consent.data)
        except ops.BookingError as exc:
            db.session.rollback()
            error = _(str(exc))
            form, slots = _booking_form(township, today)
        else:
            db.session.commit()
            return redirect(url_for("hall_public.booked", code=booking.code))
    # htmx asks for the slot list alone when the item or day changes (not when boosted).
    template = "hall/_slots.html" if request.headers.get("HX-Target") == "slots" and \
        request.method == "GET" else "hall/book.html"
    status = 422 if request.method == "POST" else 200
    return render_template(template, township=township, form=form, slots=slots,
                           error=error, question_item=chosen,
                           answers=questions.typed_values(chosen, request.form),
                           answer_errors=answer_errors), status


@bp.route("/book/<code>")
@public
def booked(code):
    """The booking's confirmation, reached only by its code."""
    township = current_township()
    booking = ops.find_booking(township, code)
    if booking is None:
        abort(404)
    return render_template("hall/booked.html", township=township, booking=booking,
                           form=CancelForm(formdata=None, code=booking.code),
                           BookingState=BookingState)


@bp.route("/book/cancel", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
@public
def cancel():
    township = current_township()
    form = CancelForm()
    message = None
    if form.validate_on_submit():
        booking = ops.find_booking(township, form.code.data)
        if booking is None:
            form.code.errors = [_("没有找到这个预约码，请核对后再试。")]
        else:
            try:
                ops.cancel(township, booking)
            except ops.BookingError as exc:
                db.session.rollback()
                form.code.errors = [_(str(exc))]
            else:
                db.session.commit()
                message = _("预约已取消，该时段已让给其他群众。")
    return render_template("hall/cancel.html", township=township, form=form,
                           message=message), (422 if form.errors else 200)


def _tablet(token) -> Window:
    window = db.session.scalar(scoped(Window).where(Window.tablet_token == token))
    if window is None:
        abort(404)
    return window


@bp.route("/tablet/<token>", methods=["GET", "POST"])
@limiter.limit("60 per hour", methods=["POST"])
@public
def tablet(token):
    """The rating tablet at a window. Staff cannot rate in the resident's place: a signed-in
    session is refused, and only the matter the window pushed (for 15 minutes) can be rated."""
    township = current_township()
    window = _tablet(token)
    form = TabletRatingForm()
    thanked = False
    if request.method == "POST":
        if current_user.is_authenticated:
            abort(403, description=_("工作人员不能代替群众评价。"))
        if form.validate_on_submit():
            try:
                ops.rate_on_tablet(window, rating=form.rating.data,
                                   comment=form.comment.data or "", township=township)
            except TransitionError as exc:
                db.session.rollback()
                form.rating.errors = [_(str(exc))]
            else:
                db.session.commit()
                thanked = True
    matter = ops.pending_on_tablet(window)
    template = "hall/_tablet.html" if request.headers.get("HX-Target") == "tablet" \
        else "hall/tablet.html"
    return render_template(template, township=township, window=window, matter=matter,
                           form=form, thanked=thanked), (422 if form.errors else 200)

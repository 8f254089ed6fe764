"""The hall's staff pages: the one-window intake desk, centre queues, bookings, set-up, figures."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import joinedload

from app.access import staff
from app.accounts.models import Role, RoleGrant, User
from app.catalogue import questions
from app.catalogue.models import Centre, ServiceItem
from app.extensions import db
from app.hall import operations as ops
from app.hall.forms import (
    DutyForm,
    FinishForm,
    IntakeForm,
    MaterialsForm,
    OpeningModeForm,
    PushForm,
    TransferForm,
    WindowForm,
)
from app.hall.models import Booking, BookingState, DayType, OpeningMode, Window, WindowDuty
from app.hall.service import MODEL, bp
from app.households.models import Household, Resident, Village
from app.matters import operations as ledger
from app.matters.forms import publicity_value
from app.matters.models import Matter, State
from app.matters.operations import TransitionError, local_today
from app.tenancy import current_township, get_or_404, get_scoped, scoped

DESK = (Role.CENTRE_STAFF, Role.TOWNSHIP_ADMIN)
HALL_STAFF = (Role.CENTRE_STAFF, Role.TOWNSHIP_ADMIN, Role.LEADER)
ADMIN = (Role.TOWNSHIP_ADMIN,)


def _options(model, *, label=lambda row: row.name, order=None, blank: str | None = None,
             where=(), load=()):
    rows = db.session.scalars(scoped(model).where(*where).options(*load)
                              .order_by(order or model.name)).all()
    # Kept for the request: the session holds rows weakly, and the chosen item or village is
    # looked up again by id (`_here`) from the identity map instead of the database.
    g.setdefault("_hall_option_rows", []).extend(rows)
    options = [(str(row.id), label(row)) for row in rows]
    return ([("", blank)] if blank is not None else []) + options


def _items(form_field, *, where=()):
    # Each item's centre with it: the intake routes the matter to the chosen item's centre.
    form_field.choices = _options(ServiceItem, blank=_("请选择"),
                                  where=(ServiceItem.active.is_(True), *where),
                                  load=(joinedload(ServiceItem.centre),))


# ---------------------------------------------------------------- the intake desk

def find_residents(township, q: str, limit: int = 12) -> list[Resident]:
    """Residents by name, phone digits or the household's head or address."""
    q = q.strip()
    if not q:
        return []
    conditions = [Resident.name.contains(q), Household.head_name.contains(q),
                  Household.address.contains(q)]
    if q.isdigit():
        conditions.append(Resident.phone.contains(q))
    return list(db.session.scalars(
        scoped(Resident).outerjoin(Household, (Household.township_id == Resident.township_id)
                                   & (Household.id == Resident.household_id))
        .where(or_(*conditions)).order_by(Resident.name).limit(limit)))


def _here(model, object_id):
    """A row of this township by an id from a form or the address, or None (nothing, a bad id,
    another township's)."""
    return get_scoped(model, object_id, current_township().id) if object_id else None


def _resident(township, object_id) -> Resident | None:
    """`_here` for the desk's resident, with their household and its village (the matter's)
    in one statement."""
    key = _uuid(object_id)
    return db.session.get(Resident, (township.id, key), options=[
        joinedload(Resident.household).joinedload(Household.village)]) if key else None


def _materials(item_id) -> list[str]:
    item = _here(ServiceItem, item_id)
    return ops.materials_of(item) if item is not None else []


def _intake_form(township, chosen_only: bool = False) -> IntakeForm:
    """The desk's form. `chosen_only` (an intake sent to be accepted): the item and village
    lists hold only what was chosen — enough to check the choice, and an accepted intake is
    redirected, never shown; `_choices(form)` makes the whole lists if the page is shown again."""
    form = IntakeForm()
    _choices(form, chosen_only)
    if request.method == "GET":
        form.resident_id.data = request.args.get("resident", "")
        form.item_id.data = request.args.get("item", "")
        form.booking_id.data = request.args.get("booking", "")
        booking = _booking(form.booking_id.data)
        if booking is not None:
            form.item_id.data = str(booking.service_item_id)
            form.new_name.data, form.new_phone.data = booking.name, booking.phone
            match = db.session.scalar(scoped(Resident).where(Resident.phone == booking.phone))
            if match is not None:
                form.resident_id.data = str(match.id)
    form.received.choices = [(m, m) for m in _materials(form.item_id.data)]
    return form


def _choices(form: IntakeForm, chosen_only: bool = False) -> None:
    if not chosen_only:
        _items(form.item_id)
        form.new_village_id.choices = _options(Village, blank=_("（不选）"))
        return
    _items(form.item_id, where=(ServiceItem.id == _uuid(form.item_id.data),))
    village_id = _uuid(form.new_village_id.data)
    form.new_village_id.choices = [("", _("（不选）"))] if village_id is None else _options(
        Village, blank=_("（不选）"), where=(Village.id == village_id,))


def _uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def _questions_context(item_id, formdata=None, errors=None, booking=None) -> dict:
    """The chosen item and what was typed for its own questions (catalogue/_questions.html);
    at first, what the resident answered online when booking."""
    item = _here(ServiceItem, item_id)
    typed = questions.typed_values(item, formdata or {})
    if booking is not None and not any(typed.values()):
        typed.update({a["key"]: a["value"] for a in booking.answers or []})
    return {"question_item": item, "answers": typed, "answer_errors": errors or {}}


def _booking(booking_id) -> Booking | None:
    return _here(Booking, booking_id)


@bp.route("/", methods=["GET", "POST"])
@staff(*DESK)
def index():
    """The front desk's main screen: find the resident, pick the item, tick materials, accept."""
    township = current_township()
    # "刷新材料" without JavaScript: re-render with the chosen item's checklist, nothing lost.
    accepting = request.method == "POST" and "refresh" not in request.form
    form = _intake_form(township, chosen_only=accepting)
    resident = _resident(township, form.resident_id.data)
    if resident is None:
        form.resident_id.data = ""
    valid = accepting and form.validate_on_submit()
    # The item's own questions are checked with the rest, so every error shows at once.
    item = _here(ServiceItem, form.item_id.data) if accepting else None
    answers, answer_errors = questions.read_answers(item, request.form) if item else ([], {})
    if valid and item is not None and not answer_errors:
        try:
            if resident is None:
                village = _here(Village, form.new_village_id.data)
                resident = ops.register_resident(township, name=form.new_name.data,
                                                 phone=form.new_phone.data or "",
                                                 village=village)
            matter = ops.take_in(township, current_user, item=item, resident=resident,
                                 received=list(form.received.data or []),
                                 description=form.description.data or "",
                                 booking=_booking(form.booking_id.data), answers=answers,
                                 notify_consent=form.notify_consent.data,
                                 is_public=publicity_value(form.publicity.data))
        except TransitionError as exc:
            db.session.rollback()
            form.received.errors = [_(str(exc))]
        else:
            # The address before the commit, which expires the rows it would reload.
            target = url_for("hall.intake", matter_id=matter.id)
            db.session.commit()
            return redirect(target)
    if accepting:
        _choices(form)  # shown again: the whole lists
    status = 422 if request.method == "POST" and "refresh" not in request.form else 200
    results = find_residents(township, request.args.get("q", ""))
    open_matters = ops.open_matters_of(township, results + ([resident] if resident else []))
    results.sort(key=lambda r: r.id not in open_matters)  # who has business open comes first
    return render_template(
        "hall/desk.html", form=form, resident=resident, results=results,
        q=request.args.get("q", ""), today=local_today(township), open_matters=open_matters,
        missing_of=ops.missing_materials,
        **_questions_context(form.item_id.data, request.form, answer_errors,
                             _booking(form.booking_id.data))), status


@bp.route("/residents")
@staff(*DESK)
def residents():
    """Search results for the desk (an htmx fragment; the desk page itself without JS)."""
    township = current_township()
    q = request.args.get("q", "")
    results = find_residents(township, q)
    open_matters = ops.open_matters_of(township, results)
    results.sort(key=lambda r: r.id not in open_matters)
    return render_template("hall/_residents.html", results=results, q=q,
                           open_matters=open_matters,
                           missing_of=ops.missing_materials,
                           item=request.args.get("item", ""),
                           booking=request.args.get("booking", ""))


@bp.route("/materials")
@staff(*DESK)
def materials():
    """The chosen item's materials as a checklist (an htmx fragment)."""
    form = IntakeForm(formdata=None)
    form.received.choices = [(m, m) for m in _materials(request.args.get("item_id"))]
    return render_template("hall/_materials.html", form=form,
                           **_questions_context(request.args.get("item_id")))


def _hall_matter(matter_id) -> Matter:
    matter = get_or_404(Matter, matter_id)
    if matter.channel != "hall":
        abort(404)
    return matter


def _centre_matter(matter_id) -> Matter:
    """A matter in one of the hall's centre queues, whatever channel brought it (a village
    assistant's errand for a centre's item is taken and transferred like a window's)."""
    matter = get_or_404(Matter, matter_id)
    if matter.centre_id is None:
        abort(404)
    return matter


def _windows() -> list[Window]:
    return list(db.session.scalars(scoped(Window).order_by(Window.sort_order, Window.name)))


def _my_window(township) -> Window | None:
    duty = db.session.scalar(scoped(WindowDuty).where(WindowDuty.user_id == current_user.id,
                                                      WindowDuty.day == local_today(township)))
    return duty.window if duty is not None else None


@bp.route("/intake/<uuid:matter_id>")
@staff(*DESK)
def intake(matter_id):
    """After acceptance: the receipt, finishing on the spot, or the centre's queue; the rating."""
    township = current_township()
    matter = _hall_matter(matter_id)
    item = db.session.get(ServiceItem, (township.id, matter.service_item_id)) \
        if matter.service_item_id else None
    push = PushForm()
    push.window_id.choices = [(str(w.id), w.name) for w in _windows()]
    mine = _my_window(township)
    if mine is not None:
        push.window_id.data = str(mine.id)
    brought = MaterialsForm()
    brought.brought.choices = [(m, m) for m in ops.missing_materials(matter)]
    centres = _options(Centre, order=Centre.sort_order,
                       where=(Centre.id != matter.centre_id,) if matter.centre_id else ())
    transfer = TransferForm()
    transfer.centre_id.choices = centres
    return render_template(
        "hall/intake.html", matter=matter, item=item, finish=FinishForm(), push=push,
        brought=brought, transfer=transfer, missing=ops.missing_materials(matter),
        received=(matter.extra or {}).get("materials_received") or [],
        rating_on_spot=MODEL.settings_for(township).rating_on_spot, State=State)


def _back(matter):
    target = request.form.get("next")
    if target == "queue" and matter.centre_id:
        return redirect(url_for("hall.queue", centre_id=matter.centre_id))
    if target == "ledger":
        return redirect(url_for("matters.detail", matter_id=matter.id))
    if matter.channel != "hall":
        return redirect(url_for("hall.queue", centre_id=matter.centre_id))
    return redirect(url_for("hall.intake", matter_id=matter.id))


def _act(matter, action, done_message: str):
    try:
        action()
    except TransitionError as exc:
        db.session.rollback()
        flash(_(str(exc)), "error")
    else:
        db.session.commit()
        flash(done_message, "success")
    return _back(matter)


@bp.route("/intake/<uuid:matter_id>/finish", methods=["POST"])
@staff(*DESK)
def finish(matter_id):
    township = current_township()
    matter = _hall_matter(matter_id)
    form = FinishForm()
    if not form.validate_on_submit():
        abort(400)
    return _act(matter, lambda: ops.finish_on_the_spot(matter, current_user, township,
                                                        form.text.data or ""),
                _("已当场办结。"))


@bp.route("/matters/<uuid:matter_id>/materials", methods=["POST"])
@staff(*DESK)
def bring(matter_id):
    matter = _hall_matter(matter_id)
    form = MaterialsForm()
    form.brought.choices = [(m, m) for m in ops.missing_materials(matter)]
    if not form.validate_on_submit():
        flash(_("请勾选补交的材料。"), "error")
        return _back(matter)
    return _act(matter, lambda: ops.bring_materials(matter, current_user, form.brought.data),
                _("已登记补交的材料。"))


@bp.route("/matters/<uuid:matter_id>/transfer", methods=["POST"])
@staff(*HALL_STAFF)
def transfer(matter_id):
    matter = _centre_matter(matter_id)
    form = TransferForm()
    form.centre_id.choices = _options(Centre)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(errors[0], "error")
        return _back(matter)
    centre = get_or_404(Centre, form.centre_id.data)
    return _act(matter, lambda: ledger.transfer(matter, current_user, centre=centre,
                                                reason=form.reason.data),
                _("已转交%(centre)s。", centre=centre.name))


@bp.route("/matters/<uuid:matter_id>/take", methods=["POST"])
@staff(*DESK)
def take(matter_id):
    """A centre's staff member takes a matter from the queue and starts on it."""
    matter = _centre_matter(matter_id)

    def take_and_start():
        ledger.assign(matter, current_user, assignee=current_user)
        ledger.start(matter, current_user)

    return _act(matter, take_and_start, _("已接手办理。"))


@bp.route("/matters/<uuid:matter_id>/push", methods=["POST"])
@staff(*DESK)
def push(matter_id):
    """Show the matter on the window's rating tablet for the resident to rate."""
    matter = _hall_matter(matter_id)
    form = PushForm()
    form.window_id.choices = [(str(w.id), w.name) for w in _windows()]
    if not form.validate_on_submit():
        flash(_("请选择窗口。"), "error")
        return _back(matter)
    window = get_or_404(Window, form.window_id.data)
    return _act(matter, lambda: ops.push_to_tablet(window, matter, current_user),
                _("已推送到%(window)s的评价器，请群众评价。", window=window.name))


# ---------------------------------------------------------------- centre queues

@bp.route("/queue")
@staff(*HALL_STAFF)
def queue():
    township = current_township()
    centres = list(db.session.scalars(scoped(Centre).order_by(Centre.sort_order, Centre.name)))
    if not centres:
        return render_template("hall/queue.html", centres=[], centre=None, matters=[],
                               transfer=TransferForm(), State=State)
    wanted = request.args.get("centre_id")
    if wanted:
        centre = get_or_404(Centre, wanted)
    else:
        own = db.session.scalar(scoped(RoleGrant).where(
            RoleGrant.user_id == current_user.id, RoleGrant.centre_id.is_not(None)))
        centre = own.centre if own is not None else centres[0]
    transfer = TransferForm()
    transfer.centre_id.choices = [(str(c.id), c.name) for c in centres if c.id != centre.id]
    from app.matters.views import visible_condition

    return render_template("hall/queue.html", centres=centres, centre=centre,
                           matters=ops.queue(township, centre, visible_condition(township)),
                           today=local_today(township),
                           transfer=transfer, missing_of=ops.missing_materials, State=State)


# ---------------------------------------------------------------- bookings

@bp.route("/bookings")
@staff(*HALL_STAFF)
def bookings():
    township = current_township()
    today = local_today(township)
    days = [(today, _("今天")), (today + timedelta(days=1), _("明天"))]
    try:
        other = date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        other = None
    if other is not None and other not in (today, today + timedelta(days=1)):
        days = [(other, _("所选日期"))]
    return render_template("hall/bookings.html", picked=other,
                           days=[(day, label, ops.bookings_on(township, day))
                                 for day, label in days], BookingState=BookingState)


@bp.route("/bookings/<uuid:booking_id>/arrive", methods=["POST"])
@staff(*DESK)
def arrive(booking_id):
    """The booked resident is here: open the desk with the booking filled in."""
    booking = get_or_404(Booking, booking_id)
    if booking.state != BookingState.BOOKED:
        flash(_("该预约已取消或已办理。"), "error")
        return redirect(url_for("hall.bookings"))
    return redirect(url_for("hall.index", booking=booking.id))


# ---------------------------------------------------------------- set-up: hours, windows, duty

@bp.route("/schedule", methods=["GET", "POST"])
@staff(*ADMIN)
def schedule():
    township = current_township()
    form = OpeningModeForm()
    if form.validate_on_submit():
        mode = OpeningMode(township_id=township.id)
        form.populate_obj(mode)
        mode.cutoff_hours = form.cutoff_hours.data or 0
        db.session.add(mode)
        db.session.commit()
        flash(_("已添加开放时段。"), "success")
        return redirect(url_for("hall.schedule"))
    modes = list(db.session.scalars(scoped(OpeningMode).order_by(OpeningMode.day_type,
                                                                 OpeningMode.opens)))
    return render_template("hall/schedule.html", form=form, modes=modes, DayType=DayType), (
        422 if form.errors else 200)


@bp.route("/schedule/standard", methods=["POST"])
@staff(*ADMIN)
def standard_schedule():
    township = current_township()
    form = FinishForm()  # CSRF only
    if not form.validate_on_submit():
        abort(400)
    if db.session.scalar(scoped(OpeningMode).limit(1)) is not None:
        flash(_("已有开放时段，请逐项修改。"), "error")
    else:
        ops.add_standard_schedule(township, MODEL.settings_for(township).booking_cutoff_hours)
        db.session.commit()
        flash(_("已按常用作息添加开放时段，可逐项修改。"), "success")
    return redirect(url_for("hall.schedule"))


@bp.route("/schedule/<uuid:mode_id>", methods=["POST"])
@staff(*ADMIN)
def toggle_mode(mode_id):
    mode = get_or_404(OpeningMode, mode_id)
    if not FinishForm().validate_on_submit():
        abort(400)
    mode.active = not mode.active
    db.session.commit()
    flash(_("已启用。") if mode.active else _("已停用；已有预约不受影响。"), "success")
    return redirect(url_for("hall.schedule"))


def _duty_form(township) -> DutyForm:
    form = DutyForm()
    form.window_id.choices = [(str(w.id), w.name) for w in _windows()]
    people = db.session.scalars(
        select(User).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.township_id == township.id,
               RoleGrant.role.in_([Role.CENTRE_STAFF.value, Role.TOWNSHIP_ADMIN.value]))
        .distinct().order_by(User.name))
    form.user_id.choices = [(str(u.id), u.name) for u in people]
    return form


@bp.route("/windows", methods=["GET", "POST"])
@staff(*DESK)
def windows():
    """Windows, their rating tablets, and who is on duty at each today (挂牌上岗)."""
    township = current_township()
    today = local_today(township)
    window_form = WindowForm(prefix="w")
    window_form.centre_id.choices = _options(Centre, blank=_("（不限）"))
    duty_form = _duty_form(township)
    is_admin = Role.TOWNSHIP_ADMIN in current_user.roles_in(township.id)
    if request.method == "POST":
        if "w-name" in request.form:
            if not is_admin:
                abort(403)
            if window_form.validate_on_submit():
                centre = get_or_404(Centre, window_form.centre_id.data) \
                    if window_form.centre_id.data else None
                ops.new_window(township, window_form.name.data, centre)
                db.session.commit()
                flash(_("已添加窗口。"), "success")
                return redirect(url_for("hall.windows"))
        elif duty_form.validate_on_submit():
            window = get_or_404(Window, duty_form.window_id.data)
            user_id = uuid.UUID(duty_form.user_id.data)  # one of the form's choices
            db.session.execute(delete(WindowDuty).where(
                WindowDuty.township_id == township.id, WindowDuty.window_id == window.id,
                WindowDuty.day == today))
            db.session.add(WindowDuty(township_id=township.id, window_id=window.id, day=today,
                                      user_id=user_id,
                                      badge_number=(duty_form.badge_number.data or "").strip()))
            db.session.commit()
            flash(_("已安排%(window)s今日值守。", window=window.name), "success")
            return redirect(url_for("hall.windows"))
    duties = {d.window_id: d for d in db.session.scalars(
        scoped(WindowDuty).where(WindowDuty.day == today))}
    status = 422 if request.method == "POST" else 200
    return render_template("hall/windows.html", windows=_windows(), duties=duties,
                           window_form=window_form, duty_form=duty_form, is_admin=is_admin,
                           today=today), status


# ---------------------------------------------------------------- figures

@bp.route("/figures")
@staff(*HALL_STAFF)
def figures():
    """Per centre and per staff member: received, finished on the spot, on time, satisfaction."""
    township = current_township()
    today = local_today(township)
    try:
        start = date.fromisoformat(request.args.get("start", ""))
    except ValueError:
        start = today.replace(day=1)
    end = today + timedelta(days=1)
    return render_template("hall/figures.html", start=start, end=end,
                           centres=ops.centre_figures(township, start, end),
                           people=ops.staff_figures(township, start, end))

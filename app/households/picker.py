"""The resident picker: find a resident by name, phone tail or household (head or house number),
tell people of the same name apart, and register a new one without leaving the form.

One reusable piece: `search_residents`, `describe` and `register_resident` here; the views
`households.picker` (results fragment) and `households.picker_register` (register, htmx); the
macro `resident_picker` in templates/households/_picker.html. A host form (the errand form, the
hall desk, a visit) puts the macro inside its own <form>; without JavaScript its "search" and
"register" buttons submit the host form with `action=search` / `action=register`, and the host
view calls `picker_state(...)` to re-render everything as typed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import or_, select
from wtforms import RadioField, SelectField, StringField
from wtforms.validators import Length, Optional

from app.access import staff
from app.accounts.models import Role, RoleGrant
from app.audit.operations import record, snapshot
from app.clock import township_today
from app.extensions import db
from app.households.models import Household, Resident, Village
from app.households.views import bp
from app.tenancy import current_township, get_scoped, scoped
from app.validation import IdNumberValidator, Phone, check_id_number

LIMIT = 20


def _of(model, township):
    """Rows of one township (operations take the township, not the request's)."""
    return select(model).where(model.township_id == township.id)


# ---------------------------------------------------------------- operations


def search_residents(township, q: str, *, village_ids=None, limit: int = LIMIT) -> list[Resident]:
    """Residents matching `q`: four digits are a phone tail, more digits part of a phone number,
    anything else part of a name, of the household head's name or of the household's address
    (house numbers such as 3组12号). `village_ids` narrows to some villages."""
    q = (q or "").strip()
    if not q:
        return []
    household = (Household.township_id == Resident.township_id) & (
        Household.id == Resident.household_id)
    query = _of(Resident, township).outerjoin(Household, household)
    if q.isdigit() and len(q) == 4:
        query = query.where(or_(Resident.phone_tail == q, Household.phone_tail == q))
    elif q.isdigit():
        query = query.where(or_(Resident.phone.contains(q), Household.phone.contains(q)))
    else:
        query = query.where(or_(Resident.name.contains(q), Household.head_name.contains(q),
                                Household.address.contains(q)))
    if village_ids:
        query = query.where(or_(Resident.village_id.in_(village_ids),
                                Household.village_id.in_(village_ids)))
    return list(db.session.scalars(query.order_by(Resident.name, Resident.created_at)
                                   .limit(limit)))


def search_households(township, q: str, *, village_ids=None,
                      limit: int = LIMIT) -> list[Household]:
    """Households by head's name, address (house number) or phone tail."""
    q = (q or "").strip()
    if not q:
        return []
    query = _of(Household, township).where(Household.active.is_(True))
    if q.isdigit() and len(q) == 4:
        query = query.where(Household.phone_tail == q)
    else:
        query = query.where(or_(Household.head_name.contains(q), Household.address.contains(q)))
    if village_ids:
        query = query.where(Household.village_id.in_(village_ids))
    return list(db.session.scalars(query.order_by(Household.head_name).limit(limit)))


@dataclass
class Described:
    resident: Resident
    name: str
    village: str = ""
    head: str = ""  # the household head, when it is someone else
    address: str = ""
    phone_hint: str = ""  # 尾号1234
    age: int | None = None

    @property
    def parts(self) -> list[str]:
        out = [self.village, self.address]
        if self.head:
            out.append(str(_l("户主 %(name)s", name=self.head)))
        if self.phone_hint:
            out.append(str(_l("尾号%(tail)s", tail=self.phone_hint)))
        if self.age is not None:
            out.append(str(_l("%(n)s 岁", n=self.age)))
        return [p for p in out if p]


def describe(township, residents: list[Resident]) -> list[Described]:
    """What tells same-named people apart: village, household head and address, the phone's last
    four digits, the age (from the ID number's birth year when it is known)."""
    households = {h.id: h for h in db.session.scalars(_of(Household, township).where(
        Household.id.in_([r.household_id for r in residents if r.household_id])))}
    villages = {v.id: v.name for v in db.session.scalars(_of(Village, township))}
    year = township_today(township).year
    out = []
    for r in residents:
        h = households.get(r.household_id)
        village_id = r.village_id or (h.village_id if h else None)
        tail = r.phone_tail or (h.phone_tail if h else None) or ""
        out.append(Described(
            resident=r, name=r.name, village=villages.get(village_id, ""),
            head=h.head_name if h and h.head_name != r.name else "",
            address=h.address if h else "", phone_hint=tail,
            age=(year - r.birth_year) if r.birth_year else None))
    return out


def register_resident(township, actor, *, name: str, phone: str = "", village: Village,
                      household: Household | None = None, address: str = "",
                      id_number: str = "") -> Resident:
    """A villager not yet in the register: into an existing household, or as the head of a new
    one. Only the ID number's last four digits, birth year and gender are kept. The caller
    commits; the audit log has the registration."""
    name = name.strip()
    if not name:
        raise ValueError(str(_l("请填写姓名。")))
    phone = phone.strip()
    ident = check_id_number(id_number) if id_number.strip() else None
    if household is None:
        household = Household(township_id=township.id, village_id=village.id, head_name=name,
                              address=address.strip(), phone=phone or None,
                              phone_tail=phone[-4:] if phone else None, tags=[])
        db.session.add(household)
        db.session.flush()
        relation = "户主"
        record(township.id, actor, "household.create", household,
               after=snapshot(household, ("head_name", "address", "phone", "village_id")),
               summary=f"登记新户：{household.head_name}")
    else:
        relation = None
    resident = Resident(township_id=township.id, name=name, household_id=household.id,
                        village_id=household.village_id, relation=relation,
                        id_tail=ident.tail if ident else None,
                        birth_year=ident.birth_date.year if ident else None,
                        gender=ident.gender if ident else None)
    resident.set_phone(phone or None)
    db.session.add(resident)
    db.session.flush()
    record(township.id, actor, "resident.register", resident,
           after=snapshot(resident, ("name", "phone", "household_id", "village_id", "id_tail",
                                     "birth_year")),
           summary=f"登记群众：{resident.name}")
    return resident


# ---------------------------------------------------------------- the form and the state


class RegisterResidentForm(FlaskForm):
    """The new villager's fields, inside a host form (prefix ``new``; the host carries CSRF)."""

    name = StringField(_l("姓名"), validators=[Optional(), Length(max=40)])
    phone = StringField(_l("电话"), validators=[Optional(), Phone()],
                        description=_l("手机号，或带区号的座机"))
    village_id = SelectField(_l("村（社区）"), validators=[Optional()])
    household = RadioField(_l("户"), default="new", choices=[
        ("new", _l("新立一户（本人为户主）")), ("existing", _l("加入已登记的户"))])
    address = StringField(_l("住址 / 门牌"), validators=[Optional(), Length(max=200)])
    household_q = StringField(_l("查找户（户主姓名、门牌或电话后四位）"),
                              validators=[Optional(), Length(max=40)])
    household_id = StringField(validators=[Optional()])
    id_number = StringField(_l("身份证号（可不填，只保存后四位）"),
                            validators=[Optional(), IdNumberValidator()])

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "new")
        kwargs.setdefault("meta", {"csrf": False})
        super().__init__(*args, **kwargs)


def my_village_ids(township) -> list[uuid.UUID]:
    """The villages of the signed-in village assistant (empty for everyone else)."""
    return [g.village_id for g in db.session.scalars(
        scoped(RoleGrant).where(RoleGrant.user_id == current_user.id,
                                RoleGrant.role == Role.VILLAGE_ASSISTANT.value,
                                RoleGrant.village_id.is_not(None)))]


@dataclass
class PickerState:
    """What the macro renders: the search text, the matches, the chosen one, the register form."""

    q: str = ""
    field_name: str = "resident_id"
    selected: str = ""
    results: list[Described] = field(default_factory=list)
    register: RegisterResidentForm | None = None
    households: list[Household] = field(default_factory=list)
    registered: Resident | None = None
    searched: bool = False


def _villages(township, village_ids):
    query = scoped(Village).order_by(Village.sort_order, Village.name)
    if village_ids:
        query = query.where(Village.id.in_(village_ids))
    return db.session.scalars(query).all()


def picker_state(township, formdata, *, field_name: str = "resident_id",
                 action: str = "") -> PickerState:
    """The picker as the host form's data leaves it: search results for the typed text (the
    chosen resident always among them), the register form with what was typed, households found
    for "join an existing household". `action` "register" registers (the caller commits when
    `state.registered` is set)."""
    village_ids = my_village_ids(township)
    register = RegisterResidentForm(formdata=formdata)
    villages = _villages(township, village_ids)
    register.village_id.choices = [(str(v.id), v.name) for v in villages]
    if not register.village_id.data and villages:
        register.village_id.data = str(villages[0].id)
    state = PickerState(q=(formdata.get(f"{field_name}_q") or "").strip(), field_name=field_name,
                        selected=formdata.get(field_name) or "", register=register)
    if action == "register":
        resident = _register(township, register, village_ids)
        if resident is not None:
            state.registered, state.selected, state.q = resident, str(resident.id), resident.name
            state.register = RegisterResidentForm(formdata=None)
            state.register.village_id.choices = register.village_id.choices
            state.register.village_id.data = register.village_id.data
    found = search_residents(township, state.q, village_ids=village_ids)
    state.searched = bool(state.q)
    chosen = get_scoped(Resident, state.selected, township.id) if _uuid(state.selected) else None
    if chosen is not None and chosen.id not in {r.id for r in found}:
        found.insert(0, chosen)
    state.results = describe(township, found)
    state.households = search_households(township, state.register.household_q.data or "",
                                         village_ids=village_ids)
    return state


def _uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _register(township, form: RegisterResidentForm, village_ids) -> Resident | None:
    ok = form.validate()
    if not (form.name.data or "").strip():
        form.name.errors.append(_l("请填写姓名。"))
        ok = False
    village = (get_scoped(Village, form.village_id.data, township.id)
               if _uuid(form.village_id.data) else None)
    if village is None or (village_ids and village.id not in village_ids):
        form.village_id.errors.append(_l("请选择村（社区）。"))
        ok = False
    household = None
    if form.household.data == "existing":
        household = (get_scoped(Household, form.household_id.data, township.id)
                     if _uuid(form.household_id.data) else None)
        if household is None or (village_ids and household.village_id not in village_ids):
            form.household_q.errors.append(_l("请查找并选择要加入的户。"))
            ok = False
    if not ok:
        return None
    try:
        return register_resident(township, current_user, name=form.name.data,
                                 phone=form.phone.data or "", village=village,
                                 household=household, address=form.address.data or "",
                                 id_number=form.id_number.data or "")
    except ValueError as error:
        form.id_number.errors.append(str(error))
        return None


# ---------------------------------------------------------------- views (htmx fragments)

PICKER_ROLES = (Role.VILLAGE_ASSISTANT, Role.CENTRE_STAFF, Role.TOWNSHIP_ADMIN, Role.LEADER,
                Role.CADRE)


@bp.route("/picker")
@staff(*PICKER_ROLES)
def picker():
    """Search results of the picker (htmx swaps them in as the user types)."""
    township = current_township()
    field_name = _field_name(request.args)
    state = picker_state(township, request.args, field_name=field_name)
    part = request.args.get("part", "results")
    template = "households/_picker_households.html" if part == "households" else \
        "households/_picker_results.html"
    return render_template(template, state=state)


@bp.route("/picker/new", methods=["POST"])
@staff(*PICKER_ROLES)
def picker_register():
    """Register a new villager from inside a host form (htmx): the picker comes back with them
    chosen, or with the register fields' errors (422)."""
    township = current_township()
    field_name = _field_name(request.form)
    state = picker_state(township, request.form, field_name=field_name, action="register")
    if state.registered is not None:
        db.session.commit()
        return render_template("households/_picker_block.html", state=state)
    db.session.rollback()
    return render_template("households/_picker_block.html", state=state), 422


def _field_name(values) -> str:
    name = values.get("picker_field") or "resident_id"
    return name if name.replace("_", "").isalnum() else "resident_id"

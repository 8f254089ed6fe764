"""Residents' personal data on its way to people who may not see it (DESIGN §4, §8).

One place for the three ways Minqing hides personal data:

- `mask_name`: 王** for 王小明, for every name on a public page;
- `mask_phone`: 138****8000 where staff need a hint of a number;
- `mask_text`: free text as a resident or a clerk wrote it, with every mobile and landline number,
  resident ID number and bank card number in it masked, before it reaches a public page (the board,
  tracking, feeds, case write-ups, notice-board PDFs) or a log line.

Phone numbers are found by Google's libphonenumber (`phonenumbers`), which knows China's mobile and
landline plans in every usual spelling (138 0013 8000, 0734-8123456, +86…); resident ID numbers by
shape (a checksum-failing ID is still somebody's ID, typed wrong); bank cards by length and the Luhn
check. What is left of 7 or more digits in a row is masked too: on a public page such a number is
almost always a phone, an account or an ID of some kind, and an over-masked amount costs nothing.
"""

from __future__ import annotations

import re

import phonenumbers
from stdnum import luhn

# Tracking numbers (HGZ-2026-000123) are public and look like a landline to libphonenumber.
_TRACKING = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2,8}-\d{4}-\d{6}(?!\d)")
# Dates (2026-12-07, 2026/12/07 09:30, 2026-12-07T09:30:00+08:00, 2026-12) and amounts with
# decimals (4800.50) are public and look like numbers to libphonenumber too.
_DATE = re.compile(r"(?<![\d.])(?:19|20)\d{2}([-/.])(?:0?[1-9]|1[0-2])"
                   r"(?:\1(?:0?[1-9]|[12]\d|3[01]))?"
                   r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?(?!\d)")
_AMOUNT = re.compile(r"(?<![\d.])\d{1,9}\.\d{1,2}(?![\d.])")
_RESIDENT_ID = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
# 16 to 19 digits, optionally grouped by spaces or dashes as cards are printed.
_CARD = re.compile(r"(?<!\d)\d(?:[ -]?\d){15,18}(?!\d)")
_LONG_DIGITS = re.compile(r"(?<!\d)\d{7,}(?!\d)")


def mask_name(name: str | None) -> str:
    """王** for 王小明: public pages show the family name only."""
    if not name:
        return "**"
    return name[0] + "*" * max(2, len(name) - 1)


def mask_phone(phone: str | None) -> str:
    """138****8000 for a mobile, 0734****56 for a landline: a hint for staff, never the number."""
    if not phone:
        return ""
    digits = re.sub(r"\D", "", phone)
    if phone.lstrip().startswith("+86") or (digits.startswith("86") and len(digits) == 13):
        digits = digits[2:]
    if len(digits) < 7:
        return "****"
    if digits.startswith("1") and len(digits) == 11:
        return digits[:3] + "****" + digits[-4:]
    if digits.startswith("0"):
        area = 3 if digits[1] in "12" else 4  # 010, 02x are three digits; the rest four
        return digits[:area] + "****" + digits[-2:]
    return digits[:3] + "****" + digits[-4:]


def _mask_id(number: str) -> str:
    return number[:1] + "*" * (len(number) - 2) + number[-1:]


def _mask_card(number: str) -> str:
    digits = re.sub(r"\D", "", number)
    if not luhn.is_valid(digits):
        return "*" * (len(digits) - 4) + digits[-4:]
    return "**** " + digits[-4:]


def _mask_digits(run: str) -> str:
    return "*" * (len(run) - 2) + run[-2:]


def mask_text(text: str | None) -> str:
    """`text` with phone, ID and bank card numbers masked; everything else as written."""
    if not text:
        return text or ""
    kept: list[str] = []

    def keep(match: re.Match) -> str:
        kept.append(match.group(0))
        return f"\x00{len(kept) - 1}\x00"

    out = _TRACKING.sub(keep, text)
    out = _DATE.sub(keep, out)
    out = _AMOUNT.sub(keep, out)
    out = _RESIDENT_ID.sub(lambda m: _mask_id(m.group(1)), out)
    out = _CARD.sub(lambda m: _mask_card(m.group(0)), out)
    pieces, last = [], 0
    lenient = phonenumbers.Leniency.POSSIBLE
    for found in phonenumbers.PhoneNumberMatcher(out, "CN", leniency=lenient):
        pieces.append(out[last:found.start])
        pieces.append(mask_phone(found.raw_string))
        last = found.end
    pieces.append(out[last:])
    out = "".join(pieces)
    out = _LONG_DIGITS.sub(lambda m: _mask_digits(m.group(0)), out)
    return re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], out)


def has_personal_numbers(text: str | None) -> bool:
    """Whether `mask_text` would change `text` (a review queue flags such submissions)."""
    return bool(text) and mask_text(text) != text


# ---------------------------------------------------------------- public pages

# Strings that are addresses or tokens, not text people wrote: links, data: URIs, CSRF tokens.
_ADDRESS = re.compile(r"^(?:/|#|\?|https?://|data:|mailto:|tel:|minqing-static:)")
_TOKEN = re.compile(r"^[A-Za-z0-9_\-.:=+/%&?]+$")
_DIGIT = re.compile(r"\d")


def mask_for_public(value):
    """Jinja's `finalize` hook: on a public page or a notice-board PDF every string a template
    outputs goes through `mask_text`, whoever wrote it and whichever field it came from.

    This is the one place public text is masked, so a new public template cannot forget it.
    Already-escaped markup (macros, form fields re-showing what a resident typed, text marked
    official with `|public_number`) is left alone, as are links and tokens.
    """
    # The cheap tests first: every value a page outputs passes here, most without 7 digits.
    if type(value) is not str or len(_DIGIT.findall(value)) < 7 or not _public_output():
        return value
    if _ADDRESS.match(value):
        return value
    if _TOKEN.match(value) and not _RESIDENT_ID.fullmatch(value) \
            and re.search(r"[A-Za-z]", value) and not re.fullmatch(r"[\d\sXx+()-]+", value):
        return value
    return mask_text(value)


def _public_output() -> bool:
    from flask import g, has_app_context

    return has_app_context() and bool(g.get("public_output"))


class public_output:
    """Within this block, templates mask numbers as on public pages (a notice-board PDF)."""

    def __enter__(self):
        from flask import g

        self._before = g.get("public_output")
        g.public_output = True
        return self

    def __exit__(self, *exc):
        from flask import g

        g.public_output = self._before
        return False


def public_number(value) -> str:
    """A number meant to be public (the township's office line): kept on public pages."""
    from markupsafe import Markup, escape

    return Markup(escape(value or ""))


# ---------------------------------------------------------------- residents' phones for staff

def may_see_phone(user, township, *, village_id=None, centre_id=None, matter=None,
                  household=None) -> bool:
    """Whether `user` may see a resident's full phone number here (issue #16).

    The township's administrator and leaders see every number; village assistants the numbers of
    their villages; centre staff those of their centre's matters; whoever a matter is assigned to,
    registered it, or is the household's contact cadre, the numbers of that matter. Everyone else
    sees `mask_phone` and may ask to show it, which is recorded.
    """
    from sqlalchemy import select

    from app.accounts.models import Role, RoleGrant
    from app.extensions import db

    if user is None or not getattr(user, "is_authenticated", False) or township is None:
        return False
    grants = db.session.execute(
        select(RoleGrant.role, RoleGrant.village_id, RoleGrant.centre_id).where(
            RoleGrant.township_id == township.id, RoleGrant.user_id == user.id),
        execution_options={"all_townships": True}).all()
    roles = {Role(g.role) for g in grants}
    if roles & {Role.TOWNSHIP_ADMIN, Role.LEADER}:
        return True
    if matter is not None:
        if user.id in (matter.assignee_id, matter.created_by_id):
            return True
        village_id = village_id or matter.village_id
        centre_id = centre_id or matter.centre_id
        if household is None and matter.household_id:
            household = matter.household
    if household is not None:
        if household.contact_cadre_id == user.id:
            return True
        village_id = village_id or household.village_id
    for g in grants:
        if g.role == Role.VILLAGE_ASSISTANT and village_id and g.village_id == village_id:
            return True
        if g.role == Role.CENTRE_STAFF and centre_id and g.centre_id == centre_id:
            return True
    return False

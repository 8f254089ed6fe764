"""The one place where phone numbers and resident ID numbers are checked.

Phone numbers go through Google's libphonenumber (`phonenumbers`): Chinese mobiles (any 1xx range
the operators open, with or without +86 and spaces or dashes) and landlines with their area code
(``0734-8123456``, ``(010) 12345678``). ID numbers go through python-stdnum's `stdnum.cn.ric`
(GB 11643: length, check character, birth date, region). Every form, importer and wizard calls
these instead of its own pattern, so a number accepted at the window is accepted everywhere.

Errors are `ValueError` with a message for people (Chinese, through gettext when a request or app
context has a locale).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date

import phonenumbers
from flask_babel import lazy_gettext as _l
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric
from wtforms.validators import ValidationError

from app.clock import utcnow

_PHONE_TYPES_OK = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


def normalize_phone(text: str, *, mobile_only: bool = False) -> str:
    """`text` as a Chinese phone number in its one stored spelling, or ValueError.

    Mobiles become their 11 digits (``13812345678``); landlines ``<area code>-<number>`` with the
    leading 0 (``0734-8123456``). `mobile_only` refuses landlines (where an SMS must reach it)."""
    raw = (text or "").strip()
    if not raw:
        raise ValueError(str(_l("请填写电话号码。")))
    if raw.endswith(".0") and raw[:-2].isdigit():  # Excel turned the number into a float
        raw = raw[:-2]
    try:
        number = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        raise ValueError(str(_l("请填写 11 位手机号码或带区号的座机号码（如 0734-8123456）。"))) \
            from None
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):
        raise ValueError(str(_l("请填写 11 位手机号码或带区号的座机号码（如 0734-8123456）。")))
    kind = phonenumbers.number_type(number)
    if kind not in _PHONE_TYPES_OK:
        raise ValueError(str(_l("请填写 11 位手机号码或带区号的座机号码（如 0734-8123456）。")))
    if kind == phonenumbers.PhoneNumberType.MOBILE:
        return str(number.national_number)
    if mobile_only:
        raise ValueError(str(_l("请填写 11 位手机号码。")))
    national = str(number.national_number)
    # libphonenumber's national format puts a space after the area code: "0734 812 3456".
    area = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL).split()[0]
    return f"{area}-{national[len(area) - 1:]}"


def is_phone(text: str) -> bool:
    try:
        normalize_phone(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class IdNumber:
    number: str  # the 18 characters, X upper-case
    birth_date: date
    region: str  # 省 + 县 as the national register names them

    @property
    def tail(self) -> str:
        return self.number[-4:]

    @property
    def gender(self) -> str:
        return "男" if int(self.number[16]) % 2 else "女"


def check_id_number(text: str) -> IdNumber:
    """A resident ID number (居民身份证号码) checked for length, check character, birth date and
    region, or ValueError saying which part is wrong."""
    try:
        number = ric.validate(text or "")
    except stdnum_errors.InvalidLength:
        raise ValueError(str(_l("身份证号应为 18 位。"))) from None
    except stdnum_errors.InvalidFormat:
        raise ValueError(str(_l("身份证号前 17 位应为数字，最后一位为数字或 X。"))) from None
    except stdnum_errors.InvalidChecksum:
        raise ValueError(str(_l("身份证号校验码不对，请核对。"))) from None
    except stdnum_errors.InvalidComponent:
        raise ValueError(str(_l("身份证号中的出生日期或地区代码不存在。"))) from None
    born = ric.get_birth_date(number)
    if born > utcnow().date():
        raise ValueError(str(_l("身份证号中的出生日期不存在。")))
    place = ric.get_birth_place(number)
    return IdNumber(number=number.upper(), birth_date=born,
                    region=f"{place.get('province', '')}{place.get('county', '')}")


_PLAIN_ID = re.compile(r"[0-9]{17}[0-9Xx]")


@functools.lru_cache(maxsize=65536)
def _id_birth(head: str):
    """The birth date of an ID number's first 14 digits (region and date), or None when the date
    or the region (as it was in that year) does not exist. Cached: a county's numbers share a few
    thousand regions and dates, and the region look-up is the costly part of the check."""
    try:
        number = head + "0000"
        born = ric.get_birth_date(number)
        ric.get_birth_place(number)
    except stdnum_errors.ValidationError:
        return None
    return born


def is_id_number(text: str) -> bool:
    """The same answer as check_id_number, fast for the plain 18-character spelling (a county's
    import checks hundreds of thousands); anything else goes through check_id_number."""
    plain = (text or "").strip()
    if _PLAIN_ID.fullmatch(plain):
        plain = plain.upper()
        if plain[-1] != ric.calc_check_digit(plain):
            return False
        born = _id_birth(plain[:14])
        return born is not None and born <= utcnow().date()
    try:
        check_id_number(text)
    except ValueError:
        return False
    return True


# ---------------------------------------------------------------- WTForms validators


class Phone:
    """WTForms validator: an empty field passes (add DataRequired to require it); otherwise the
    field's data is replaced by its normalised spelling."""

    def __init__(self, mobile_only: bool = False):
        self.mobile_only = mobile_only
        self.field_flags = {"phone": True}

    def __call__(self, form, field):
        if not (field.data or "").strip():
            field.data = ""
            return
        try:
            field.data = normalize_phone(field.data, mobile_only=self.mobile_only)
        except ValueError as error:
            raise ValidationError(str(error)) from None


class IdNumberValidator:
    """WTForms validator for a resident ID number; empty passes, data becomes upper-case."""

    def __call__(self, form, field):
        if not (field.data or "").strip():
            field.data = ""
            return
        try:
            field.data = check_id_number(field.data).number
        except ValueError as error:
            raise ValidationError(str(error)) from None


def phone_error(text: str, *, mobile_only: bool = False) -> str | None:
    """None when `text` is empty or a good number, else the message (for dict-of-errors code)."""
    if not (text or "").strip():
        return None
    try:
        normalize_phone(text, mobile_only=mobile_only)
    except ValueError as error:
        return str(error)
    return None

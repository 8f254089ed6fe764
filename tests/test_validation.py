"""One place for phone and ID numbers: libphonenumber and python-stdnum behind app.validation."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from app.validation import (
    check_id_number,
    is_id_number,
    normalize_phone,
    phone_error,
)


@pytest.mark.parametrize("text, stored", [
    ("13812345678", "13812345678"),
    ("138 1234 5678", "13812345678"),
    ("+86 138-1234-5678", "13812345678"),
    ("16612345678", "13812345678".replace("138", "166")),
    ("0734-8123456", "0734-8123456"),
    ("07348123456", "0734-8123456"),
    ("(0734) 8123456", "0734-8123456"),
    ("010-12345678", "010-12345678"),
    ("13900001234.0", "13900001234"),  # Excel's float
])
def test_mobiles_and_landlines_with_area_code_are_accepted_in_one_spelling(text, stored):
    assert normalize_phone(text) == stored


@pytest.mark.parametrize("text", ["12345", "1381234567", "0734-812345", "8123456", "400-800-1234",
                                  "abc", "+1 202 555 0143", ""])
def test_wrong_numbers_are_refused_in_chinese(text):
    with pytest.raises(ValueError) as refused:
        normalize_phone(text)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in str(refused.value))


def test_mobile_only_refuses_a_landline():
    with pytest.raises(ValueError, match="手机"):
        normalize_phone("0734-8123456", mobile_only=True)
    assert phone_error("") is None and phone_error("0734-8123456") is None
    assert phone_error("12345")


def test_id_numbers_checked_for_checksum_birth_date_and_region():
    good = check_id_number("11010519491231002x")
    assert good.number == "11010519491231002X" and good.tail == "002X"
    assert good.birth_date.isoformat() == "1949-12-31" and "北京" in good.region
    assert good.gender == "女"
    with pytest.raises(ValueError, match="校验码"):
        check_id_number("110105194912310021")
    with pytest.raises(ValueError, match="18 位"):
        check_id_number("1101051949")
    from stdnum.cn import ric

    def with_check(body):
        return body + ric.calc_check_digit(body + "0")

    with pytest.raises(ValueError, match="出生日期"):
        check_id_number(with_check("11010519491331002"))  # month 13
    with pytest.raises(ValueError, match="地区"):
        check_id_number(with_check("99990019491231002"))  # no such region
    assert not is_id_number("") and is_id_number("11010519491231002X")


def test_is_id_number_fast_path_answers_as_the_full_check():
    """is_id_number takes a cached short cut for the plain spelling (the county import checks
    hundreds of thousands); it must agree with check_id_number on every kind of number."""
    import random

    from stdnum.cn import ric

    rng = random.Random(3)
    numbers = ["", "11010519491231002x", " 11010519491231002X ",
               "１１０１０５１９４９１２３１００２Ｘ",
               "99990019491231002" + "1", "110105" + "20991231" + "0021"]
    for _ in range(3000):
        body = (f"{rng.choice(['350121', '110101', '370181', '999999', '110105'])}"
                f"{rng.choice([1900, 1949, 1988, 2030, 1200]):04d}"
                f"{rng.randint(0, 13):02d}{rng.randint(0, 32):02d}{rng.randint(0, 999):03d}")
        check = (ric.calc_check_digit(body + "0") if rng.random() < 0.8
                 else rng.choice("0123456789Xx"))
        numbers.append(body + check)

    def full(text):
        try:
            check_id_number(text)
        except ValueError:
            return False
        return True

    assert sum(full(n) for n in numbers) > 300  # the sample holds many good numbers
    assert [n for n in numbers if is_id_number(n) != full(n)] == []


def test_every_form_with_a_phone_takes_a_landline(app):
    """The hall intake, the staff matter form, the studio and the township's staff form used to
    have their own mobile-only patterns; now all of them take 0734-8123456."""
    from app.hall.forms import IntakeForm
    from app.matters.forms import MatterForm, OnlineForm
    from app.studio.forms import MOBILE as studio_phone

    with app.test_request_context(method="POST"):
        form = IntakeForm(formdata=MultiDict({"new_phone": "0734 8123456"}), meta={"csrf": False})
        assert form.new_phone.validate(form) and form.new_phone.data == "0734-8123456"
        form = IntakeForm(formdata=MultiDict({"new_phone": "12345"}), meta={"csrf": False})
        assert not form.new_phone.validate(form) and form.new_phone.errors
        for cls in (MatterForm, OnlineForm):
            form = cls(formdata=MultiDict({"contact_phone": "0734-8123456"}),
                       meta={"csrf": False})
            assert form.contact_phone.validate(form), form.contact_phone.errors
        from app.validation import Phone

        assert isinstance(studio_phone, Phone)


def test_the_importer_takes_landlines_and_checks_id_numbers_with_stdnum(app, ctx):
    from app.households import importer
    from tests import factories

    t = factories.township()
    factories.village(t, "东村")
    index = {"village": 0, "head": 1, "address": 2, "phone": 3, "id_number": 4}
    lookups, seen = importer.load_lookups(t), {}
    rows = {}
    sheet = [["东村", "王德福", "东街1号", "0734-8123456", "11010519491231002X"],
             ["东村", "李四", "东街2号", "12345", ""],
             ["东村", "张三", "东街3号", "13900001234", "11010519491331002X"]]
    for number, cells in enumerate(sheet, 2):
        row = importer.check_row(number, cells, index, lookups, seen)
        rows[row.values["head"]] = row
    assert rows["王德福"].problems == [] and rows["王德福"].values["phone"] == "0734-8123456"
    assert any("不是11位手机号" in p for p in rows["李四"].problems)
    assert any("身份证号不正确" in p for p in rows["张三"].problems)

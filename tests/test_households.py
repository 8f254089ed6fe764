"""The registry pages: search by name, address or phone digits; a household's page."""

from __future__ import annotations

from app.accounts.models import Role
from app.extensions import db
from app.tenancy import bind_township
from tests import factories
from tests.conftest import login


def test_search_and_household_page(app, client):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("huji")
        bind_township(db.session, t.id)
        staff = factories.user(t, Role.CADRE)
        member = factories.user(t, Role.CADRE, name="孙党员")
        east = factories.village(t, "东村")
        h = factories.household(t, east, head="王德福", phone="13900005678",
                                tags=["独居老人"])
        h.contact_cadre_id, h.party_member_id = staff.id, member.id
        factories.household(t, east, head="李淑芬", phone="13900001111")
        factories.matter(t, title="屋顶漏雨", household=h)
        db.session.commit()
    login(client, staff)
    base = f"/t/{t.slug}/households/"
    assert "王德福" in client.get(base + "?q=5678").get_data(as_text=True)
    assert "王德福" not in client.get(base + "?q=1111").get_data(as_text=True)
    assert "李淑芬" in client.get(base + "?q=李淑芬").get_data(as_text=True)
    page = client.get(f"{base}{h.id}").get_data(as_text=True)
    assert "独居老人" in page and "孙党员" in page and "屋顶漏雨" in page and "走访记录" in page


def _xlsx(rows) -> bytes:
    import io

    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


HEADER = ["村（社区）", "户主姓名", "地址", "手机号", "身份证号", "标签", "家庭成员"]


def test_id_number_checksum():
    from app.households.importer import id_number_valid

    assert id_number_valid("11010519491231002X")
    assert id_number_valid("110105194912310021") is False
    assert id_number_valid("1101051949123100") is False


def test_import_lists_every_problem_then_takes_a_good_file_whole(app, client):
    import io

    from sqlalchemy import func, select

    from app.households.models import Household, Resident

    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("daoru")
        bind_township(db.session, t.id)
        admin_id = factories.user(t, Role.TOWNSHIP_ADMIN).id
        factories.village(t, "东村")
        db.session.commit()
    login(client, admin_id)
    url = f"/t/{t.slug}/households/import"
    page = client.get(url).get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    bad = "\n".join([",".join(HEADER),
                     "东村,王德福,东街1号,13900001234,11010519491231002X,独居老人,王小明/孙子",
                     "西村,李四,西街2号,12345,110105194912310021,有钱,",
                     "东村,,东街3号,13900005678,,,"]).encode("gb18030")
    response = client.post(url, data={"csrf_token": token,
                                      "file": (io.BytesIO(bad), "农户.csv")},
                           content_type="multipart/form-data")
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    for words in ("第 3 行", "没有叫“西村”的村（社区）", "不是11位手机号", "身份证号不正确",
                  "不认识的标签：有钱", "第 4 行", "户主姓名没有填写", "一户也没有导入"):
        assert words in text
    with app.app_context():
        bind_township(db.session, t.id)
        assert db.session.scalar(select(func.count()).select_from(Household)) == 0

    good = _xlsx([HEADER, ["东村", "王德福", "东街1号", 13900001234, "11010519491231002X",
                           "独居老人、低保", "王小明/孙子；王芳/女儿"],
                  ["东村", "李淑芬", "东街2号", "13900005678", None, None, None]])
    checked = client.post(url, data={"csrf_token": token,
                                     "file": (io.BytesIO(good), "农户.xlsx")},
                          content_type="multipart/form-data")
    assert "全部 2 行检查通过" in checked.get_data(as_text=True)
    form = dict(re.findall(r'name="(token|suffix)" value="([^"]+)"',
                           checked.get_data(as_text=True)))
    done = client.post(url, data={"csrf_token": token, "confirm": "yes", **form})
    assert done.status_code == 302
    with app.app_context():
        bind_township(db.session, t.id)
        wang = db.session.scalar(select(Household).where(Household.head_name == "王德福"))
        assert wang.tags == ["独居老人", "低保"] and wang.phone_tail == "1234"
        members = db.session.scalars(select(Resident).where(
            Resident.household_id == wang.id).order_by(Resident.name)).all()
        assert {m.name for m in members} == {"王德福", "王小明", "王芳"}
        head = next(m for m in members if m.relation == "户主")
        assert head.id_tail == "002X"  # only the last four digits are kept
        assert db.session.scalar(select(func.count()).select_from(Household)) == 2


def test_csv_saved_as_utf8_with_bom_is_read_too(app):
    from app.households.importer import read_table

    data = "\ufeff村（社区）,户主姓名\n东村,张三\n".encode()
    assert read_table("a.csv", data) == [["村（社区）", "户主姓名"], ["东村", "张三"]]


def test_bulk_linking_households_to_a_cadre(app, client):
    import re

    from sqlalchemy import select

    from app.households.models import Household

    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("lianhu")
        bind_township(db.session, t.id)
        leader_id = factories.user(t, Role.LEADER).id
        cadre_id = factories.user(t, Role.CADRE, name="张卫东").id
        v = factories.village(t)
        ids = [factories.household(t, v, head=f"户{n}").id for n in range(3)]
        db.session.commit()
    login(client, leader_id)
    page = client.get(f"/t/{t.slug}/households/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(f"/t/{t.slug}/households/assign", data={
        "csrf_token": token, "link": "contact_cadre", "person_id": str(cadre_id),
        "household_ids": [str(i) for i in ids[:2]]}, follow_redirects=True)
    assert "已为 2 户设置联系人" in response.get_data(as_text=True)
    with app.app_context():
        bind_township(db.session, t.id)
        linked = db.session.scalars(select(Household.head_name).where(
            Household.contact_cadre_id == cadre_id).order_by(Household.head_name)).all()
        assert linked == ["户0", "户1"]

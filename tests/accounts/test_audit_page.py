"""The township audit log page and its Excel export (issue 16, "Every change on record")."""

from __future__ import annotations

import io

import time_machine
from openpyxl import load_workbook

from app.accounts.models import Role
from app.audit.operations import record
from app.extensions import db
from app.tenancy import bind_township
from tests import factories
from tests.conftest import login


def _log(app):
    with app.app_context():
        db.session().expire_on_commit = False
        other = factories.township()
        county_user = factories.user(other, Role.LEADER, name="县里丙")
        db.session.commit()
        t = factories.township()
        admin = factories.user(t, Role.TOWNSHIP_ADMIN, name="管理员甲")
        clerk = factories.user(t, Role.CENTRE_STAFF, name="窗口乙", centre=factories.centre(t))
        h = factories.household(t, head="王大伯", phone="13812345678")
        with time_machine.travel("2026-11-01 02:00:00+00:00", tick=False):
            record(t.id, admin, "household.edit", h, before={"phone": "13812345678"},
                   after={"phone": "13987654321", "address": "电话13711112222"},
                   summary="修改户主电话")
            db.session.flush()  # the time is taken when the row is written
        with time_machine.travel("2026-11-20 02:00:00+00:00", tick=False):
            record(t.id, clerk, "account.deactivate", clerk, before={"active": True},
                   after={"active": False}, summary="停用账号 窗口乙")
            record(t.id, county_user, "county.read", h, actor_kind="county",
                   summary="县级查阅农户")
            db.session.flush()
        for i in range(60):
            record(t.id, admin, "calendar.set", None, target_type="calendar_days",
                   target_id=f"day{i}", summary=f"第{i}天")
        db.session.commit()
        bind_township(db.session, other.id)
        record(other.id, admin, "household.edit", None, summary="另一个乡镇的记录")
        db.session.commit()
        bind_township(db.session, None)
        return t, admin, clerk, county_user


def test_only_the_township_administrator_reads_it(app, client):
    t, admin, clerk, _ = _log(app)
    login(client, clerk)
    assert client.get(f"/t/{t.slug}/audit/").status_code == 403
    assert client.get(f"/t/{t.slug}/audit/export.xlsx").status_code == 403
    login(client, admin)
    assert client.get(f"/t/{t.slug}/audit/").status_code == 200


def test_filters_pages_and_masking(app, client):
    t, admin, clerk, county_user = _log(app)
    login(client, admin)
    page = client.get(f"/t/{t.slug}/audit/").get_data(as_text=True)
    assert "共 63 条" in page and "1 / 2" in page
    assert "另一个乡镇的记录" not in page
    page = client.get(f"/t/{t.slug}/audit/?page=2").get_data(as_text=True)
    assert "修改户主电话" in page  # the oldest, on the last page
    assert "13812345678" not in page and "13987654321" not in page and "13711112222" not in page
    assert "138****5678" in page or "138" in page
    page = client.get(f"/t/{t.slug}/audit/?page=7").get_data(as_text=True)
    assert "2 / 2" in page  # past the end: the last page
    # An absurd page number is refused before any view, with a clear message (app.security).
    assert client.get(f"/t/{t.slug}/audit/?page=99999999999999999999").status_code == 400
    page = client.get(f"/t/{t.slug}/audit/?who={clerk.id}").get_data(as_text=True)
    assert "共 1 条" in page and "停用账号 窗口乙" in page
    page = client.get(f"/t/{t.slug}/audit/?action=county.read").get_data(as_text=True)
    assert "共 1 条" in page and "县里丙" in page and "县级查阅" in page
    page = client.get(f"/t/{t.slug}/audit/?who=kind:county").get_data(as_text=True)
    assert "共 1 条" in page
    page = client.get(f"/t/{t.slug}/audit/?target=day7").get_data(as_text=True)
    assert "共 1 条" in page and "第7天" in page
    # Dates are the township's days (Beijing time): 2026-11-01 10:00 there.
    page = client.get(f"/t/{t.slug}/audit/?since=2026-11-01&until=2026-11-19")
    assert "共 1 条" in page.get_data(as_text=True)
    # Dates out of range are refused before any view (app.security); a bad `who` is ignored.
    page = client.get(f"/t/{t.slug}/audit/?since=0001-01-01&until=9999-12-31&who=x")
    assert page.status_code == 400
    page = client.get(f"/t/{t.slug}/audit/?since=2026-01-01&until=2026-12-31&who=x")
    assert page.status_code == 200


def test_export_has_the_filtered_rows_with_before_and_after(app, client):
    t, admin, _clerk, _ = _log(app)
    login(client, admin)
    response = client.get(f"/t/{t.slug}/audit/export.xlsx?action=household.edit")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("时间", "操作人", "操作人类型", "操作")
    assert len(rows) == 2
    assert rows[1][1] == "管理员甲" and "修改户主电话" in rows[1][6]
    assert "phone" in rows[1][7] and "13812345678" not in "".join(map(str, rows[1]))

"""The household import: every bad row named with its line, all or nothing, re-imports update,
confirming twice imports once, the uploaded file never lingers."""

from __future__ import annotations

import io
from pathlib import Path

from sqlalchemy import func, select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.extensions import db
from app.households.models import Household, ImportBatch, Resident
from app.tenancy import bind_township
from tests import factories
from tests.conftest import csrf, login

HEADER = ["村（社区）", "户主姓名", "地址", "手机号", "身份证号", "标签", "家庭成员"]


def _xlsx(rows) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _csv(rows, encoding="gb18030") -> bytes:
    return "\r\n".join(",".join("" if c is None else str(c) for c in r) for r in rows) \
        .encode(encoding)


def _setup(app, slug):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township(slug)
        bind_township(db.session, t.id)
        admin = factories.user(t, Role.TOWNSHIP_ADMIN, name="管理员")
        cadre = factories.user(t, Role.CADRE, name="张卫东", phone="13700009876")
        factories.village(t, "东村")
        db.session.commit()
    return t, admin, cadre


def _run_jobs(app):
    """Inline mode ran them already; with Redis (CI) they wait in the queue: run them here."""
    from app import jobs

    with app.app_context():
        jobs.run_pending()


def _confirm(client, app, t, batch_id, token):
    response = client.post(f"/t/{t.slug}/households/import/{batch_id}/confirm",
                           data={"csrf_token": token})
    _run_jobs(app)
    return response


def _upload(client, t, data, name):
    url = f"/t/{t.slug}/households/import"
    token = csrf(client.get(url).get_data(as_text=True))
    response = client.post(url, data={"csrf_token": token, "file": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    _run_jobs(client.application)
    page = client.get(response.headers["Location"])
    batch_id = response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    return page, batch_id, token


def _imports_dir(app, t) -> Path:
    return Path(app.config["VAR_DIR"]) / "imports" / str(t.id)


def _count(app, t, model=Household):
    with app.app_context():
        bind_township(db.session, t.id)
        return db.session.scalar(select(func.count()).select_from(model).where(
            model.township_id == t.id))


def test_every_bad_row_is_named_and_nothing_is_imported(app, client):
    t, admin, _ = _setup(app, "daoru")
    login(client, admin)
    long_name = "王" * 50
    bad = _csv([HEADER,
                ["东村", "王德福", "东街1号", "13900001234", "11010519491231002X", "独居老人",
                 "王小明/孙子"],
                ["西村", "李四", "西街2号", "12345", "110105194912310021", "有钱", ""],
                ["东村", "", "东街3号", "13900005678", "", "", ""],
                ["东村", long_name, "东街4号", "", "", "", ""]])
    page, batch_id, _ = _upload(client, t, bad, "农户.csv")
    text = page.get_data(as_text=True)
    for words in ("第 3 行", "没有叫“西村”的村（社区）", "不是11位手机号", "身份证号不正确",
                  "不认识的标签：有钱", "第 4 行", "户主姓名没有填写", "一户也没有导入",
                  "第 5 行", "户主姓名超过40个字"):
        assert words in text, words
    assert "第 2 行" not in text
    assert _count(app, t) == 0
    # The upload (full ID numbers) is gone as soon as it was refused, and nothing else is kept.
    assert list(_imports_dir(app, t).iterdir()) == []
    sheet = client.get(f"/t/{t.slug}/households/import/{batch_id}/problems.xlsx")
    assert sheet.status_code == 200
    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(sheet.data)).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [3, 4, 5]


def test_a_good_sheet_previews_then_goes_in_once(app, client):
    t, admin, cadre = _setup(app, "daoru2")
    login(client, admin)
    good = _xlsx([HEADER + ["联户干部"],
                  ["东村", "王德福", "东街1号", 13900001234, "11010519491231002X",
                   "独居老人、低保", "王小明/孙子；王芳/女儿", cadre.username],
                  ["东村", "李淑芬", "东街2号\t后院\\西", "13900005678", None, None, None,
                   "张卫东9876"]])
    page, batch_id, token = _upload(client, t, good, "农户.xlsx")
    text = page.get_data(as_text=True)
    assert "全部 2 行检查通过" in text and 'id="count-new">2<' in text
    assert _count(app, t) == 0  # nothing before confirmation
    files = sorted(p.name for p in _imports_dir(app, t).iterdir())
    assert f"{batch_id}.xlsx" not in files  # the upload itself is gone already
    assert f"{batch_id}.rows.jsonl" in files
    kept = "".join((_imports_dir(app, t) / f).read_text() for f in files)
    assert "11010519491231002X" not in kept and "002X" in kept
    confirm = f"/t/{t.slug}/households/import/{batch_id}/confirm"
    assert _confirm(client, app, t, batch_id, token).status_code == 302
    again = client.post(confirm, data={"csrf_token": token}, follow_redirects=True)
    _run_jobs(app)
    assert "没有重复导入" in again.get_data(as_text=True)
    assert _count(app, t) == 2
    assert list(_imports_dir(app, t).iterdir()) == []
    with app.app_context():
        bind_township(db.session, t.id)
        wang = db.session.scalar(select(Household).where(Household.head_name == "王德福"))
        li = db.session.scalar(select(Household).where(Household.head_name == "李淑芬"))
        assert wang.tags == ["独居老人", "低保"] and wang.phone_tail == "1234"
        assert wang.contact_cadre_id == cadre.id and li.contact_cadre_id == cadre.id
        assert li.address == "东街2号\t后院\\西"  # COPY's escapes round-trip
        members = db.session.scalars(select(Resident).where(
            Resident.household_id == wang.id)).all()
        assert {m.name for m in members} == {"王德福", "王小明", "王芳"}
        assert next(m for m in members if m.relation == "户主").id_tail == "002X"
        batch = db.session.get(ImportBatch, (t.id, __import__("uuid").UUID(batch_id)))
        assert batch.state == "done" and batch.counts["imported"] == 2
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "household.import")) == 1


def test_importing_again_updates_and_shows_what_changes(app, client):
    t, admin, _ = _setup(app, "daoru3")
    login(client, admin)
    header = ["户号", *HEADER]
    first = _csv([header,
                  ["H001", "东村", "王德福", "东街1号", "13900001234", "", "", ""],
                  ["H002", "东村", "李淑芬", "东街2号", "13900005678", "", "", ""],
                  ["H003", "东村", "赵大", "东街3号", "", "", "", ""]], encoding="utf-8-sig")
    _, batch_id, token = _upload(client, t, first, "a.csv")
    _confirm(client, app, t, batch_id, token)
    assert _count(app, t) == 3
    second = _csv([header,
                   ["H001", "东村", "王德福", "东街9号", "13900001234", "", "低保", ""],
                   ["H002", "东村", "李淑芬", "东街2号", "13900005678", "", "", ""],
                   ["H004", "东村", "钱新", "东街4号", "", "", "", ""]])
    page, batch_id, token = _upload(client, t, second, "b.csv")
    text = page.get_data(as_text=True)
    assert 'id="count-new">1<' in text and 'id="count-changed">1<' in text
    assert 'id="count-unchanged">1<' in text and 'id="count-missing">1<' in text
    assert "地址：东街1号 → 东街9号" in text and "标签：— → 低保" in text
    assert "赵大" in text  # the missing household is listed
    _confirm(client, app, t, batch_id, token)
    assert _count(app, t) == 4
    with app.app_context():
        bind_township(db.session, t.id)
        wang = db.session.scalar(select(Household).where(Household.household_number == "H001"))
        assert wang.address == "东街9号" and wang.tags == ["低保"]
        zhao = db.session.scalar(select(Household).where(Household.head_name == "赵大"))
        assert zhao.active  # a sheet's silence never retires anyone
        events = db.session.scalars(select(AuditEvent).where(
            AuditEvent.target_id == str(wang.id))).all()
        assert [e.action for e in events] == ["household.import_update"]
    history = client.get(f"/t/{t.slug}/households/{wang.id}").get_data(as_text=True)
    assert "导入更新" in history


def test_without_a_number_rows_match_by_head_and_id_tail(app, client):
    t, admin, _ = _setup(app, "daoru4")
    login(client, admin)
    rows = [HEADER, ["东村", "王德福", "东街1号", "13900001234", "11010519491231002X", "", ""]]
    _, batch_id, token = _upload(client, t, _csv(rows), "a.csv")
    _confirm(client, app, t, batch_id, token)
    rows[1][3] = "13900004321"
    page, batch_id, token = _upload(client, t, _csv(rows), "a.csv")
    assert 'id="count-changed">1<' in page.get_data(as_text=True)
    _confirm(client, app, t, batch_id, token)
    assert _count(app, t) == 1
    with app.app_context():
        bind_township(db.session, t.id)
        assert db.session.scalar(select(Household.phone_tail)) == "4321"


def test_an_import_that_fails_midway_writes_nothing_and_runs_again_once(app, client,
                                                                       monkeypatch):
    from app import jobs
    from app.households import importer

    t, admin, _ = _setup(app, "daoru5")
    login(client, admin)
    rows = [HEADER] + [["东村", f"户主{n}", f"{n}号", "", "", "", ""] for n in range(12)]
    _, batch_id, token = _upload(client, t, _csv(rows), "a.csv")
    monkeypatch.setattr(importer, "BATCH", 5)
    calls = {"n": 0}
    real_record = importer.record

    def failing_record(*args, **kwargs):
        # Every row is written by now (COPY or executemany): the end fails, all of it goes.
        if args[2] == "household.import":
            calls["n"] += 1
            assert db.session.scalar(select(func.count()).select_from(Household).where(
                Household.township_id == t.id)) == 12
            raise RuntimeError("database went away")
        return real_record(*args, **kwargs)

    monkeypatch.setattr(importer, "record", failing_record)
    _confirm(client, app, t, batch_id, token)
    monkeypatch.undo()
    assert calls["n"] == 1
    assert _count(app, t) == 0 and _count(app, t, Resident) == 0
    with app.app_context():
        bind_township(db.session, t.id)
        from app.notices.models import JobRecord

        job = db.session.scalar(select(JobRecord).where(
            JobRecord.func == "app.households.importer.import_batch"))
        assert job.state == "pending" and "database went away" in job.error
        job.next_attempt_at = job.created_at
        db.session.commit()
        jobs.run_pending()
    assert _count(app, t) == 12 and _count(app, t, Resident) == 12


def test_a_file_that_is_no_sheet_is_refused_and_forgotten(app, client):
    t, admin, _ = _setup(app, "daoru6")
    login(client, admin)
    page, _batch_id, _ = _upload(client, t, b"PK\x03\x04 not really a workbook", "坏.xlsx")
    assert "文件无法打开" in page.get_data(as_text=True)
    page, _batch_id, _ = _upload(client, t, _csv([["姓名", "电话"], ["张三", "1"]]), "a.csv")
    assert "缺少列" in page.get_data(as_text=True)
    assert list(_imports_dir(app, t).iterdir()) == []


def test_encodings_excel_writes(app, tmp_path):
    from app.households.importer import iter_table

    for encoding in ("gb18030", "gbk", "utf-8-sig", "utf-8"):
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes("村（社区）,户主姓名\r\n东村,张三\r\n".encode(encoding))
        assert list(iter_table(path)) == [["村（社区）", "户主姓名"], ["东村", "张三"]]


def test_limits_come_from_the_database_columns(app):
    from app.households.importer import column_limits

    limits = column_limits()
    assert limits["head"] == Household.__table__.c.head_name.type.length == 40
    assert limits["address"] == 200 and limits["member_name"] == 40


def test_id_number_checksum():
    from app.households.importer import id_number_valid

    assert id_number_valid("11010519491231002X")
    assert id_number_valid("110105194912310021") is False
    assert id_number_valid("1101051949123100") is False

"""The documents pages: request, progress (htmx fragment and no-JS refresh), download with the
kind's permission, a form error keeps what was typed; the notification list and its badge."""

from sqlalchemy import select

from app import jobs
from app.accounts.models import Role
from app.extensions import db
from app.notices.models import Document
from app.notices.reminders import notify
from app.tenancy import bind_township
from tests.conftest import login


def _csrf(client, path="/t/alpha/notices/"):
    import re

    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_request_a_receipt_watch_progress_and_download(app, world, client):
    town = world.a
    login(client, town.users[Role.CENTRE_STAFF])
    token = _csrf(client)
    response = client.post("/t/alpha/notices/request", data={
        "csrf_token": token, "kind": "matter_receipt", "number": town.objects.matter.number})
    assert response.status_code == 302
    page_url = response.headers["Location"]
    with app.app_context():
        doc = db.session.scalar(select(Document).where(Document.kind == "matter_receipt"))
        doc_id = doc.id
        jobs.run_pending()  # in rq mode through Redis; inline it already ran after the request
        db.session.expire_all()
        assert db.session.scalar(select(Document.state).where(Document.id == doc_id)) == "ready"
    # While it renders: a bar, a no-JS refresh, htmx polling.
    with app.app_context():
        db.session.execute(db.update(Document).where(Document.id == doc_id)
                           .values(state="rendering", progress=40),
                           execution_options={"all_townships": True})
        db.session.commit()
    page = client.get(page_url).get_data(as_text=True)
    assert '<progress max="100" value="40"' in page and 'http-equiv="refresh"' in page
    fragment = client.get(page_url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in fragment and "<html" not in fragment
    with app.app_context():
        db.session.execute(db.update(Document).where(Document.id == doc_id)
                           .values(state="ready", progress=100),
                           execution_options={"all_townships": True})
        db.session.commit()
    fragment = client.get(page_url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "下载 PDF" in fragment and "every 1s" not in fragment
    download = client.get(f"{page_url}/download")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.data.startswith(b"%PDF")
    # Another township's staff: not found.
    login(client, world.b.users[Role.TOWNSHIP_ADMIN])
    assert client.get(f"{page_url}/download").status_code == 404


def test_rates_report_download_checks_the_leaders_rule(app, world, client):
    town = world.a
    login(client, town.users[Role.LEADER])
    response = client.post("/t/alpha/notices/request", data={
        "csrf_token": _csrf(client), "kind": "rates_report", "month": "2026-11"})
    assert response.status_code == 302
    with app.app_context():
        jobs.run_pending()
    url = response.headers["Location"]
    assert client.get(f"{url}/download").status_code == 200
    login(client, town.users[Role.CENTRE_STAFF])
    assert client.get(f"{url}/download").status_code == 403
    assert client.post("/t/alpha/notices/request", data={
        "csrf_token": _csrf(client), "kind": "rates_report", "month": "2026-11"}
    ).status_code == 403


def test_a_bad_month_rerenders_with_the_input_kept(world, client):
    login(client, world.a.users[Role.VILLAGE_ASSISTANT])
    response = client.post("/t/alpha/notices/request", data={
        "csrf_token": _csrf(client), "kind": "board_poster", "month": "11月",
        "village_id": str(world.a.objects.village.id)})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "请按“2026-11”的格式填写月份" in page and 'value="11月"' in page
    response = client.post("/t/alpha/notices/request", data={
        "csrf_token": _csrf(client), "kind": "matter_receipt", "number": "不存在-001"})
    assert response.status_code == 422 and "没有找到这个受理编号" in response.get_data(as_text=True)


def test_notifications_list_badge_and_mark_read(app, world, client):
    town = world.a
    cadre = town.users[Role.CADRE]
    with app.test_request_context():
        bind_township(db.session, town.township.id)
        assert notify(town.township, cadre.id, occasion="o1", message="请走访王家")
        assert not notify(town.township, cadre.id, occasion="o1", message="请走访王家")
        db.session.commit()
        bind_township(db.session, None)
    login(client, cadre)
    page = client.get("/t/alpha/notices/notifications").get_data(as_text=True)
    assert "请走访王家" in page and page.count("请走访王家") == 1
    assert '提醒 <span class="badge">1</span>' in page
    client.post("/t/alpha/notices/notifications/read",
                data={"csrf_token": _csrf(client, "/t/alpha/notices/notifications")})
    page = client.get("/t/alpha/notices/notifications").get_data(as_text=True)
    assert '<span class="badge">1</span>' not in page
    # Nobody else sees it.
    login(client, town.users[Role.LEADER])
    assert "请走访王家" not in client.get("/t/alpha/notices/notifications").get_data(as_text=True)


def test_the_matter_page_include_asks_for_a_receipt(app, world, client):
    from flask import render_template

    town = world.a
    login(client, town.users[Role.CENTRE_STAFF])
    with app.test_request_context("/t/alpha/notices/"):
        from flask import g

        g.township = town.township
        html = render_template("notices/_matter_documents.html", matter=town.objects.matter)
    assert 'value="matter_receipt"' in html and "打印答复函" not in html
    response = client.post("/t/alpha/notices/request", data={
        "csrf_token": _csrf(client), "kind": "matter_receipt",
        "matter_id": str(town.objects.matter.id)})
    assert response.status_code == 302 and "/notices/documents/" in response.headers["Location"]
    # Another township's matter id: not found.
    response = client.post("/t/alpha/notices/request", data={
        "csrf_token": _csrf(client), "kind": "matter_receipt",
        "matter_id": str(world.b.objects.matter.id)})
    assert response.status_code == 404

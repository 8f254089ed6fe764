"""Every QR code on a document opens from a resident's phone: decoded from the rendered PDF (the
zxing-cpp decoder on the page as pdftoppm draws it) and opened with a signed-out client.

With MINQING_PUBLIC_URL unset, links carry the host the staff member's browser used, also for
documents a job renders after the request; with it set, they carry the configured address."""

from __future__ import annotations

import io
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlparse

import pytest
from PIL import Image

from app.accounts.models import Role
from app.extensions import db
from app.matters import operations as ledger
from app.matters.models import Matter
from app.tenancy import bind_township
from tests.conftest import csrf

zxingcpp = pytest.importorskip("zxingcpp")  # dev dependency; a missing one fails loudly below
HOST = "http://hall.example.cn"


def qr_urls(pdf: bytes) -> list[str]:
    """The texts of every QR code on every page of `pdf`."""
    assert pdf[:4] == b"%PDF", pdf[:200]
    found = []
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "doc.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "110", "-png", "doc.pdf", "page"], cwd=tmp,
                       check=True)
        for png in sorted(Path(tmp).glob("page*.png")):
            # QR codes only: with every format, a table's rules could read as a 1-D barcode.
            for code in zxingcpp.read_barcodes(Image.open(png),
                                               formats=zxingcpp.BarcodeFormat.QRCode):
                found.append(code.text)
    return found


def _document(client, response) -> bytes:
    """Follow a document request to its stored PDF (jobs run in-process in tests)."""
    assert response.status_code == 302, response.text[:500]
    page = response.headers["Location"]
    download = client.get(page.rstrip("/") + "/download", base_url=HOST)
    assert download.status_code == 200, download.text[:300]
    return download.data


def _opens(app, url: str) -> None:
    parts = urlparse(url)
    assert f"{parts.scheme}://{parts.netloc}" == HOST, url
    page = app.test_client().get(parts.path + (f"?{parts.query}" if parts.query else ""),
                                 base_url=HOST)
    assert page.status_code == 200, (url, page.status_code)


def test_every_documents_qr_code_opens_on_a_residents_phone(app, client, world, monkeypatch):
    assert not app.config.get("PUBLIC_URL")
    monkeypatch.setitem(app.config, "JOBS_MODE", "inline")  # the job runs after the request
    town = world.a
    t, o = town.township, town.objects
    admin = town.users[Role.TOWNSHIP_ADMIN]
    with app.app_context():
        bind_township(db.session, t.id)
        matter = db.session.get(Matter, (t.id, o.matter.id))
        ledger.reply(matter, admin, public_text="已办结。")
        db.session.commit()
    from app.accounts.models import User

    with app.app_context():
        alternative_id = db.session.get(User, admin.id).get_id()  # with its session version
    with client.session_transaction(base_url=HOST) as session:  # signed in on that host
        session["_user_id"], session["_fresh"] = alternative_id, True
    index = client.get(f"/t/{t.slug}/notices/", base_url=HOST)
    assert index.status_code == 200, (index.status_code, index.headers.get("Location"))
    token = csrf(index.text)

    def ask(kind, **fields):
        return _document(client, client.post(f"/t/{t.slug}/notices/request", base_url=HOST,
                                             data={"csrf_token": token, "kind": kind, **fields}))

    documents = {
        "receipt": ask("matter_receipt", matter_id=str(o.matter.id)),
        "reply letter": ask("reply_notice", matter_id=str(o.matter.id)),
        "contact cards": ask("contact_cards", village_id=str(o.village.id)),
        "rates poster": ask("rates_poster", village_id=str(o.village.id), month="2026-11",
                            size="A4"),
        "township's rates poster": ask("rates_poster", month="2026-11"),
        "rota poster": _document(client, client.post(
            f"/t/{t.slug}/studio/{o.studio.id}/rota.pdf", base_url=HOST,
            data={"csrf_token": token, "month": "2026-11"})),
        "errand receipt": client.get(f"/t/{t.slug}/proxy/errands/{o.errand.id}/receipt.pdf",
                                     base_url=HOST).data,
        "guide": client.get(f"/t/{t.slug}/services/{o.service_item.id}/guide.pdf",
                            base_url=HOST).data,
    }
    from pypdf import PdfReader

    letter = PdfReader(io.BytesIO(documents["reply letter"])).pages[0].extract_text()
    assert "王小明：" in letter  # a private letter to her: the name in full, not 王**
    for name, pdf in documents.items():
        urls = qr_urls(pdf)
        assert urls, f"no QR code found on the {name}"
        for url in set(urls):
            _opens(app, url)


def test_the_configured_public_address_wins_and_production_without_it_warns(app, caplog):
    from app import public_url

    with app.test_request_context(base_url="http://10.0.0.5:8000"):
        assert public_url.for_job() == "http://10.0.0.5:8000/"
        app.config["PUBLIC_URL"] = "https://minqing.example.cn"
        try:
            assert public_url.for_job() == "https://minqing.example.cn/"
            assert public_url.base_for("http://10.0.0.5:8000/") == "https://minqing.example.cn/"
        finally:
            app.config["PUBLIC_URL"] = ""
        assert public_url.base_for("http://10.0.0.5:8000/") == "http://10.0.0.5:8000/"

    class Fake:
        config = {"ENV_NAME": "production", "PUBLIC_URL": ""}
        logger = __import__("logging").getLogger("minqing.test")

    with caplog.at_level("WARNING"):
        public_url.check(Fake)
    assert "MINQING_PUBLIC_URL" in caplog.text
    caplog.clear()
    Fake.config = {"ENV_NAME": "production", "PUBLIC_URL": "https://minqing.example.cn/"}
    with caplog.at_level("WARNING"):
        public_url.check(Fake)
    assert "MINQING_PUBLIC_URL" not in caplog.text


def test_a_receipt_fits_one_a4_page_and_its_seal_is_dated_the_townships_day(app, world):
    """A normal case: five materials, two still missing, two answers; rendered at 07:30 in
    Beijing (23:30 UTC the day before), the seal says the township's day."""
    import time_machine
    from pypdf import PdfReader

    from app.notices import kinds
    from app.notices.pdf import render_pdf

    town = world.a
    t = town.township
    with app.test_request_context(), time_machine.travel("2026-11-23 23:30:00+00:00",
                                                         tick=False):
        bind_township(db.session, t.id)
        matter = db.session.get(Matter, (t.id, town.objects.matter.id))
        matter.extra = {"materials_received": ["户口簿", "身份证", "一寸照片"],
                        "materials_missing": ["收入证明", "残疾证"],
                        "answers": [{"key": "q1", "label": "家庭人口", "kind": "number",
                                     "value": "4"},
                                    {"key": "q2", "label": "申请原因", "kind": "text",
                                     "value": "因病致贫"}]}
        entry = kinds.get("matter_receipt")
        pdf = render_pdf(entry.template, township=t, **entry.build_context(t, matter.id))
        db.session.rollback()
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "2026年11月24日" in text or "2026 年 11 月 24 日" in text, text[-300:]
    assert "家庭人口" in text and "因病致贫" in text

"""民情表: a household's sheet as a document, asked for from the household's page."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import db
from app.notices.models import Document
from app.tenancy import bind_township
from app.visits import operations as visits
from tests import factories
from tests.conftest import csrf, login
from tests.notices.helpers import has_cjk_font, pdf_text


def test_a_households_sheet_carries_its_people_visits_and_matters(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_MODE", "inline")  # the job runs in this process
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("minqingbiao", code="MQB", services=())
        bind_township(db.session, t.id)
        cadre = factories.user(t, Role.CADRE, name="张卫东", phone="13700007777")
        h = factories.household(t, head="王大爷", phone="13800005678", tags=["dibao"])
        h.contact_cadre_id = cadre.id
        visits.record_visit(t, cadre, household=h, visited_on=date(2026, 11, 3),
                            method="in_person", notes="老人腿脚不便",
                            findings={"hardship": "冬季取暖困难"}, today=date(2026, 11, 3))
        factories.matter(t, title="申请临时救助", household=h)
        db.session.commit()
    login(client, cadre)
    page = client.get(f"/t/{t.slug}/households/{h.id}")
    assert "打印民情表" in page.text
    asked = client.post(f"/t/{t.slug}/cadres/households/{h.id}/sheet",
                        data={"csrf_token": csrf(page.text)})
    assert asked.status_code == 302 and "/notices/documents/" in asked.headers["Location"]
    with app.app_context():
        doc = db.session.scalar(select(Document).where(Document.kind == "household_sheet"))
        assert doc.subject_id == str(h.id)
    pdf = client.get(asked.headers["Location"] + "/download")
    assert pdf.status_code == 200 and has_cjk_font(pdf.data)
    text = pdf_text(pdf.data).replace(" ", "")
    for words in ("民情表", "王大爷", "张卫东", "冬季取暖困难", "申请临时救助", "138****5678"):
        assert words in text
    assert "13800005678" not in text

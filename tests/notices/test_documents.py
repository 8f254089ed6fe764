"""The cross-cutting PDFs: each one's Chinese text is there and a CJK font is embedded."""

from datetime import date

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import db
from app.jobs import run_pending
from app.matters import operations as matters
from app.matters.models import Matter
from app.notices import operations as ops
from app.notices.models import Document
from app.notices.pdf import RefusedURL, SafeURLFetcher, render_pdf
from app.notices.storage import storage
from tests.notices.helpers import has_cjk_font, pdf_text


def _make(town, kind, subject_id, role=Role.CENTRE_STAFF):
    doc = ops.request_document(town.township, kind=kind, subject_id=subject_id,
                               actor=town.users[role])
    db.session.commit()
    run_pending()
    db.session.expire_all()
    doc = db.session.scalar(select(Document).where(Document.id == doc.id))
    assert doc.state == "ready", doc.error
    data = storage().get(doc.storage_key)
    assert has_cjk_font(data)
    assert doc.size == len(data) and doc.pages >= 1
    return doc, pdf_text(data)


def test_acceptance_receipt_has_number_due_date_materials_and_qr(town_ctx):
    town = town_ctx
    m = db.session.get(Matter, (town.township.id, town.objects.matter.id))
    m.extra = {**m.extra, "materials_received": ["身份证复印件", "户口本"]}
    db.session.commit()
    doc, text = _make(town, "matter_receipt", m.id)
    for words in ("受理回执", m.number, "承诺办结日期", "身份证复印件", "户口本",
                  town.township.name, "第1页/共1页", "盖章"):
        assert words in text
    assert f"/t/{town.township.slug}/track?number={m.number}" in text
    assert doc.requested_by_id == town.users[Role.CENTRE_STAFF].id
    assert doc.source["number"] == m.number


def test_reply_notice_needs_a_reply_then_quotes_it(town_ctx):
    town = town_ctx
    m = db.session.get(Matter, (town.township.id, town.objects.matter.id))
    staff = town.users[Role.CENTRE_STAFF]
    matters.reply(m, staff, public_text="路灯已于本周更换，感谢监督。")
    db.session.commit()
    _doc, text = _make(town, "reply_notice", m.id)
    assert "答复函" in text and "路灯已于本周更换" in text and m.number in text


def test_board_poster_lists_the_villages_public_matters_without_names(town_ctx):
    town = town_ctx
    t = town.township
    m = matters.create_matter(t, channel="phone", title="村口积水",
                              actor=town.users[Role.CENTRE_STAFF], village=town.objects.village,
                              contact_name="张三丰",
                              contact_phone="13900001111")
    db.session.commit()
    month = matters.local_today(t).strftime("%Y-%m")
    _doc, text = _make(town, "board_poster", f"{town.objects.village.id}:{month}")
    assert "民情办理公开栏" in text and "村口积水" in text and m.number in text
    assert "张三丰" not in text and "13900001111" not in text


def test_rates_report_for_leaders_only(town_ctx):
    town = town_ctx
    month = matters.local_today(town.township).strftime("%Y-%m")
    _doc, text = _make(town, "rates_report", month, role=Role.LEADER)
    assert "三率月报" in text and "办结率" in text and "东村" in text
    with pytest.raises(ops.NotAllowed):
        ops.request_document(town.township, kind="rates_report", subject_id=month,
                             actor=town.users[Role.CENTRE_STAFF])


def test_contact_cards_four_to_a_sheet_with_the_cadres_commitments(town_ctx):

    from app.accounts.models import Role
    from app.cadres.operations import make_commitment
    from tests import factories

    town = town_ctx
    cadre = factories.user(town.township, Role.CADRE, name="张卫东", post="包村干部",
                           phone="13820001006")
    make_commitment(town.township, cadre, text="年内修通东街排水沟", due_on=date(2026, 12, 31))
    for n in range(4):
        h = factories.household(town.township, town.objects.village, head=f"李{n}号")
        h.contact_cadre_id = cadre.id
    db.session.commit()
    from sqlalchemy import func, select

    from app.households.models import Household

    cards = db.session.scalar(select(func.count()).select_from(Household).where(
        Household.township_id == town.township.id,
        Household.village_id == town.objects.village.id, Household.active.is_(True)))
    doc, text = _make(town, "contact_cards", town.objects.village.id)
    # The world's own households and four more, four cards to an A4 sheet.
    assert cards >= 5 and doc.pages == -(-cards // 4)
    assert text.count("联系服务卡") == cards and text.count("张卫东") == 4
    for words in ("包村干部", "13820001006", "年内修通东街排水沟", "惠民政策", "怎么办事",
                  "/track"):
        assert words in text


def test_the_url_fetcher_refuses_files_and_outside_hosts(app, tmp_path):
    fetcher = SafeURLFetcher(tmp_path)
    for url in ("file:///etc/passwd", "http://example.com/x.png", "https://example.com/a.css",
                "minqing-static:../../etc/passwd"):
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)


def test_a_template_pointing_outside_renders_without_fetching(app, ctx, tmp_path, monkeypatch):
    """WeasyPrint reports the refused fetch and goes on: the PDF is made, nothing is read."""
    from flask import render_template_string

    secret = tmp_path / "secret.txt"
    secret.write_text("机密内容")
    html = ("{% extends 'pdf/base.html' %}{% block heading %}测试{% endblock %}"
            "{% block content %}<img src='file://" + str(secret) + "'>"
            "<img src='http://127.0.0.1:9/x.png'>正文{% endblock %}")
    monkeypatch.setattr("app.notices.pdf.render_template",
                        lambda name, **c: render_template_string(html, **c))
    data = render_pdf("ignored.html", township=None)
    assert "正文" in pdf_text(data) and "机密内容" not in pdf_text(data)


def test_a_months_posters_one_per_village_each_numbered_from_one(town_ctx):
    from sqlalchemy import select

    from app.households.models import Village
    from tests import factories

    town = town_ctx
    if not db.session.scalar(select(Village.id).where(Village.township_id == town.township.id,
                                                      Village.name == "西村")):
        factories.village(town.township, "西村")
    db.session.commit()
    villages = len(db.session.scalars(select(Village.id).where(
        Village.township_id == town.township.id, Village.retired_at.is_(None))).all())
    doc, text = _make(town, "board_posters_month",
                      matters.local_today(town.township).strftime("%Y-%m"))
    assert doc.pages == villages and "东村 民情办理公开栏" in text and "西村 民情办理公开栏" in text
    assert text.count("第1页") == villages and "/共" not in text


def test_documents_can_live_in_an_s3_compatible_bucket(town_ctx, app, monkeypatch):
    """The same receipt, stored in a bucket (moto's in-process S3) and read back from there."""
    import boto3
    from moto import mock_aws

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        boto3.client("s3").create_bucket(Bucket="minqing-documents")
        monkeypatch.setitem(app.config, "DOCUMENTS_STORAGE", "s3")
        monkeypatch.setitem(app.config, "DOCUMENTS_BUCKET", "minqing-documents")
        m = matters.create_matter(town_ctx.township, channel="phone", title="桥栏杆松动",
                                  actor=town_ctx.users[Role.CENTRE_STAFF])
        db.session.commit()
        doc, text = _make(town_ctx, "matter_receipt", m.id)
        assert m.number in text
        listed = boto3.client("s3").list_objects_v2(Bucket="minqing-documents")["Contents"]
        assert [o["Key"] for o in listed] == [doc.storage_key]
        storage().delete(doc.storage_key)
        with pytest.raises(FileNotFoundError):
            storage().get(doc.storage_key)


def test_a_document_issued_at_0730_in_the_hall_carries_that_days_date(town_ctx):
    """07:30 on 1 January in Beijing is 23:30 on 31 December in UTC (the server's zone)."""
    from datetime import UTC, datetime

    import time_machine

    town = town_ctx
    with time_machine.travel(datetime(2026, 12, 31, 23, 30, tzinfo=UTC), tick=True):
        _doc, text = _make(town, "board_poster", f"{town.objects.village.id}:2027-01")
    assert "2027年01月01日" in text and "2026年12月31日" not in text


def test_s3_storage_without_boto3_says_which_extra_to_install(monkeypatch):
    import sys

    from app.notices.storage import S3Storage

    monkeypatch.setitem(sys.modules, "boto3", None)  # as if the s3 extra were not installed
    with pytest.raises(RuntimeError, match=r"\.\[s3\]"):
        S3Storage("minqing-documents")

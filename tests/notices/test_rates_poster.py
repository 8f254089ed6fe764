"""The 公开栏 poster of the three rates: the month's figures with their counts, the chart drawn
from the board's numbers (the SVG rendered by WeasyPrint), a few answered matters, the contact
cadres, on A3 or A4."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from pypdf import PdfReader

from app.accounts.models import Role
from app.extensions import db
from app.matters import operations as ops
from app.matters.rates import compute_rates
from app.notices.documents import rates_poster_context
from app.notices.pdf import render_pdf
from app.tenancy import bind_township
from tests import factories

NOV = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)


def test_rates_poster_carries_counts_chart_answers_and_cadres(app):
    with app.test_request_context():
        t = factories.township()
        bind_township(db.session, t.id)
        staff = factories.user(t, Role.CENTRE_STAFF)
        cadre = factories.user(t, Role.CADRE, name="李联户")
        v = factories.village(t, "东村")
        h = factories.household(t, v)
        h.contact_cadre_id = cadre.id
        for title in ("东街路灯坏了", "西沟水渠堵了"):
            m = ops.create_matter(t, channel="phone", title=title, village=v, actor=staff,
                                  now=NOV, is_public=True)
            ops.reply(m, staff, public_text=f"{title[:2]}已处理好")
        db.session.flush()
        context = rates_poster_context(t, f"{v.id}:2026-11:A4")
        assert context["rates"] == compute_rates(t.id, datetime(2026, 11, 1).date(),
                                                 datetime(2026, 12, 1).date(), village_id=v.id)
        assert "<svg" in context["chart"] and "<script" not in context["chart"]
        pdf = render_pdf("rates_poster.html", township=t, **context)
        a3 = render_pdf("rates_poster.html", township=t,
                        **rates_poster_context(t, "all:2026-11:A3"))
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert round(float(page.mediabox.width)) == 595  # A4 in points
    assert round(float(PdfReader(io.BytesIO(a3)).pages[0].mediabox.width)) == 842  # A3
    assert "东村" in text and "三率公开栏" in text
    assert "解决 2 / 事项 2" in text and "100.0%" in text
    assert "东街路灯坏了" in text and "东街已处理好" in text and "李联户" in text
    # The chart's own labels (axis and months) are text drawn from the SVG in the PDF.
    assert "11月" in text and "12月" in text

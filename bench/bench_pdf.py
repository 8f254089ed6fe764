"""Benchmark: a village's contact cards (one A6 card per household) through our machinery,
against WeasyPrint rendering the same HTML alone.

    .venv/bin/python bench/bench_pdf.py [--households 1000]

"ours" = the document job end to end: loading the households, building the context with progress
commits, rendering templates/pdf/contact_cards.html with the safe URL fetcher, counting pages,
storing the file. "weasyprint" = HTML(string=the same html).write_pdf() and nothing else. The
ratio is the overhead of our machinery. Runs on a throw-away SQLite database.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=1000)
    n = parser.parse_args().households
    tmp = Path(tempfile.mkdtemp(prefix="minqing-bench-"))
    os.environ["MINQING_VAR_DIR"] = str(tmp)
    from flask import render_template
    from weasyprint import HTML

    from app import create_app
    from app.cli import migrate_database
    from app.extensions import db
    from app.notices import operations as ops
    from app.notices.documents import contact_cards_context
    from app.notices.jobs import render_document
    from app.notices.models import Document
    from app.notices.pdf import STATIC_PREFIX
    from app.tenancy import bind_township
    from tests import factories

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.sqlite3'}",
                      "DOCUMENTS_DIR": str(tmp / "documents"), "TESTING": True})
    with app.test_request_context():
        migrate_database()
        t = factories.township("bench")
        bind_township(db.session, t.id)
        village = factories.village(t, "东村")
        cadre = factories.user(t, "cadre", name="刘联户")
        for i in range(n):
            factories.household(t, village, head=f"王{i:04d}", contact_cadre_id=cadre.id)
        db.session.commit()

        start = time.perf_counter()
        doc = ops.request_document(t, kind="contact_cards", subject_id=village.id, actor=None)
        db.session.commit()
        render_document(t, str(doc.id))
        db.session.commit()
        ours = time.perf_counter() - start
        doc = db.session.get(Document, (t.id, doc.id))
        pages = doc.pages

        context = contact_cards_context(t, village.id)
        context.pop("source")
        html = render_template("pdf/contact_cards.html", static_prefix=STATIC_PREFIX,
                               township=t, page_size="A6", **context)
        start = time.perf_counter()
        plain = HTML(string=html).write_pdf()
        alone = time.perf_counter() - start

    print(f"households: {n}, pages: {pages}, PDF {doc.size / 1e6:.1f} MB "
          f"(WeasyPrint alone {len(plain) / 1e6:.1f} MB)")
    print(f"ours:       {ours:7.2f} s  {pages / ours:7.1f} pages/s")
    print(f"weasyprint: {alone:7.2f} s  {pages / alone:7.1f} pages/s")
    print(f"ratio ours/weasyprint: {ours / alone:.2f}")


if __name__ == "__main__":
    main()

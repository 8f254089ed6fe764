"""The county's jobs (app.jobs: the first argument is a township id, the others ids).

A county is not a tenant, but a job row is: the county's report job is carried by one of the
county's townships (its first by name, `carrier_township_id`) and reads across the county's
townships itself. It is safe to run twice: a report already made is left alone.
"""

from __future__ import annotations

import uuid

from flask import current_app
from sqlalchemy import select

from app.clock import township_today
from app.counties import report
from app.counties.models import County, CountyReport, ReportState
from app.extensions import db
from app.models import utcnow
from app.tenancy import bind_township
from app.townships.models import Township


def carrier_township_id(county: County):
    return db.session.scalar(select(Township.id).where(Township.county_id == county.id)
                             .order_by(Township.name).limit(1))


def request_report(county: County, quarter: str, actor) -> CountyReport:
    """Queue the quarter's report (asking again while one is being made returns that one)."""
    from app import jobs
    from app.matters.operations import TransitionError

    carrier = carrier_township_id(county)
    if carrier is None:
        raise TransitionError("本县还没有乡镇，无法生成报告。")
    waiting = db.session.scalar(select(CountyReport).where(
        CountyReport.county_id == county.id, CountyReport.quarter == quarter,
        CountyReport.state.in_([ReportState.QUEUED, ReportState.RENDERING])))
    if waiting is not None:
        return waiting
    row = CountyReport(id=uuid.uuid4(), county_id=county.id, quarter=quarter,
                       requested_by_id=getattr(actor, "id", None))
    db.session.add(row)
    jobs.enqueue("app.counties.jobs.render_report", carrier, row.id)
    return row


def render_report(township, report_id: str) -> None:
    from app.notices.pdf import render_pdf
    from app.notices.storage import storage

    bind_township(db.session, None)  # the report reads every township of the county
    row = db.session.get(CountyReport, uuid.UUID(str(report_id)))
    if row is None or row.state == ReportState.READY:
        return
    county = db.session.get(County, row.county_id)
    row.state, row.progress, row.error = ReportState.RENDERING.value, 1, ""
    db.session.commit()

    def progress(done: int, total: int, note: str = "") -> None:
        row.progress = max(1, min(70, int(70 * done / max(total, 1))))
        row.progress_note = note[:120]
        db.session.commit()

    try:
        with current_app.test_request_context():
            context = report.build(county, row.quarter, township_today(township), progress)
            row.progress, row.progress_note = 75, "排版"
            db.session.commit()
            pdf = render_pdf("county_quarterly.html", township=None, **context)
    except Exception as exc:
        db.session.rollback()
        row = db.session.get(CountyReport, uuid.UUID(str(report_id)))
        row.state, row.error = ReportState.FAILED.value, f"{type(exc).__name__}: {exc}"[:500]
        db.session.commit()
        raise
    key = f"counties/{county.id}/{row.id}.pdf"
    storage().put(key, pdf)
    row.storage_key, row.size = key, len(pdf)
    row.state, row.progress, row.progress_note = ReportState.READY.value, 100, ""
    row.finished_at = utcnow()
    db.session.commit()

"""The national calendar page: the operator enters a year's 放假安排 (/platform/calendar)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.access import operator
from app.clock import township_today
from app.extensions import db
from app.holidays import operations as ops
from app.holidays.forms import ScheduleForm
from app.holidays.models import NationalYear
from app.townships.workdays import library_covers, year_known

bp = Blueprint("holidays", __name__, url_prefix="/platform/calendar")


def _page(form, errors=(), status=200):
    today = township_today()
    years = ops.years_entered()
    known = {y.year for y in years}
    missing = [y for y in (today.year, today.year + 1) if not year_known(y, known)]
    return render_template("holidays/index.html", form=form, years=years, missing=missing,
                           errors=errors), status


@bp.route("/", methods=["GET", "POST"])
@operator
def index():
    form = ScheduleForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return _page(form, status=422)
        upload = form.file.data
        text = form.text.data or ""
        if upload and getattr(upload, "filename", ""):
            raw = upload.read(200_000)
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = raw.decode("gb18030", errors="replace")
        if not text.strip():
            form.text.errors.append(_("请填写或上传放假安排。"))
            return _page(form, status=422)
        try:
            entries = ops.parse(text)
        except ops.ScheduleError as exc:
            return _page(form, errors=exc.errors, status=422)
        result = ops.enter_schedule(entries, current_user, source=form.source.data or "")
        db.session.commit()
        flash(_("已录入 %(y)s 年的放假安排（%(d)s 天）；%(m)s 件在办事项的承诺办结日期已重新计算。",
                y="、".join(str(y) for y in result.years), d=result.days,
                m=result.matters_changed), "success")
        return redirect(url_for(".index"))
    return _page(form)


@bp.route("/<int:year>")
@operator
def year(year: int):
    if not 2000 <= year <= 2100:
        abort(404)
    entered = db.session.get(NationalYear, year)
    return render_template("holidays/year.html", year=year, days=ops.days_of(year),
                           entered=entered, library=library_covers(year))

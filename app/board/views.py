"""What residents see, without an account: the response board (回音壁), tracking a matter by its
number and phone digits, rating the answer, and raising something online."""

from __future__ import annotations

from datetime import date, timedelta

from flask import abort, current_app, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.access import public
from app.board import fast
from app.board.cache import board_cache
from app.extensions import db, limiter
from app.households.models import FindingKind, Village
from app.matters import operations as ops
from app.matters.forms import OnlineForm, ResidentRatingForm, TrackForm
from app.matters.models import Evaluation, Matter, MatterEvent, State
from app.matters.publication import on_board
from app.matters.rates import (
    cached_rates_by_village,
    last_months,
    month_period,
    rates_by_village_by_month,
    utc_bounds,
    year_to_date,
)
from app.tenancy import TenantBlueprint, current_township, scoped

bp = TenantBlueprint("board", __name__)

# How long after the answer a rating link still works.
RATING_WINDOW = timedelta(days=90)
BOARD_PAGE = 20


def _month_arg() -> tuple[date, date] | None:
    try:
        return month_period(date.fromisoformat(request.args.get("month", "") + "-01"))
    except ValueError:
        return None


@bp.route("/board")
@public
def index():
    """Public matters with masked names, the public reply and the rating; the three rates.

    The board is the most read page and the same for every visitor, so its content is rendered
    once and kept for BOARD_CACHE_SECONDS, or until this process records a change to a matter,
    reply, rating or village of the township (other processes catch up within the period).
    """
    township = current_township()
    month = _month_arg()
    period = board_period(township, month)
    key = (township.id, str(get_locale()), period,
           tuple(sorted((k, v) for k, v in request.args.items() if k in BOARD_ARGS)))
    # The version read before the rows (by app.board.fast, before this request's first
    # statement, when it knew the township): an entry is kept under the version it was
    # rendered after.
    read = fast.version_read(request.environ, township.id)
    version = board_cache.version(township.id) if read is ... else read and read[1]
    html = board_cache.get(township.id, key, version)
    if html is None:
        html = render_template("board/_board.html", **_board_context(township, month, period))
        board_cache.put(township.id, key, html, version)
    fast.may_keep(request.environ, township.id)
    return render_template("board/index.html", township=township, board_html=Markup(html))


BOARD_ARGS = ("village", "category", "month", "page", "period")
PERIOD_CHOICES = (("ytd", _l("本年以来")), ("12m", _l("近12个月")))


def board_period(township, month) -> tuple[date, date]:
    """The rates' period: the month asked for, else the last 12 months (?period=12m), else this
    year to date — a period long enough to mean something (a month just begun shows nothing)."""
    if month:
        return month
    today = ops.local_today(township)
    if request.args.get("period") == "12m":
        return last_months(today)[0][0], today + timedelta(days=1)
    return year_to_date(today)


def period_name(period, month) -> str:
    start, end = period
    last = end - timedelta(days=1)
    if month:
        return _("%(y)d年%(m)d月", y=start.year, m=start.month)
    if request.args.get("period") == "12m":
        return _("近12个月（%(y1)d年%(m1)d月至%(y2)d年%(m2)d月%(d2)d日）", y1=start.year,
                 m1=start.month, y2=last.year, m2=last.month, d2=last.day)
    return _("本年以来（%(y)d年1月1日至%(m)d月%(d)d日）", y=start.year, m=last.month, d=last.day)


def rate_cell(f, numerator: str, denominator: str) -> Markup:
    """A cell of the board's rates table: the percentage (— where nothing was counted), then
    the counts behind it. Built here rather than by two Jinja macros per cell: 120 cells on a
    board of 40 villages."""
    if f is None:
        return Markup("—")
    pct = _pct_text(f) + ("%" if f.denominator else "")
    return Markup(f'{pct}<br><small class="muted">{escape(numerator)} {int(f.numerator)} / '
                  f'{escape(denominator)} {int(f.denominator)}</small>')


def _pct_text(f) -> str:
    """A rate in the trend tables: one decimal, or — where nothing was counted."""
    return "—" if f is None or not f.denominator else f"{f.percent:.1f}"


def board_charts(township, villages, rates, village=None) -> dict:
    """The board's pictures: each rate over the last 12 months (with the numbers as a table)
    for the township — and, on a village's board (?village=), for that village first — and
    the villages compared in bars, each bar a link to its village's board.

    One village's trend per page, not every village's: a township of 40 villages drew 41
    charts and 41 tables into each board, most of a phone's download and about a third of the
    page's rendering, for readers who mostly look at their own village.
    """
    from app import charts

    names = [str(_("入户走访率")), str(_("问题解决率")), str(_("群众满意率"))]
    history = rates_by_village_by_month(township.id, ops.local_today(township))
    labels = [_("%(m)d月", m=m[0].month) for m, _t, _v in history]
    empty = rates_by_village_empty()
    scopes = [(str(_("全镇")), [t for _m, t, _v in history])]
    if village is not None:
        scopes.insert(0, (village.name, [by.get(village.id, empty) for _m, _t, by in history]))

    def pc(f):
        return None if f is None else f.percent

    trends = []
    for name, months in scopes:
        series = [(names[0], [pc(r.visit_rate) for r in months]),
                  (names[1], [pc(r.resolution_rate) for r in months]),
                  (names[2], [pc(r.satisfaction_rate) for r in months])]
        # The table under each chart, its cells as text already: ~1,400 cells on a board of 20
        # villages, a Jinja macro call each was a third of the page's rendering.
        rows = [(label, _pct_text(r.visit_rate), _pct_text(r.resolution_rate),
                 _pct_text(r.satisfaction_rate)) for label, r in zip(labels, months, strict=True)]
        trends.append(dict(name=name, rows=rows,
                           chart=charts.trend(_("%(name)s近12个月三率", name=name), labels,
                                              series)))
    compare = []
    village_rates = rates[1:]
    rate_attrs = ("visit_rate", "resolution_rate", "satisfaction_rate")
    board = url_for("board.index")
    links = [f"{board}?village={v.id}" for v in villages]  # each village's own board
    for attr, label in zip(rate_attrs, names, strict=True):
        items = []
        for link, (vname, r) in zip(links, village_rates, strict=True):
            f = getattr(r, attr)
            items.append((vname, pc(f), link,
                          "—" if f is None or f.percent is None else f"{f.percent:.1f}%"))
        compare.append((label, charts.bars(_("各村%(rate)s", rate=label), items)))
    return dict(trends=trends, compare=compare, legend=charts.legend(names),
                chart_month_labels=labels)


def _board_context(township, month, period) -> dict:
    query = scoped(Matter).where(on_board())
    villages = db.session.scalars(scoped(Village).where(
        Village.retired_at.is_(None)).order_by(Village.sort_order, Village.name)).all()
    village = {str(v.id): v for v in villages}.get(request.args.get("village"))
    if village is not None:
        query = query.where(Matter.village_id == village.id)
    if request.args.get("category") in {k.value for k in FindingKind} | {"service"}:
        query = query.where(Matter.category == request.args["category"])
    if month:
        lo, hi = utc_bounds(township.timezone, *month)
        query = query.where(Matter.received_at >= lo, Matter.received_at < hi)
    page = LightPage(query.order_by(Matter.received_at.desc())
                     .options(selectinload(Matter.replies)),
                     max(1, request.args.get("page", 1, type=int)), BOARD_PAGE)
    ids = [m.id for m in page.items]
    ratings = dict(db.session.execute(
        select(Evaluation.matter_id, Evaluation.rating).where(
            Evaluation.township_id == township.id, Evaluation.matter_id.in_(ids))
        .order_by(Evaluation.stage)).all()) if ids else {}
    total, by_village = cached_rates_by_village(township.id, *period)
    empty = rates_by_village_empty()
    rates = [(_("全镇"), total)] + [(v.name, by_village.get(v.id, empty)) for v in villages]
    filters = {k: v for k, v in request.args.items() if k != "page"}
    return dict(township=township, page=page, ratings=ratings, villages=villages,
                village_names={v.id: v.name for v in villages},
                categories=FindingKind.choices() + [("service", _("服务事项"))],
                rates=rates, period=period, filters=filters, args=request.args,
                period_name=period_name(period, month), period_choices=PERIOD_CHOICES,
                rate_cell=rate_cell,
                **board_charts(township, villages, rates, village))


class LightPage:
    """A page of results without counting all of them: the board is read on cheap phones and
    its table holds every public matter of the township, so it fetches one row more than it
    shows to know whether there is a next page."""

    def __init__(self, query, page: int, per_page: int):
        rows = db.session.scalars(query.limit(per_page + 1).offset((page - 1) * per_page)).all()
        self.items = rows[:per_page]
        self.page = page
        self.has_prev = page > 1
        self.has_next = len(rows) > per_page
        self.prev_num, self.next_num = page - 1, page + 1
        # The pager shows "page N" only; there is no total to compute.
        self.pages = page + 1 if self.has_next else page


def rates_by_village_empty():
    from app.matters.rates import Figure, Rates

    nothing = Figure(0, 0)
    return Rates(0, nothing, nothing, nothing, nothing, nothing, nothing)


def _track_limit() -> str:
    return current_app.config.get("TRACK_RATE_LIMIT", "10 per 10 minutes")


@bp.route("/track", methods=["GET", "POST"])
@limiter.limit(_track_limit, methods=["POST"])
@public
def track():
    """A resident looks up their matter with its number and the last four phone digits."""
    township = current_township()
    form = TrackForm()
    if request.method == "GET" and request.args.get("number"):
        form.number.data = request.args["number"]
    matter = None
    if form.validate_on_submit():
        number = form.number.data.strip().upper()
        matter = db.session.scalar(scoped(Matter).where(Matter.number == number))
        if matter is None or matter.contact_phone_tail != form.phone_tail.data:
            # One message for both cases: a guess learns nothing about which part was wrong.
            form.phone_tail.errors.append(_("编号或手机号后四位不对，请核对回执。"))
            matter = None
    if matter is None:
        return render_template("board/track.html", township=township, form=form), (
            422 if form.errors else 200)
    events = db.session.scalars(select(MatterEvent).where(
        MatterEvent.township_id == township.id, MatterEvent.matter_id == matter.id)
        .order_by(MatterEvent.seq)).all()
    return render_template("board/track.html", township=township, form=None, matter=matter,
                           events=events, can_rate=_can_rate(matter))


def _can_rate(matter: Matter) -> bool:
    if matter.state not in (State.REPLIED, State.CLOSED) or matter.replied_at is None:
        return False
    from app.models import utcnow

    if utcnow() - matter.replied_at > RATING_WINDOW:
        return False
    return not db.session.scalar(select(Evaluation.id).where(
        Evaluation.township_id == matter.township_id, Evaluation.matter_id == matter.id,
        Evaluation.stage == matter.stage))


@bp.route("/rate/<token>", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
@public
def rate(token):
    """The resident's own rating link (on the receipt's QR code): once per stage."""
    township = current_township()
    matter = db.session.scalar(scoped(Matter).where(Matter.rating_token == token))
    if matter is None:
        abort(404)
    form = ResidentRatingForm()
    if not _can_rate(matter):
        return render_template("board/rate.html", township=township, matter=matter, form=None)
    if form.validate_on_submit():
        try:
            ops.evaluate(matter, rating=form.rating.data, source="resident_link",
                         comment=form.comment.data or "", township=township)
        except ops.TransitionError:
            db.session.rollback()
            return render_template("board/rate.html", township=township, matter=matter,
                                   form=None)
        db.session.commit()
        return render_template("board/rate.html", township=township, matter=matter, form=None,
                               thanked=True)
    return render_template("board/rate.html", township=township, matter=matter, form=form), (
        422 if form.errors else 200)


@bp.route("/raise", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
@public
def raise_matter():
    """A resident raises something online, without an account."""
    township = current_township()
    form = OnlineForm()
    villages = db.session.scalars(scoped(Village).where(
        Village.retired_at.is_(None)).order_by(Village.sort_order, Village.name)).all()
    form.village_id.choices = [("", "—")] + [(str(v.id), v.name) for v in villages]
    if form.validate_on_submit():
        village = next((v for v in villages if str(v.id) == form.village_id.data), None)
        matter = ops.create_matter(
            township, channel="online", category="suggestion", title=form.title.data,
            description=form.description.data or "", village=village,
            contact_name=form.contact_name.data, contact_phone=form.contact_phone.data,
            is_public=form.publicity.data == "public")
        if form.notify_consent.data:  # the resident's own yes: no staff actor to audit
            from app.notices import residents

            residents.agree(township, matter, given_at=matter.channel,
                            email=form.email.data or None)
        db.session.commit()
        return render_template("board/raised.html", township=township, matter=matter)
    return render_template("board/raise.html", township=township, form=form), (
        422 if form.errors else 200)


@bp.app_template_global()
def public_event(event) -> str | None:
    """A step in plain words for residents; internal steps return None and are not shown."""
    from app.matters.views import event_label

    if event.kind in ("revisit_scheduled", "published", "wording_edited", "withheld"):
        return None
    return event_label(event)



CUSTODY_WORDS = {
    "received_from_resident": _l("助理收到材料"),
    "handed_to_centre": _l("材料已交到乡镇"),
    "returned_to_assistant": _l("乡镇办完，材料交回助理"),
    "returned_to_resident": _l("材料已还给本人"),
    "kept_by_office": _l("材料由乡镇留存"), "used_up": _l("材料在办理中用掉"),
    "issued": _l("新证件已办好，交代办员带回"),
}


@bp.app_template_global()
def custody_words(data: dict) -> str:
    """An errand's hand-over in plain words (names of the documents, never of the people)."""
    words = str(CUSTODY_WORDS.get(data.get("step", ""), ""))
    documents = data.get("documents") or []
    names = [d.get("name", "") if isinstance(d, dict) else str(d) for d in documents]
    return words + (f"（{'、'.join(n for n in names if n)}）" if names else "")


from app.board import feeds  # noqa: E402,F401  (the board's Atom feeds, on this blueprint)

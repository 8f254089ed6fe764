"""The cross-cutting documents every channel uses (DESIGN §7): the acceptance receipt (受理回执),
the reply notice (答复函), the monthly response-board poster per village (公开栏), the monthly
three-rates report for leaders, and a village's household contact cards (a long batch).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, timedelta

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.access import Rule
from app.accounts.models import Role
from app.extensions import db
from app.households.models import Household, Village
from app.matters.models import Channel, Evaluation, Matter
from app.matters.publication import on_board
from app.notices.kinds import register
from app.notices.pdf import qr_data_uri
from app.tenancy import get_scoped

ANY_STAFF = Rule("staff")
LEADERS = Rule("staff", frozenset({Role.LEADER, Role.TOWNSHIP_ADMIN}))


def _matter(township, subject_id) -> Matter:
    matter = get_scoped(Matter, uuid.UUID(str(subject_id)), township.id)
    if matter is None:
        raise LookupError("matter not found")
    return matter


def tracking_url(township, matter: Matter) -> str:
    """The public tracking page of a matter (the board's), as an absolute URL for the QR code."""
    return url_for("board.track", slug=township.slug, number=matter.number, _external=True)


def receipt_context(township, subject_id, progress=None) -> dict:
    from app.catalogue.questions import answers_of
    from app.clock import township_today

    matter = _matter(township, subject_id)
    url = tracking_url(township, matter)
    return {
        "matter": matter,
        # The seal is dated the township's day (not the server's: 00:00–08:00 in Beijing is
        # still the day before in UTC).
        "issued_on": township_today(township),
        "answers": answers_of(matter),
        "number": matter.number,
        "channel_label": Channel(matter.channel).label,
        "materials": list((matter.extra or {}).get("materials_received") or []),
        "missing": list((matter.extra or {}).get("materials_missing") or []),
        "tracking_url": url,
        "qr": qr_data_uri(url),
        "source": {"number": matter.number, "state": matter.state},
    }


def reply_context(township, subject_id, progress=None) -> dict:
    matter = _matter(township, subject_id)
    replies = sorted(matter.replies, key=lambda r: (r.stage, r.created_at))
    if not replies:
        raise ValueError("此事项尚未答复，不能出具答复函")
    url = tracking_url(township, matter)
    from app.clock import township_today

    return {"matter": matter, "number": matter.number, "reply": replies[-1],
            "issued_on": township_today(township),
            "tracking_url": url, "qr": qr_data_uri(url),
            "source": {"number": matter.number, "reply_id": str(replies[-1].id)}}


def month_bounds(month: str) -> tuple[date, date]:
    """'2026-11' -> (2026-11-01, 2026-12-01): start inclusive, end exclusive."""
    year, mon = (int(p) for p in month.split("-"))
    start = date(year, mon, 1)
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


def _received_between(query, start: date, end: date):
    from datetime import datetime, time

    lo = datetime.combine(start, time(), tzinfo=UTC) - timedelta(hours=8)
    hi = datetime.combine(end, time(), tzinfo=UTC) - timedelta(hours=8)
    return query.where(Matter.received_at >= lo, Matter.received_at < hi)


def _poster(township, village, start, end, progress=None) -> dict:
    """One village's public matters received in [start, end): no names, no phones."""
    matters = list(db.session.scalars(_received_between(
        select(Matter).where(Matter.township_id == township.id, Matter.village_id == village.id,
                             on_board()), start, end
    ).order_by(Matter.received_at)))
    rows = []
    for n, m in enumerate(matters, 1):
        reply = m.public_reply
        rows.append({"matter": m, "reply": reply.board_text if reply else ""})
        if progress:
            progress(n, len(matters), "")
    return {"village": village, "rows": rows}


def poster_context(township, subject_id, progress=None) -> dict:
    """subject_id: '<village_id>:<YYYY-MM>'. One village's poster (A3)."""
    village_id, _, month = str(subject_id).partition(":")
    village = get_scoped(Village, uuid.UUID(village_id), township.id)
    if village is None:
        raise LookupError("village not found")
    poster = _poster(township, village, *month_bounds(month), progress)
    return {"posters": [poster], "month": month,
            "source": {"village": village.name, "month": month, "count": len(poster["rows"])}}


def posters_month_context(township, subject_id, progress=None) -> dict:
    """subject_id: 'YYYY-MM'. Every village's poster for the month, one batch, reporting
    progress village by village."""
    month = str(subject_id)
    start, end = month_bounds(month)
    villages = list(db.session.scalars(select(Village).where(Village.township_id == township.id)
                                       .order_by(Village.sort_order, Village.name)))
    posters = []
    for n, village in enumerate(villages, 1):
        posters.append(_poster(township, village, start, end))
        if progress:
            progress(n, len(villages), village.name)
    return {"posters": posters, "month": month, "batch": True,
            "source": {"month": month, "villages": len(posters)}}


def _fallback_rates(township_id, start, end, village_id=None) -> dict:
    """Used only until app.matters.rates lands: the three rates from the ledger's own columns."""
    q = _received_between(select(Matter).where(Matter.township_id == township_id), start, end)
    if village_id:
        q = q.where(Matter.village_id == village_id)
    matters = list(db.session.scalars(q))
    total = len(matters)
    responded = sum(1 for m in matters if m.first_response_at or m.replied_at)
    closed = sum(1 for m in matters if m.closed_at)
    ids = [m.id for m in matters]
    evals = list(db.session.scalars(select(Evaluation).where(
        Evaluation.township_id == township_id, Evaluation.matter_id.in_(ids)))) if ids else []
    satisfied = sum(1 for e in evals if e.rating_enum.is_satisfied)

    def pct(a, b):
        return round(100 * a / b, 1) if b else None

    return {"received": total, "response_rate": pct(responded, total),
            "resolution_rate": pct(closed, total), "satisfaction_rate": pct(satisfied, len(evals))}


def compute_rates(township_id, start, end, village_id=None) -> dict:
    try:
        from app.matters.rates import compute_rates as ledger_rates
    except ImportError:
        return _fallback_rates(township_id, start, end, village_id=village_id)
    return ledger_rates(township_id, start, end, village_id=village_id).as_percentages()


def rates_context(township, subject_id, progress=None) -> dict:
    """subject_id: 'YYYY-MM'. The township's rates, then each village's."""
    month = str(subject_id)
    start, end = month_bounds(month)
    villages = list(db.session.scalars(select(Village).where(Village.township_id == township.id)
                                       .order_by(Village.sort_order, Village.name)))
    overall = compute_rates(township.id, start, end)
    rows = []
    for n, v in enumerate(villages, 1):
        rows.append({"village": v, "rates": compute_rates(township.id, start, end,
                                                          village_id=v.id)})
        if progress:
            progress(n, len(villages), v.name)
    return {"month": month, "overall": overall, "rows": rows, "number": month,
            "source": {"month": month}}


DEFAULT_POLICIES = (
    "城乡居民医保、养老保险按年缴费，到村或镇便民服务中心办理",
    "低保、特困供养、临时救助，向村委会或镇社会事务服务中心申请",
    "耕地地力保护补贴等惠农补贴，直接发放到户，有疑问可查询",
)
CARDS_PER_SHEET = 4


def contact_cards_context(township, subject_id, progress=None) -> dict:
    """subject_id: a village id. One card per active household (its contact cadre's name, post
    and phone, the cadre's public commitments, key policies and how to get things done), printed
    four to an A4 sheet with cut lines."""
    from app.accounts.models import User
    from app.cadres.models import Commitment

    village = get_scoped(Village, uuid.UUID(str(subject_id)), township.id)
    if village is None:
        raise LookupError("village not found")
    households = list(db.session.scalars(select(Household).where(
        Household.township_id == township.id, Household.village_id == village.id,
        Household.active.is_(True)).order_by(Household.address, Household.head_name)))
    cadre_ids = {h.contact_cadre_id for h in households if h.contact_cadre_id}
    cadres = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(cadre_ids)))} \
        if cadre_ids else {}
    commitments: dict = {}
    if cadre_ids:
        for c in db.session.scalars(select(Commitment).where(
                Commitment.township_id == township.id, Commitment.cadre_id.in_(cadre_ids),
                Commitment.is_public.is_(True)).order_by(Commitment.due_on)):
            commitments.setdefault(c.cadre_id, []).append(c.text)
    cards = []
    for n, h in enumerate(households, 1):
        cards.append({"household": h, "cadre": cadres.get(h.contact_cadre_id),
                      "commitments": commitments.get(h.contact_cadre_id, [])[:3]})
        if progress and (n % 50 == 0 or n == len(households)):
            progress(n, len(households), "")
    sheets = [cards[i:i + CARDS_PER_SHEET] for i in range(0, len(cards), CARDS_PER_SHEET)]
    policies = (township.settings or {}).get("policies") or list(DEFAULT_POLICIES)
    track_url = url_for("board.track", slug=township.slug, _external=True)
    return {"village": village, "sheets": sheets, "policies": policies[:4],
            "track_url": track_url, "track_qr": qr_data_uri(track_url, scale=3),
            "batch": True, "source": {"households": len(cards)}}


register("matter_receipt", template="receipt.html", build_context=receipt_context,
         permission=ANY_STAFF.allows, label=_l("受理回执"))
register("reply_notice", template="reply_notice.html", build_context=reply_context,
         permission=ANY_STAFF.allows, label=_l("答复函"))
register("board_poster", template="board_poster.html", build_context=poster_context,
         permission=ANY_STAFF.allows, label=_l("公开栏月度海报"))
register("board_posters_month", template="board_poster.html",
         build_context=posters_month_context, permission=ANY_STAFF.allows,
         label=_l("全镇公开栏月度海报"))
def rates_poster_context(township, subject_id, progress=None) -> dict:
    """subject_id: '<village_id or all>:<YYYY-MM>:<A3|A4>'. The 公开栏 poster of the three rates:
    the month's figures with their counts, the last 12 months drawn (app.charts, the board's
    numbers), a few answered matters as the board shows them, the contact cadres and a QR code
    to the board."""
    from app import charts
    from app.accounts.models import User
    from app.matters.rates import compute_rates, rates_by_village_by_month

    scope, _, rest = str(subject_id).partition(":")
    month, _, size = rest.partition(":")
    village = None
    if scope != "all":
        village = get_scoped(Village, uuid.UUID(scope), township.id)
        if village is None:
            raise LookupError("village not found")
    start, end = month_bounds(month)
    vid = village.id if village else None
    rates = compute_rates(township.id, start, end, village_id=vid)
    if progress:
        progress(1, 4, "")
    history = rates_by_village_by_month(township.id, end - timedelta(days=1))
    months = [t if village is None else by.get(village.id) for _m, t, by in history]

    def pc(r, attr):
        f = getattr(r, attr) if r is not None else None
        return None if f is None else f.percent

    names = [str(_l("入户走访率")), str(_l("问题解决率")), str(_l("群众满意率"))]
    attrs = ("visit_rate", "resolution_rate", "satisfaction_rate")
    labels = [f"{m[0].month}月" for m, _t, _v in history]
    chart = charts.trend(f"{village.name if village else township.name} 近12个月三率", labels,
                         [(n, [pc(r, a) for r in months]) for n, a in
                          zip(names, attrs, strict=True)], width=520, height=170)
    if progress:
        progress(2, 4, "")
    # The latest public matters with a public reply, as the board shows them.
    query = select(Matter).where(Matter.township_id == township.id, on_board())
    if vid:
        query = query.where(Matter.village_id == vid)
    answered = []
    for m in db.session.scalars(query.order_by(Matter.received_at.desc()).limit(40)):
        reply = m.public_reply
        if reply is not None and len(answered) < 5:
            answered.append({"matter": m, "reply": reply.board_text})
    households = select(Household.contact_cadre_id).where(
        Household.township_id == township.id, Household.active.is_(True),
        Household.contact_cadre_id.is_not(None))
    if vid:
        households = households.where(Household.village_id == vid)
    cadre_ids = set(db.session.scalars(households.distinct()))
    cadres = list(db.session.scalars(select(User).where(User.id.in_(cadre_ids))
                                     .order_by(User.name).limit(12))) if cadre_ids else []
    if progress:
        progress(3, 4, "")
    board_url = (url_for("board.index", slug=township.slug, village=vid, _external=True) if vid
                 else url_for("board.index", slug=township.slug, _external=True))
    return {"village": village, "month": month, "size": "A4" if size == "A4" else "A3",
            "rates": rates, "chart": chart, "legend": charts.legend(names),
            "rows": list(zip(labels, months, strict=True)), "answered": answered,
            "cadres": cadres, "board_url": board_url, "board_qr": qr_data_uri(board_url),
            "source": {"village": village.name if village else None, "month": month,
                       "received": rates.received}}


register("rates_report", template="rates_report.html", build_context=rates_context,
         permission=LEADERS.allows, label=_l("三率月报"))
register("rates_poster", template="rates_poster.html", build_context=rates_poster_context,
         permission=ANY_STAFF.allows, label=_l("公开栏三率海报"))
register("contact_cards", template="contact_cards.html", build_context=contact_cards_context,
         permission=ANY_STAFF.allows, label=_l("联系卡"))

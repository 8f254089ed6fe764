"""Atom feeds of the public board (issue #21): the township's and each village's part of it.

A feed carries what the board shows and nothing more: the same matters (public, published, never
a petition), each entry rendered by the board's own item template on a public request, so its
names and numbers are masked exactly as on the board page. Written by `feedgenerator` (Pelican's
standalone Atom writer) rather than by hand.
"""

from __future__ import annotations

from feedgenerator import Atom1Feed
from flask import Response, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.access import public
from app.board.views import bp
from app.extensions import db
from app.households.models import Village
from app.matters.models import Evaluation, Matter
from app.matters.publication import on_board
from app.privacy import mask_text
from app.tenancy import current_township, get_or_404, scoped

FEED_ENTRIES = 50


@bp.route("/board.atom")
@public
def feed():
    """The township's board as an Atom feed (newest 50 matters), for anyone to follow."""
    return _feed(current_township(), None)


@bp.route("/board/<uuid:village_id>.atom")
@public
def village_feed(village_id):
    """One village's part of the board, for its WeChat group keeper or a county system."""
    return _feed(current_township(), get_or_404(Village, village_id))


def _feed(township, village) -> Response:
    query = scoped(Matter).where(on_board())
    if village is not None:
        query = query.where(Matter.village_id == village.id)
    matters = db.session.scalars(query.order_by(Matter.received_at.desc())
                                 .options(selectinload(Matter.replies))
                                 .limit(FEED_ENTRIES)).all()
    ids = [m.id for m in matters]
    ratings = dict(db.session.execute(
        select(Evaluation.matter_id, Evaluation.rating).where(
            Evaluation.township_id == township.id, Evaluation.matter_id.in_(ids))
        .order_by(Evaluation.stage)).all()) if ids else {}
    village_names = {v.id: v.name for v in db.session.scalars(scoped(Village))}
    board_url = url_for("board.index", _external=True,
                        **({"village": str(village.id)} if village is not None else {}))
    township_board = url_for("board.index", _external=True)  # one id in both feeds
    title = f"{township.name}{' · ' + village.name if village else ''} · {_('回音壁')}"
    self_url = (url_for("board.village_feed", village_id=village.id, _external=True)
                if village is not None else url_for("board.feed", _external=True))
    atom = Atom1Feed(title=title, link=board_url, description=_("群众反映的事，我们怎么答复的。"),
                     language="zh-CN", feed_url=self_url, feed_guid=self_url,
                     author_name=township.name)
    for m in matters:
        content = render_template("board/_item.html", m=m, ratings=ratings,
                                  village_names=village_names)
        updated = max(t for t in (m.received_at, m.replied_at, m.closed_at) if t is not None)
        atom.add_item(title=mask_text(m.board_title), link=f"{board_url}#{m.number}",
                      description="", content=content, pubdate=m.received_at,
                      updateddate=updated, unique_id=f"{township_board}#{m.number}",
                      categories=[village_names.get(m.village_id, "")] if m.village_id else ())
    return Response(atom.writeString("utf-8"), mimetype="application/atom+xml")

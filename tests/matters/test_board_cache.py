"""The response board's rendered content is kept for a while and dropped when the township's
matters change in this process."""

from __future__ import annotations

from sqlalchemy import text, update

from app.extensions import db
from app.matters.models import Matter
from app.tenancy import bind_township
from tests import factories


def test_board_is_served_from_the_cache_until_a_matter_changes(app, client):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township()
        bind_township(db.session, t.id)
        matter = factories.matter(t, title="村口路灯不亮")
        db.session.commit()
        bind_township(db.session, None)
    url = f"/t/{t.slug}/board"
    assert "村口路灯不亮" in client.get(url).text
    # Written past the ORM: nothing tells the cache, so the board still shows the old title.
    with app.app_context(), db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # platform-wide for row-level security
            conn.execute(text("select set_config('app.township', '*', true)"))
        conn.execute(update(Matter.__table__).where(Matter.__table__.c.id == matter.id)
                     .values(title="改过的标题"))
    assert "村口路灯不亮" in client.get(url).text
    assert "改过的标题" not in client.get(url).text
    # Another filter is another entry, rendered fresh.
    assert "改过的标题" in client.get(url + "?page=1").text
    with app.app_context():
        bind_township(db.session, t.id)
        row = db.session.get(Matter, (t.id, matter.id))
        row.title = "路灯已修好"
        db.session.commit()  # the flush drops the township's entries
        bind_township(db.session, None)
    assert "路灯已修好" in client.get(url).text

"""The review queue of public text (issue #16): what waits before it reaches the board, the
reviewers' decisions, and the township's choices (review first or publish at once, who reviews,
which categories and service items are public by default).

Registered on the ledger's blueprint (imported at the bottom of app.matters.views).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.access import staff
from app.accounts.models import Role, RoleGrant, User
from app.catalogue.models import ServiceItem
from app.extensions import db
from app.households.models import FindingKind
from app.matters import publication as pub
from app.matters.models import Matter, Reply
from app.matters.views import _load, bp
from app.tenancy import current_township, get_or_404, scoped


def _reviewer_only():
    """Township administrators, leaders and named reviewers; other staff are refused."""
    township = current_township()
    if not pub.may_review(current_user, township):
        abort(403)
    return township


@bp.route("/review")
@staff()
def review():
    """Public matters and replies waiting before they reach the board (township admin, leader,
    whoever the township names as reviewer)."""
    township = _reviewer_only()
    matters, replies = pub.queue(township)
    settings = pub.settings_for(township)
    return render_template("matters/review.html", township=township, matters=matters,
                           replies=replies, settings=settings, errors={}, form={})


def _queue_with_errors(township, matter_id, errors, form):
    matters, replies = pub.queue(township)
    return render_template("matters/review.html", township=township, matters=matters,
                           replies=replies, settings=pub.settings_for(township),
                           errors={str(matter_id): errors}, form=form), 422


def _back(matter):
    if request.form.get("next") == "detail":
        return redirect(url_for(".detail", matter_id=matter.id))
    return redirect(url_for(".review"))


@bp.route("/<uuid:matter_id>/publication", methods=["POST"])
@staff()
def decide(matter_id):
    """Publish a matter (in the reviewer's words if changed) or keep it off the board."""
    township = _reviewer_only()
    matter = get_or_404(Matter, matter_id)  # a reviewer reviews every matter of the queue
    action = request.form.get("action")
    try:
        if action == "publish":
            title = request.form.get("public_title")
            if title is not None and not title.strip():
                raise pub.PublicationError(_("公开的标题不能为空。"))
            if title is not None and len(title.strip()) > 120:
                raise pub.PublicationError(_("标题最多120字。"))
            pub.publish(township, matter, current_user, title=title,
                        description=request.form.get("public_description"))
        elif action == "withhold":
            pub.withhold(township, matter, current_user, reason=request.form.get("reason", ""))
        else:
            raise pub.PublicationError(_("请选择发布或不公开。"))
    except pub.PublicationError as exc:
        db.session.rollback()
        return _queue_with_errors(township, matter.id, str(exc), request.form)
    db.session.commit()
    flash(_("已发布到回音壁。") if action == "publish" else _("已设为不在回音壁公开。"), "success")
    return _back(matter)


@bp.route("/<uuid:matter_id>/replies/<uuid:reply_id>/publication", methods=["POST"])
@staff()
def decide_reply(matter_id, reply_id):
    """Publish a public reply (in the reviewer's words if changed) or keep it off the board."""
    township = _reviewer_only()
    matter = get_or_404(Matter, matter_id)
    answer = get_or_404(Reply, reply_id)
    if answer.matter_id != matter.id:
        abort(404)
    action = request.form.get("action")
    try:
        if action == "publish":
            text = request.form.get("public_wording")
            if text is not None and not text.strip():
                raise pub.PublicationError(_("公开的答复不能为空。"))
            pub.publish_reply(township, answer, matter, current_user, text=text)
        elif action == "withhold":
            pub.withhold_reply(township, answer, matter, current_user,
                               reason=request.form.get("reason", ""))
        else:
            raise pub.PublicationError(_("请选择发布或不公开。"))
    except pub.PublicationError as exc:
        db.session.rollback()
        return _queue_with_errors(township, answer.id, str(exc), request.form)
    db.session.commit()
    flash(_("已保存。"), "success")
    return _back(matter)


@bp.route("/publication-settings", methods=["GET", "POST"])
@staff(Role.TOWNSHIP_ADMIN)
def publication_settings():
    """The township's choices: review before the board or publish at once, who reviews, and which
    categories and service items are public unless the resident says 「不公开」."""
    township = current_township()
    items = db.session.scalars(scoped(ServiceItem).where(ServiceItem.active.is_(True))
                               .order_by(ServiceItem.name)).all()
    people = db.session.execute(
        select(User.id, User.name).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.township_id == township.id).distinct().order_by(User.name)).all()
    if request.method == "POST":
        chosen = set(request.form.getlist("reviewers"))
        known = {str(i) for i, _n in people}
        categories = {key: request.form.get(f"category-{key}") == "public"
                      for key in pub.CATEGORY_DEFAULTS if key not in pub.ALWAYS_PRIVATE}
        pub.save_settings(township, current_user,
                          review=request.form.get("review") == "review",
                          review_replies=request.form.get("review_replies") == "yes",
                          reviewers=sorted(chosen & known), categories=categories)
        from app.audit.operations import record

        for item in items:
            wanted = request.form.get(f"item-{item.id}") == "public"
            if wanted != item.public_default:
                record(township.id, current_user, "catalogue.public_default", item,
                       before={"public_default": item.public_default},
                       after={"public_default": wanted}, summary=item.name)
                item.public_default = wanted
        db.session.commit()
        flash(_("公开设置已保存，之后受理的事项按新设置。"), "success")
        return redirect(url_for(".publication_settings"))
    return render_template("matters/publication_settings.html", township=township,
                           settings=pub.settings_for(township), items=items, people=people,
                           categories=[(k, _category(k)) for k in pub.CATEGORY_DEFAULTS])


def _category(key: str) -> str:
    if key == "service":
        return _("服务事项")
    return FindingKind(key).label


def pending_count(township) -> int:
    """For the ledger's link to the queue."""
    from sqlalchemy import func

    return db.session.scalar(select(func.count()).select_from(Matter).where(
        Matter.township_id == township.id, Matter.is_public.is_(True),
        Matter.publication == pub.PENDING)) or 0




# ---------------------------------------------------------------- a resident's phone, shown

PHONE_SOURCES = ("matter", "household", "resident")


def _phone_row(kind: str, row_id):
    """The number behind a 「显示」 button, the row it belongs to and its scope."""
    from app.households.models import Household, Resident

    if kind == "matter":
        matter = _load(row_id)  # a matter this user may not see is not found
        return matter.contact_phone, matter, {"matter": matter}
    if kind == "household":
        household = get_or_404(Household, row_id)
        return household.phone, household, {"household": household}
    if kind == "resident":
        resident = get_or_404(Resident, row_id)
        return resident.phone, resident, {
            "village_id": resident.village_id, "household": resident.household}
    abort(404)


@bp.route("/phone/<source>/<uuid:row_id>", methods=["POST"])
@staff()
def show_phone(source, row_id):
    """Any staff member of the township shows a resident's full number where their role and
    scope do not (recorded in the audit log as phone.show: who, when, whose). htmx swaps the
    number in; without JavaScript the page comes back with it shown (remembered in the session)."""
    from flask import session

    from app.audit.operations import record
    from app.privacy import may_see_phone

    township = current_township()
    kind = source
    number, row, scope = _phone_row(kind, row_id)
    if not number:
        abort(404)
    if not may_see_phone(current_user, township, **scope):
        whose = {"matter": lambda: row.contact_name, "household": lambda: row.head_name,
                 "resident": lambda: row.name}[kind]() or ""
        record(township.id, current_user, "phone.show", row, after={"phone": number},
               summary=f"{getattr(row, 'number', '')} {whose}".strip())
        db.session.commit()
    key = f"{kind}:{row_id}"
    shown = [k for k in session.get("phones_shown", []) if k != key][-49:]
    session["phones_shown"] = [*shown, key]
    if request.htmx:
        return render_template("_phone_shown.html", number=number)
    target = request.form.get("next") or ""
    if not target.startswith("/") or target.startswith("//"):
        target = url_for(".index")
    return redirect(target)

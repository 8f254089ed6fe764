"""Open311 GeoReport v2 (open311.org), per township (`jurisdiction_id` = the township's slug),
in JSON and in XML (which the spec requires), and the township administrator's API keys page.

Requests are form-encoded as the spec says and need an `api_key`; a missing or revoked key
answers 403, a bad field 400, an unknown id 404, all in the spec's error format, never a 500.
GET answers carry only what the public board may show.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from flask import (
    Blueprint,
    Response,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.access import public, staff
from app.accounts.models import Role
from app.api import operations as ops
from app.api.models import ApiKey
from app.extensions import csrf, db, limiter
from app.tenancy import TenantBlueprint, bind_township, current_township, get_or_404, scoped

public_bp = Blueprint("open311", __name__, url_prefix="/open311")
bp = TenantBlueprint("api_keys", __name__, url_prefix="/settings/api-keys")
FORMATS = ("json", "xml")


# ---------------------------------------------------------------- answers

def _xml(root: str, item: str | None, rows) -> Response:
    """`rows` (dicts, lists of dicts for repeated children) under <root><item>…</item></root>."""
    top = ET.Element(root)

    def fill(parent, value):
        for key, child in value.items():
            if isinstance(child, list):
                holder = ET.SubElement(parent, key)
                singular = key[:-1] if key.endswith("s") else key
                for entry in child:
                    node = ET.SubElement(holder, singular)
                    if isinstance(entry, dict):
                        fill(node, entry)
                    else:
                        node.text = str(entry)
            else:
                node = ET.SubElement(parent, key)
                if isinstance(child, bool):
                    node.text = "true" if child else "false"
                elif child is not None:
                    node.text = str(child)

    if item is None:
        fill(top, rows)
    else:
        for row in rows:
            fill(ET.SubElement(top, item), row)
    body = ET.tostring(top, encoding="unicode", xml_declaration=True)
    return Response(body, mimetype="text/xml")


def _answer(fmt: str, root: str, item: str | None, rows, status: int = 200):
    response = _xml(root, item, rows) if fmt == "xml" else jsonify(rows)
    response.status_code = status
    return response


def _error(fmt: str, code: int, description: str):
    return _answer(fmt, "errors", "error", [{"code": code, "description": description}], code)


def _township(fmt: str):
    """The township named by jurisdiction_id, bound to the session."""
    from app.townships.models import Township

    slug = (request.values.get("jurisdiction_id") or "").strip()
    if not slug:
        raise ops.ApiError(400, "jurisdiction_id is required (the township's code in its URL)")
    township = db.session.execute(select(Township).where(Township.slug == slug),
                                  execution_options={"all_townships": True}).scalar_one_or_none()
    if township is None:
        raise ops.ApiError(404, f"jurisdiction_id {slug} not found")
    g.township = township
    bind_township(db.session, township.id)
    return township


def _api(view):
    """Every Open311 answer: the format checked, ApiError turned into the spec's errors."""
    from functools import wraps

    @wraps(view)
    def wrapped(*args, fmt, **kwargs):
        if fmt not in FORMATS:
            return _error("json", 404, "format must be json or xml")
        try:
            return view(*args, fmt=fmt, **kwargs)
        except ops.ApiError as exc:
            db.session.rollback()
            return _error(fmt, exc.code, exc.description)

    return wrapped


def _per_key() -> str:
    return "open311:" + (request.values.get("api_key") or request.remote_addr or "")


# ---------------------------------------------------------------- GeoReport v2

@public_bp.route("/discovery.<fmt>")
@public
@_api
def discovery(fmt):
    endpoint = url_for("open311.services", fmt="json", _external=True).rsplit("/", 1)[0]
    body = {"changeset": "2026-12-01T00:00:00+08:00", "contact": "乡镇便民服务中心",
            "key_service": "向乡镇管理员申请接口密钥（设置 → 接口密钥）",
            "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2",
                           "url": endpoint, "changeset": "2026-12-01T00:00:00+08:00",
                           "type": "production", "formats": ["text/xml", "application/json"]}]}
    if fmt == "xml":
        return _xml("discovery", None, body)
    return jsonify(body)


@public_bp.route("/v2/services.<fmt>")
@public
@_api
def services(fmt):
    township = _township(fmt)
    rows = [{"service_code": s.code, "service_name": s.name, "description": s.description,
             "metadata": s.metadata, "type": "realtime", "keywords": "", "group": s.group}
            for s in ops.services(township)]
    return _answer(fmt, "services", "service", rows)


@public_bp.route("/v2/services/<service_code>.<fmt>")
@public
@_api
def service_definition(service_code, fmt):
    township = _township(fmt)
    found = ops.service(township, service_code)
    body = {"service_code": found.code, "attributes": found.attributes}
    if fmt == "xml":
        return _xml("service_definition", None, body)
    return jsonify(body)


@public_bp.route("/v2/requests.<fmt>", methods=["POST"])
@csrf.exempt  # a system with an API key, not a browser form
@limiter.limit("60 per minute", key_func=_per_key)
@public
@_api
def post_request(fmt):
    township = _township(fmt)
    key = ops.key_for(township, request.form.get("api_key"))
    if key is None:
        raise ops.ApiError(403, "api_key is missing, unknown or revoked")
    attributes = {name[len("attribute["):-1]: value for name, value in request.form.items()
                  if name.startswith("attribute[") and name.endswith("]")}
    matter, token = ops.create_request(
        township, key, service_code=request.form.get("service_code", ""),
        description=request.form.get("description", ""), attributes=attributes,
        first_name=request.form.get("first_name", ""),
        last_name=request.form.get("last_name", ""), phone=request.form.get("phone", ""),
        email=request.form.get("email", ""),
        address=request.form.get("address_string", ""),
        notify=request.form.get("notify", "").strip().lower() in ("true", "1"))
    db.session.commit()
    notice = _("已受理，编号 %(n)s，应于 %(d)s 前答复。") % {"n": matter.number,
                                                     "d": matter.due_on.isoformat()}
    return _answer(fmt, "service_requests", "request", [{
        "service_request_id": matter.number, "token": token, "service_notice": notice,
        "account_id": ""}], 201)


@public_bp.route("/v2/tokens/<token>.<fmt>")
@public
@_api
def token(token, fmt):
    township = _township(fmt)
    matter = ops.by_token(township, token)
    if matter is None:
        raise ops.ApiError(404, "token not found")
    return _answer(fmt, "service_requests", "request",
                   [{"service_request_id": matter.number, "token": token}])


def _requests(township, ids: list[str], fmt: str):
    key = ops.key_for(township, request.values.get("api_key"))
    split = lambda name: [v.strip() for v in request.values.get(name, "").split(",")  # noqa: E731
                          if v.strip()]
    statuses = split("status")
    if any(s not in ("open", "closed") for s in statuses):
        raise ops.ApiError(400, "status must be open or closed")
    start, end = ops.parse_when(request.values.get("start_date")), \
        ops.parse_when(request.values.get("end_date"))
    if start and end and (end - start).days > 90:
        raise ops.ApiError(400, "start_date and end_date may not span more than 90 days")
    found = ops.find_requests(township, key, ids=ids, codes=split("service_code"),
                              start=start, end=end, statuses=statuses)
    centres, items = ops.lookups(township)
    updated = ops.last_updates(township, [m for m, _full in found])
    return [ops.describe(township, m, centres=centres, items=items, updated=updated, full=full)
            for m, full in found]


@public_bp.route("/v2/requests.<fmt>")
@public
@_api
def get_requests(fmt):
    township = _township(fmt)
    ids = [v.strip() for v in request.values.get("service_request_id", "").split(",")
           if v.strip()]
    return _answer(fmt, "service_requests", "request", _requests(township, ids, fmt))


@public_bp.route("/v2/requests/<service_request_id>.<fmt>")
@public
@_api
def get_request(service_request_id, fmt):
    township = _township(fmt)
    rows = _requests(township, [service_request_id], fmt)
    if not rows:
        raise ops.ApiError(404, f"service_request_id {service_request_id} not found")
    return _answer(fmt, "service_requests", "request", rows)


# ---------------------------------------------------------------- the administrator's keys

@bp.route("/", methods=["GET", "POST"])
@staff(Role.TOWNSHIP_ADMIN)
def keys():
    """Issue, name and revoke the keys of the systems that send requests through Open311."""
    township = current_township()
    plain = error = None
    if request.method == "POST":
        try:
            row, plain = ops.issue_key(township, current_user, name=request.form.get("name", ""))
        except ops.ApiError as exc:
            error = exc.description
        else:
            db.session.commit()
    rows = db.session.scalars(scoped(ApiKey).order_by(ApiKey.created_at.desc())).all()
    endpoint = url_for("open311.services", fmt="json", _external=True).rsplit("/", 1)[0]
    return render_template("api/keys.html", township=township, rows=rows, plain=plain,
                           error=error, endpoint=endpoint), 422 if error else 200


@bp.route("/<uuid:api_key_id>/revoke", methods=["POST"])
@staff(Role.TOWNSHIP_ADMIN)
def revoke(api_key_id):
    township = current_township()
    row = get_or_404(ApiKey, api_key_id)
    ops.revoke_key(township, current_user, row)
    db.session.commit()
    flash(_("密钥已停用。"), "success")
    return redirect(url_for(".keys"))




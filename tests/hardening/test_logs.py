"""No personal data in any log: failing requests that carry residents' phone and ID numbers
leave none of them in caplog, in a handler of our own on the root logger, or on stderr; database
errors are logged without their bound parameters; access logs carry no query strings."""

from __future__ import annotations

import io
import logging
import runpy
from pathlib import Path

import pytest
from sqlalchemy import text

from app.extensions import db
from tests import factories
from tests.conftest import csrf

PHONE = "13912345678"
RESIDENT_ID = "110101199003077578"
CARD = "6222021234567890128"
NUMBERS = (PHONE, RESIDENT_ID, CARD, "139 1234 5678")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def town(app):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("logs", code="LO", services=())
        v = factories.village(t, "东村")
        db.session.commit()
        return t, v


@pytest.fixture
def every_log(caplog):
    """Everything logged, through caplog and through a plain handler formatting like a server's."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    caplog.set_level(logging.DEBUG)
    yield lambda: caplog.text + stream.getvalue() + "".join(
        (r.exc_text or "") for r in caplog.records)
    root.removeHandler(handler)


def _assert_clean(text_: str):
    for number in NUMBERS:
        assert number not in text_, f"{number} reached a log"


def test_failing_requests_with_personal_numbers_leave_none_in_the_logs(
        app, client, town, every_log, capfd, monkeypatch):
    t, v = town
    form = client.get(f"/t/{t.slug}/raise")
    # A NUL in the title, the resident's numbers in the other fields: a clear 400.
    refused = client.post(f"/t/{t.slug}/raise", data={
        "csrf_token": csrf(form.text), "title": "a\x00b", "contact_name": "王小明",
        "contact_phone": PHONE, "description": f"身份证 {RESIDENT_ID} 卡号 {CARD}"})
    assert refused.status_code == 400 and "控制字符" in refused.text
    # Personal numbers in the query string of a failing request.
    assert client.get(f"/t/{t.slug}/board?page=0&q={PHONE}").status_code == 400

    # An unhandled database error whose statement carries the numbers as bound parameters (and,
    # on PostgreSQL, in the server's own message: invalid input syntax for type integer: "139…").
    from app.matters import operations

    def failing_create(*args, **kwargs):
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("select cast(:phone as integer) + cast(:id as integer)"),
                               {"phone": kwargs["contact_phone"], "id": RESIDENT_ID + "x"})
        db.session.execute(text("insert into no_such_table (phone, id) values (:phone, :id)"),
                           {"phone": kwargs["contact_phone"], "id": RESIDENT_ID})

    monkeypatch.setattr(operations, "create_matter", failing_create)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    failed = client.post(f"/t/{t.slug}/raise", data={
        "csrf_token": csrf(form.text), "title": "路灯不亮", "contact_name": "王小明",
        "contact_phone": PHONE, "village_id": str(v.id),
        "description": f"身份证 {RESIDENT_ID}"})
    assert failed.status_code == 500
    # Our own code logging a resident's details by mistake is masked too.
    logging.getLogger("app.test").warning("caller %s, id %s", "139 1234 5678", RESIDENT_ID)

    logged = every_log()
    # The error itself is there, only the numbers are not.
    assert "Exception on" in logged
    postgresql = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    # PostgreSQL: value "139****5678" is out of range for type integer (its own message, masked).
    assert ("out of range" if postgresql else "no_such_table") in logged
    assert "[parameters:" not in logged or "hidden due to hide_parameters" in logged
    assert "139****5678" in logged  # masked, not dropped
    out, err = capfd.readouterr()
    _assert_clean(logged + out + err)


def test_the_engine_hides_bound_parameters(app):
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["hide_parameters"] is True
    with app.app_context():
        assert db.engine.hide_parameters


def test_gunicorn_access_log_has_no_query_string_or_referrer():
    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    settings = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    cfg = Config()
    for key in ("access_log_format", "accesslog"):
        cfg.set(key, settings[key])
    logger = Logger(cfg)
    stream = io.StringIO()
    for h in logger.access_log.handlers:
        logger.access_log.removeHandler(h)
    handler = logging.StreamHandler(stream)
    logger.access_log.addHandler(handler)

    class Response:
        status, response_length, sent, headers = "200 OK", 10, 10, []

    from datetime import timedelta

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/t/x/hall/", "QUERY_STRING": f"q={PHONE}",
               "RAW_URI": f"/t/x/hall/?q={PHONE}", "SERVER_PROTOCOL": "HTTP/1.1",
               "REMOTE_ADDR": "10.0.0.1", "HTTP_REFERER": f"https://m.example/t/x/hall/?q={PHONE}"}
    request_headers = [("REFERER", environ["HTTP_REFERER"])]
    logger.access(Response(), request_headers, environ, timedelta(milliseconds=12))
    line = stream.getvalue()
    assert "/t/x/hall/" in line and PHONE not in line and "q=" not in line
    assert line.startswith("10.0.0.1 - [")  # the address stays readable


def test_nginx_logs_with_the_masked_format():
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    fmt = conf[conf.index("log_format minqing_masked"):conf.index(";", conf.index("log_format"))]
    assert "$uri" in fmt
    for variable in ("$request ", "$request_uri", "$args", "$query_string", "$http_referer"):
        assert variable not in fmt
    assert "minqing_masked;" in conf.split("log_format", 1)[1]  # the access_log uses it

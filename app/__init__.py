"""Minqing (民情): the application factory."""

from __future__ import annotations

import gc
import logging
from pathlib import Path

from flask import Flask, g, render_template, request
from flask_babel import get_locale
from flask_login import current_user

from app import config
from app.extensions import babel, csrf, db, htmx, limiter, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ("zh_Hans_CN", "en")

# Feature packages. A package's `views` module exposes `bp`; its `models` module holds its tables.
# Service models (app.hall, app.proxy, app.studio, app.assembly) register through the registry.
FEATURES = (
    "accounts", "townships", "counties", "audit", "platform", "divisions", "onboarding",
    "catalogue", "households", "visits", "matters", "board", "notices", "hall", "proxy", "studio",
    "assembly", "cadres", "map", "holidays", "hotline", "api",
)


def _feature_modules(kind: str) -> list[str]:
    """The `app.<feature>.<kind>` modules that exist (features arrive one package at a time)."""
    import importlib.util

    names = []
    for feature in FEATURES:
        name = f"app.{feature}.{kind}"
        if importlib.util.find_spec(f"app.{feature}") and importlib.util.find_spec(name):
            names.append(name)
    return names


def freeze_start_up() -> None:
    """Keep what start-up made (the app, its routes, templates and catalogues; it lives as long as
    the process) out of the garbage collector's full passes, which otherwise walk all of it while
    a page builds ten thousand rows: 150–200 ms pauses on the county's ranking of its cadres.
    Called once the app is made, by wsgi.py (in gunicorn's master, before it forks the workers:
    deploy/gunicorn.conf.py preloads the app) and the benchmarks."""
    gc.collect()
    gc.freeze()


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder="static",
        instance_path=str(ROOT / "var"),
    )
    app.config.from_mapping(config.from_environment())
    if overrides:
        app.config.update(overrides)
    Path(app.config["VAR_DIR"]).mkdir(parents=True, exist_ok=True)
    _configure_logging(app)
    from app.board.fast import FastBoard

    # The board for anonymous visitors, from its cache before Flask's request machinery.
    app.wsgi_app = FastBoard(app, app.wsgi_app)
    if app.config["PROXY_COUNT"]:
        # Behind nginx: trust its X-Forwarded-* headers, so rate limits see the real address.
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale,
                   default_translation_directories=str(ROOT / "app" / "translations"))
    limiter.init_app(app)
    htmx.init_app(app)
    from app import security

    security.init_headers(app)
    # Before any view, township lookup or form: control characters, absurd pages and dates.
    app.url_value_preprocessor(security.check_request_input)

    _import_models()
    _register_blueprints(app)
    _register_template_helpers(app)
    _register_errors(app)

    from app.access import check_all_views_declare_access
    from app.cli import register_cli

    register_cli(app)
    from app import jobs

    jobs.register(app)  # hand committed jobs over after each request
    check_all_views_declare_access(app)
    from app import public_url

    public_url.check(app)  # production without MINQING_PUBLIC_URL: a loud warning
    return app


def _import_models() -> None:
    import importlib

    for module in _feature_modules("models"):
        importlib.import_module(module)
    # The rates' summary listens to every session's flushes and commits (kept in the same
    # transaction as the ledger's changes).
    importlib.import_module("app.matters.summary")
    importlib.import_module("app.counties.summary")  # the county's household and visit counts


def _register_blueprints(app: Flask) -> None:
    import importlib

    from app.service_models import load_registry

    for module in _feature_modules("views"):
        views = importlib.import_module(module)
        app.register_blueprint(views.bp)
        # A feature's public pages may live on a second blueprint (no login, other prefix).
        if hasattr(views, "public_bp"):
            app.register_blueprint(views.public_bp)
    for model in load_registry().values():
        app.register_blueprint(model.blueprint)


def _select_locale():
    from flask import has_request_context

    if not has_request_context():  # jobs and commands: the default language
        return "zh_Hans_CN"
    chosen = request.args.get("lang") or request.cookies.get("lang")
    if chosen in LOCALES:
        return chosen
    try:
        if current_user and current_user.is_authenticated and current_user.locale in LOCALES:
            return current_user.locale
    except Exception:  # the database is down: the error page still speaks the default language
        pass
    return "zh_Hans_CN"


def _register_template_helpers(app: Flask) -> None:
    from app import templating

    templating.register(app)

    @app.after_request
    def remember_language(response):
        chosen = request.args.get("lang")
        if chosen in LOCALES:
            response.set_cookie("lang", chosen, max_age=365 * 24 * 3600, samesite="Lax")
        return response

    @app.context_processor
    def inject_locale():
        from flask import g

        # Pages under /t/<slug>/ carry their township's name in the header even when the view
        # does not pass it (a view's own `township` wins).
        return {"current_locale": str(get_locale()), "township": g.get("township")}


def _register_errors(app: Flask) -> None:
    from app.security import InputRefused

    def page(code: int):
        def handler(error):
            # A view that answers its own refusal (a form that keeps what was typed) wins.
            own = getattr(error, "response", None)
            if own is not None:
                return own
            template = f"errors/{code}.html"
            # A fragment for htmx's own requests; a boosted page load gets the whole page.
            if (request.headers.get("HX-Request") == "true"
                    and request.headers.get("HX-Boosted") != "true"):
                template = "errors/_message.html"
            message = error.description if isinstance(error, InputRefused) else ""
            if code >= 500:
                _forget_broken_transaction()
            try:
                return render_template(template, code=code, error=error, message=message,
                                       township=g.get("township")), code
            except Exception:
                # The database is down or the request is beyond repair: a page that needs
                # neither (no signed-in user, no township, no navigation).
                app.logger.warning("error page %s rendered without the layout", code)
                _forget_broken_transaction()
                # Flask-Login's context processor would load the user from the database again.
                g._login_user = login_manager.anonymous_user()
                return render_template("errors/plain.html", code=code, message=message), code

        return handler

    for code in (400, 403, 404, 413, 422, 429, 500):
        app.register_error_handler(code, page(code))


def _forget_broken_transaction() -> None:
    import contextlib

    with contextlib.suppress(Exception):  # no connection to roll back on
        db.session.rollback()


class _NoPersonalData(logging.Filter):
    """Werkzeug's access log prints query strings; residents' phone digits never reach the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(_strip_query(a) if isinstance(a, str) else a for a in record.args)
        return True


def _strip_query(value: str) -> str:
    if "?" not in value:
        return value
    head, _, tail = value.partition("?")
    rest = tail.split(" ", 1)
    return head + "?…" + (" " + rest[1] if len(rest) > 1 else "")


def _configure_logging(app: Flask) -> None:
    from app.security import install_log_masking

    install_log_masking()  # phone, ID and card numbers masked in every log record
    logging.getLogger("werkzeug").addFilter(_NoPersonalData())
    # WeasyPrint warns through logging; keep it visible (a missing font shows up here).
    logging.getLogger("weasyprint").setLevel(logging.WARNING)

"""Jinja helpers: local times, masking of personal data, navigation by role and service model."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, current_app, g, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.clock import zone_of
from app.privacy import (
    has_personal_numbers,
    mask_for_public,
    mask_name,
    mask_phone,
    mask_text,
    public_number,
)
from app.service_models import REGISTRY, NavEntry

# Pages every township has, whatever service models it runs (staff side).
CORE_NAV = (
    NavEntry(_l("工作台"), "townships.dashboard"),
    NavEntry(_l("台账"), "matters.index"),
    NavEntry(_l("村居与农户"), "households.index"),
    NavEntry(_l("民情日记"), "visits.index"),
    NavEntry(_l("民情地图"), "map.index"),
    NavEntry(_l("文书"), "notices.index"),
    NavEntry(_l("服务事项"), "catalogue.index"),
    NavEntry(_l("干部履职"), "cadres.index"),
    NavEntry(_l("工作人员"), "townships.staff_list"),
    NavEntry(_l("乡镇设置"), "townships.settings"),
    NavEntry(_l("操作记录"), "audit.log"),
)


def local_dt(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    township = g.get("township")
    zone = zone_of(township)
    return value.astimezone(zone).strftime(fmt)


def cn_date(value: date | datetime | str | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):  # an ISO date kept in an event's data
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        return local_dt(value, "%Y年%m月%d日")
    return f"{value.year}年{value.month:02d}月{value.day:02d}日"


def allowed(endpoint: str) -> bool:
    """Whether the current user may open `endpoint` here (same rule the view enforces)."""
    view = current_app.view_functions.get(endpoint)
    rule = getattr(view, "access", None)
    if rule is None:
        return False
    blueprint = current_app.blueprints.get(endpoint.split(".", 1)[0])
    township = g.get("township")
    service_model = getattr(blueprint, "service_model", None)
    if service_model and (township is None or not township.service_enabled(service_model)):
        return False
    # A blueprint shared by several service models (the catalogue): open while one of them is on.
    models = getattr(blueprint, "service_models", None)
    if models and (township is None or not any(township.service_enabled(m) for m in models)):
        return False
    return rule.allows(current_user, township)


def staff_nav():
    """Navigation for the signed-in user: core pages, then the township's service models."""
    township = g.get("township")
    if township is None or not current_user.is_authenticated:
        return []
    entries = list(CORE_NAV)
    for model in REGISTRY.values():
        if township.service_enabled(model.key):
            entries.extend(model.nav)
    return [
        (e.label, url_for(e.endpoint))
        for e in entries
        if e.endpoint in current_app.view_functions and allowed(e.endpoint)
    ]


def role_label(role: str) -> str:
    from app.accounts.models import Role

    if role == "operator":
        return str(_l("平台运维"))
    try:
        return Role(role).label
    except ValueError:
        from app.counties.models import CountyRole

        try:
            return CountyRole(role).label
        except ValueError:
            return role


def phone_visible(kind: str, row_id, *, matter=None, household=None, village_id=None,
                  centre_id=None) -> bool:
    """For the phone macro: the full number, by role and scope, or once shown (recorded)."""
    from flask import session

    from app.privacy import may_see_phone

    if f"{kind}:{row_id}" in session.get("phones_shown", []):
        return True
    return may_see_phone(current_user, g.get("township"), matter=matter, household=household,
                         village_id=village_id, centre_id=centre_id)


def _may_review(township) -> bool:
    from app.access import user_roles
    from app.matters.publication import REVIEWER_ROLES, may_review

    if township is None:
        return False
    # A reviewer by role is known from the request's roles, without asking the database again.
    if current_user.is_authenticated and user_roles(current_user, township) & set(REVIEWER_ROLES):
        return True
    return may_review(current_user, township)


def register(app: Flask) -> None:
    app.jinja_env.filters.update(
        mask_name=mask_name, mask_phone=mask_phone, mask_text=mask_text, local_dt=local_dt,
        cn_date=cn_date, public_number=public_number,
    )
    # Every string a public page or a notice-board PDF outputs is masked (app.privacy).
    app.jinja_env.finalize = mask_for_public
    _mask_translation_arguments(app)

    @app.before_request
    def _public_pages_mask_numbers():
        from flask import request

        rule = getattr(app.view_functions.get(request.endpoint), "access", None)
        if rule is not None and rule.kind == "public":
            g.public_output = True

    app.jinja_env.globals.update(allowed=allowed, staff_nav=staff_nav, service_models=REGISTRY,
                           role_label=role_label, has_personal_numbers=has_personal_numbers,
                           phone_visible=phone_visible, may_review=_may_review)


def _translations():
    """This request's translations, resolved once per locale.

    Flask-Babel resolves the domain, the locale and its cache key again on every string; a
    ledger page has some 300. The locale Flask-Babel chose is kept beside the translations, so a
    `force_locale` block (documents written in Chinese) or `refresh()` gets its own again."""
    from flask_babel import get_translations

    ctx = g.get("_flask_babel")
    if ctx is not None:
        memo = getattr(ctx, "minqing_translations", None)
        locale = getattr(ctx, "babel_locale", None)
        if memo is not None and locale is not None and memo[0] is locale:
            return memo[1]
    translations = get_translations()
    ctx = g.get("_flask_babel")
    if ctx is not None:
        ctx.minqing_translations = (getattr(ctx, "babel_locale", None), translations)
    return translations


def _mask_translation_arguments(app: Flask) -> None:
    """The template gettext callables (`_`, `gettext`, `ngettext`, `pgettext`, `npgettext`),
    as Jinja's new-style ones, with the translations looked up once per request.

    `{{ _('“%(t)s”', t=matter.title) }}` returns escaped markup, which `finalize` leaves
    alone: the arguments are masked on their way into the sentence instead."""
    from jinja2 import pass_context
    from markupsafe import Markup

    def finish(context, rv, variables):
        if context.eval_ctx.autoescape:
            rv = Markup(rv)
        # Always a format string, even without variables (as Jinja's new-style gettext).
        return rv % {k: mask_for_public(v) for k, v in variables.items()}

    @pass_context
    def gettext(context, string, **variables):
        return finish(context, _translations().ugettext(string), variables)

    @pass_context
    def ngettext(context, singular, plural, num, **variables):
        variables.setdefault("num", num)
        return finish(context, _translations().ungettext(singular, plural, num), variables)

    @pass_context
    def pgettext(context, string_ctx, string, **variables):
        variables.setdefault("context", string_ctx)
        return finish(context, _translations().upgettext(string_ctx, string), variables)

    @pass_context
    def npgettext(context, string_ctx, singular, plural, num, **variables):
        variables.setdefault("context", string_ctx)
        variables.setdefault("num", num)
        return finish(context, _translations().unpgettext(string_ctx, singular, plural, num),
                      variables)

    app.jinja_env.globals.update(gettext=gettext, _=gettext, ngettext=ngettext,
                                 pgettext=pgettext, npgettext=npgettext)

"""The fields every intake form shares to ask whether the resident wants to be told
(app.notices.residents): a checkbox, off unless they say yes, and an e-mail where a form asks."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField
from wtforms.validators import Length, Optional, Regexp


def consent_field():
    return BooleanField(_l("群众同意接收办理进度短信（受理、答复、办结等），可随时退订"),
                        default=False)


def own_consent_field():
    """The same question on the resident's own online forms."""
    return BooleanField(_l("我愿意接收办理进度短信（受理、答复、办结等），可随时退订"),
                        default=False)


def email_field():
    return EmailField(_l("电子邮箱（可不填，办理进度也发到邮箱）"),
                      validators=[Optional(), Length(max=120),
                                  Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                                         message=_l("请填写正确的电子邮箱。"))])

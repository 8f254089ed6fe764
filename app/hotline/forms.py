"""Forms of the hotline: a call, a response template."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.hotline.models import CallOutcome
from app.households.models import FindingKind
from app.notices.forms import consent_field
from app.validation import Phone


class CallForm(FlaskForm):
    called_at = DateTimeLocalField(_l("来电时间"), format="%Y-%m-%dT%H:%M",
                                   validators=[Optional()],
                                   description=_l("不填即为现在"))
    number = StringField(_l("来电号码"), validators=[DataRequired(_l("请填写来电号码。")),
                                                   Phone()],
                         description=_l("手机号，或带区号的座机，如 0734-8123456"))
    notify_consent = consent_field()
    caller_name = StringField(_l("来电人（可不填）"), validators=[Optional(), Length(max=40)])
    category = SelectField(_l("类别"), validators=[Optional()])
    summary = TextAreaField(_l("来电内容"), validators=[Optional(), Length(max=3000)])
    outcome = RadioField(_l("结果"), default="new_matter",
                         validators=[DataRequired(_l("请选择来电结果。"))])
    title = StringField(_l("事由（登记为新事项时）"), validators=[Optional(), Length(max=120)])
    matter_number = StringField(_l("事项编号（已有事项时）"),
                                validators=[Optional(), Length(max=24)])
    template_id = SelectField(_l("答复模板"), validators=[Optional()])
    reply = TextAreaField(_l("给群众的解答（当场解答时）"),
                          validators=[Optional(), Length(max=3000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.outcome.choices = CallOutcome.choices()
        self.category.choices = [("", "—")] + FindingKind.choices()


class TemplateForm(FlaskForm):
    category = SelectField(_l("类别"), validators=[DataRequired(_l("请选择类别。"))])
    title = StringField(_l("标题"), validators=[DataRequired(_l("请填写标题。")), Length(max=60)])
    body = TextAreaField(_l("答复内容"), validators=[DataRequired(_l("请填写答复内容。")),
                                                 Length(max=3000)],
                         description=_l("工作人员选用后可再修改，再发出"))
    sort_order = IntegerField(_l("排序"), default=0, validators=[Optional(), NumberRange(0, 999)])
    active = BooleanField(_l("在用（取消勾选即停用，不删除）"), default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = FindingKind.choices()

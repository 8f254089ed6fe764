from __future__ import annotations

import dataclasses
import typing

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.validation import Phone


def service_form(model) -> type[FlaskForm]:
    """A settings form built from a service model's typed settings."""
    hints = typing.get_type_hints(model.settings_class)
    attrs: dict[str, typing.Any] = {"enabled": BooleanField(_l("启用"))}
    names = []
    for f in dataclasses.fields(model.settings_class):
        label = f.metadata.get("label", f.name)
        kind = hints[f.name]
        if kind is bool:
            attrs[f.name] = BooleanField(label)
        elif kind is int:
            lo, hi = f.metadata.get("min"), f.metadata.get("max")
            attrs[f.name] = IntegerField(label, validators=[InputRequired(), NumberRange(lo, hi)])
        else:
            attrs[f.name] = StringField(label, validators=[Optional(), Length(max=200)])
        names.append(f.name)
    attrs["setting_names"] = tuple(names)
    return type(f"{model.key.title()}SettingsForm", (FlaskForm,), attrs)


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class CalendarDayForm(FlaskForm):
    day = DateField(_l("日期"), validators=[DataRequired()])
    kind = RadioField(
        _l("类型"),
        choices=[("holiday", _l("放假")), ("workday", _l("调休上班"))],
        default="holiday",
        validators=[DataRequired()],
    )
    note = StringField(_l("说明（如：春节）"), validators=[Optional(), Length(max=60)])


class StaffForm(FlaskForm):
    """A new staff member of the township, with the roles they hold."""

    username = StringField(_l("用户名"), validators=[DataRequired(), Length(min=3, max=60)])
    name = StringField(_l("姓名"), validators=[DataRequired(), Length(max=40)])
    phone = StringField(_l("手机号"), validators=[Optional(), Phone()])
    post = StringField(_l("职务"), validators=[Optional(), Length(max=60)])
    badge_no = StringField(_l("工号"), validators=[Optional(), Length(max=20)])
    roles = MultiCheckboxField(_l("角色"), validators=[DataRequired(_l("请至少选择一个角色"))])
    centre_id = SelectField(_l("所在中心（窗口/中心工作人员）"), validators=[Optional()])
    village_id = SelectField(_l("负责的村（村级事务助理）"), validators=[Optional()])


class SessionsForm(FlaskForm):
    remember_days = IntegerField(
        _l("“保持登录”最长天数"), validators=[InputRequired(), NumberRange(1, 90)],
        description=_l("勾选“在这台电脑上保持登录”后，多少天内不必再输密码（1–90 天）。"))

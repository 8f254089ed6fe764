from __future__ import annotations

import dataclasses
import typing

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, RadioField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional


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


class CalendarDayForm(FlaskForm):
    day = DateField(_l("日期"), validators=[DataRequired()])
    kind = RadioField(
        _l("类型"),
        choices=[("holiday", _l("放假")), ("workday", _l("调休上班"))],
        default="holiday",
        validators=[DataRequired()],
    )
    note = StringField(_l("说明（如：春节）"), validators=[Optional(), Length(max=60)])

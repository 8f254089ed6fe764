"""Forms of the township's service catalogue."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional


class CentreForm(FlaskForm):
    name = StringField(_l("中心名称"), validators=[DataRequired(_l("请填写中心名称。")),
                                                  Length(max=60)])
    description = StringField(_l("职能简介"), validators=[Optional(), Length(max=200)])


class ServiceItemForm(FlaskForm):
    name = StringField(_l("事项名称"), validators=[DataRequired(_l("请填写事项名称。")),
                                                  Length(max=80)])
    centre_id = SelectField(_l("办理中心"), validators=[DataRequired(_l("请选择办理中心。"))])
    description = TextAreaField(_l("事项说明"), validators=[Optional(), Length(max=1000)])
    materials = TextAreaField(_l("所需材料（每行一项）"), validators=[Optional(), Length(max=2000)])
    steps = TextAreaField(_l("办理流程（每行一步）"), validators=[Optional(), Length(max=2000)])
    questions = TextAreaField(
        _l("受理时询问（每行一问：名称|文字/数字/日期/选项|必填|选项1/选项2）"),
        validators=[Optional(), Length(max=2000)])
    promised_workdays = IntegerField(_l("承诺时限（工作日）"), default=5,
                                     validators=[InputRequired(), NumberRange(0, 365)])
    on_the_spot = BooleanField(_l("可当场办结"))
    proxiable = BooleanField(_l("村级助理可代办"))
    bookable = BooleanField(_l("可网上预约"))
    active = BooleanField(_l("在用"), default=True)


def lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]

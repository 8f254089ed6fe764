"""Forms for errands."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.matters.forms import publicity_field


class DocumentForm(Form):  # a row inside ErrandForm, which carries the CSRF token
    name = StringField(_l("材料名称"), validators=[Optional(), Length(max=60)])
    kind = SelectField(_l("原件/复印件"), default="original",
                       choices=[("original", _l("原件")), ("copy", _l("复印件"))])
    copies = IntegerField(_l("份数"), default=1, validators=[Optional(), NumberRange(1, 99)])


class ErrandForm(FlaskForm):
    item_id = SelectField(_l("代办事项"), validators=[DataRequired(_l("请选择代办事项。"))])
    resident_id = SelectField(_l("办事群众"), validators=[DataRequired(_l("请选择办事群众。"))])
    description = TextAreaField(_l("情况说明"), validators=[Optional(), Length(max=1000)])
    publicity = publicity_field()
    documents = FieldList(FormField(DocumentForm), min_entries=3, max_entries=8)


class HandToCentreForm(FlaskForm):
    received_by = StringField(_l("中心接收人"),
                              validators=[DataRequired(_l("请填写中心接收人。")), Length(max=40)])


class ReturnToAssistantForm(FlaskForm):
    result = TextAreaField(_l("办理结果"),
                           validators=[DataRequired(_l("请填写办理结果。")), Length(max=1000)])


class ReturnToResidentForm(FlaskForm):
    confirmed = BooleanField(_l("群众已当面确认收回全部材料"),
                             validators=[DataRequired(_l("须经群众当面确认收回材料。"))])


class CloseForm(FlaskForm):
    pass

"""Forms of the service hall."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
    ValidationError,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.hall.models import DayType
from app.matters.forms import publicity_field
from app.matters.models import Rating
from app.notices.forms import own_consent_field
from app.validation import Phone


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _mobile(form, field):  # mobile or landline with area code, in its stored spelling
    Phone()(form, field)


class IntakeForm(FlaskForm):
    resident_id = HiddenField()
    booking_id = HiddenField()
    new_name = StringField(_l("新登记群众姓名"), validators=[Optional(), Length(max=40)])
    new_phone = StringField(_l("手机号码"), validators=[Optional(), _mobile])
    new_village_id = SelectField(_l("所在村（居）"), validators=[Optional()])
    item_id = SelectField(_l("办理事项"), validators=[DataRequired(_l("请选择办理事项。"))])
    received = CheckboxList(_l("已收材料（逐项核对后勾选）"), validators=[Optional()])
    description = TextAreaField(_l("情况说明"), validators=[Optional(), Length(max=1000)])
    publicity = publicity_field()
    notify_consent = BooleanField(_l("群众同意短信告知（补交材料提醒、办理进度）"))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not self.resident_id.data and not (self.new_name.data or "").strip():
            self.new_name.errors = [*self.new_name.errors,
                                    _l("请先查找并选择办事群众，或登记新群众的姓名。")]
            return False
        return valid


class FinishForm(FlaskForm):
    text = TextAreaField(_l("办理结果"), validators=[Optional(), Length(max=1000)])


class MaterialsForm(FlaskForm):
    brought = CheckboxList(_l("本次补交的材料"), validators=[Optional()])


class TransferForm(FlaskForm):
    centre_id = SelectField(_l("转交到"), validators=[DataRequired(_l("请选择中心。"))])
    reason = StringField(_l("转交原因"),
                         validators=[DataRequired(_l("转交须写明原因。")), Length(max=200)])


class BookingForm(FlaskForm):
    item_id = SelectField(_l("办理事项"), validators=[DataRequired(_l("请选择办理事项。"))])
    day = SelectField(_l("日期"), validators=[DataRequired(_l("请选择日期。"))])
    slot = SelectField(_l("时段"), validate_choice=False,
                       validators=[DataRequired(_l("请选择时段。"))])
    name = StringField(_l("姓名"), validators=[DataRequired(_l("请填写姓名。")), Length(max=40)])
    phone = StringField(_l("手机号码"), validators=[DataRequired(_l("请填写手机号码。")), _mobile])
    notify_consent = own_consent_field()


class CancelForm(FlaskForm):
    code = StringField(_l("预约码"), validators=[DataRequired(_l("请填写预约码。")),
                                                 Length(max=12)])


class OpeningModeForm(FlaskForm):
    name = StringField(_l("名称"), validators=[DataRequired(_l("请填写名称。")), Length(max=40)])
    day_type = SelectField(_l("适用日期"), choices=DayType.choices)
    opens = TimeField(_l("开始"), validators=[DataRequired(_l("请填写开始时间。"))])
    closes = TimeField(_l("结束"), validators=[DataRequired(_l("请填写结束时间。"))])
    slot_minutes = IntegerField(_l("每时段（分钟）"), default=30,
                                validators=[DataRequired(), NumberRange(5, 240)])
    capacity = IntegerField(_l("每时段可约人数"), default=4,
                            validators=[DataRequired(), NumberRange(1, 200)])
    cutoff_hours = IntegerField(_l("提前截止（小时）"), default=2,
                                validators=[Optional(), NumberRange(0, 72)])
    active = BooleanField(_l("启用"), default=True)

    def validate_closes(self, field):
        if self.opens.data and field.data and field.data <= self.opens.data:
            raise ValidationError(_l("结束时间须晚于开始时间。"))


class WindowForm(FlaskForm):
    name = StringField(_l("窗口名称"), validators=[DataRequired(_l("请填写窗口名称。")),
                                                  Length(max=30)])
    centre_id = SelectField(_l("所属中心"), validators=[Optional()])


class DutyForm(FlaskForm):
    window_id = SelectField(_l("窗口"), validators=[DataRequired(_l("请选择窗口。"))])
    user_id = SelectField(_l("值守人员"), validators=[DataRequired(_l("请选择值守人员。"))])
    badge_number = StringField(_l("工牌号"), validators=[Optional(), Length(max=20)])


class PushForm(FlaskForm):
    window_id = SelectField(_l("评价器所在窗口"), validators=[DataRequired(_l("请选择窗口。"))])


class TabletRatingForm(FlaskForm):
    rating = SelectField(_l("您对本次服务的评价"), choices=Rating.choices,
                         validators=[DataRequired(_l("请选择评价。"))])
    comment = TextAreaField(_l("意见和建议（可不填）"), validators=[Optional(), Length(max=500)])


# The catalogue's forms moved to app.catalogue.forms (the catalogue serves every service model).
from app.catalogue.forms import CentreForm, ServiceItemForm, lines  # noqa: E402,F401

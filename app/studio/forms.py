"""Forms of the party representative studio."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp

from app.matters.forms import publicity_field
from app.matters.models import Rating
from app.notices.forms import consent_field, own_consent_field
from app.studio.models import HolidayRule, MemberKind, ReceptionChannel, RepLevel
from app.validation import Phone

MOBILE = Phone()  # mobile or landline with area code (app.validation)


class StudioForm(FlaskForm):
    name = StringField(_l("工作室名称"), validators=[DataRequired(_l("请填写名称。")),
                                                    Length(max=60)])
    place = StringField(_l("地点"), validators=[Optional(), Length(max=200)])
    phone = StringField(_l("电话"), validators=[Optional(), Length(max=40)])
    pattern = StringField(_l("开放时间"), default="周六 09:00-11:30",
                          description=_l("如：周六 09:00-11:30；周二 19:00-21:00"),
                          validators=[DataRequired(_l("请填写开放时间。")), Length(max=200)])
    holiday_rule = SelectField(_l("遇法定节假日"), choices=HolidayRule.choices)


class StudioEditForm(StudioForm):
    active = BooleanField(_l("开放中（取消后不再排班，也不在公开页面显示）"))


class MemberForm(FlaskForm):
    name = StringField(_l("姓名"), validators=[DataRequired(_l("请填写姓名。")), Length(max=40)])
    kind = SelectField(_l("身份"), choices=MemberKind.choices)
    level = SelectField(_l("党代表层级"), choices=RepLevel.choices)
    phone = StringField(_l("联系电话"), validators=[Optional(), MOBILE])
    intro = TextAreaField(_l("简介"), validators=[Optional(), Length(max=500)])
    user_id = SelectField(_l("关联账号（党代表角色）"), validators=[Optional()],
                          description=_l("关联后，本人可登记接待，并在值班前一天收到提醒。"))


class MemberEditForm(MemberForm):
    active = BooleanField(_l("在任（取消后不再排班）"))


class RotaForm(FlaskForm):
    month = StringField(_l("月份"), validators=[
        DataRequired(), Regexp(r"^\d{4}-\d{2}$", message=_l("请按“2026-12”的格式填写月份。"))])


class SwapForm(FlaskForm):
    member_id = SelectField(_l("换成"), validators=[DataRequired(_l("请选择党代表。"))])
    note = StringField(_l("换班原因"), validators=[DataRequired(_l("换班请写明原因。")),
                                                  Length(max=200)])


class ReceptionForm(FlaskForm):
    channel = SelectField(_l("接待方式"), choices=ReceptionChannel.choices)
    session_id = SelectField(_l("值班场次"), validators=[Optional()])
    member_id = SelectField(_l("接待的党代表"), validators=[Optional()])
    anonymous = BooleanField(_l("来访群众不愿留名"))
    visitor_name = StringField(_l("来访群众"), validators=[Optional(), Length(max=40)])
    visitor_phone = StringField(_l("联系电话"), validators=[Optional(), MOBILE])
    notify_consent = consent_field()
    topic = StringField(_l("主题"), validators=[DataRequired(_l("请填写接待主题。")),
                                               Length(max=120)])
    said = TextAreaField(_l("反映的情况"), validators=[Optional(), Length(max=2000)])
    suggestions = TextAreaField(_l("意见建议或诉求（每行一条，各自登记为一件事项）"),
                                validators=[DataRequired(_l("请至少登记一条意见建议或诉求。")),
                                            Length(max=3000)])
    publicity = publicity_field()


class ReferForm(FlaskForm):
    centre_id = SelectField(_l("转办中心"), validators=[Optional()])
    unit = StringField(_l("转办部门或中心"), validators=[Optional(), Length(max=80)],
                       description=_l("不是镇便民服务中心的部门，写部门名称。"))
    due = DateField(_l("答复期限"), validators=[DataRequired(_l("请填写答复期限。"))])


class AnswerForm(FlaskForm):
    text = TextAreaField(_l("答复内容"), validators=[DataRequired(_l("答复内容不能为空。")),
                                                   Length(max=2000)])


class RatingForm(FlaskForm):
    """The visitor's rating, heard by the representative on a call-back or in person."""

    rating = RadioField(_l("群众评价"), choices=Rating.choices,
                        validators=[DataRequired(_l("请选择群众的评价。"))])
    source = SelectField(_l("怎么听到的"), choices=[("phone", _l("电话回访")),
                                                    ("visit", _l("当面或上门"))])
    comment = StringField(_l("群众原话"), validators=[Optional(), Length(max=500)])


class ExampleForm(FlaskForm):
    note = TextAreaField(_l("案例说明"), validators=[Optional(), Length(max=2000)])


class OnlineSuggestionForm(FlaskForm):
    name = StringField(_l("您的称呼（可不填）"), validators=[Optional(), Length(max=40)])
    phone = StringField(_l("手机号码（用于答复，可不填）"), validators=[Optional(), MOBILE])
    notify_consent = own_consent_field()
    topic = StringField(_l("主题"), validators=[DataRequired(_l("请填写主题。")), Length(max=120)])
    text = TextAreaField(_l("您的意见建议"), validators=[DataRequired(_l("请写下您的意见建议。")),
                                                       Length(max=2000)])
    publicity = RadioField(_l("在回音壁公开吗？"), default="public",
                           choices=[("public", _l("公开（姓名打码，电话和证件号不公开）")),
                                    ("private", _l("不公开"))], validators=[DataRequired()])

"""Forms of the assembly: preparing it, registering teams and the jury, criticisms and scores."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from app.assembly.models import CriticismSource
from app.notices.forms import consent_field, own_consent_field


class AssemblyForm(FlaskForm):
    title = StringField(_l("大会名称"), validators=[DataRequired(_l("请填写大会名称。")),
                                                 Length(max=120)])
    held_on = DateField(_l("召开日期"), validators=[DataRequired(_l("请填写召开日期。"))])
    starts_at = StringField(_l("开始时间"), default="09:00", validators=[
        DataRequired(_l("请填写开始时间。")),
        Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", message=_l("请按“09:00”的格式填写时间。"))])
    venue = StringField(_l("地点"), validators=[DataRequired(_l("请填写地点。")),
                                              Length(max=120)])
    rules = TextAreaField(_l("大会规则"), validators=[Optional(), Length(max=4000)])
    criteria = TextAreaField(_l("评分标准及权重（每行：标准 权重，合计 100）"),
                             validators=[DataRequired(_l("请填写评分标准。"))])
    prizes = TextAreaField(_l("奖项（每行：奖项 金额（元） 名额）"), validators=[Optional()])


class StepForm(FlaskForm):
    """A button that moves the assembly, a round or a juror: only the CSRF token."""


class TeamForm(FlaskForm):
    name = StringField(_l("批评团名称"), validators=[DataRequired(_l("请填写批评团名称。")),
                                                   Length(max=60)])
    branch = StringField(_l("所属党支部"), validators=[Optional(), Length(max=80)])
    leader = StringField(_l("团长"), validators=[Optional(), Length(max=40)])
    members = TextAreaField(_l("成员（每行一人，或用顿号分开）"),
                            validators=[DataRequired(_l("请填写批评团成员。"))])


class SupervisorForm(FlaskForm):
    name = StringField(_l("监督员姓名"), validators=[DataRequired(_l("请填写监督员姓名。")),
                                                   Length(max=40)])
    unit = StringField(_l("推选村（单位）"), validators=[Optional(), Length(max=80)])


class CandidatesForm(FlaskForm):
    names = TextAreaField(_l("评委候选名单（每行一人）"),
                          validators=[DataRequired(_l("请填写名单。"))])
    kind = SelectField(_l("类别"), default="resident",
                       choices=[("resident", _l("群众代表")), ("cadre", _l("干部"))])


class DrawForm(FlaskForm):
    how = SelectField(_l("抽取方式"), default="random",
                      choices=[("random", _l("随机抽取")), ("chosen", _l("按勾选确定"))])
    size = IntegerField(_l("人数"), validators=[Optional(), NumberRange(1, 50)])


class AttendanceForm(FlaskForm):
    present = BooleanField(_l("到会"))
    on_paper = BooleanField(_l("纸质评分"))


class CriticismForm(FlaskForm):
    title = StringField(_l("批评意见"), validators=[DataRequired(_l("请填写批评意见的标题。")),
                                                 Length(max=120)])
    content = TextAreaField(_l("具体内容"), validators=[Optional(), Length(max=4000)])
    source = SelectField(_l("来源"), default=CriticismSource.TEAM.value,
                         choices=[(s.value, s.value) for s in CriticismSource])
    raised_by = StringField(_l("提出人"), validators=[Optional(), Length(max=40)])
    contact_phone = StringField(_l("联系电话"), validators=[Optional(), Length(max=20)])
    notify_consent = consent_field()
    team_id = SelectField(_l("由哪个批评团提出"), validators=[Optional()])
    target_unit = StringField(_l("被批评单位（对象）"), validators=[Optional(), Length(max=80)])
    responsible_id = SelectField(_l("整改责任人"), validators=[Optional()])


class EditCriticismForm(FlaskForm):
    """The wording of a criticism, corrected before it is scored and becomes a matter."""

    title = StringField(_l("批评意见"), validators=[DataRequired(_l("请填写批评意见的标题。")),
                                                 Length(max=120)])
    content = TextAreaField(_l("具体内容"), validators=[Optional(), Length(max=4000)])
    raised_by = StringField(_l("提出人"), validators=[Optional(), Length(max=40)])
    contact_phone = StringField(_l("联系电话"), validators=[Optional(), Length(max=20)])


class WithdrawCriticismForm(FlaskForm):
    reason = StringField(_l("撤回原因"), validators=[DataRequired(_l("请写明撤回原因。")),
                                                 Length(max=200)])


class AssignCriticismForm(FlaskForm):
    team_id = SelectField(_l("由哪个批评团提出"), validators=[Optional()])
    target_unit = StringField(_l("被批评单位（对象）"), validators=[Optional(), Length(max=80)])
    responsible_id = SelectField(_l("整改责任人"), validators=[Optional()])


class PublicCriticismForm(FlaskForm):
    """A resident's criticism sent online before the assembly (no account)."""

    raised_by = StringField(_l("您的姓名"), validators=[DataRequired(_l("请填写姓名。")),
                                                      Length(max=40)])
    contact_phone = StringField(_l("联系电话（只用于回访，不公开）"), validators=[
        DataRequired(_l("请填写联系电话，便于答复和回访。")),
        Regexp(r"^[0-9\-]{7,20}$", message=_l("请填写正确的电话号码。"))])
    notify_consent = own_consent_field()
    title = StringField(_l("批评什么（一句话）"), validators=[
        DataRequired(_l("请用一句话写明批评什么。")), Length(max=120)])
    content = TextAreaField(_l("具体情况和建议"), validators=[Optional(), Length(max=4000)])

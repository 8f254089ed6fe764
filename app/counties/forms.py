from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp


class CountyForm(FlaskForm):
    code = StringField(_l("区县代码"), validators=[
        DataRequired(), Regexp(r"^\d{6}$", message=_l("6 位数字，如 371323"))])
    name = StringField(_l("区县名称"), validators=[DataRequired(), Length(max=80)])
    slug = StringField(_l("网址代码"), validators=[
        DataRequired(), Regexp(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$",
                               message=_l("3–40 位小写字母、数字或连字符"))],
        description=_l("出现在网址中，如 yishui"))


class InviteForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(), Length(min=3, max=60)])
    name = StringField(_l("姓名"), validators=[DataRequired(), Length(max=40)])
    phone = StringField(_l("手机号"), validators=[Optional(), Regexp(
        r"^1\d{10}$", message=_l("请填写11位手机号"))])


class StaffForm(InviteForm):
    role = SelectField(_l("角色"), validators=[DataRequired()])
    department = SelectField(_l("部门"), validators=[Optional()],
                             description=_l("县直部门工作人员须选择部门"))


class AttachForm(FlaskForm):
    township = SelectField(_l("乡镇"), validators=[DataRequired()])


class DepartmentForm(FlaskForm):
    name = StringField(_l("部门名称"), validators=[DataRequired(), Length(max=60)],
                       description=_l("如 民政局、人社局、农业农村局"))


class EscalateForm(FlaskForm):
    department = SelectField(_l("县直部门"), validators=[Optional()],
                             description=_l("不清楚由哪个部门办理时留空，由县督查室分派"))
    reason = TextAreaField(_l("上报原因"), validators=[DataRequired(), Length(max=2000)],
                           description=_l("写明乡镇已做了什么、为什么解决不了"))


class DispatchForm(FlaskForm):
    department = SelectField(_l("县直部门"), validators=[DataRequired()])


class AnswerForm(FlaskForm):
    public_text = TextAreaField(_l("答复群众"), validators=[DataRequired(), Length(max=4000)],
                                description=_l("群众和乡镇都会看到这段答复"))
    private_notes = TextAreaField(_l("内部备注"), validators=[Optional(), Length(max=4000)])


class ReturnForm(FlaskForm):
    reason = TextAreaField(_l("退回原因"), validators=[DataRequired(), Length(max=2000)])


class SettingsForm(FlaskForm):
    escalation_workdays = StringField(_l("县级答复时限（工作日）"), validators=[
        DataRequired(), Regexp(r"^\d{1,2}$", message=_l("1–99 个工作日"))])
    households_per_cadre = StringField(_l("每名联户干部联系户数"), validators=[
        DataRequired(), Regexp(r"^\d{1,3}$", message=_l("请填写数字"))])


class LinkForm(FlaskForm):
    cadre = SelectField(_l("县直联户干部"), validators=[DataRequired()])
    township = SelectField(_l("乡镇"), validators=[DataRequired()])
    head_name = StringField(_l("户主姓名"), validators=[DataRequired(), Length(max=40)])
    address = StringField(_l("地址"), validators=[Optional(), Length(max=200)],
                          description=_l("同名户主时填写"))


class SheetForm(FlaskForm):
    sheet = FileField(_l("表格（.xlsx）"), validators=[FileRequired()],
                      description=_l("列：干部用户名、乡镇（名称或区划代码）、户主姓名、地址"))


class VisitForm(FlaskForm):
    visited_on = DateField(_l("走访日期"), validators=[DataRequired()])
    method = SelectField(_l("方式"), validators=[DataRequired()])
    notes = TextAreaField(_l("民情日记"), validators=[Optional(), Length(max=4000)])


class CountySpotCheckForm(FlaskForm):
    start = DateField(_l("开始日期"), validators=[DataRequired()])
    end = DateField(_l("结束日期（不含）"), validators=[DataRequired()])
    size = IntegerField(_l("抽查条数"), validators=[DataRequired(), NumberRange(min=1, max=500)])


class CallForm(FlaskForm):
    confirmed = RadioField(_l("群众是否认可"), choices=[("yes", _l("认可")), ("no", _l("不认可"))],
                           validators=[DataRequired()])
    note = TextAreaField(_l("群众怎么说"), validators=[Optional(), Length(max=2000)])


class ReportForm(FlaskForm):
    quarter = SelectField(_l("季度"), validators=[DataRequired()])

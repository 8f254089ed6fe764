from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.cadres.models import DutyKind, Frequency, OutreachKind, ParticipantCategory, QuestionKind
from app.matters.models import Rating
from app.townships.forms import MultiCheckboxField


class _Choices(FlaskForm):
    """Enum choices are filled in per request, so their labels follow the interface language."""

    CHOICES: dict = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, make in self.CHOICES.items():
            self[name].choices = make()


class ActionForm(_Choices):
    CHOICES = {"frequency": Frequency.choices}

    name = StringField(_l("规定动作"), validators=[DataRequired(), Length(max=80)],
                       description=_l("如：每周一次接访、每月一次下访、每季度走访困难家庭"))
    frequency = SelectField(_l("频次"), validators=[DataRequired()])
    owner_id = SelectField(_l("责任人"), validators=[DataRequired()])
    unit_name = StringField(_l("单位"), validators=[Optional(), Length(max=80)])


class TickForm(FlaskForm):
    done = RadioField(_l("本期情况"), choices=[("yes", _l("已完成")), ("no", _l("未完成"))],
                      default="yes", validators=[DataRequired()])
    note = StringField(_l("说明/佐证"), validators=[Optional(), Length(max=500)])
    visit_id = SelectField(_l("关联的走访"), validators=[Optional()])
    reception_id = SelectField(_l("关联的工作室接待"), validators=[Optional()])
    assembly_id = SelectField(_l("关联的会议（有奖批评大会）"), validators=[Optional()])
    attachment = FileField(_l("照片或扫描件（可选）"), validators=[
        FileAllowed(["jpg", "jpeg", "png", "pdf"], _l("佐证附件须为照片（JPG、PNG）或 PDF。"))])


class CommitmentForm(FlaskForm):
    text = TextAreaField(_l("承诺内容"), validators=[DataRequired(), Length(max=500)])
    due_on = DateField(_l("兑现期限"), validators=[DataRequired()])
    matter_number = StringField(
        _l("关联事项编号（可不填）"), validators=[Optional(), Length(max=24)],
        description=_l("针对某件群众诉求的承诺，填写事项编号，如 HGZ-2026-000123"))
    is_public = BooleanField(_l("在乡镇公开页亮诺"), default=True)


class SettleForm(FlaskForm):
    kept = RadioField(_l("兑现情况"), choices=[("yes", _l("已兑现")), ("no", _l("未兑现"))],
                      default="yes", validators=[DataRequired()])
    evidence = StringField(_l("兑现说明"), validators=[DataRequired(), Length(max=500)])


class RatingForm(_Choices):
    CHOICES = {"rating": Rating.choices}

    rating = RadioField(_l("您的评价"), validators=[DataRequired()])
    comment = TextAreaField(_l("意见（可不填）"), validators=[Optional(), Length(max=500)])


class CommitmentRatingForm(RatingForm):
    """评诺: the resident names the phone number the township's register holds for them, so each
    resident rates each commitment once; the number is never shown or stored."""

    phone = StringField(_l("您在本镇登记的手机号"), validators=[DataRequired(), Length(max=20)],
                        description=_l("只用来确认您是本镇群众、每人评价一次，不会公开，也不会保存号码。"))


class RoundForm(FlaskForm):
    title = StringField(_l("评议名称"), validators=[DataRequired(), Length(max=100)],
                        description=_l("如：2026年下半年驻村干部群众评议"))
    cadre_ids = MultiCheckboxField(_l("被评议干部"), validators=[DataRequired()])
    min_participants = IntegerField(_l("最少参评人数"), default=50,
                                    validators=[InputRequired(), NumberRange(1, 5000)])
    results_public = BooleanField(_l("结果向社会公开"))


class InviteForm(_Choices):
    CHOICES = {"category": ParticipantCategory.choices}

    category = SelectField(_l("参评人类别"), validators=[DataRequired()])
    count = IntegerField(_l("人数"), default=10, validators=[InputRequired(), NumberRange(1, 200)])


class PaperCategoryForm(_Choices):
    CHOICES = {"category": ParticipantCategory.choices}

    category = SelectField(_l("参评人类别"), validators=[DataRequired()])


class CaseForm(FlaskForm):
    title = StringField(_l("标题"), validators=[DataRequired(), Length(max=120)])
    body = TextAreaField(_l("案例正文"), validators=[DataRequired(), Length(max=20000)])
    matter_number = StringField(_l("关联事项编号（可不填）"),
                                validators=[Optional(), Length(max=24)])


class QuestionForm(_Choices):
    CHOICES = {"kind": QuestionKind.choices}

    kind = SelectField(_l("题型"), validators=[DataRequired()])
    text = TextAreaField(_l("题目"), validators=[DataRequired(), Length(max=1000)])
    options = TextAreaField(_l("选项（每行一个；判断题可不填）"), validators=[Optional()])
    answer = StringField(_l("正确答案（选项序号，如 1 或 1,3）"), validators=[DataRequired()])
    tags = StringField(_l("标签（用逗号分隔）"), validators=[Optional(), Length(max=200)])
    study_note = TextAreaField(_l("学习资料（答错时显示）"), validators=[Optional()])


def _duty_choices():
    return [(f"duty:{k}", f"五必到·{label}") for k, label in DutyKind.choices()] + [
        (f"outreach:{k}", f"四到户·{label}") for k, label in OutreachKind.choices()]


class DutyForm(_Choices):
    CHOICES = {"kind": _duty_choices}

    household_id = SelectField(_l("联系户"), validators=[DataRequired()])
    kind = SelectField(_l("事项"), validators=[DataRequired()])
    on_date = DateField(_l("日期"), validators=[DataRequired()])
    note = StringField(_l("简要记录"), validators=[Optional(), Length(max=300)])

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from app.households.models import FindingKind
from app.matters.models import Channel, EvaluationSource, Rating
from app.notices.forms import consent_field, email_field, own_consent_field
from app.validation import Phone

PHONE = Phone()  # mobile or landline with area code (app.validation)


def publicity_field(default: str = "") -> RadioField:
    """「不公开」, asked of the resident at intake, in every channel (issue #16). "" leaves it to
    the service item's or the category's default (assistance, health, petitions and disputes are
    private); the resident may choose either way."""
    return RadioField(_l("在回音壁公开吗？（请问群众）"), default=default,
                      choices=[("", _l("按事项默认（低保、救助、医疗、信访、纠纷等不公开）")),
                               ("public", _l("公开（姓名打码，电话不公开）")),
                               ("private", _l("不公开"))],
                      validators=[Optional()])


def publicity_value(data: str | None) -> bool | None:
    """The answer to 「不公开」 as create_matter's is_public (None: the default)."""
    return {"public": True, "private": False}.get(data or "")


class _Choices(FlaskForm):
    """Enum choices are filled in per request, so their labels follow the interface language."""

    CHOICES: dict = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, make in self.CHOICES.items():
            self[name].choices = make()


def _staff_channels():
    return [(c.value, c.label) for c in (Channel.PHONE, Channel.VISIT, Channel.ONLINE,
                                         Channel.HALL)]


class MatterForm(_Choices):
    """A matter registered by staff (phone call, something heard on a visit, a letter ...)."""

    CHOICES = {"channel": _staff_channels, "category": FindingKind.choices}

    channel = SelectField(_l("来源"), validators=[DataRequired()])
    category = SelectField(_l("类别"), validators=[DataRequired()])
    title = StringField(_l("事由"), validators=[DataRequired(), Length(max=120)],
                        description=_l("一句话说清楚，如：东街路灯不亮"))
    description = TextAreaField(_l("详细情况"), validators=[Optional(), Length(max=5000)])
    village_id = SelectField(_l("村（社区）"), validators=[Optional()])
    contact_name = StringField(_l("反映人姓名"), validators=[DataRequired(), Length(max=40)])
    contact_phone = StringField(_l("联系电话"), validators=[Optional(), PHONE])
    notify_consent = consent_field()
    publicity = publicity_field()


class OnlineForm(FlaskForm):
    """A resident raises something online, without an account."""

    title = StringField(_l("您要反映的事"), validators=[DataRequired(), Length(max=120)])
    description = TextAreaField(_l("详细说明"), validators=[Optional(), Length(max=3000)])
    village_id = SelectField(_l("您所在的村（社区）"), validators=[Optional()])
    contact_name = StringField(_l("您的姓名"), validators=[DataRequired(), Length(max=40)])
    contact_phone = StringField(_l("手机号（用于查询和回复，不公开）"),
                                validators=[DataRequired(), PHONE])
    notify_consent = own_consent_field()
    email = email_field()
    publicity = RadioField(_l("在回音壁公开吗？"), default="public",
                           choices=[("public", _l("公开（姓名打码，电话和证件号不公开）")),
                                    ("private", _l("不公开"))],
                           validators=[DataRequired()])


class AssignForm(FlaskForm):
    assignee_id = SelectField(_l("责任人"), validators=[Optional()])
    centre_id = SelectField(_l("责任中心"), validators=[Optional()])
    unit_name = StringField(_l("其他责任单位"), validators=[Optional(), Length(max=80)])
    commitment = StringField(_l("承诺（可不填）"), validators=[Optional(), Length(max=500)])
    commitment_due = DateField(_l("承诺完成日期"), validators=[Optional()])


class ReplyForm(FlaskForm):
    public_text = TextAreaField(_l("答复（公开在回音壁）"), validators=[DataRequired(),
                                                                 Length(max=5000)])
    private_notes = TextAreaField(_l("内部备注（不公开）"), validators=[Optional(),
                                                               Length(max=5000)])


class ReasonForm(FlaskForm):
    reason = StringField(_l("原因"), validators=[DataRequired(), Length(max=500)])


class EndForm(_Choices):
    CHOICES = {"to": lambda: [("withdrawn", _l("群众撤回")), ("duplicate", _l("重复件")),
                              ("not_responsible", _l("非本镇职责"))]}

    to = SelectField(_l("结束方式"), validators=[DataRequired()])
    reason = StringField(_l("原因"), validators=[DataRequired(), Length(max=500)])


class StaffRatingForm(_Choices):
    """A rating heard by staff on the phone or on a visit: who entered it and how is recorded."""

    CHOICES = {
        "rating": Rating.choices,
        "source": lambda: [(s.value, s.label) for s in (
            EvaluationSource.PHONE, EvaluationSource.VISIT, EvaluationSource.SPOT_CHECK)],
    }

    rating = RadioField(_l("群众评价"), validators=[DataRequired()])
    source = SelectField(_l("怎么听到的"), validators=[DataRequired()])
    comment = StringField(_l("群众原话"), validators=[Optional(), Length(max=500)])


class RevisitForm(_Choices):
    """A call-back (回访): what the resident said, in their words, and how they rate it."""

    CHOICES = {"rating": lambda: [("", _l("（未评价）"))] + list(Rating.choices())}

    method = SelectField(_l("回访方式"), choices=[("phone", _l("电话")), ("visit", _l("上门"))])
    outcome = TextAreaField(_l("群众怎么说（记录原话）"),
                            validators=[DataRequired(_l("请记录群众在回访中说了什么。")),
                                        Length(max=500)])
    rating = SelectField(_l("群众评价"), validators=[Optional()])


class ResidentRatingForm(_Choices):
    CHOICES = {"rating": Rating.choices}

    rating = RadioField(_l("您对办理结果满意吗？"), validators=[DataRequired()])
    comment = TextAreaField(_l("还想说的话（可不填）"), validators=[Optional(), Length(max=500)])


class TrackForm(FlaskForm):
    number = StringField(_l("事项编号"), validators=[DataRequired(), Length(max=24)],
                         description=_l("回执上的编号，如 HGZ-2026-000123"))
    phone_tail = StringField(_l("手机号后四位"),
                             validators=[DataRequired(), Regexp(r"^\d{4}$",
                                                                message=_l("请填写4位数字"))])

"""The visit diary form: quick to fill on a phone."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.households.models import VisitKind, VisitMethod
from app.matters.forms import publicity_field

FINDING_FIELDS = {
    "hardship": _l("生活困难"),
    "prosperity": _l("致富难题"),
    "dispute": _l("邻里纠纷"),
    "suggestion": _l("意见建议"),
    "petition": _l("信访问题"),
}


class VisitForm(FlaskForm):
    household_id = SelectField(_l("走访户"), validators=[DataRequired(_l("请选择走访户。"))])
    visited_on = DateField(_l("走访日期"), validators=[DataRequired(_l("请填写走访日期。"))])
    method = RadioField(_l("方式"), default=VisitMethod.IN_PERSON.value,
                        choices=[(m.value, m.label) for m in VisitMethod],
                        validators=[DataRequired()])
    # 三访: 走访 by grassroots members, 下访 by leaders at their contact points, 接访 receptions.
    kind = RadioField(_l("类别"), default=VisitKind.ROUND.value,
                      choices=[(k.value, k.label) for k in VisitKind], validators=[DataRequired()])
    notes = TextAreaField(_l("走访情况"), validators=[Optional(), Length(max=2000)])
    hardship = TextAreaField(FINDING_FIELDS["hardship"], validators=[Optional(), Length(max=1000)])
    prosperity = TextAreaField(FINDING_FIELDS["prosperity"],
                               validators=[Optional(), Length(max=1000)])
    dispute = TextAreaField(FINDING_FIELDS["dispute"], validators=[Optional(), Length(max=1000)])
    suggestion = TextAreaField(FINDING_FIELDS["suggestion"],
                               validators=[Optional(), Length(max=1000)])
    petition = TextAreaField(FINDING_FIELDS["petition"], validators=[Optional(), Length(max=1000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Choices are labelled at request time (the labels are translated).
        self.method.choices = [(m.value, m.label) for m in VisitMethod]
        self.kind.choices = [(k.value, k.label) for k in VisitKind]


class RaiseForm(FlaskForm):
    publicity = publicity_field()

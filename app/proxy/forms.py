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
from app.notices.forms import consent_field


def wtforms_translations():
    """WTForms' built-in messages in the interface language (Flask-WTF's Babel bridge, which
    FlaskForm uses; plain sub-forms in a FieldList need it named)."""
    from flask_wtf.i18n import translations

    return translations


class DocumentForm(Form):  # a row inside ErrandForm, which carries the CSRF token
    class Meta:  # WTForms' own messages ("Number must be between …") in the page's language
        def get_translations(self, form):
            return wtforms_translations()

    name = StringField(_l("材料名称"), validators=[Optional(), Length(max=60)])
    kind = SelectField(_l("原件/复印件"), default="original",
                       choices=[("original", _l("原件")), ("copy", _l("复印件"))])
    copies = IntegerField(_l("份数"), default=1, validators=[Optional(), NumberRange(1, 99)])


MAX_DOCUMENTS = 20


class ErrandForm(FlaskForm):
    item_id = SelectField(_l("代办事项"), validators=[DataRequired(_l("请选择代办事项。"))])
    # Chosen in the resident picker (app.households.picker): a radio of the search results.
    resident_id = StringField(_l("办事群众"), validators=[DataRequired(_l("请选择办事群众。"))])
    description = TextAreaField(_l("情况说明"), validators=[Optional(), Length(max=1000)])
    notify_consent = consent_field()
    publicity = publicity_field()
    documents = FieldList(FormField(DocumentForm), min_entries=1, max_entries=MAX_DOCUMENTS)


class HandToCentreForm(FlaskForm):
    received_by = StringField(_l("中心接收人"),
                              validators=[DataRequired(_l("请填写中心接收人。")), Length(max=40)])


class ReturnToAssistantForm(FlaskForm):
    result = TextAreaField(_l("办理结果"),
                           validators=[DataRequired(_l("请填写办理结果。")), Length(max=1000)])


class ReturnToResidentForm(FlaskForm):
    signed_by = StringField(_l("签收人（本人可不填；家属代收请写姓名）"),
                            validators=[Optional(), Length(max=40)])
    confirmed = BooleanField(_l("群众已当面确认收回全部材料"),
                             validators=[DataRequired(_l("须经群众当面确认收回材料。"))])


class DocumentOutcomeForm(FlaskForm):
    """Where one document ends when it does not go back: kept by the office, or used up."""

    outcome = SelectField(_l("去向"), default="kept",
                          choices=[("kept", _l("乡镇留存")), ("used", _l("办理中已用掉"))])
    kept_by = StringField(_l("留存人（部门、姓名）"), validators=[Optional(), Length(max=40)])
    reason = StringField(_l("原因 / 用途"), validators=[Optional(), Length(max=200)])

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if self.outcome.data == "kept":
            if not (self.kept_by.data or "").strip():
                self.kept_by.errors.append(_l("请填写留存人（哪个部门、谁保管）。"))
                ok = False
            if not (self.reason.data or "").strip():
                self.reason.errors.append(_l("请填写留存原因。"))
                ok = False
        return ok


class IssueForm(FlaskForm):
    """A document the office issued for the resident (the new card)."""

    name = StringField(_l("新发证件名称"), validators=[DataRequired(_l("请填写新发证件的名称。")),
                                                   Length(max=60)],
                       description=_l("如：新社会保障卡"))
    issued_by = StringField(_l("发证单位 / 经办人"), validators=[Optional(), Length(max=200)])


class CloseForm(FlaskForm):
    pass

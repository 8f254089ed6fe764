from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from app.accounts.operations import password_problem


class _StrongPassword:
    """The new password is strong enough (zxcvbn); the form's `user_inputs` (username, name)
    count as guessable."""

    def validate_password(self, field):
        problem = password_problem(field.data or "", user_inputs=getattr(self, "user_inputs", ()))
        if problem:
            raise ValidationError(problem)


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(), Length(max=60)])
    password = PasswordField(_l("密码"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("在这台电脑上保持登录"))


class SetPasswordForm(_StrongPassword, FlaskForm):
    password = PasswordField(_l("新密码"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(
        _l("再输入一次"), validators=[DataRequired(), EqualTo("password", _l("两次输入不一致"))]
    )


class ChangePasswordForm(_StrongPassword, FlaskForm):
    current = PasswordField(_l("当前密码"), validators=[DataRequired(), Length(max=200)])
    password = PasswordField(_l("新密码"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(
        _l("再输入一次"), validators=[DataRequired(), EqualTo("password", _l("两次输入不一致"))]
    )


class PreferencesForm(FlaskForm):
    locale = SelectField(_l("界面语言"), choices=[("zh_Hans_CN", "简体中文"), ("en", "English")])

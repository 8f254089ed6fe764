from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(), Length(max=60)])
    password = PasswordField(_l("密码"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("在这台电脑上保持登录"))


class SetPasswordForm(FlaskForm):
    password = PasswordField(_l("新密码"), validators=[DataRequired(), Length(min=8, max=200)])
    confirm = PasswordField(
        _l("再输入一次"), validators=[DataRequired(), EqualTo("password", _l("两次输入不一致"))]
    )


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("当前密码"), validators=[DataRequired(), Length(max=200)])
    password = PasswordField(_l("新密码"), validators=[DataRequired(), Length(min=8, max=200)])
    confirm = PasswordField(
        _l("再输入一次"), validators=[DataRequired(), EqualTo("password", _l("两次输入不一致"))]
    )


class PreferencesForm(FlaskForm):
    locale = SelectField(_l("界面语言"), choices=[("zh_Hans_CN", "简体中文"), ("en", "English")])

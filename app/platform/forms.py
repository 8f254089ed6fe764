from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from app.validation import Phone


class TownshipForm(FlaskForm):
    name = StringField(_l("乡镇（街道）名称"), validators=[DataRequired(), Length(max=80)])
    slug = StringField(
        _l("网址代码"),
        validators=[DataRequired(), Regexp(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$",
                                           message=_l("3–40 位小写字母、数字或连字符"))],
        description=_l("出现在网址中，如 haogezhuang"),
    )
    code = StringField(
        _l("编号前缀"),
        validators=[DataRequired(), Regexp(r"^[A-Za-z]{2,8}$", message=_l("2–8 位字母"))],
        description=_l("事项编号的前缀，如 HGZ"),
    )
    county = StringField(_l("所属区县"), validators=[Optional(), Length(max=80)])


class InviteAdminForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(), Length(min=3, max=60)])
    name = StringField(_l("姓名"), validators=[DataRequired(), Length(max=40)])
    phone = StringField(_l("手机号"), validators=[Optional(), Phone()])

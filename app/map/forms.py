"""Forms of the household map. Each carries the CSRF token (Flask-WTF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import BooleanField, DecimalField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional


class SheetForm(FlaskForm):
    image = FileField(_l("地图图片"), validators=[
        FileAllowed(["jpg", "jpeg", "png", "webp"], _l("请上传 JPG、PNG 或 WEBP 图片。"))],
        description=_l("手绘图、扫描件或手机拍的照片都可以，系统会自动缩小。"))
    blank = BooleanField(_l("暂无地图，先用空白图纸"))


class PositionForm(FlaskForm):
    """Without JavaScript: a household's place typed as percentages of the map's size."""

    x = DecimalField(_l("从左边起（%）"), places=1,
                     validators=[InputRequired(_l("请填写位置。")), NumberRange(0, 100)])
    y = DecimalField(_l("从上边起（%）"), places=1,
                     validators=[InputRequired(_l("请填写位置。")), NumberRange(0, 100)])


class UnplaceForm(FlaskForm):
    pass


class HandoverForm(FlaskForm):
    from_cadre = SelectField(_l("交出的联户干部"), validators=[DataRequired(_l("请选择。"))])
    to_cadre = SelectField(_l("接手的联户干部"), validators=[DataRequired(_l("请选择。"))])
    note = TextAreaField(_l("交接说明"), validators=[Optional(), Length(max=1000)])
    confirm = BooleanField(_l("已核对交接清单"),
                           validators=[DataRequired(_l("请先核对交接清单。"))])

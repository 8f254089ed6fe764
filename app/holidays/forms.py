from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import StringField, TextAreaField
from wtforms.validators import Length, Optional


class ScheduleForm(FlaskForm):
    """The schedule typed or pasted, or a file chosen (the file wins when both are given)."""

    text = TextAreaField(_l("放假安排"), validators=[Optional(), Length(max=20000)],
                         description=_l("每行一条：日期 休/班 名称，如 2027-01-01 休 元旦；"
                                        "连续几天写 2027-02-06~2027-02-12 休 春节。"))
    file = FileField(_l("或上传文件"), validators=[Optional(), FileAllowed(
        ["txt", "csv"], _l("请上传 .txt 或 .csv 文件。"))])
    source = StringField(_l("依据"), validators=[Optional(), Length(max=200)],
                         description=_l("如：国务院办公厅关于2027年部分节假日安排的通知"))

"""Demo hotline: a few response templates and the calls of a morning."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.accounts.models import Role, RoleGrant, User
from app.extensions import db
from app.hotline import operations as ops
from app.hotline.models import ResponseTemplate
from app.models import utcnow

TEMPLATES = (
    ("hardship", "低保申请咨询", "您好！申请低保请带户口簿、身份证和家庭收入情况说明，"
     "到镇便民服务中心社会事务窗口办理；行动不便的，可请村级事务助理代办。"),
    ("suggestion", "意见已转交", "您好！您反映的问题已登记并转交责任单位办理，"
     "办理结果会在承诺时限内答复您，也可凭受理编号在网上查询进度。"),
    ("dispute", "邻里纠纷调解", "您好！邻里纠纷可先找村调解委员会调解；"
     "调解不成的，镇综治信访服务中心会安排人员上门调解。"),
)


def seed(township) -> None:
    if db.session.scalar(select(ResponseTemplate.id).where(
            ResponseTemplate.township_id == township.id).limit(1)):
        return  # seeded already
    grant = db.session.scalar(select(RoleGrant).where(
        RoleGrant.township_id == township.id,
        RoleGrant.role.in_([Role.TOWNSHIP_ADMIN.value, Role.CENTRE_STAFF.value])).limit(1))
    if grant is None:
        return
    actor = db.session.get(User, grant.user_id)
    for order, (category, title, body) in enumerate(TEMPLATES):
        ops.create_template(township, actor, category=category, title=title, body=body,
                            sort_order=order)
    now = utcnow()
    ops.record_call(township, actor, number="0734-8123456", outcome="advice",
                    called_at=now - timedelta(hours=3), category="hardship",
                    summary="问低保怎么申请。", reply=TEMPLATES[0][2])
    ops.record_call(township, actor, number="13907341234", outcome="new_matter",
                    called_at=now - timedelta(hours=1), category="suggestion",
                    title="村口路灯不亮", summary="村口两盏路灯坏了一个月。")

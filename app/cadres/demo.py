"""Demo activity for cadres' pages: actions, commitments, a knowledge-test bank, a case."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.accounts.models import Role, RoleGrant, User
from app.cadres import operations as ops
from app.extensions import db
from app.matters.operations import local_today

QUESTIONS = [
    ("single", "城乡居民最低生活保障申请，首先向哪里提出？",
     ["户籍所在地乡镇人民政府（街道办事处）", "县民政局", "市民政局"], [0], ["低保"],
     "《社会救助暂行办法》：申请最低生活保障，由共同生活的家庭成员向户籍所在地的"
     "乡镇人民政府、街道办事处提出书面申请。"),
    ("multiple", "党员联户“五必到”包括哪些？",
     ["红白大事必到", "生病住院必到", "急难重活必到", "逢年过节必到"], [0, 1, 2], ["联户"],
     "五必到：红白大事必到、生病住院必到、急难重活必到、代办事项必到、思想波动必到。"),
    ("true_false", "有奖批评会上提出的批评，须在15个工作日内答复。", [], [0], ["有奖批评"],
     "每条批评明确责任人，15日内答复，一个月后回访，群众满意方可销号。"),
    ("true_false", "村级事务助理代办事项可以向群众收取跑腿费。", [], [1], ["代办"],
     "一村一站一助理：代办免费，群众动嘴、干部跑腿。"),
    ("single", "入户走访“五必记”不包括下列哪一项？", ["生活困难", "致富难题", "家庭收入明细",
     "邻里纠纷"], [2], ["走访"], "五必记：生活困难、致富难题、邻里纠纷、意见建议、信访问题。"),
    ("true_false", "群众满意率=非常满意、满意、基本满意的评价数÷全部评价数。", [], [0], ["三率"],
     "三率：入户走访率、问题解决率、群众满意率。"),
    ("single", "小村入户走访覆盖率的目标是多少？", ["80%", "90%", "100%"], [2], ["走访"],
     "小村全覆盖，大村不少于80%。"),
]


def _people(township, role):
    return db.session.scalars(
        select(User).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.township_id == township.id, RoleGrant.role == role)
    ).all()


def seed(township) -> None:
    today = local_today(township)
    cadres = _people(township, Role.CADRE) + _people(township, Role.VILLAGE_ASSISTANT)
    leaders = _people(township, Role.LEADER)
    for kind, text, options, answer, tags, note in QUESTIONS:
        ops.add_question(township, kind=kind, text=text, options=options, answer=answer,
                         tags=tags, study_note=note)
    for cadre in cadres:
        monthly = ops.create_action(township, name="每月一次入户走访困难家庭",
                                    frequency="monthly", owner=cadre, unit_name="包村工作组")
        ops.create_action(township, name="每周一次接访", frequency="weekly", owner=cadre)
        ops.record_occurrence(monthly, cadre, day=today - timedelta(days=35), done=True,
                              note="走访低保户3户，了解冬季取暖")
        commitment = ops.make_commitment(township, cadre, text="年内帮助联系户解决一件实事",
                                         due_on=today.replace(month=12, day=31))
        if cadre is cadres[0]:
            ops.settle_commitment(commitment, cadre, kept=True,
                                  evidence="协调修通村东头排水沟，雨季不再积水")
            ops.submit_case(township, cadre, title="一条排水沟解决了十几户的烦心事",
                            body="入户走访时群众反映雨季积水。经现场查看、协调资金，"
                                 "两周内修通排水沟，回访时群众表示满意。")
    for leader in leaders:
        ops.create_action(township, name="每月一次到联系点下访", frequency="monthly",
                          owner=leader)

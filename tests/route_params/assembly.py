"""Assembly: an announced assembly with a team, a drawn jury and a criticism, in both townships."""

from datetime import timedelta


def extend(town):
    from app.accounts.models import Role
    from app.assembly import operations as ops
    from app.matters.operations import local_today

    o = town.objects
    today = local_today(town.township)
    admin = town.users[Role.TOWNSHIP_ADMIN]
    o.assembly = ops.create_assembly(town.township, admin, title="上半年有奖批评大会",
                                     held_on=today + timedelta(days=10), venue="镇政府大会议室")
    ops.announce(o.assembly, town.township, today=today)
    ops.add_team(o.assembly, name="第一批评团", branch="东村党支部", members=["甲", "乙"])
    o.jurors = ops.add_candidates(o.assembly, ["评委一", "评委二", "评委三"], kind="resident")
    ops.draw_jury(o.assembly, town.township, size=3)
    o.criticism = ops.add_criticism(o.assembly, title="村道坑洼无人修", raised_by="王小明")


PARAMS = {
    "assembly_id": lambda town: town.objects.assembly.id,
    "juror_id": lambda town: town.objects.jurors[0].id,
    "criticism_id": lambda town: town.objects.criticism.id,
    "juror_token": lambda town: town.objects.jurors[0].token,
    "assembly_step": lambda town: "announce",
    "round_step": lambda town: "open",
    "change": lambda town: "edit",
}

"""Hotline: a response template and a call in both townships."""


def extend(town):
    from app.accounts.models import Role
    from app.hotline import operations as ops

    o = town.objects
    admin = town.users[Role.TOWNSHIP_ADMIN]
    o.response_template_id = ops.create_template(
        town.township, admin, category="suggestion", title="已转交", body="您反映的问题已转交。").id
    ops.record_call(town.township, town.users[Role.CENTRE_STAFF], number="0734-8123456",
                    outcome="advice", reply="已解答。")


PARAMS = {"response_template_id": lambda town: town.objects.response_template_id}

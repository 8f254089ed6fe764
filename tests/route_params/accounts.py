"""Accounts: a staff member of each township whose page the administrator manages."""


def extend(town):
    from app.accounts.models import Role
    from tests import factories

    town.objects.staff_member = factories.user(town.township, Role.CADRE, name="待调离干部")


PARAMS = {"user_id": lambda town: town.objects.staff_member.id}

"""Onboarding: a draft in each township's world, owned by its administrator."""


def extend(town):
    from app.accounts.models import Role
    from app.onboarding import wizard

    town.objects.draft = wizard.start(town.users[Role.TOWNSHIP_ADMIN])


PARAMS = {"draft_id": lambda town: town.objects.draft.id}

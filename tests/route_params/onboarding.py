"""Onboarding: a draft in each township's world, owned by its administrator, and an open
onboarding link (issued by nobody in particular: the operator's kind)."""


def extend(town):
    from datetime import timedelta

    from app.accounts.models import Role
    from app.clock import utcnow
    from app.extensions import db
    from app.onboarding import wizard
    from app.onboarding.models import OnboardingLink

    town.objects.draft = wizard.start(town.users[Role.TOWNSHIP_ADMIN])
    link = OnboardingLink(token_hash=f"test-{town.township.slug}".ljust(64, "0"),
                          township_name="待开通镇", person_name="新管理员",
                          username=f"first-admin-{town.township.slug}",
                          expires_at=utcnow() + timedelta(days=7))
    db.session.add(link)
    db.session.flush()
    town.objects.onboarding_link = link


PARAMS = {"draft_id": lambda town: town.objects.draft.id,
          "link_id": lambda town: town.objects.onboarding_link.id}

"""Open311 and the API keys page: a key in each township."""


def extend(town):
    from app.accounts.models import Role
    from app.api import operations as ops

    town.objects.api_key, town.objects.api_plain = ops.issue_key(
        town.township, town.users[Role.TOWNSHIP_ADMIN], name="县12345热线")


PARAMS = {
    "api_key_id": lambda town: town.objects.api_key.id,
    "fmt": lambda town: "json",
    "service_code": lambda town: "cat-suggestion",
    "service_request_id": lambda town: "NONE-2026-000001",
}

# Open311 picks its township by jurisdiction_id, not by the URL; these name no township's row.
NOT_IDS = {"fmt", "service_code", "service_request_id"}
CSRF_EXEMPT = {"open311.post_request"}
SCOPED_ELSEWHERE = {"open311.discovery", "open311.services", "open311.service_definition",
                    "open311.post_request", "open311.token", "open311.get_requests",
                    "open311.get_request"}

"""County pages: each world township belongs to its own county (county A holds township A, county
B holds township B), with a department, a person in each county role, a county spot-check and a
report. Only platform rows are added here, so other features' tests see their world unchanged;
the township rows a county reads (an escalated matter, a household linked to the county cadre, a
sampled record) are added by tests/counties/conftest.py for the county's own tests. Ids that
only exist there are random here: the generic access test needs their routes, not their rows.
"""

import uuid

from app.counties import operations as county_ops
from app.counties.models import CountyRole


def extend(town):
    from app.counties.models import CountyReport, CountySpotCheck
    from app.extensions import db
    from app.notices.storage import storage
    from tests import factories

    t = town.township
    n = "1" if t.slug == "alpha" else "2"
    county = county_ops.create_county(code=f"37132{n}", name=f"测试县{n}",
                                      slug=f"county-{t.slug}")
    t.county_id = county.id  # attach_township would also write the township's audit log
    department = county_ops.add_department(county, "民政局")
    town.objects.county = county
    town.objects.department = department
    town.objects.county_users = {}
    for role in CountyRole:
        user = factories.create_user(username=f"{t.slug}-{role.value}", name=f"{t.slug}-{role}")
        county_ops.grant_county_role(county, user, role,
                                     department if role == CountyRole.DEPARTMENT_STAFF else None)
        town.objects.county_users[role] = user
    supervisor = town.objects.county_users[CountyRole.COUNTY_SUPERVISOR]
    check = CountySpotCheck(county_id=county.id, supervisor_id=supervisor.id,
                            period_start=factories_date(2026, 10, 1),
                            period_end=factories_date(2026, 11, 1), size=1, parts=[])
    report = CountyReport(county_id=county.id, quarter="2026Q3", state="ready",
                          progress=100, storage_key=f"counties/{county.id}/test.pdf")
    db.session.add_all([check, report])
    db.session.flush()
    storage().put(report.storage_key, b"%PDF-1.4 test")
    town.objects.county_spot_check = check
    town.objects.county_report = report
    # Filled with real rows by tests/counties/conftest.py.
    town.objects.escalation_id = uuid.uuid4()
    town.objects.county_household_id = town.objects.household.id
    town.objects.county_spot_item_id = uuid.uuid4()
    town.objects.county_cards_id = uuid.uuid4()


def factories_date(*args):
    from datetime import date

    return date(*args)


PARAMS = {
    "county_slug": lambda town: town.objects.county.slug,
    "county_id": lambda town: town.objects.county.id,
    "department_id": lambda town: town.objects.department.id,
    "escalation_id": lambda town: town.objects.escalation_id,
    "county_household_id": lambda town: town.objects.county_household_id,
    "county_check_id": lambda town: town.objects.county_spot_check.id,
    "spot_item_id": lambda town: town.objects.county_spot_item_id,
    "report_id": lambda town: town.objects.county_report.id,
    "cards_id": lambda town: town.objects.county_cards_id,
}

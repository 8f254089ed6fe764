"""County pages: each world township belongs to its own county (county A holds township A, county
B holds township B), with a department, a person in each county role and an escalated matter."""

from app.counties import operations as county_ops
from app.counties.models import CountyRole


def extend(town):
    from app.accounts.models import Role
    from app.extensions import db
    from app.matters import operations as ledger
    from tests import factories

    t = town.township
    n = "1" if t.slug == "alpha" else "2"
    county = county_ops.create_county(code=f"37132{n}", name=f"测试县{n}",
                                      slug=f"county-{t.slug}")
    county_ops.attach_township(county, t, None)
    department = county_ops.add_department(county, "民政局")
    town.objects.county = county
    town.objects.department = department
    town.objects.county_users = {}
    for role in CountyRole:
        user = factories.create_user(username=f"{t.slug}-{role.value}", name=f"{t.slug}-{role}")
        county_ops.grant_county_role(county, user, role,
                                     department if role == CountyRole.DEPARTMENT_STAFF else None)
        town.objects.county_users[role] = user
    matter = factories.matter(t, title="河道清淤", actor=town.users[Role.TOWNSHIP_ADMIN])
    ledger.assign(matter, town.users[Role.TOWNSHIP_ADMIN], assignee=town.users[Role.LEADER])
    town.objects.escalation = county_ops.escalate_to_county(
        matter, town.users[Role.TOWNSHIP_ADMIN], reason="需县民政局核定", department=department)
    town.objects.escalated_matter = matter
    # A household whose contact cadre is the county cadre.
    linked = factories.household(t, town.objects.village, head="赵联户", phone="13900001111")
    linked.contact_cadre_id = town.objects.county_users[CountyRole.COUNTY_CADRE].id
    town.objects.county_household = linked
    db.session.flush()
    _spot_check_and_report(town, county)


def _spot_check_and_report(town, county):
    from datetime import date

    from app.counties.models import CountyReport, CountySpotCheck
    from app.extensions import db
    from app.matters.models import SpotCheck, SpotCheckItem
    from app.notices.storage import storage

    supervisor = town.objects.county_users[CountyRole.COUNTY_SUPERVISOR]
    part = SpotCheck(township_id=town.township.id, supervisor_id=supervisor.id,
                     period_start=date(2026, 10, 1), period_end=date(2026, 11, 1))
    db.session.add(part)
    db.session.flush()
    item = SpotCheckItem(township_id=town.township.id, spot_check_id=part.id,
                         matter_id=town.objects.escalated_matter.id)
    check = CountySpotCheck(county_id=county.id, supervisor_id=supervisor.id,
                            period_start=part.period_start, period_end=part.period_end, size=1,
                            parts=[{"township_id": str(town.township.id),
                                    "spot_check_id": str(part.id)}])
    report = CountyReport(county_id=county.id, quarter="2026Q3", state="ready",
                          progress=100, storage_key=f"counties/{county.id}/test.pdf")
    db.session.add_all([item, check, report])
    db.session.flush()
    storage().put(report.storage_key, b"%PDF-1.4 test")
    town.objects.county_spot_check, town.objects.county_spot_item = check, item
    town.objects.county_report = report


PARAMS = {
    "county_slug": lambda town: town.objects.county.slug,
    "county_id": lambda town: town.objects.county.id,
    "department_id": lambda town: town.objects.department.id,
    "escalation_id": lambda town: town.objects.escalation.id,
    "county_household_id": lambda town: town.objects.county_household.id,
    "county_check_id": lambda town: town.objects.county_spot_check.id,
    "spot_item_id": lambda town: town.objects.county_spot_item.id,
    "report_id": lambda town: town.objects.county_report.id,
}

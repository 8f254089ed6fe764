PARAMS = {
    "matter_id": lambda town: town.objects.matter.id,
    "household_id": lambda town: town.objects.household.id,
    "village_id": lambda town: town.objects.village.id,
    "centre_id": lambda town: town.objects.centre.id,
    "item_id": lambda town: town.objects.service_item.id,
    "resident_id": lambda town: town.objects.resident.id,
    "township_id": lambda town: town.township.id,
    "token": lambda town: "not-a-real-token",
    "grant_id": lambda town: town.objects.cadre_grant_id,
}


"""The household map: a village sheet with an image, a pinned household and a hand-over, in both
townships."""


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(out, "PNG")
    return out.getvalue()


def extend(town):
    from app.accounts.models import Role
    from app.map import operations as ops

    o = town.objects
    admin, cadre = town.users[Role.TOWNSHIP_ADMIN], town.users[Role.CADRE]
    ops.set_sheet(town.township, admin, o.village, image=_png())
    ops.place(town.township, admin, o.household, 0.5, 0.5)
    o.household.contact_cadre_id = cadre.id
    o.handover = ops.hand_over(town.township, admin, village=o.village, from_cadre=cadre,
                               to_cadre=town.users[Role.LEADER])


# village_id and household_id come from core.py.
PARAMS = {
    "handover_id": lambda town: town.objects.handover.id,
}

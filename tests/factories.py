"""Test data that always names its township. Operations do the writing, as in the app."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from types import SimpleNamespace

from app.accounts.models import Role
from app.accounts.operations import create_user, grant
from app.catalogue.models import Centre, ServiceItem
from app.extensions import db
from app.households.models import Household, Resident, Village
from app.matters import operations as matters
from app.service_models import SERVICE_MODEL_KEYS
from app.tenancy import bind_township
from app.townships.operations import create_township, set_service

_seq = itertools.count(1)


def township(slug: str | None = None, *, services=SERVICE_MODEL_KEYS, code: str | None = None):
    n = next(_seq)
    slug = slug or f"town{n}"
    code = code or "".join(chr(ord("A") + int(d)) for d in f"{n:03d}")
    t = create_township(slug=slug, name=f"测试镇{n}", code=code)
    for key in services:
        set_service(t, key, enabled=True)
    db.session.flush()
    return t


def user(t, *roles, centre=None, village=None, name="测试用户", password=None, **fields):
    u = create_user(username=f"user{next(_seq)}", name=name, password=password, **fields)
    for role in roles:
        grant(t, u, role, centre=centre, village=village)
    return u


def centre(t, name=None):
    c = Centre(township_id=t.id, name=name or f"中心{next(_seq)}")
    db.session.add(c)
    db.session.flush()
    return c


def service_item(t, c=None, **fields):
    c = c or centre(t)
    defaults = dict(name=f"事项{next(_seq)}", promised_workdays=5,
                    materials=[{"name": "户口簿", "original": True, "copies": 1}])
    defaults.update(fields)
    item = ServiceItem(township_id=t.id, centre_id=c.id, **defaults)
    db.session.add(item)
    db.session.flush()
    return item


def village(t, name=None):
    v = Village(township_id=t.id, name=name or f"村{next(_seq)}")
    db.session.add(v)
    db.session.flush()
    return v


def household(t, v=None, head="王小明", phone="13800001234", **fields):
    v = v or village(t)
    h = Household(township_id=t.id, village_id=v.id, head_name=head, phone=phone,
                  phone_tail=phone[-4:] if phone else None, address="村东头1号", **fields)
    db.session.add(h)
    db.session.flush()
    r = Resident(township_id=t.id, name=head, household_id=h.id, village_id=v.id,
                 relation="户主")
    r.set_phone(phone)
    db.session.add(r)
    db.session.flush()
    return h


def resident_of(h):
    return db.session.scalars(
        db.select(Resident).where(Resident.township_id == h.township_id,
                                  Resident.household_id == h.id)
    ).first()


def matter(t, *, channel="phone", title="路灯不亮", actor=None, **kwargs):
    return matters.create_matter(t, channel=channel, title=title, actor=actor, **kwargs)


@dataclass
class Town:
    township: object
    users: dict[Role, object] = field(default_factory=dict)
    objects: SimpleNamespace = field(default_factory=SimpleNamespace)


@dataclass
class World:
    """Townships A and B, each with every role and a few rows, committed."""

    a: Town
    b: Town

    @classmethod
    def build(cls) -> World:
        towns = []
        for slug in ("alpha", "beta"):
            t = township(slug)
            bind_township(db.session, t.id)
            town = Town(t)
            c = centre(t, "社会事务服务中心")
            v = village(t, "东村")
            h = household(t, v)
            item = service_item(t, c, proxiable=True, bookable=True)
            for role in Role:
                town.users[role] = user(
                    t, role,
                    centre=c if role == Role.CENTRE_STAFF else None,
                    village=v if role == Role.VILLAGE_ASSISTANT else None,
                    name=f"{slug}-{role.value}",
                )
            m = matter(t, channel="hall", service_item=item, resident=resident_of(h),
                       actor=town.users[Role.CENTRE_STAFF])
            cadre_grant = town.users[Role.CADRE].grants[0]
            town.objects = SimpleNamespace(centre=c, village=v, household=h, service_item=item,
                                           matter=m, resident=resident_of(h),
                                           cadre_grant_id=cadre_grant.id)
            db.session.commit()
            bind_township(db.session, None)
            towns.append(town)
        world = cls(*towns)
        from tests.route_params import extend_world

        extend_world(world)
        return world


def create_operator():
    return create_user(username=f"op{next(_seq)}", name="平台运维", is_operator=True)

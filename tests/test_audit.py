"""The township audit log: who, when, what, before and after; append-only; data masked."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.audit.operations import changed, record, snapshot
from app.extensions import db
from tests import factories


def test_a_change_is_recorded_with_masked_personal_data(ctx):
    town = factories.township()
    admin = factories.user(town, "township_admin")
    household = factories.household(town, head="王小明", phone="13800001234")
    before = snapshot(household, ["head_name", "phone"])
    household.phone = "13911112222"
    after = snapshot(household, ["head_name", "phone"])
    old, new = changed(before, after)
    record(town.id, admin, "household.edit", household, before=old, after=new,
           summary="改电话为13911112222")
    db.session.commit()

    event = db.session.scalars(select(AuditEvent)).one()
    assert (event.action, event.target_type, event.actor_id) == (
        "household.edit", "households", admin.id)
    assert event.before == {"phone": "138****1234"} and event.after == {"phone": "139****2222"}
    assert "13911112222" not in event.summary
    assert event.at is not None and event.at.tzinfo is not None


def test_audit_events_cannot_be_changed_or_deleted(ctx):
    town = factories.township()
    event = record(town.id, None, "calendar.set", summary="2027-01-01 放假")
    db.session.commit()
    assert event.actor_kind == "system"
    event.summary = "改写"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    db.session.delete(event)
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.commit()
    db.session.rollback()

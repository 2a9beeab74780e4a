"""The audit log is written in the same transaction as the change it records."""

import json
from typing import Any

import pytest
from django.db import transaction

from vaxbook.common.audit import audit_event_objects, audit_log, changed_fields
from vaxbook.common.models import AuditEvent
from vaxbook.places.models import Facility


class Boom(Exception):
    pass


def test_audit_log_records_actor_action_subject_and_data(clerk_a: Any, facility_a: Facility) -> None:
    audit_log(actor=clerk_a, action="test.done", subject=facility_a, data={"facility": facility_a, "n": 1})
    event = AuditEvent.objects.get(action="test.done")
    assert event.actor == clerk_a
    assert (event.action, event.subject_type, event.subject_id) == (
        "test.done",
        "places.facility",
        str(facility_a.public_id),
    )
    assert event.data == {"facility": str(facility_a.public_id), "n": 1}


def test_an_anonymous_actor_is_recorded_as_none(facility_a: Facility) -> None:
    from django.contrib.auth.models import AnonymousUser

    audit_log(actor=AnonymousUser(), action="test.done", subject=facility_a)
    assert AuditEvent.objects.get(action="test.done").actor is None


def test_the_event_is_rolled_back_with_the_write(facility_a: Facility) -> None:
    with pytest.raises(Boom), transaction.atomic():
        Facility.objects.filter(pk=facility_a.pk).update(name="Đổi tên")
        audit_log(actor=None, action="places.facility.renamed", subject=facility_a)
        raise Boom
    facility_a.refresh_from_db()
    assert facility_a.name == "Bệnh viện A"
    assert not AuditEvent.objects.filter(action="places.facility.renamed").exists()


def test_the_event_is_kept_when_the_write_commits(facility_a: Facility) -> None:
    with transaction.atomic():
        Facility.objects.filter(pk=facility_a.pk).update(name="Đổi tên")
        audit_log(actor=None, action="places.facility.renamed", subject=facility_a)
    assert AuditEvent.objects.filter(action="places.facility.renamed").count() == 1


def test_bulk_events_are_unsaved_until_bulk_created(facility_a: Facility, facility_b: Facility) -> None:
    events = audit_event_objects(
        actor=None, action="test.bulk", subjects=[facility_a, facility_b], data=[{"i": 1}, {"i": 2}]
    )
    assert all(e.pk is None for e in events)
    AuditEvent.objects.bulk_create(events)
    assert sorted(AuditEvent.objects.filter(action="test.bulk").values_list("data__i", flat=True)) == [1, 2]


def test_one_data_dict_given_for_several_events_is_made_ready_once_and_shared(
    facility_a: Facility, facility_b: Facility
) -> None:
    said = {"source": "organization", "place": facility_a}
    events = audit_event_objects(
        actor=None, action="test.shared", subjects=[facility_a, facility_b, facility_a], data=[said, said, {"i": 3}]
    )
    assert events[0].data == {"source": "organization", "place": str(facility_a.public_id)}
    assert events[0].data is events[1].data and events[2].data == {"i": 3}
    AuditEvent.objects.bulk_create(events)
    stored = AuditEvent.objects.filter(action="test.shared")
    assert sorted(json.dumps(e.data, sort_keys=True) for e in stored) == sorted(
        json.dumps(e.data, sort_keys=True) for e in events
    )


def test_changed_fields_lists_old_and_new_values(facility_a: Facility) -> None:
    before = {"name": facility_a.name, "code": facility_a.code}
    facility_a.name = "Mới"
    assert changed_fields(facility_a, before, ["name", "code"]) == {"name": ["Bệnh viện A", "Mới"]}

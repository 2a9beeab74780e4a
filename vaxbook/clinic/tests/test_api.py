"""The clinic API: shapes, idempotency (replay and key reuse), the batch, scoping, and the error shape."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from vaxbook.clinic.models import Appointment, Dose, Session
from vaxbook.clinic.tests import factories as f
from vaxbook.clinic.tests.fixtures import COMIRNATY, SPIKEVAX
from vaxbook.common.models import AuditEvent, IdempotencyRecord, SentMessage
from vaxbook.registry.tokens import person_qr_token
from vaxbook.vaccines.models import StockMovement
from vaxbook.vaccines.selectors import stock_on_hand

pytestmark = pytest.mark.django_db


def codes(response: Any) -> list[str]:
    body = response.json()
    assert set(body) >= {"errors"}
    for e in body["errors"]:
        assert set(e) == {"field", "code", "message"}
    return [e["code"] for e in body["errors"]]


def dose_body(person: Any, facility: Any, **over: Any) -> dict[str, Any]:
    body = {
        "person_id": str(person.public_id),
        "facility_id": str(facility.public_id),
        "vaccine_code": COMIRNATY,
        "lot_number": "FK1234",
        "administered_at": (timezone.now() - timedelta(minutes=1)).isoformat(),
        "source": "back_entry",
    }
    body.update(over)
    return body


@pytest.fixture
def as_vaccinator(api: Any, vaccinator_a: Any) -> Any:
    return api.as_user(vaccinator_a)


# Check-in and screening -------------------------------------------------------------------------------------


def test_check_in_by_token(as_vaccinator: Any, facility_a: Any, person: Any, comirnaty: Any) -> None:
    session = f.SessionFactory(facility=facility_a, vaccine=comirnaty)
    Appointment.objects.create(session=session, person=person, source="registry")
    r = as_vaccinator.post_json(
        "/api/v1/checkins", {"facility_id": str(facility_a.public_id), "token": person_qr_token(person)}
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["person"]["id"] == str(person.public_id)
    assert body["person"]["data_status"] == "complete" and body["person"]["problems"] == []
    assert body["next_dose"]["number"] == 1 and body["next_dose"]["due_now"] is True
    assert COMIRNATY in body["next_dose"]["vaccines"]
    assert body["appointment"]["status"] == "checked_in"
    assert body["appointment"]["session_id"] == str(session.public_id)


def test_check_in_of_an_incomplete_record_shows_what_is_missing(
    as_vaccinator: Any, facility_a: Any, catalogue: Any
) -> None:
    person = f.incomplete_person()
    r = as_vaccinator.post_json(
        "/api/v1/checkins", {"facility_id": str(facility_a.public_id), "id_number": person.id_number}
    )
    assert r.status_code == 200
    assert r.json()["person"]["data_status"] == "incomplete"
    assert {p["field"] for p in r.json()["person"]["problems"]} == {"phone", "ward_code"}


def test_check_in_key_is_optional_and_an_empty_one_counts_as_none(
    as_vaccinator: Any, facility_a: Any, person: Any, catalogue: Any
) -> None:
    """A check-in is naturally repeatable: without a key, or with an empty one, it is not recorded; with
    one, the same key replays the first answer. The API's description says so (minLength 0 there)."""
    body = {"facility_id": str(facility_a.public_id), "id_number": person.id_number}
    for extra in ({}, {"HTTP_IDEMPOTENCY_KEY": ""}):
        r = as_vaccinator.post_json("/api/v1/checkins", body, **extra)
        assert r.status_code == 200, r.content
    assert not IdempotencyRecord.objects.filter(scope="clinic.checkin").exists()
    first = as_vaccinator.post_json("/api/v1/checkins", body, HTTP_IDEMPOTENCY_KEY="desk-1")
    again = as_vaccinator.post_json("/api/v1/checkins", body, HTTP_IDEMPOTENCY_KEY="desk-1")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert IdempotencyRecord.objects.filter(scope="clinic.checkin").count() == 1
    schema = as_vaccinator.get("/api/openapi.json").json()
    [header] = schema["paths"]["/api/v1/checkins"]["post"]["parameters"]
    assert (header["name"], header["required"], header["schema"]["minLength"]) == ("Idempotency-Key", False, 0)
    [header] = schema["paths"]["/api/v1/doses"]["post"]["parameters"]
    assert (header["name"], header["required"], header["schema"]["minLength"]) == ("Idempotency-Key", True, 1)


@pytest.mark.parametrize(
    "lookup", [{"id_number": "079999999999"}, {}, {"person_id": "nope"}, {"token": "P1.bogus"}, {"phone": "x"}]
)
def test_check_in_checks_the_facility_before_the_person(
    api: Any, clerk_b: Any, facility_a: Any, catalogue: Any, lookup: dict[str, str]
) -> None:
    """The facility is read with the person (one round trip), but refused first: an unknown facility is
    404 and another facility's desk 403, whatever the identifier says; nobody is looked up for nothing."""
    import uuid

    client = api.as_user(clerk_b)
    r = client.post_json("/api/v1/checkins", {"facility_id": str(uuid.uuid4()), **lookup})
    assert (r.status_code, codes(r)) == (404, ["facility_not_found"])
    r = client.post_json("/api/v1/checkins", {"facility_id": "not-a-uuid", **lookup})
    assert (r.status_code, codes(r)) == (404, ["facility_not_found"])
    r = client.post_json("/api/v1/checkins", {"facility_id": str(facility_a.public_id), **lookup})
    assert (r.status_code, codes(r)) == (403, ["facility_forbidden"])


def test_check_in_at_another_facility_is_forbidden(api: Any, clerk_b: Any, facility_a: Any, person: Any) -> None:
    r = api.as_user(clerk_b).post_json(
        "/api/v1/checkins", {"facility_id": str(facility_a.public_id), "phone": person.phone}
    )
    assert r.status_code == 403
    assert codes(r) == ["facility_forbidden"]


def test_check_in_needs_sign_in(api: Any, facility_a: Any) -> None:
    r = api.post_json("/api/v1/checkins", {"facility_id": str(facility_a.public_id), "phone": "0912345678"})
    assert r.status_code == 401
    assert codes(r) == ["not_authenticated"]


def test_screening_questions(as_vaccinator: Any, catalogue: Any) -> None:
    r = as_vaccinator.get("/api/v1/screening-questions", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 200
    rows = r.json()
    assert [q["order"] for q in rows] == sorted(q["order"] for q in rows)
    assert {q["code"]: q["yes_leads_to"] for q in rows}["anaphylaxis_history"] == "refer"


def test_screening_then_a_live_dose(as_vaccinator: Any, facility_a: Any, person: Any, all_no: Any, lot_a: Any) -> None:
    r = as_vaccinator.post_json(
        "/api/v1/screenings",
        {
            "person_id": str(person.public_id),
            "facility_id": str(facility_a.public_id),
            "answers": {**all_no, "pregnant": True},
        },
        HTTP_IDEMPOTENCY_KEY="s-1",
    )
    assert r.status_code == 201, r.content
    screening = r.json()
    assert (screening["outcome"], screening["reasons"]) == ("precaution", ["pregnant"])
    r = as_vaccinator.post_json(
        "/api/v1/doses",
        dose_body(person, facility_a, source="live", screening_id=screening["id"]),
        HTTP_IDEMPOTENCY_KEY="d-1",
    )
    assert r.status_code == 201, r.content
    dose = r.json()
    assert (dose["dose_number"], dose["source"], dose["status"], dose["screening_id"]) == (
        1,
        "live",
        "valid",
        screening["id"],
    )


def test_screening_of_an_incomplete_record_is_refused(as_vaccinator: Any, facility_a: Any, all_no: Any) -> None:
    person = f.incomplete_person()
    r = as_vaccinator.post_json(
        "/api/v1/screenings",
        {"person_id": str(person.public_id), "facility_id": str(facility_a.public_id), "answers": all_no},
        HTTP_IDEMPOTENCY_KEY="s-2",
    )
    assert r.status_code == 422
    assert codes(r) == ["person_data_incomplete"]
    assert r.json()["missing"] == ["phone", "ward_code"]


def test_screening_with_missing_answers(as_vaccinator: Any, facility_a: Any, person: Any, catalogue: Any) -> None:
    r = as_vaccinator.post_json(
        "/api/v1/screenings",
        {"person_id": str(person.public_id), "facility_id": str(facility_a.public_id), "answers": {"fever": False}},
        HTTP_IDEMPOTENCY_KEY="s-3",
    )
    assert codes(r) == ["screening_answers_missing"]


# Doses and idempotency ---------------------------------------------------------------------------------------------


def test_record_a_dose(as_vaccinator: Any, facility_a: Any, person: Any, lot_a: Any) -> None:
    r = as_vaccinator.post_json("/api/v1/doses", dose_body(person, facility_a), HTTP_IDEMPOTENCY_KEY="k1")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["dose_number"] == 1 and body["lot_number"] == "FK1234" and body["vaccine_code"] == COMIRNATY
    assert body["id"] == str(Dose.objects.get().public_id)
    assert "pk" not in body and not str(body["id"]).isdigit()


def test_the_same_key_and_body_replays_the_first_answer(
    as_vaccinator: Any, facility_a: Any, person: Any, lot_a: Any
) -> None:
    body = dose_body(person, facility_a)
    first = as_vaccinator.post_json("/api/v1/doses", body, HTTP_IDEMPOTENCY_KEY="k1")
    again = as_vaccinator.post_json("/api/v1/doses", body, HTTP_IDEMPOTENCY_KEY="k1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json()
    assert Dose.objects.count() == 1
    assert stock_on_hand(facility_id=facility_a.pk, lot_id=lot_a.pk) == 99


def test_the_same_key_with_another_body_is_a_conflict(
    as_vaccinator: Any, facility_a: Any, person: Any, lot_a: Any
) -> None:
    as_vaccinator.post_json("/api/v1/doses", dose_body(person, facility_a), HTTP_IDEMPOTENCY_KEY="k1")
    r = as_vaccinator.post_json("/api/v1/doses", dose_body(f.PersonFactory(), facility_a), HTTP_IDEMPOTENCY_KEY="k1")
    assert r.status_code == 409
    assert codes(r) == ["idempotency_key_reused"]
    assert Dose.objects.count() == 1


def test_a_refusal_is_replayed_too(as_vaccinator: Any, facility_a: Any, person: Any, lot_a: Any) -> None:
    body = dose_body(person, facility_a, source="live")
    first = as_vaccinator.post_json("/api/v1/doses", body, HTTP_IDEMPOTENCY_KEY="k2")
    assert codes(first) == ["screening_required"]
    again = as_vaccinator.post_json("/api/v1/doses", body, HTTP_IDEMPOTENCY_KEY="k2")
    assert (again.status_code, again.json()) == (first.status_code, first.json())


def test_a_write_without_a_key_is_refused(as_vaccinator: Any, facility_a: Any, person: Any, lot_a: Any) -> None:
    r = as_vaccinator.post_json("/api/v1/doses", dose_body(person, facility_a))
    assert r.status_code == 400
    assert codes(r) == ["idempotency_key_required"]
    assert Dose.objects.count() == 0


@pytest.mark.parametrize(
    ("over", "status", "code"),
    [
        ({"lot_number": "NOPE"}, 404, "lot_not_found"),
        ({"vaccine_code": "NOPE"}, 404, "vaccine_not_found"),
        ({"vaccine_code": SPIKEVAX}, 422, "lot_vaccine_mismatch"),
        ({"person_id": "00000000-0000-0000-0000-000000000000"}, 404, "person_not_found"),
        ({"administered_at": "2099-01-01T10:00:00+07:00"}, 422, "administered_in_future"),
    ],
)
def test_dose_refusals_have_the_error_shape(
    as_vaccinator: Any, facility_a: Any, person: Any, lot_a: Any, over: dict[str, str], status: int, code: str
) -> None:
    r = as_vaccinator.post_json("/api/v1/doses", dose_body(person, facility_a, **over), HTTP_IDEMPOTENCY_KEY="kx")
    assert r.status_code == status
    assert codes(r) == [code]


def test_lot_of_another_vaccine_by_api(
    as_vaccinator: Any, facility_a: Any, person: Any, lot_a: Any, catalogue: Any
) -> None:
    f.LotFactory(vaccine=catalogue[SPIKEVAX], number="MOD-1")
    r = as_vaccinator.post_json(
        "/api/v1/doses", dose_body(person, facility_a, lot_number="MOD-1"), HTTP_IDEMPOTENCY_KEY="km"
    )
    assert codes(r) == ["lot_vaccine_mismatch"]


def test_dose_with_a_malformed_body(as_vaccinator: Any, facility_a: Any, person: Any, lot_a: Any) -> None:
    r = as_vaccinator.post_json(
        "/api/v1/doses", dose_body(person, facility_a, source="telepathy"), HTTP_IDEMPOTENCY_KEY="kz"
    )
    assert r.status_code == 422
    assert codes(r)[0].startswith("invalid_")


def test_void_and_history(as_vaccinator: Any, api: Any, clerk_a: Any, facility_a: Any, person: Any, lot_a: Any) -> None:
    created = as_vaccinator.post_json(
        "/api/v1/doses",
        dose_body(person, facility_a, administered_at=(timezone.now() - timedelta(days=30)).isoformat()),
        HTTP_IDEMPOTENCY_KEY="k1",
    ).json()
    as_vaccinator.post_json("/api/v1/doses", dose_body(person, facility_a), HTTP_IDEMPOTENCY_KEY="k2")
    clerk = api.as_user(clerk_a)
    latest = Dose.objects.get(dose_number=2)
    r = clerk.post_json(f"/api/v1/doses/{latest.public_id}/void", {"reason": "typo"}, HTTP_IDEMPOTENCY_KEY="v2")
    assert r.status_code == 200 and r.json()["status"] == "voided"
    history = clerk.get(f"/api/v1/persons/{person.public_id}/doses").json()
    assert [(d["dose_number"], d["status"]) for d in history] == [(1, "valid"), (2, "voided")]
    # An earlier dose is voided as well; nothing valid is left after it to renumber here.
    r = clerk.post_json(f"/api/v1/doses/{created['id']}/void", {"reason": "typo"}, HTTP_IDEMPOTENCY_KEY="v1")
    assert r.status_code == 200 and r.json()["status"] == "voided"


def test_void_of_another_facilitys_dose(
    as_vaccinator: Any, api: Any, clerk_b: Any, facility_a: Any, person: Any, lot_a: Any
) -> None:
    created = as_vaccinator.post_json("/api/v1/doses", dose_body(person, facility_a), HTTP_IDEMPOTENCY_KEY="k1").json()
    r = api.as_user(clerk_b).post_json(f"/api/v1/doses/{created['id']}/void", {"reason": "x"}, HTTP_IDEMPOTENCY_KEY="v")
    assert r.status_code == 403
    assert codes(r) == ["facility_forbidden"]


# The batch --------------------------------------------------------------------------------------------------------


def test_batch_items_that_name_nothing_known_are_refused_one_by_one(
    as_vaccinator: Any, facility_a: Any, lot_a: Any, catalogue: Any
) -> None:
    """Malformed and unknown persons and facilities, a lot of another vaccine: each its own refusal,
    read with the others in the batch's single look-up, the good item recorded."""
    import uuid

    person = f.PersonFactory()
    items = [
        {"idempotency_key": "n1", **dose_body(person, facility_a, person_id="not-a-uuid")},
        {"idempotency_key": "n2", **dose_body(person, facility_a, person_id=str(uuid.uuid4()))},
        {"idempotency_key": "n3", **dose_body(person, facility_a, facility_id=str(uuid.uuid4()))},
        {"idempotency_key": "n4", **dose_body(person, facility_a, facility_id="nope")},
        {"idempotency_key": "n5", **dose_body(person, facility_a, vaccine_code=SPIKEVAX)},
        {"idempotency_key": "n6", **dose_body(person, facility_a, lot_number=" fk1234 ")},
    ]
    r = as_vaccinator.post_json("/api/v1/doses/batch", {"items": items})
    assert r.status_code == 200, r.content
    results = r.json()["results"]
    assert [(x["status"], x["errors"][0]["code"] if "errors" in x else None) for x in results] == [
        (404, "person_not_found"),
        (404, "person_not_found"),
        (404, "facility_not_found"),
        (404, "facility_not_found"),
        (422, "lot_vaccine_mismatch"),
        (201, None),
    ]
    assert Dose.objects.filter(person=person).count() == 1


def test_batch_items_succeed_or_fail_on_their_own(
    as_vaccinator: Any, facility_a: Any, facility_b: Any, lot_a: Any, catalogue: Any
) -> None:
    people = [f.PersonFactory() for _ in range(4)]
    incomplete = f.incomplete_person()
    items = [
        {"idempotency_key": "b1", **dose_body(people[0], facility_a)},
        {"idempotency_key": "b2", **dose_body(people[1], facility_a)},
        {"idempotency_key": "b3", **dose_body(incomplete, facility_a)},
        {"idempotency_key": "b4", **dose_body(people[2], facility_b)},
        {"idempotency_key": "b5", **dose_body(people[0], facility_a)},  # the same person again
        {"idempotency_key": "b6", **dose_body(people[3], facility_a, lot_number="NOPE")},
        {"idempotency_key": "", **dose_body(people[3], facility_a)},
    ]
    items.insert(6, dict(items[0]))  # a repeated item: replayed
    r = as_vaccinator.post_json("/api/v1/doses/batch", {"items": items})
    assert r.status_code == 200, r.content
    body = r.json()
    results = body["results"]
    assert [x["status"] for x in results] == [201, 201, 422, 403, 409, 404, 201, 400]
    assert [x["errors"][0]["code"] for x in results if x["status"] >= 300] == [
        "person_data_incomplete",
        "facility_forbidden",
        "dose_duplicate",
        "lot_not_found",
        "idempotency_key_required",
    ]
    assert results[6]["dose"] == results[0]["dose"]
    assert (body["created"], body["refused"]) == (2, 5)  # the repeated item's dose counts once
    assert Dose.objects.count() == 2
    assert stock_on_hand(facility_id=facility_a.pk, lot_id=lot_a.pk) == 98
    assert AuditEvent.objects.filter(action="clinic.dose.recorded").count() == 2
    assert IdempotencyRecord.objects.filter(scope="clinic.dose.record").count() == 6

    # The same batch again replays every item, and a single POST with one of its keys too.
    again = as_vaccinator.post_json("/api/v1/doses/batch", {"items": items}).json()
    assert again["results"] == results
    b2 = {k: v for k, v in items[1].items() if k != "idempotency_key"}
    single = as_vaccinator.post_json("/api/v1/doses", b2, HTTP_IDEMPOTENCY_KEY="b2")
    assert single.status_code == 201 and single.json() == results[1]["dose"]
    assert Dose.objects.count() == 2


def test_batch_stock_runs_out_in_order(as_vaccinator: Any, facility_a: Any, comirnaty: Any) -> None:
    lot = f.LotFactory(vaccine=comirnaty, number="SMALL")
    f.stock(facility_a, lot, 2)
    items = [
        {"idempotency_key": f"s{i}", **dose_body(f.PersonFactory(), facility_a, lot_number="SMALL")} for i in range(4)
    ]
    results = as_vaccinator.post_json("/api/v1/doses/batch", {"items": items}).json()["results"]
    assert [x["status"] for x in results] == [201, 201, 409, 409]
    assert {x["errors"][0]["code"] for x in results[2:]} == {"out_of_stock"}
    assert stock_on_hand(facility_id=facility_a.pk, lot_id=lot.pk) == 0


def test_batch_key_reused_with_another_body(as_vaccinator: Any, facility_a: Any, person: Any, lot_a: Any) -> None:
    as_vaccinator.post_json("/api/v1/doses", dose_body(person, facility_a), HTTP_IDEMPOTENCY_KEY="x1")
    other = {"idempotency_key": "x1", **dose_body(f.PersonFactory(), facility_a)}
    results = as_vaccinator.post_json("/api/v1/doses/batch", {"items": [other]}).json()["results"]
    assert (results[0]["status"], results[0]["errors"][0]["code"]) == (409, "idempotency_key_reused")


def test_batch_too_large(as_vaccinator: Any, facility_a: Any, person: Any) -> None:
    item = {"idempotency_key": "x", **dose_body(person, facility_a)}
    r = as_vaccinator.post_json("/api/v1/doses/batch", {"items": [item] * 1001})
    assert codes(r) == ["batch_too_large"]


def test_batch_live_doses_follow_their_screenings(as_vaccinator: Any, facility_a: Any, lot_a: Any, screen: Any) -> None:
    ok, postponed = f.PersonFactory(), f.PersonFactory()
    items = [
        {"idempotency_key": "l1", **dose_body(ok, facility_a, source="live", screening_id=str(screen(ok).public_id))},
        {
            "idempotency_key": "l2",
            **dose_body(
                postponed, facility_a, source="live", screening_id=str(screen(postponed, fever=True).public_id)
            ),
        },
        {"idempotency_key": "l3", **dose_body(f.PersonFactory(), facility_a, source="live")},
    ]
    results = as_vaccinator.post_json("/api/v1/doses/batch", {"items": items}).json()["results"]
    assert [x["status"] for x in results] == [201, 422, 422]
    assert [x["errors"][0]["code"] for x in results[1:]] == ["screening_not_eligible", "screening_required"]


# Adverse events, stock, sessions, catalogue ---------------------------------------------------------------------------


def test_adverse_events(
    as_vaccinator: Any, api: Any, officer: Any, clerk_b: Any, facility_a: Any, person: Any, lot_a: Any
) -> None:
    dose = as_vaccinator.post_json("/api/v1/doses", dose_body(person, facility_a), HTTP_IDEMPOTENCY_KEY="k1").json()
    r = as_vaccinator.post_json(
        "/api/v1/adverse-events",
        {"dose_id": dose["id"], "onset_at": timezone.now().isoformat(), "symptoms": "sốc phản vệ", "serious": True},
        HTTP_IDEMPOTENCY_KEY="ae1",
    )
    assert r.status_code == 201, r.content
    listed = api.as_user(officer).get("/api/v1/adverse-events?serious=true").json()
    assert [e["id"] for e in listed] == [r.json()["id"]]
    assert api.as_user(clerk_b).get("/api/v1/adverse-events?serious=true").json() == []


def test_sessions_and_invitations(
    api: Any, clerk_a: Any, facility_a: Any, comirnaty: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = api.as_user(clerk_a)
    r = client.post_json(
        "/api/v1/sessions",
        {
            "facility_id": str(facility_a.public_id),
            "date": timezone.localdate().isoformat(),
            "starts_at": "07:30",
            "ends_at": "11:30",
            "vaccine_code": COMIRNATY,
            "capacity": 2,
        },
        HTTP_IDEMPOTENCY_KEY="sess-1",
    )
    assert r.status_code == 201, r.content
    session_id = r.json()["id"]
    people = [f.PersonFactory() for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post_json(
            f"/api/v1/sessions/{session_id}/appointments",
            {"person_ids": [str(p.public_id) for p in people[:2]]},
            HTTP_IDEMPOTENCY_KEY="inv-1",
        )
    assert r.status_code == 201, r.content
    assert r.json()["invited"] == 2
    assert SentMessage.objects.count() == 2
    r = client.post_json(
        f"/api/v1/sessions/{session_id}/appointments",
        {"person_ids": [str(people[2].public_id)]},
        HTTP_IDEMPOTENCY_KEY="inv-2",
    )
    assert r.status_code == 409 and codes(r) == ["session_full"]
    detail = client.get(f"/api/v1/sessions/{session_id}").json()
    assert (detail["capacity"], detail["booked"]) == (2, 2)
    assert len(client.get(f"/api/v1/sessions/{session_id}/appointments").json()) == 2
    assert [s["id"] for s in client.get("/api/v1/sessions").json()] == [session_id]


def test_sessions_are_scoped(api: Any, clerk_b: Any, facility_a: Any, comirnaty: Any) -> None:
    session = f.SessionFactory(facility=facility_a, vaccine=comirnaty)
    client = api.as_user(clerk_b)
    assert client.get("/api/v1/sessions").json() == []
    r = client.get(f"/api/v1/sessions/{session.public_id}")
    assert r.status_code == 404 and codes(r) == ["session_not_found"]


def test_observation(as_vaccinator: Any, facility_a: Any, give: Any, person: Any) -> None:
    give(person)
    rows = as_vaccinator.get(f"/api/v1/facilities/{facility_a.public_id}/observation").json()
    assert [row["person_id"] for row in rows] == [str(person.public_id)]


# Found by the audit of the sixth session ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "code"),
    [
        ("0001-01-01T00:00:00+14:00", "administered_before_birth"),
        ("9999-12-31T23:00:00-12:00", "administered_in_future"),
    ],
)
def test_a_time_at_the_edge_of_the_calendar_is_refused_not_a_crash(
    as_vaccinator: Any, facility_a: Any, person: Any, lot_a: Any, at: str, code: str
) -> None:
    r = as_vaccinator.post_json(
        "/api/v1/doses", dose_body(person, facility_a, administered_at=at), HTTP_IDEMPOTENCY_KEY="e1"
    )
    assert r.status_code == 422 and codes(r) == [code]
    items = [
        {"idempotency_key": "e2", **dose_body(person, facility_a, administered_at=at)},
        {"idempotency_key": "e3", **dose_body(person, facility_a)},
    ]
    r = as_vaccinator.post_json("/api/v1/doses/batch", {"items": items})
    assert r.status_code == 200, r.content
    results = r.json()["results"]
    assert [x["status"] for x in results] == [422, 201]
    assert results[0]["errors"][0]["code"] == code


def test_an_invitation_of_an_empty_or_malformed_id_is_refused(
    api: Any, clerk_a: Any, facility_a: Any, comirnaty: Any
) -> None:
    session = f.SessionFactory(facility=facility_a, vaccine=comirnaty)
    known = f.PersonFactory()
    r = api.as_user(clerk_a).post_json(
        f"/api/v1/sessions/{session.public_id}/appointments",
        {"person_ids": [str(known.public_id), "", "nope"]},
        HTTP_IDEMPOTENCY_KEY="inv-bad",
    )
    assert r.status_code == 404 and codes(r) == ["person_not_found"]
    assert r.json()["errors"][0]["field"] == "person_ids"
    assert (r.json()["unknown"], r.json()["unknown_count"]) == (["", "nope"], 2)
    assert not Appointment.objects.exists()
    import uuid

    many = [str(uuid.uuid4()) for _ in range(2000)]
    r = api.as_user(clerk_a).post_json(
        f"/api/v1/sessions/{session.public_id}/appointments", {"person_ids": many}, HTTP_IDEMPOTENCY_KEY="inv-many"
    )
    assert (len(r.json()["unknown"]), r.json()["unknown_count"]) == (50, 2000)  # a short answer


@pytest.mark.parametrize("capacity", [0, 100_001, 2**31, 10**30])
def test_a_session_capacity_out_of_bounds_is_refused(
    api: Any, clerk_a: Any, facility_a: Any, comirnaty: Any, capacity: int
) -> None:
    body = {
        "facility_id": str(facility_a.public_id),
        "date": timezone.localdate().isoformat(),
        "starts_at": "07:30",
        "ends_at": "11:30",
        "vaccine_code": COMIRNATY,
        "capacity": capacity,
    }
    r = api.as_user(clerk_a).post_json("/api/v1/sessions", body, HTTP_IDEMPOTENCY_KEY=f"cap-{capacity}")
    assert r.status_code == 422, r.content
    assert codes(r) == ["capacity_invalid"] or r.json()["errors"][0]["field"] == "capacity"


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "field"),
    [
        ("07:30:00+07:00", "11:30", "starts_at"),
        ("07:30", "11:30:00Z", "ends_at"),
        ("07:30+07:00", "11:30Z", "starts_at"),
    ],
)
def test_a_session_time_with_an_offset_is_refused(
    api: Any, clerk_a: Any, facility_a: Any, comirnaty: Any, starts_at: str, ends_at: str, field: str
) -> None:
    """A session's times are the facility's wall-clock times: an offset would be dropped by the column
    (11:00Z stored as 11:00, not 18:00), or fail to compare with a time without one; refused, naming it."""
    body = {
        "facility_id": str(facility_a.public_id),
        "date": timezone.localdate().isoformat(),
        "starts_at": starts_at,
        "ends_at": ends_at,
        "vaccine_code": COMIRNATY,
        "capacity": 10,
    }
    r = api.as_user(clerk_a).post_json("/api/v1/sessions", body, HTTP_IDEMPOTENCY_KEY=f"tz-{starts_at}-{ends_at}")
    assert r.status_code == 422, r.content
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [(field, "session_time_has_offset")]
    assert not Session.objects.exists()


def test_a_later_screening_of_the_day_replaces_an_earlier_one(
    as_vaccinator: Any, facility_a: Any, lot_a: Any, screen: Any
) -> None:
    """Eligible in the morning, a fever at a second look: the morning's screening no longer admits a dose,
    through either door; the latest one decides."""
    person, other = f.PersonFactory(), f.PersonFactory()
    morning, later = screen(person), screen(person, fever=True)
    body = dose_body(person, facility_a, source="live", screening_id=str(morning.public_id))
    r = as_vaccinator.post_json("/api/v1/doses", body, HTTP_IDEMPOTENCY_KEY="sup-1")
    assert r.status_code == 422 and codes(r) == ["screening_superseded"]
    r = as_vaccinator.post_json(
        "/api/v1/doses", {**body, "screening_id": str(later.public_id)}, HTTP_IDEMPOTENCY_KEY="sup-2"
    )
    assert codes(r) == ["screening_not_eligible"]
    first, second = screen(other, fever=True), screen(other)
    items = [
        {"idempotency_key": "sup-3", **dose_body(other, facility_a, source="live", screening_id=str(first.public_id))},
        {"idempotency_key": "sup-4", **body},
        {"idempotency_key": "sup-5", **dose_body(other, facility_a, source="live", screening_id=str(second.public_id))},
    ]
    results = as_vaccinator.post_json("/api/v1/doses/batch", {"items": items}).json()["results"]
    assert [x["status"] for x in results] == [422, 422, 201]
    assert [x["errors"][0]["code"] for x in results[:2]] == ["screening_not_eligible", "screening_superseded"]
    assert list(Dose.objects.values_list("person_id", flat=True)) == [other.pk]


def test_a_merged_record_stands_for_its_survivor_and_its_doses_count(
    api: Any, as_vaccinator: Any, clerk_a: Any, facility_a: Any, lot_a: Any
) -> None:
    from vaxbook.registry.services import person_merge

    survivor, duplicate = f.PersonFactory(), f.PersonFactory()
    five_days_ago = (timezone.now() - timedelta(days=5)).isoformat()
    r = as_vaccinator.post_json(
        "/api/v1/doses", dose_body(duplicate, facility_a, administered_at=five_days_ago), HTTP_IDEMPOTENCY_KEY="m1"
    )
    assert r.status_code == 201, r.content
    person_merge(actor=clerk_a, duplicate=duplicate, into=survivor)
    # The duplicate's dose is the survivor's history: shown, and counted by the rules.
    shown = as_vaccinator.get(f"/api/v1/persons/{survivor.public_id}/doses").json()
    assert [d["id"] for d in shown] == [r.json()["id"]]
    checkin = as_vaccinator.post_json(
        "/api/v1/checkins", {"facility_id": str(facility_a.public_id), "person_id": str(survivor.public_id)}
    ).json()
    assert (checkin["next_dose"]["number"], checkin["next_dose"]["due_now"], checkin["doses_given"]) == (2, False, 1)
    r = as_vaccinator.post_json("/api/v1/doses", dose_body(survivor, facility_a), HTTP_IDEMPOTENCY_KEY="m2")
    assert codes(r) == ["dose_too_soon"]
    # Both doors follow the merge to the survivor.
    items = [{"idempotency_key": "m3", **dose_body(duplicate, facility_a)}]
    results = as_vaccinator.post_json("/api/v1/doses/batch", {"items": items}).json()["results"]
    assert results[0]["errors"][0]["code"] == "dose_too_soon"
    r = as_vaccinator.post_json("/api/v1/doses", dose_body(duplicate, facility_a), HTTP_IDEMPOTENCY_KEY="m4")
    assert codes(r) == ["dose_too_soon"]
    assert Dose.objects.count() == 1


def test_merges_stay_one_level_deep(clerk_a: Any) -> None:
    from vaxbook.common.errors import DomainError
    from vaxbook.registry.models import Person
    from vaxbook.registry.services import person_merge

    a, b, c = f.PersonFactory(), f.PersonFactory(), f.PersonFactory()
    person_merge(actor=clerk_a, duplicate=a, into=b)
    person_merge(actor=clerk_a, duplicate=b, into=c)
    assert Person.objects.get(pk=a.pk).merged_into_id == c.pk
    with pytest.raises(DomainError) as exc:
        person_merge(actor=clerk_a, duplicate=f.PersonFactory(), into=Person.objects.get(pk=b.pk))
    assert exc.value.codes == ["merge_into_merged"]


def test_a_withdrawn_vaccine_is_back_entered_not_given(
    as_vaccinator: Any, facility_a: Any, lot_a: Any, screen: Any, comirnaty: Any
) -> None:
    comirnaty.active = False
    comirnaty.save(update_fields=["active"])
    person = f.PersonFactory()
    live = dose_body(person, facility_a, source="live", screening_id=str(screen(person).public_id))
    r = as_vaccinator.post_json("/api/v1/doses", live, HTTP_IDEMPOTENCY_KEY="w1")
    assert r.status_code == 422 and codes(r) == ["vaccine_withdrawn"]
    assert r.json()["errors"][0]["field"] == "vaccine_code"
    r = as_vaccinator.post_json("/api/v1/doses", dose_body(person, facility_a), HTTP_IDEMPOTENCY_KEY="w2")
    assert r.status_code == 201, r.content


def test_a_batch_knows_a_vaccine_added_since_its_process_read_the_catalogue(
    as_vaccinator: Any, facility_a: Any, person: Any, lot_a: Any
) -> None:
    from vaxbook.vaccines.selectors import vaccine_catalogue

    # This process's cache, filled before the vaccine exists (another process adds it): the batch's look-up
    # of the lot finds a vaccine it does not know and reads the catalogue again (vaccine_by_pk).
    vaccine_catalogue()
    added = f.VaccineFactory(code="LOCAL-NEW-1", name="New vaccine")
    f.stock(facility_a, f.LotFactory(vaccine=added, number="NEW1"), 10)
    items = [{"idempotency_key": "cat-1", **dose_body(person, facility_a, vaccine_code=added.code, lot_number="NEW1")}]
    results = as_vaccinator.post_json("/api/v1/doses/batch", {"items": items}).json()["results"]
    assert results[0]["status"] == 201, results


def test_an_idempotency_key_with_a_control_character_is_refused(
    api: Any, vaccinator_a: Any, facility_a: Any, person: Any, lot_a: Any
) -> None:
    body = dose_body(person, facility_a)
    client = api.as_user(vaccinator_a)
    r = client.post_json("/api/v1/doses", body, HTTP_IDEMPOTENCY_KEY="a\x00b")
    assert (r.status_code, codes(r)) == (400, ["idempotency_key_invalid"])
    assert r.json()["errors"][0]["field"] == "Idempotency-Key"
    assert client.post_json("/api/v1/doses", body, HTTP_IDEMPOTENCY_KEY="k-1").status_code == 201


def test_a_batch_counts_each_dose_once(api: Any, vaccinator_a: Any, facility_a: Any, person: Any, lot_a: Any) -> None:
    item = {"idempotency_key": "same", **dose_body(person, facility_a)}
    body = api.as_user(vaccinator_a).post_json("/api/v1/doses/batch", {"items": [item, item]}).json()
    assert [x["status"] for x in body["results"]] == [201, 201]
    assert body["results"][0]["dose"]["id"] == body["results"][1]["dose"]["id"]
    assert (body["created"], body["refused"]) == (1, 0)


def test_a_batch_of_paper_doses_enters_one_dated_before_a_recorded_dose(
    as_vaccinator: Any, facility_a: Any, lot_a: Any
) -> None:
    """A clinic's paper backlog, entered after the person's next dose was recorded: the batch gives the
    paper dose its place (dose 1) and renumbers the later one, as POST /doses does; the same batch again
    replays, and nothing moves twice."""
    person, other = f.PersonFactory(), f.PersonFactory()
    ago = lambda days: (timezone.now() - timedelta(days=days)).isoformat()  # noqa: E731
    recorded = as_vaccinator.post_json(
        "/api/v1/doses", dose_body(person, facility_a, administered_at=ago(30)), HTTP_IDEMPOTENCY_KEY="p0"
    ).json()
    assert recorded["dose_number"] == 1
    items = [
        {"idempotency_key": "p1", **dose_body(person, facility_a, administered_at=ago(60))},
        {"idempotency_key": "p2", **dose_body(other, facility_a, administered_at=ago(60))},
    ]
    body = as_vaccinator.post_json("/api/v1/doses/batch", {"items": items}).json()
    assert [x["status"] for x in body["results"]] == [201, 201], body
    assert [x["dose"]["dose_number"] for x in body["results"]] == [1, 1]
    assert (body["created"], body["refused"]) == (2, 0)
    numbers = list(Dose.objects.filter(person=person).order_by("administered_on").values_list("dose_number", flat=True))
    assert numbers == [1, 2]
    again = as_vaccinator.post_json("/api/v1/doses/batch", {"items": items}).json()
    assert again["results"] == body["results"]
    assert Dose.objects.count() == 3 and stock_on_hand(facility_id=facility_a.pk, lot_id=lot_a.pk) == 97
    # The batch's line and the deferred item's (recorded one by one) each take the next place in the ledger.
    ledger = StockMovement.objects.filter(facility=facility_a, lot=lot_a).order_by("sequence")
    assert list(ledger.values_list("sequence", "balance")) == [(1, 100), (2, 99), (3, 98), (4, 97)]

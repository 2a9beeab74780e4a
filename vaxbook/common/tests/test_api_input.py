"""The API's edge: characters no column can store, texts longer than their column, validation messages in
the user's language, bodies too large or not JSON. Every refusal is the API's error shape, never a 500."""

import json
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, get_args

import pytest
from django.http import QueryDict
from django.test import Client, RequestFactory, override_settings
from django.utils import timezone, translation
from pydantic import BaseModel, TypeAdapter, ValidationError

from vaxbook.clinic.models import AdverseEvent, Dose, Screening, Session
from vaxbook.clinic.tests.fixtures import *  # noqa: F403
from vaxbook.clinic.tests.fixtures import COMIRNATY
from vaxbook.common.apierrors import MESSAGES, validation_message
from vaxbook.common.apiparser import ApiParser, bad_character_fields
from vaxbook.common.errors import DomainError
from vaxbook.registry.models import Household, Person
from vaxbook.vaccines.models import Lot, StockMovement

pytestmark = pytest.mark.django_db

NUL = "lot\u0000"
VI = {"HTTP_ACCEPT_LANGUAGE": "vi"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def errors(response: Any) -> list[dict[str, str]]:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    body = response.json()
    for e in body["errors"]:
        assert set(e) == {"field", "code", "message"}
    return body["errors"]


def the_error(response: Any) -> dict[str, str]:
    found = errors(response)
    assert len(found) == 1, found
    return found[0]


@pytest.fixture
def desk(api: Any, manager_a: Any) -> Any:
    """A facility manager of A: may record doses, receive lots and plan sessions."""
    client = api.as_user(manager_a)
    counter = iter(range(1_000_000))

    def post(path: str, body: Any, **extra: Any) -> Any:
        raw = body if isinstance(body, str) else json.dumps(body)
        return client.post_json(path, raw, HTTP_IDEMPOTENCY_KEY=f"key-{next(counter)}", **extra)

    client.post_keyed = post
    return client


def dose_body(person: Any, facility: Any, **over: Any) -> dict[str, Any]:
    return {
        "person_id": str(person.public_id),
        "facility_id": str(facility.public_id),
        "vaccine_code": COMIRNATY,
        "lot_number": "FK1234",
        "administered_at": (timezone.now() - timedelta(minutes=1)).isoformat(),
        "source": "back_entry",
        **over,
    }


def session_body(facility: Any, **over: Any) -> dict[str, Any]:
    return {
        "facility_id": str(facility.public_id),
        "date": (timezone.localdate() + timedelta(days=1)).isoformat(),
        "starts_at": "08:00",
        "ends_at": "11:00",
        "vaccine_code": COMIRNATY,
        "capacity": 10,
        **over,
    }


# 1. NUL (and lone surrogates) -----------------------------------------------------------------------------


def test_a_nul_in_a_dose_lot_number_is_refused_naming_the_field(
    desk: Any, facility_a: Any, person: Any, lot_a: Any
) -> None:
    r = desk.post_keyed("/api/v1/doses", dose_body(person, facility_a, lot_number=NUL), **VI)
    assert r.status_code == 422
    error = the_error(r)
    assert (error["field"], error["code"]) == ("lot_number", "invalid_character")
    assert "lot_number" in error["message"] and "ký tự không được phép" in error["message"]
    assert not Dose.objects.exists()


def test_the_refusal_is_in_english_for_an_english_client(desk: Any, facility_a: Any, person: Any, lot_a: Any) -> None:
    r = desk.post_keyed("/api/v1/doses", dose_body(person, facility_a, lot_number=NUL), **EN)
    assert r.status_code == 422
    assert "not allowed" in the_error(r)["message"]


def test_a_nul_in_a_batch_item_is_named_by_its_path(desk: Any, facility_a: Any, person: Any, lot_a: Any) -> None:
    items = [
        {**dose_body(person, facility_a), "idempotency_key": "one"},
        {**dose_body(person, facility_a, lot_number=NUL), "idempotency_key": "two\u0000"},
    ]
    r = desk.post_keyed("/api/v1/doses/batch", {"items": items})
    assert r.status_code == 422
    assert [(e["field"], e["code"]) for e in errors(r)] == [
        ("items.1.lot_number", "invalid_character"),
        ("items.1.idempotency_key", "invalid_character"),
    ]
    assert not Dose.objects.exists()  # the whole batch is refused at the edge, the valid item too


def test_a_nul_in_a_void_reason_is_refused(desk: Any, person: Any, give: Any) -> None:
    dose = give(person)
    r = desk.post_keyed(f"/api/v1/doses/{dose.public_id}/void", {"reason": "typo\u0000"})
    assert r.status_code == 422
    assert the_error(r)["field"] == "reason" and the_error(r)["code"] == "invalid_character"
    dose.refresh_from_db()
    assert dose.status == Dose.Status.VALID


def test_a_nul_in_adverse_event_symptoms_is_refused(desk: Any, person: Any, give: Any) -> None:
    dose = give(person)
    body = {"dose_id": str(dose.public_id), "onset_at": timezone.now().isoformat(), "symptoms": "sốt\u0000"}
    r = desk.post_keyed("/api/v1/adverse-events", body)
    assert r.status_code == 422
    assert (the_error(r)["field"], the_error(r)["code"]) == ("symptoms", "invalid_character")
    assert not AdverseEvent.objects.exists()


def test_a_nul_in_a_checkin_id_number_is_refused(desk: Any, facility_a: Any, person: Any) -> None:
    r = desk.post_json("/api/v1/checkins", {"facility_id": str(facility_a.public_id), "id_number": "0750\u00001"})
    assert r.status_code == 422
    assert (the_error(r)["field"], the_error(r)["code"]) == ("id_number", "invalid_character")


def test_a_nul_in_a_key_of_an_object_names_the_key(desk: Any, facility_a: Any, person: Any, all_no: Any) -> None:
    body = {"person_id": str(person.public_id), "facility_id": str(facility_a.public_id), "answers": {"a\u0000": True}}
    r = desk.post_keyed("/api/v1/screenings", body)
    assert r.status_code == 422
    assert (the_error(r)["field"], the_error(r)["code"]) == ("answers.a\\u0000", "invalid_character")
    assert not Screening.objects.exists()


def test_a_lone_surrogate_is_refused_like_a_nul(desk: Any, facility_a: Any, person: Any, lot_a: Any) -> None:
    raw = json.dumps(dose_body(person, facility_a, lot_number="FK1234")).replace("FK1234", "FK\\ud800")
    r = desk.post_keyed("/api/v1/doses", raw)
    assert r.status_code == 422
    assert (the_error(r)["field"], the_error(r)["code"]) == ("lot_number", "invalid_character")


def test_escapes_that_are_not_a_nul_are_accepted(desk: Any, person: Any, give: Any) -> None:
    """A backslash followed by "u0000" is text, and an escaped emoji is a surrogate pair: both are fine."""
    dose = give(person)
    reason = "nhập nhầm \\u0000 😀"
    raw = json.dumps({"reason": reason})  # ensure_ascii: Vietnamese and the emoji travel as \u escapes
    assert "\\\\u0000" in raw and "\\ud83d\\ude00" in raw
    r = desk.post_keyed(f"/api/v1/doses/{dose.public_id}/void", raw)
    assert r.status_code == 200, r.content
    assert r.json()["void_reason"] == reason


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/persons?q=a%00b",
        "/api/v1/persons?status=a%00b",
        "/api/v1/places/search?q=a%00b",
        "/api/v1/places/wards?province=a%00b",
        "/api/v1/sessions?facility_id=a%00b",
    ],
)
def test_a_nul_in_a_query_parameter_is_refused(desk: Any, path: str) -> None:
    r = desk.get(path, **VI)
    assert r.status_code == 422
    error = the_error(r)
    assert error["code"] == "invalid_character"
    assert error["field"] == path.split("?")[1].split("=")[0]


def test_a_nul_in_the_roster_status_filter_is_refused(api: Any, rep: Any, org: Any) -> None:
    r = api.as_user(rep).get(f"/api/v1/organizations/{org.public_id}/roster?status=%00")
    assert r.status_code == 422
    assert (the_error(r)["field"], the_error(r)["code"]) == ("status", "invalid_character")


def test_the_parser_refuses_a_nul_in_form_fields_and_their_names() -> None:
    """Multipart and urlencoded form fields go through the same parse_querydict as query strings."""
    request = RequestFactory().post("/api/v1/x")
    data = QueryDict(mutable=True)
    data.setlist("department", ["Kho", "K\u0000"])
    data["note\u0000"] = "x"
    data["fine"] = "ok"
    with pytest.raises(DomainError) as caught:
        ApiParser().parse_querydict(data, ["department"], request)
    assert [(e.field, e.code) for e in caught.value.errors] == [
        ("department", "invalid_character"),
        ("note\\u0000", "invalid_character"),
    ]
    fine = QueryDict("a=1&b=2&b=3")
    assert ApiParser().parse_querydict(fine, ["b"], request) == {"a": "1", "b": ["2", "3"]}


def test_bad_character_fields_walks_nested_json_in_document_order() -> None:
    data = {"a": ["x", {"b": "\u0000", "c": ["ok", "\ud800"]}], "d\u0000": {"e": "\u0000"}, "f": 1, "g": None}
    assert bad_character_fields(data) == ["a.1.b", "a.1.c.1", "d\\u0000"]
    assert bad_character_fields("\u0000") == ["body"]
    assert bad_character_fields({"name": "Nguyễn Văn A 😀"}) == []


def test_the_pages_forms_refuse_a_nul_with_a_form_error(
    client: Client, manager_a: Any, facility_a: Any, person: Any, give: Any
) -> None:
    """Django's CharField refuses a NUL (ProhibitNullCharactersValidator): the desk's forms answer with the
    form and its error, not a 500."""
    dose = give(person)
    client.force_login(manager_a)
    r = client.post(f"/clinic/{facility_a.public_id}/doses/{dose.public_id}/void/", {"reason": "x\u0000"})
    assert r.status_code == 422
    dose.refresh_from_db()
    assert dose.status == Dose.Status.VALID
    before = Person.objects.count()
    r = client.post(
        "/registry/persons/new/",
        {"full_name": "Nguyễn Văn\u0000 An", "date_of_birth": "01/01/1990", "sex": "M", "address_line": "x\u0000"},
    )
    assert r.status_code in (200, 422)
    assert "full_name" in r.context["form"].errors
    assert Person.objects.count() == before


# 2. Texts longer than their column ---------------------------------------------------------------------


def test_an_over_long_session_note_is_refused(desk: Any, facility_a: Any, comirnaty: Any) -> None:
    body = session_body(facility_a, note="x" * 300)
    r = desk.post_keyed("/api/v1/sessions", body, **VI)
    assert r.status_code == 422
    assert the_error(r) == {"field": "note", "code": "invalid_string_too_long", "message": "Tối đa 255 ký tự."}
    assert not Session.objects.exists()
    r = desk.post_keyed("/api/v1/sessions", {**body, "note": "x" * 255})
    assert r.status_code == 201, r.content


def test_an_over_long_screening_note_is_refused(desk: Any, facility_a: Any, person: Any, all_no: Any) -> None:
    body = {"person_id": str(person.public_id), "facility_id": str(facility_a.public_id), "answers": all_no}
    r = desk.post_keyed("/api/v1/screenings", {**body, "note": "x" * 400}, **EN)
    assert r.status_code == 422
    assert the_error(r) == {"field": "note", "code": "invalid_string_too_long", "message": "At most 255 characters."}
    assert not Screening.objects.exists()


@pytest.mark.parametrize(("field", "length", "limit"), [("lot_number", 60, 40), ("note", 300, 255)])
def test_an_over_long_lot_number_or_note_is_refused(
    desk: Any, facility_a: Any, comirnaty: Any, field: str, length: int, limit: int
) -> None:
    body = {"vaccine_code": COMIRNATY, "lot_number": "AB1", "expiry": "2027-12-01", "quantity": 5, field: "X" * length}
    r = desk.post_keyed(f"/api/v1/facilities/{facility_a.public_id}/lots", body, **EN)
    assert r.status_code == 422
    error = the_error(r)
    assert (error["field"], error["code"]) == (field, "invalid_string_too_long")
    assert error["message"] == f"At most {limit} characters."
    assert not Lot.objects.exists() and not StockMovement.objects.exists()


def test_over_long_texts_of_stock_voids_households_and_adverse_events_are_refused(
    desk: Any, facility_a: Any, facility_b: Any, person: Any, give: Any
) -> None:
    dose = give(person)
    fa = facility_a.public_id
    cases = [
        (
            f"/api/v1/facilities/{fa}/wastage",
            {"vaccine_code": COMIRNATY, "lot_number": "FK1234", "quantity": 1, "reason": "expired", "note": "x" * 256},
            "note",
        ),
        (
            f"/api/v1/facilities/{fa}/wastage",
            {"vaccine_code": COMIRNATY, "lot_number": "FK1234", "quantity": 1, "reason": "x" * 21},
            "reason",
        ),
        (
            f"/api/v1/facilities/{fa}/transfers",
            {
                "to_facility_id": str(facility_b.public_id),
                "vaccine_code": COMIRNATY,
                "lot_number": "FK1234",
                "quantity": 1,
                "note": "x" * 256,
            },
            "note",
        ),
        (f"/api/v1/doses/{dose.public_id}/void", {"reason": "x" * 256}, "reason"),
        (
            "/api/v1/adverse-events",
            {
                "dose_id": str(dose.public_id),
                "onset_at": timezone.now().isoformat(),
                "symptoms": "sốt",
                "outcome": "x" * 25,
            },
            "outcome",
        ),
        ("/api/v1/households", {"head_id": str(person.public_id), "address_line": "x" * 256}, "address_line"),
    ]
    for path, body, field in cases:
        r = desk.post_keyed(path, body)
        assert r.status_code == 422, (path, r.content)
        assert (the_error(r)["field"], the_error(r)["code"]) == (field, "invalid_string_too_long"), path
    assert not Household.objects.exists() and not AdverseEvent.objects.exists()
    assert Dose.objects.get().status == Dose.Status.VALID


def test_the_api_bounds_are_the_model_columns(client: Client) -> None:
    """The OpenAPI document shows each bound, and it is the column's: the two cannot drift."""
    schemas = client.get("/api/openapi.json").json()["components"]["schemas"]
    expected = {
        ("SessionIn", "note"): Session._meta.get_field("note").max_length,
        ("ScreeningIn", "note"): Screening._meta.get_field("note").max_length,
        ("LotReceiveIn", "lot_number"): Lot._meta.get_field("number").max_length,
        ("LotReceiveIn", "note"): StockMovement._meta.get_field("note").max_length,
        ("VoidIn", "reason"): Dose._meta.get_field("void_reason").max_length,
        ("DoseIn", "lot_number"): Lot._meta.get_field("number").max_length,
        ("HouseholdIn", "address_line"): Household._meta.get_field("address_line").max_length,
    }
    found = {key: schemas[key[0]]["properties"][key[1]].get("maxLength") for key in expected}
    assert found == expected


# 3. Validation messages in the user's language ------------------------------------------------------------


def test_a_missing_field_is_required_in_vietnamese_and_in_english(desk: Any) -> None:
    vi = desk.post_keyed("/api/v1/sessions", {}, **VI)
    en = desk.post_keyed("/api/v1/sessions", {}, **EN)
    assert vi.status_code == en.status_code == 422
    assert {e["code"] for e in errors(vi)} == {"required"}
    assert {e["message"] for e in errors(vi)} == {"Trường này là bắt buộc."}
    assert {e["message"] for e in errors(en)} == {"This field is required."}
    assert [e["field"] for e in errors(vi)] == [e["field"] for e in errors(en)]


@pytest.mark.parametrize(
    ("over", "field", "code", "message"),
    [
        (
            {"administered_at": "hôm qua"},
            "administered_at",
            "invalid_datetime_from_date_parsing",
            "Vui lòng nhập ngày và giờ (ISO 8601, ví dụ 2026-11-26T08:30:00+07:00).",
        ),
        (
            {"source": "fax"},
            "source",
            "invalid_literal_error",
            "Vui lòng chọn một trong các giá trị: 'live', 'back_entry'.",
        ),
        ({"lot_number": 12}, "lot_number", "invalid_string_type", "Vui lòng nhập văn bản (chuỗi ký tự)."),
    ],
)
def test_dose_validation_messages_are_translated(
    desk: Any, facility_a: Any, person: Any, over: dict[str, Any], field: str, code: str, message: str
) -> None:
    r = desk.post_keyed("/api/v1/doses", dose_body(person, facility_a, **over), **VI)
    assert r.status_code == 422
    assert the_error(r) == {"field": field, "code": code, "message": message}


@pytest.mark.parametrize(
    ("path", "field", "code", "message"),
    [
        ("/api/v1/persons?limit=abc", "limit", "invalid_int_parsing", "Vui lòng nhập một số nguyên."),
        ("/api/v1/adverse-events?serious=maybe", "serious", "invalid_bool_parsing", "Vui lòng nhập true hoặc false."),
        (
            "/api/v1/sessions?date_from=x",
            "date_from",
            "invalid_date_from_datetime_parsing",
            "Vui lòng nhập ngày (YYYY-MM-DD).",
        ),
        ("/api/v1/places/search?q=a&limit=0", "limit", "invalid_greater_than_equal", "Phải lớn hơn hoặc bằng 1."),
        ("/api/v1/places/search?q=a&limit=101", "limit", "invalid_less_than_equal", "Phải nhỏ hơn hoặc bằng 100."),
    ],
)
def test_query_validation_messages_are_translated(desk: Any, path: str, field: str, code: str, message: str) -> None:
    r = desk.get(path, **VI)
    assert r.status_code == 422
    assert the_error(r) == {"field": field, "code": code, "message": message}


def test_body_shape_messages_are_translated(desk: Any, facility_a: Any, person: Any) -> None:
    body = {"person_id": str(person.public_id), "facility_id": str(facility_a.public_id), "answers": "all no"}
    r = desk.post_keyed("/api/v1/screenings", body, **VI)
    assert the_error(r) == {
        "field": "answers",
        "code": "invalid_dict_type",
        "message": "Vui lòng nhập một đối tượng ({…}).",
    }
    r = desk.post_keyed("/api/v1/doses/batch", {"items": "none"}, **VI)
    assert the_error(r) == {
        "field": "items",
        "code": "invalid_list_type",
        "message": "Vui lòng nhập một danh sách ([…]).",
    }


def test_every_mapped_validation_message_has_a_vietnamese_translation() -> None:
    context = {"max_length": 5, "min_length": 1, "gt": 0, "ge": 1, "lt": 9, "le": 8, "expected": "'a' or 'b'"}
    for kind in MESSAGES:
        with translation.override("en"):
            english = validation_message(kind, context)
        with translation.override("vi"):
            vietnamese = validation_message(kind, context)
        assert vietnamese != english, kind
    with translation.override("vi"):
        assert validation_message("a_type_we_do_not_know") == "Giá trị không hợp lệ."
        assert validation_message("string_too_long", {}) == "Giá trị không hợp lệ."  # a context without its value


# 4. Bodies too large, not JSON, of another type --------------------------------------------------------


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2_000)
def test_a_body_over_the_upload_limit_is_a_json_413(desk: Any, facility_a: Any, person: Any) -> None:
    items = [{**dose_body(person, facility_a), "idempotency_key": f"k{i}"} for i in range(20)]
    r = desk.post_keyed("/api/v1/doses/batch", {"items": items}, **VI)
    assert r.status_code == 413
    error = the_error(r)
    assert (error["field"], error["code"]) == ("body", "request_too_large")
    assert error["message"] == "Yêu cầu quá lớn: tối đa 2,0\xa0KB (không tính các tệp đính kèm)."
    r = desk.post_keyed("/api/v1/doses/batch", {"items": items}, **EN)
    assert the_error(r)["message"] == "The request is too large: at most 2.0\xa0KB (files apart)."
    assert not Dose.objects.exists()


@override_settings(DATA_UPLOAD_MAX_NUMBER_FIELDS=5)
def test_a_query_with_too_many_fields_is_a_json_400(desk: Any) -> None:
    r = desk.get("/api/v1/persons?" + "&".join(f"x{i}=1" for i in range(10)))
    assert r.status_code == 400
    assert the_error(r)["code"] == "too_many_fields"


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        ('{"reason": "x"', "application/json"),
        ("reason=x", "application/x-www-form-urlencoded"),
        (b'{"reason": "\xff"}', "application/json"),
        ("[" * 100_000, "application/json"),
    ],
)
def test_a_body_that_is_not_json_is_a_json_400(
    desk: Any, person: Any, give: Any, raw: str | bytes, content_type: str
) -> None:
    dose = give(person)
    r = desk.post(
        f"/api/v1/doses/{dose.public_id}/void",
        data=raw,
        content_type=content_type,
        HTTP_IDEMPOTENCY_KEY="k",
        **VI,
    )
    assert r.status_code == 400
    assert the_error(r) == {
        "field": "body",
        "code": "invalid_json",
        "message": "Nội dung yêu cầu không phải là JSON hợp lệ.",
    }
    dose.refresh_from_db()
    assert dose.status == Dose.Status.VALID


def test_json_sent_as_text_plain_is_read_as_json(desk: Any, person: Any, give: Any) -> None:
    """The API reads the body as JSON whatever its Content-Type (ninja's parser): a client that forgets
    the header is served, not refused."""
    dose = give(person)
    r = desk.post(
        f"/api/v1/doses/{dose.public_id}/void",
        data='{"reason": "nhập nhầm"}',
        content_type="text/plain",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "voided"


@pytest.mark.parametrize("raw", ["[null, null]", "5", '"Nguyễn Văn A"', "null", "true", "[]"])
def test_a_body_that_is_not_an_object_is_refused_and_changes_nothing(desk: Any, person: Any, raw: str) -> None:
    """ninja reads a schema's fields from any value by name: a list or a number would pass for an object
    whose every field is missing, and a PATCH (every field optional) would answer 200 having done nothing."""
    before = Person.objects.get(pk=person.pk)
    r = desk.patch_json(f"/api/v1/persons/{person.public_id}", raw, **VI)
    assert r.status_code == 422
    assert the_error(r) == {
        "field": "body",
        "code": "invalid_dict_type",
        "message": "Vui lòng nhập một đối tượng ({…}).",
    }
    after = Person.objects.get(pk=person.pk)
    assert (after.version, after.updated_at) == (before.version, before.updated_at)
    r = desk.post_keyed("/api/v1/doses", raw, **EN)
    assert r.status_code == 422
    assert the_error(r) == {"field": "body", "code": "invalid_dict_type", "message": "Enter an object ({…})."}
    assert not Dose.objects.exists()


def test_an_empty_body_names_the_body_not_the_handlers_parameter(desk: Any) -> None:
    r = desk.post_json("/api/v1/persons", "", **EN)
    assert r.status_code == 422
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [("body", "required")]


# 5. Dates and times sent as numbers ---------------------------------------------------------------------


def _date_cases(facility: Any, person: Any, dose: Any) -> list[tuple[str, str, dict[str, Any], str]]:
    """(method, path, body, field) of every API input that is a date, a date and time or a time."""
    session = session_body(facility)
    new_person = {"full_name": "Trần Thị Bình", "date_of_birth": "1990-05-17", "sex": "F", "id_type": "none"}
    return [
        ("post", "/api/v1/persons", new_person, "date_of_birth"),
        (
            "patch",
            f"/api/v1/persons/{person.public_id}",
            {"date_of_birth": person.date_of_birth.isoformat()},
            "date_of_birth",
        ),
        ("post", "/api/v1/doses", dose_body(person, facility), "administered_at"),
        ("post", "/api/v1/sessions", session, "date"),
        ("post", "/api/v1/sessions", session, "starts_at"),
        ("post", "/api/v1/sessions", session, "ends_at"),
        (
            "post",
            "/api/v1/adverse-events",
            {"dose_id": str(dose.public_id), "onset_at": timezone.now().isoformat(), "symptoms": "sốt"},
            "onset_at",
        ),
        (
            "post",
            f"/api/v1/facilities/{facility.public_id}/lots",
            {"vaccine_code": COMIRNATY, "lot_number": "AB1", "expiry": "2027-12-01", "quantity": 5},
            "expiry",
        ),
    ]


@pytest.mark.parametrize(
    ("value", "suffix"),
    [(0, "type"), (46000, "type"), (1733300000.0, "type"), (True, "type"), ("86400", "parsing"), (" 0.5 ", "parsing")],
)
def test_a_date_or_time_sent_as_a_number_is_refused_naming_the_field(
    desk: Any, facility_a: Any, person: Any, give: Any, value: Any, suffix: str
) -> None:
    """pydantic would read a number (or a text of digits) as seconds since 1970 or since midnight: a birth
    date typed as a spreadsheet's serial day would register a person born in 1970. Each input refuses it
    with pydantic's own error type, so the code names the kind and the message the expected form."""
    dose = give(person)
    counts = (Person.objects.count(), Dose.objects.count(), Session.objects.count(), AdverseEvent.objects.count())
    dob = Person.objects.get(pk=person.pk).date_of_birth
    kinds = {"administered_at": "datetime", "onset_at": "datetime", "starts_at": "time", "ends_at": "time"}
    for method, path, body, field in _date_cases(facility_a, person, dose):
        kind = kinds.get(field, "date")
        raw = json.dumps({**body, field: value})
        r = desk.patch_json(path, raw, **VI) if method == "patch" else desk.post_keyed(path, raw, **VI)
        assert r.status_code == 422, (path, field, r.content)
        error = the_error(r)
        assert (error["field"], error["code"]) == (field, f"invalid_{kind}_{suffix}"), (path, error)
        assert error["message"] == validation_message(f"{kind}_{suffix}")
    assert (
        Person.objects.count(),
        Dose.objects.count(),
        Session.objects.count(),
        AdverseEvent.objects.count(),
    ) == counts
    assert Person.objects.get(pk=person.pk).date_of_birth == dob
    assert not Lot.objects.filter(number="AB1").exists()


def test_the_same_inputs_accept_their_iso_text(desk: Any, facility_a: Any, person: Any, give: Any) -> None:
    """The refusal above is of numbers only: each input takes its ISO 8601 text (the second dose of the
    day is then refused by the rules, for the person, not for its time)."""
    dose = give(person)
    for method, path, body, field in _date_cases(facility_a, person, dose):
        raw = json.dumps(body)
        r = desk.patch_json(path, raw) if method == "patch" else desk.post_keyed(path, raw)
        if path == "/api/v1/doses":
            assert r.status_code == 409
            assert the_error(r)["code"] == "dose_duplicate"
        else:
            assert r.status_code in (200, 201), (path, field, r.content)


def _date_inputs() -> list[tuple[str, str, Any]]:
    """(operation, field path, annotation) of every field, at any depth, of every API operation's input
    (body, query, path) whose type is or contains a date, a date and time or a time."""
    from config.api import api

    found: list[tuple[str, str, Any]] = []
    seen: set[type] = set()

    def walk(label: str, model: type[BaseModel], prefix: str) -> None:
        if model in seen:
            return
        seen.add(model)
        for name, info in model.model_fields.items():
            annotation = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
            for kind in _types_in(info.annotation):
                if kind in (date, datetime, time):
                    found.append((label, prefix + name, annotation))
                    break
                if isinstance(kind, type) and issubclass(kind, BaseModel):
                    walk(label, kind, f"{prefix}{name}.")

    for _prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for operation in view.operations:
                for model in operation.models:
                    walk(f"{'/'.join(operation.methods)} {path}", model, "")
    return found


def _types_in(annotation: Any) -> list[Any]:
    """`annotation` and every type inside it (the members of a union, a list's items, Annotated's type)."""
    out = [annotation]
    for arg in get_args(annotation):
        out += _types_in(arg)
    return out


def test_every_date_or_time_input_of_the_api_refuses_a_number() -> None:
    """The guard for the next field: a date, date and time or time input declared with the plain type
    would read 0 as 1 January 1970. Each must be an IsoDate, IsoDateTime or IsoTime (common/apifields.py),
    wherever it sits (a body, a query, an item of a list)."""
    inputs = _date_inputs()
    assert {field for _op, field, _a in inputs} >= {"payload.date_of_birth", "payload.administered_at", "date_to"}
    accepted = []
    for operation, field, annotation in inputs:
        try:
            TypeAdapter(annotation).validate_python(0)
        except ValidationError:
            continue
        accepted.append((operation, field))
    assert accepted == []


@pytest.mark.parametrize("value", ["0", "20261204", "1733300000"])
def test_a_date_filter_sent_as_a_number_is_refused(desk: Any, value: str) -> None:
    for name in ("date_from", "date_to"):
        r = desk.get(f"/api/v1/sessions?{name}={value}", **EN)
        assert r.status_code == 422
        assert the_error(r) == {"field": name, "code": "invalid_date_parsing", "message": "Enter a date (YYYY-MM-DD)."}
    r = desk.get("/api/v1/sessions?date_from=2026-01-01&date_to=2026-12-31")
    assert r.status_code == 200


def test_a_query_parameter_the_operation_does_not_take_is_refused_naming_it(desk: Any, facility_a: Any) -> None:
    # A misspelt filter would otherwise answer the unfiltered list as if it were filtered.
    response = desk.get("/api/v1/sessions", {"date_form": "2026-11-26"}, **EN)
    assert response.status_code == 422
    error = the_error(response)
    assert (error["field"], error["code"]) == ("date_form", "unknown_parameter")
    assert "date_from" in error["message"] and "date_to" in error["message"]  # it says which it takes
    vi = the_error(desk.get("/api/v1/sessions", {"date_form": "2026-11-26"}, **VI))
    assert vi["code"] == "unknown_parameter" and "tham số" in vi["message"]


def test_each_unknown_query_parameter_is_named_once_and_the_known_ones_pass(desk: Any) -> None:
    response = desk.get("/api/v1/persons?q=nguyen&x=1&x=2&=3&limit=5", **EN)
    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in errors(response)] == [
        ("x", "unknown_parameter"),
        ("", "unknown_parameter"),
    ]
    assert desk.get("/api/v1/persons?q=nguyen&limit=5", **EN).status_code == 200


def test_an_operation_without_query_parameters_refuses_any_and_says_so(desk: Any, person: Any) -> None:
    error = the_error(desk.get(f"/api/v1/persons/{person.public_id}/doses?page=2", **EN))
    assert (error["field"], error["code"]) == ("page", "unknown_parameter")
    assert "takes none" in error["message"]


def test_an_unknown_query_parameter_on_a_write_is_refused_and_nothing_is_written(
    desk: Any, facility_a: Any, person: Any, lot_a: Any
) -> None:
    response = desk.post_keyed("/api/v1/doses?dry_run=1", dose_body(person, facility_a))
    assert response.status_code == 422
    assert the_error(response)["field"] == "dry_run"
    assert not Dose.objects.exists()


def test_a_nul_in_an_unknown_query_parameter_name_is_escaped(desk: Any) -> None:
    error = the_error(desk.get("/api/v1/sessions?a%00b=1", **EN))
    assert (error["field"], error["code"]) == ("a\\u0000b", "unknown_parameter")


def test_sign_in_comes_before_the_query_check(client: Client) -> None:
    assert client.get("/api/v1/sessions?date_form=1").status_code == 401


@pytest.mark.parametrize(
    ("path", "maximum"),
    [
        ("/api/v1/persons", 100),
        ("/api/v1/sessions", 1000),
        ("/api/v1/adverse-events", 1000),
        ("/api/v1/places/search?q=ab&", 100),
    ],
)
def test_a_limit_out_of_its_bounds_is_refused_never_cut_down(desk: Any, path: str, maximum: int) -> None:
    """A client paging by `offset += limit` with a limit the server had lowered would skip rows."""
    joiner = "" if path.endswith("&") else "?"
    for value, code in ((maximum + 1, "invalid_less_than_equal"), (0, "invalid_greater_than_equal")):
        error = the_error(desk.get(f"{path}{joiner}limit={value}", **EN))
        assert (error["field"], error["code"]) == ("limit", code)
    assert desk.get(f"{path}{joiner}limit={maximum}", **EN).status_code == 200


def test_the_roster_limit_is_bounded_too(api: Any, rep: Any, org: Any) -> None:
    client = api.as_user(rep)
    error = the_error(client.get(f"/api/v1/organizations/{org.public_id}/roster?limit=201", **EN))
    assert (error["field"], error["code"]) == ("limit", "invalid_less_than_equal")


def test_sessions_and_adverse_events_are_paged_by_offset(
    desk: Any, facility_a: Any, comirnaty: Any, person: Any, give: Any
) -> None:
    from vaxbook.clinic.tests import factories as f

    for day in range(3):
        f.SessionFactory(facility=facility_a, vaccine=comirnaty, date=timezone.localdate() + timedelta(days=day))
    pages = [desk.get(f"/api/v1/sessions?limit=2&offset={o}").json() for o in (0, 2, 4)]
    assert [len(p) for p in pages] == [2, 1, 0]
    dates = [s["date"] for p in pages for s in p]
    assert dates == sorted(dates) and len(set(dates)) == 3
    assert desk.get("/api/v1/adverse-events?offset=-1").status_code == 422


def test_organizations_are_paged_by_offset_in_a_stable_order(api: Any, officer: Any, province: Any) -> None:
    from vaxbook.common import testing as t

    for _ in range(3):
        t.OrganizationFactory(name="Công ty Trùng Tên", admin_unit=province)
    client = api.as_user(officer)
    pages = [client.get(f"/api/v1/organizations?limit=2&offset={o}").json() for o in (0, 2)]
    assert [len(p) for p in pages] == [2, 1]
    assert len({o["id"] for p in pages for o in p}) == 3  # the same name three times: none seen twice
    assert the_error(client.get("/api/v1/organizations?limit=1001", **EN))["field"] == "limit"


def test_a_parameter_given_twice_is_refused_not_read_at_its_last_value(desk: Any) -> None:
    response = desk.get("/api/v1/adverse-events?serious=true&serious=false&limit=5", **EN)
    assert response.status_code == 422
    error = the_error(response)
    assert (error["field"], error["code"]) == ("serious", "repeated_parameter")
    assert "more than once" in error["message"]
    vi = the_error(desk.get("/api/v1/sessions?limit=1&limit=2", **VI))
    assert (vi["field"], vi["code"]) == ("limit", "repeated_parameter") and "nhiều lần" in vi["message"]
    assert desk.get("/api/v1/adverse-events?serious=true&limit=5").status_code == 200


def test_every_operation_of_the_description_is_found_by_its_route_for_the_query_check() -> None:
    """The unknown-parameter check finds an operation's parameters by its route: an operation it could
    not find would take any parameter unchecked."""
    import re

    from django.urls import resolve

    from config.api import api, described_path

    paths = api.get_openapi_schema()["paths"]
    assert len(paths) > 30
    for path in paths:
        concrete = re.sub(r"\{[^}]+\}", "00000000-0000-0000-0000-000000000000", path)
        assert described_path(resolve(concrete).route) == path


def _body_models() -> list[tuple[str, type[BaseModel]]]:
    """(operation, model) of every model a request body is read into, at any depth (a batch's items too)."""
    from config.api import api

    found: list[tuple[str, type[BaseModel]]] = []

    def walk(label: str, model: type[BaseModel]) -> None:
        if any(model is seen for _label, seen in found):
            return
        found.append((label, model))
        for info in model.model_fields.values():
            for kind in _types_in(info.annotation):
                if isinstance(kind, type) and issubclass(kind, BaseModel):
                    walk(label, kind)

    for _prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for operation in view.operations:
                for model in operation.models:
                    if model.__ninja_param_source__ != "body":
                        continue
                    for info in model.model_fields.values():  # ninja's wrapper holds the declared body
                        for kind in _types_in(info.annotation):
                            if isinstance(kind, type) and issubclass(kind, BaseModel):
                                walk(f"{'/'.join(operation.methods)} {path}", kind)
    return found


def test_every_request_body_refuses_a_field_it_does_not_take() -> None:
    """The guard for the next body: each is a `Body` or a `PlainBody` (common/apifields.py), so a misspelt
    field is a 422 `field_unknown`, never dropped with a 201 that saved the record without it."""
    models = _body_models()
    names = {model.__name__ for _op, model in models}
    assert {"PersonIn", "PersonPatch", "DoseIn", "DoseBatchIn", "DoseBatchItemIn", "RosterEntryIn", "TokenIn"} <= names
    assert [(op, model.__name__) for op, model in models if model.model_config.get("extra") != "forbid"] == []


def test_a_registration_with_a_misspelt_field_is_refused_naming_it_and_saves_nobody(
    api: Any, clerk_a: Any, ward1: Any
) -> None:
    body = {
        "full_name": "Trần Thị Hoa",
        "date_of_birth": "1990-03-04",
        "sex": "F",
        "phone_number": "0912345678",  # the field is `phone`
        "ward_code": ward1.code,
    }
    response = api.as_user(clerk_a).post_json("/api/v1/persons", body, **EN)
    assert response.status_code == 422
    assert the_error(response) == {
        "field": "phone_number",
        "code": "field_unknown",
        "message": "This field is not allowed.",
    }
    assert not Person.objects.exists()
    vi = the_error(api.as_user(clerk_a).post_json("/api/v1/persons", body, **VI))
    assert vi["code"] == "field_unknown" and vi["message"] != "This field is not allowed."


def test_a_batch_item_with_a_field_it_does_not_take_is_named_by_its_path(
    desk: Any, facility_a: Any, person: Any, lot_a: Any
) -> None:
    items = [
        {**dose_body(person, facility_a), "idempotency_key": "one"},
        {**dose_body(person, facility_a), "idempotency_key": "two", "dose_number": 2},
    ]
    r = desk.post_keyed("/api/v1/doses/batch", {"items": items, "dry_run": True}, **EN)
    assert r.status_code == 422
    assert [(e["field"], e["code"]) for e in errors(r)] == [
        ("items.1.dose_number", "field_unknown"),
        ("dry_run", "field_unknown"),
    ]
    assert not Dose.objects.exists()


def test_a_dose_with_a_field_it_does_not_take_is_refused_and_recorded_without_it(
    desk: Any, facility_a: Any, person: Any, lot_a: Any
) -> None:
    r = desk.post_keyed("/api/v1/doses", dose_body(person, facility_a, vaccinator="Lan"), **EN)
    assert r.status_code == 422
    assert the_error(r)["field"] == "vaccinator" and the_error(r)["code"] == "field_unknown"
    assert not Dose.objects.exists()
    assert desk.post_keyed("/api/v1/doses", dose_body(person, facility_a), **EN).status_code == 201


@pytest.mark.parametrize("odd", ["1_0", " 5 ", "\u00a05", "５", "+5", "1e1"])
def test_a_whole_number_query_parameter_is_ascii_digits(desk: Any, odd: str) -> None:
    """Python's int() takes "1_0" (10), spaces and other scripts' digits: limit=1_0 answered 10 rows. A query's
    whole number is its ASCII digits, refused otherwise as "abc" is."""
    response = desk.get("/api/v1/persons", {"limit": odd}, **EN)
    assert response.status_code == 422
    assert the_error(response) == {"field": "limit", "code": "invalid_int_parsing", "message": "Enter a whole number."}
    assert desk.get("/api/v1/persons", {"limit": "5"}, **EN).status_code == 200
    abc = desk.get("/api/v1/persons", {"limit": "abc"}, **EN)
    assert (abc.status_code, the_error(abc)["code"]) == (422, "invalid_int_parsing")


@pytest.mark.parametrize("raw", ["q=%FF", "q=%ED%A0%80", "q=nguy%E1%BB", "%FF=1"])
def test_a_query_parameter_that_is_no_utf8_is_refused_naming_it(desk: Any, raw: str) -> None:
    """Django reads undecodable bytes as U+FFFD: q=%FF searched for "�" and answered nobody (count 0)."""
    response = desk.get(f"/api/v1/persons?{raw}", **EN)
    assert response.status_code == 422
    assert [e["code"] for e in errors(response)] == ["invalid_character"]
    assert desk.get("/api/v1/persons?q=nguy%E1%BB%85n", **EN).status_code == 200  # "nguyễn", whole


def test_a_page_s_query_that_is_no_utf8_gets_the_400_page(client: Any, clerk_a: Any) -> None:
    client.force_login(clerk_a)
    page = client.get("/registry/?q=%FF")
    assert page.status_code == 400 and b"[invalid_character]" in page.content
    assert client.get("/registry/?q=nguy%E1%BB%85n").status_code == 200

"""The registry API (/api/v1/persons, /api/v1/households): contracts, errors, and the scoping cast."""

from datetime import date
from typing import Any

import pytest

from vaxbook.common import testing as t
from vaxbook.common.testing import cccd_for
from vaxbook.registry.models import Person

pytestmark = pytest.mark.django_db

HOA_DOB = date(1990, 3, 4)
HOA_CCCD = cccd_for(HOA_DOB, "F", 123)
BINH_CCCD = cccd_for(date(1985, 6, 15), "M", 456)


@pytest.fixture
def hoa(ward1: Any, priority_group: Any) -> Person:
    """Lives in ward 1: facility A's catchment."""
    return t.PersonFactory(
        full_name="Nguyễn Thị Hoà", sex="F", date_of_birth=HOA_DOB, id_number=HOA_CCCD, phone="+84912000001", ward=ward1
    )


@pytest.fixture
def binh(ward2: Any, priority_group: Any) -> Person:
    """Lives in ward 2: facility B's catchment."""
    return t.PersonFactory(full_name="Trần Văn Bình", id_number=BINH_CCCD, phone="+84912000002", ward=ward2)


@pytest.fixture
def citizen(ward1: Any, priority_group: Any) -> Any:
    """A citizen signed in as themselves, head of a household with a child; nobody else's."""
    from vaxbook.registry.services import household_add_member, household_create

    me = t.PersonFactory(full_name="Lê Văn Dân", phone="+84912000009", ward=ward1)
    kid = t.PersonFactory(
        full_name="Lê Thị Bé", sex="F", date_of_birth=date(2020, 1, 2), id_type="none", id_number="", ward=ward1
    )
    household = household_create(actor=None, head=me)
    household_add_member(actor=None, household=household, person=kid, relation="child")
    user = t.UserFactory(username="citizen", person=me)
    user.kid = kid
    return user


def payload(ward: Any, **over: Any) -> dict[str, Any]:
    values = {
        "full_name": "Phạm Thị Lan",
        "date_of_birth": "1990-03-04",
        "sex": "F",
        "phone": "0912 345 678",
        "id_type": "cccd",
        "id_number": cccd_for(HOA_DOB, "F", 777),
        "priority_group": "9",
        "ward_code": ward.code,
        "address_line": "1 Lê Lợi",
    }
    values.update(over)
    return values


def ids(response: Any) -> set[str]:
    return {p["id"] for p in response.json()["results"]}


# --------------------------------------------------------------------------------------------
# Registering
# --------------------------------------------------------------------------------------------


def test_post_registers_a_complete_person(api: Any, clerk_a: Any, ward1: Any, priority_group: Any) -> None:
    response = api.as_user(clerk_a).post_json("/api/v1/persons", payload(ward1))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["data_status"] == "complete"
    assert body["problems"] == []
    assert body["phone"] == "+84912345678"
    assert body["province_code"] == "75"
    assert body["version"] == 1


def test_post_saves_an_incomplete_person_with_its_problems(
    api: Any, clerk_a: Any, ward1: Any, priority_group: Any
) -> None:
    response = api.as_user(clerk_a).post_json("/api/v1/persons", payload(ward1, phone="", address_line=""))
    assert response.status_code == 201
    body = response.json()
    assert body["data_status"] == "incomplete"
    assert {(p["field"], p["code"], p["kind"]) for p in body["problems"]} == {
        ("phone", "phone_missing", "missing"),
        ("address_line", "address_missing", "missing"),
    }
    assert all(p["message"] for p in body["problems"])


@pytest.mark.parametrize(
    ("id_number", "code"),
    [
        (cccd_for(date(1991, 3, 4), "F", 1), "id_number_year_mismatch"),
        (cccd_for(HOA_DOB, "M", 1), "id_number_sex_mismatch"),
        (cccd_for(date(2090, 3, 4), "F", 1), "id_number_century_mismatch"),
        ("12345", "id_number_format"),
        ("999" + cccd_for(HOA_DOB, "F", 1)[3:], "id_number_province"),
    ],
)
def test_post_refuses_a_bad_cccd_with_422_and_the_code(
    api: Any, clerk_a: Any, ward1: Any, priority_group: Any, id_number: str, code: str
) -> None:
    response = api.as_user(clerk_a).post_json("/api/v1/persons", payload(ward1, id_number=id_number))
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert {"field": "id_number", "code": code} in [{"field": e["field"], "code": e["code"]} for e in errors]
    assert all(set(e) == {"field", "code", "message"} and e["message"] for e in errors)
    assert not Person.objects.filter(full_name="Phạm Thị Lan").exists()


def test_post_refuses_a_name_pasted_from_a_tcvn3_document_with_its_unicode_reading(
    api: Any, clerk_a: Any, ward1: Any, priority_group: Any
) -> None:
    response = api.as_user(clerk_a).post_json(
        "/api/v1/persons", payload(ward1, full_name="Ph¹m ThÞ Lan"), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("full_name", "text_legacy_encoding")]
    assert "“Phạm Thị Lan”" in errors[0]["message"] and "TCVN3" in errors[0]["message"]
    assert not Person.objects.exists()


def test_post_refuses_a_taken_document_with_409_and_the_existing_id(
    api: Any, clerk_a: Any, hoa: Person, ward1: Any
) -> None:
    response = api.as_user(clerk_a).post_json("/api/v1/persons", payload(ward1, id_number=HOA_CCCD))
    assert response.status_code == 409
    body = response.json()
    assert [e["code"] for e in body["errors"]] == ["document_taken"]
    assert body["existing_id"] == str(hoa.public_id)


def test_every_endpoint_wants_a_token(api: Any, hoa: Person, ward1: Any) -> None:
    assert api.get("/api/v1/persons").status_code == 401
    assert api.get(f"/api/v1/persons/{hoa.public_id}").status_code == 401
    assert api.post_json("/api/v1/persons", payload(ward1)).status_code == 401
    assert api.patch_json(f"/api/v1/persons/{hoa.public_id}", {"phone": ""}).status_code == 401
    assert api.get(f"/api/v1/persons/{hoa.public_id}/history").status_code == 401
    assert api.post_json("/api/v1/households", {"head_id": str(hoa.public_id)}).status_code == 401
    body = api.get("/api/v1/persons").json()
    assert body["errors"][0]["code"] == "not_authenticated"


# --------------------------------------------------------------------------------------------
# Finding
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("q", [HOA_CCCD, "0912000001", "+84 912 000 001", "nguyen thi hoa", "NGUYỄN THỊ HOÀ", "hoa"])
def test_get_finds_by_number_phone_or_name_without_diacritics(api: Any, clerk_a: Any, hoa: Person, q: str) -> None:
    response = api.as_user(clerk_a).get("/api/v1/persons", {"q": q})
    assert response.status_code == 200
    assert ids(response) == {str(hoa.public_id)}


def test_a_search_with_a_status_gives_the_best_matches_of_that_status(api: Any, officer: Any, ward1: Any) -> None:
    """The status narrows the search itself, not its first page: a shared phone (an organization's
    switchboard) with more persons than `limit` still finds the incomplete ones."""
    same = {"ward": ward1, "province": ward1.parent, "phone": "+84912000777"}
    for n in range(4):
        t.PersonFactory(full_name=f"Lê Văn Đủ {n}", **same)
    incomplete = t.PersonFactory(full_name="Lê Văn Thiếu", data_status="incomplete", **same)
    client = api.as_user(officer)
    for q in ("0912000777", "le van"):
        found = client.get("/api/v1/persons", {"q": q, "status": "incomplete", "limit": 2}).json()
        assert (found["count"], [p["id"] for p in found["results"]]) == (1, [str(incomplete.public_id)]), q
    assert len(client.get("/api/v1/persons", {"q": "le van", "limit": 2}).json()["results"]) == 2


def test_a_search_is_not_paged_and_says_so(api: Any, officer: Any, hoa: Person) -> None:
    response = api.as_user(officer).get("/api/v1/persons", {"q": "hoa", "offset": 25}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == ("offset", "search_not_paged")
    assert "refine the search" in error["message"]


def test_get_lists_with_a_status_filter(api: Any, officer: Any, hoa: Person, binh: Person) -> None:
    Person.objects.filter(pk=binh.pk).update(data_status="incomplete")
    client = api.as_user(officer)
    assert ids(client.get("/api/v1/persons")) == {str(hoa.public_id), str(binh.public_id)}
    assert ids(client.get("/api/v1/persons", {"status": "incomplete"})) == {str(binh.public_id)}
    unknown = client.get("/api/v1/persons", {"status": "zzz"}, HTTP_ACCEPT_LANGUAGE="vi")
    assert unknown.status_code == 422
    [error] = unknown.json()["errors"]
    assert (error["field"], error["code"]) == ("status", "invalid_literal_error")
    assert "'complete', 'incomplete', 'invalid'" in error["message"]


def test_the_status_filter_knows_every_data_status() -> None:
    from typing import get_args

    from vaxbook.registry.api import DataStatusFilter

    assert set(get_args(DataStatusFilter)) == {"", *Person.DataStatus.values}


# --------------------------------------------------------------------------------------------
# Correcting
# --------------------------------------------------------------------------------------------


def test_patch_with_the_current_version_changes_and_a_stale_one_conflicts(api: Any, clerk_a: Any, hoa: Person) -> None:
    client = api.as_user(clerk_a)
    url = f"/api/v1/persons/{hoa.public_id}"
    first = client.patch_json(url, {"phone": "0987 654 321", "version": 1})
    assert first.status_code == 200, first.content
    assert first.json()["phone"] == "+84987654321"
    assert first.json()["version"] == 2
    stale = client.patch_json(url, {"occupation": "Giáo viên", "version": 1})
    assert stale.status_code == 409
    body = stale.json()
    assert [e["code"] for e in body["errors"]] == ["edit_conflict"]
    assert body["current_version"] == 2
    hoa.refresh_from_db()
    assert hoa.occupation == ""


def test_patch_refuses_what_registration_refuses(api: Any, clerk_a: Any, hoa: Person) -> None:
    response = api.as_user(clerk_a).patch_json(
        f"/api/v1/persons/{hoa.public_id}", {"date_of_birth": "1991-03-04", "version": 1}
    )
    assert response.status_code == 422
    assert "id_number_year_mismatch" in [e["code"] for e in response.json()["errors"]]


def test_patch_with_a_field_a_person_does_not_have_is_refused_naming_it(api: Any, clerk_a: Any, hoa: Person) -> None:
    response = api.as_user(clerk_a).patch_json(f"/api/v1/persons/{hoa.public_id}", {"phone_number": "0987654321"})
    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("phone_number", "field_unknown")]


def test_patch_removing_the_phone_makes_the_record_incomplete(api: Any, clerk_a: Any, hoa: Person) -> None:
    response = api.as_user(clerk_a).patch_json(f"/api/v1/persons/{hoa.public_id}", {"phone": ""})
    assert response.status_code == 200
    assert response.json()["data_status"] == "incomplete"
    assert [p["code"] for p in response.json()["problems"]] == ["phone_missing"]


def test_history_lists_the_audit_events(api: Any, clerk_a: Any, ward1: Any, priority_group: Any) -> None:
    client = api.as_user(clerk_a)
    created = client.post_json("/api/v1/persons", payload(ward1)).json()
    client.patch_json(f"/api/v1/persons/{created['id']}", {"occupation": "Giáo viên", "version": 1})
    history = client.get(f"/api/v1/persons/{created['id']}/history")
    assert history.status_code == 200
    actions = [e["action"] for e in history.json()]
    assert actions == ["registry.person.updated", "registry.person.created"]
    assert history.json()[0]["actor"] == "clerk_a"
    assert "occupation" in history.json()[0]["data"]["changes"]
    pages = [
        client.get(f"/api/v1/persons/{created['id']}/history", {"limit": 1, "offset": o}).json() for o in (0, 1, 2)
    ]
    assert [[e["action"] for e in page] for page in pages] == [
        ["registry.person.updated"],
        ["registry.person.created"],
        [],
    ]


# --------------------------------------------------------------------------------------------
# Households
# --------------------------------------------------------------------------------------------


def test_households_create_add_read_and_remove(
    api: Any, clerk_a: Any, hoa: Person, ward1: Any, priority_group: Any
) -> None:
    client = api.as_user(clerk_a)
    kid = t.PersonFactory(full_name="Nguyễn Văn Nhỏ", date_of_birth=date(2019, 5, 6), id_number="", ward=ward1)
    created = client.post_json("/api/v1/households", {"head_id": str(hoa.public_id)})
    assert created.status_code == 201, created.content
    household_id = created.json()["id"]
    assert created.json()["head_id"] == str(hoa.public_id)

    added = client.post_json(
        f"/api/v1/households/{household_id}/members", {"person_id": str(kid.public_id), "relation": "child"}
    )
    assert added.status_code == 201
    assert {m["id"]: m["relation_to_head"] for m in added.json()["members"]} == {
        str(hoa.public_id): "head",
        str(kid.public_id): "child",
    }
    again = client.post_json(
        f"/api/v1/households/{household_id}/members", {"person_id": str(kid.public_id), "relation": "child"}
    )
    assert again.status_code == 409
    assert again.json()["errors"][0]["code"] == "already_in_household"
    bad_relation = client.post_json(
        f"/api/v1/households/{household_id}/members", {"person_id": str(hoa.public_id), "relation": "cousin"}
    )
    assert bad_relation.status_code == 422

    assert client.get(f"/api/v1/households/{household_id}").status_code == 200
    removed = client.delete(f"/api/v1/households/{household_id}/members/{kid.public_id}")
    assert removed.status_code == 200
    assert [m["id"] for m in removed.json()["members"]] == [str(hoa.public_id)]
    head_leaves = client.delete(f"/api/v1/households/{household_id}/members/{hoa.public_id}")
    assert head_leaves.status_code == 422
    assert head_leaves.json()["errors"][0]["code"] == "head_cannot_leave"


# --------------------------------------------------------------------------------------------
# The scoping cast, on every endpoint
# --------------------------------------------------------------------------------------------


def test_clerk_b_cannot_list_or_name_search_facility_a_persons(
    api: Any, clerk_b: Any, hoa: Person, binh: Person
) -> None:
    client = api.as_user(clerk_b)
    assert ids(client.get("/api/v1/persons")) == {str(binh.public_id)}
    assert ids(client.get("/api/v1/persons", {"q": "nguyen thi hoa"})) == set()
    assert ids(client.get("/api/v1/persons", {"q": "0912000001"})) == {str(hoa.public_id)}  # exact phone: allowed
    # ... but finds anyone by exact ID number (check-in anywhere), and may open that record.
    assert ids(client.get("/api/v1/persons", {"q": HOA_CCCD})) == {str(hoa.public_id)}
    assert client.get(f"/api/v1/persons/{hoa.public_id}").status_code == 200


def test_clerk_a_sees_the_catchment_only(api: Any, clerk_a: Any, hoa: Person, binh: Person) -> None:
    client = api.as_user(clerk_a)
    assert ids(client.get("/api/v1/persons")) == {str(hoa.public_id)}
    assert ids(client.get("/api/v1/persons", {"q": "tran van binh"})) == set()


def test_the_province_officer_and_the_admin_see_both_wards(
    api: Any, officer: Any, admin_user: Any, hoa: Person, binh: Person
) -> None:
    for user in (officer, admin_user):
        client = api.as_user(user)
        assert ids(client.get("/api/v1/persons")) == {str(hoa.public_id), str(binh.public_id)}
        assert ids(client.get("/api/v1/persons", {"q": "tran van"})) == {str(binh.public_id)}
        assert client.get(f"/api/v1/persons/{hoa.public_id}").status_code == 200
        assert client.get(f"/api/v1/persons/{binh.public_id}/history").status_code == 200


def test_an_officer_of_another_province_sees_nobody_here(api: Any, hoa: Person) -> None:
    other = t.ProvinceFactory(code="79", name="Thành phố Hồ Chí Minh")
    stranger = t.make_member(t.Role.PROVINCE_OFFICER, admin_unit=other, username="officer_hcm")
    client = api.as_user(stranger)
    assert ids(client.get("/api/v1/persons")) == set()
    assert ids(client.get("/api/v1/persons", {"q": "nguyen thi hoa"})) == set()
    assert client.get(f"/api/v1/persons/{hoa.public_id}").status_code == 404
    assert client.patch_json(f"/api/v1/persons/{hoa.public_id}", {"phone": ""}).status_code == 404


def test_the_representative_sees_only_the_roster_and_there_is_none_yet(
    api: Any, rep: Any, hoa: Person, binh: Person
) -> None:
    client = api.as_user(rep)
    assert ids(client.get("/api/v1/persons")) == set()
    assert ids(client.get("/api/v1/persons", {"q": "nguyen thi hoa"})) == set()
    assert ids(client.get("/api/v1/persons", {"q": HOA_CCCD})) == set()
    for url in (f"/api/v1/persons/{hoa.public_id}", f"/api/v1/persons/{hoa.public_id}/history"):
        response = client.get(url)
        assert response.status_code == 404
        assert response.json()["errors"][0]["code"] == "person_not_found"
    assert client.patch_json(f"/api/v1/persons/{hoa.public_id}", {"phone": ""}).status_code == 404
    assert client.post_json("/api/v1/households", {"head_id": str(hoa.public_id)}).status_code == 404


def test_a_citizen_sees_only_their_household(api: Any, citizen: Any, hoa: Person, binh: Person) -> None:
    client = api.as_user(citizen)
    mine = {str(citizen.person.public_id), str(citizen.kid.public_id)}
    assert ids(client.get("/api/v1/persons")) == mine
    assert ids(client.get("/api/v1/persons", {"q": "le"})) == mine
    assert ids(client.get("/api/v1/persons", {"q": "nguyen thi hoa"})) == set()
    assert ids(client.get("/api/v1/persons", {"q": HOA_CCCD})) == set()
    assert client.get(f"/api/v1/persons/{citizen.kid.public_id}").status_code == 200
    assert client.get(f"/api/v1/persons/{hoa.public_id}").status_code == 404
    # Their own history is not shown to a citizen (staff only), but the call is allowed.
    assert client.get(f"/api/v1/persons/{citizen.person.public_id}/history").json() == []
    household_id = client.get(f"/api/v1/persons/{citizen.person.public_id}").json()["household_id"]
    assert client.get(f"/api/v1/households/{household_id}").status_code == 200


def test_households_are_scoped_like_their_members(api: Any, clerk_a: Any, clerk_b: Any, rep: Any, hoa: Person) -> None:
    household_id = api.as_user(clerk_a).post_json("/api/v1/households", {"head_id": str(hoa.public_id)}).json()["id"]
    assert api.as_user(clerk_b).get(f"/api/v1/households/{household_id}").status_code == 404
    assert api.as_user(rep).get(f"/api/v1/households/{household_id}").status_code == 404


def test_listing_costs_the_same_queries_for_two_persons_or_six(api, admin_user, ward1, priority_group):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from vaxbook.common.testing import PersonFactory
    from vaxbook.registry.services import household_create

    api.as_user(admin_user)

    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get("/api/v1/persons").status_code == 200
        return len(captured.captured_queries)

    for person in [PersonFactory(ward=ward1) for _ in range(2)]:
        household_create(actor=admin_user, head=person)
    api.get("/api/v1/persons")  # warm the token's scope cache
    with_two = queries_for_list()
    for person in [PersonFactory(ward=ward1) for _ in range(4)]:
        household_create(actor=admin_user, head=person)
    assert queries_for_list() == with_two


def test_a_representative_s_registration_joins_the_roster(
    api: Any, rep: Any, org: Any, ward1: Any, priority_group: Any
) -> None:
    from vaxbook.organizations.models import RosterEntry

    client = api.as_user(rep)
    response = client.post_json("/api/v1/persons", payload(ward1))
    assert response.status_code == 201, response.content
    person_id = response.json()["id"]
    assert RosterEntry.objects.filter(organization=org, person__public_id=person_id).exists()
    assert client.get(f"/api/v1/persons/{person_id}").status_code == 200

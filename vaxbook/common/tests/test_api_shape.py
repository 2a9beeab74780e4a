"""Answers the API's handlers never see (no route, a method not taken, a malformed header, a page past
the database's integers) still come in the API's error shape, with a stable code."""

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def _codes(response: Any) -> list[str]:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return [e["code"] for e in response.json()["errors"]]


def test_no_route_and_a_method_not_taken_answer_in_shape(api: Any, clerk_a: Any) -> None:
    client = api.as_user(clerk_a)
    r = client.get("/api/v1/nothing-here", HTTP_ACCEPT_LANGUAGE="en")
    assert (r.status_code, _codes(r)) == (404, ["not_found"])
    assert r.json()["errors"][0]["message"] == "There is nothing at this address of the API."
    r = client.get("/api/v1/nothing-here", HTTP_ACCEPT_LANGUAGE="vi")
    assert r.json()["errors"][0]["message"] == "Không có gì ở địa chỉ này của API."
    r = client.put("/api/v1/persons", data="{}", content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert (r.status_code, _codes(r)) == (405, ["method_not_allowed"])
    assert "PUT" in r.json()["errors"][0]["message"] and "GET" in r["Allow"]
    # A missing record is the API's own answer, untouched; pages keep Django's.
    assert _codes(client.get("/api/v1/persons/00000000-0000-0000-0000-000000000000")) == ["person_not_found"]
    assert client.get("/no-such-page/")["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("offset", ["-1", "9223372036854775808", "2147483648"])
def test_a_person_list_offset_out_of_bounds_is_a_validation_error(api: Any, clerk_a: Any, offset: str) -> None:
    r = api.as_user(clerk_a).get(f"/api/v1/persons?offset={offset}")
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "offset"
    assert api.as_user(clerk_a).get("/api/v1/persons?offset=2147483647").json()["results"] == []


def test_form_data_without_its_boundary_is_refused_in_shape(api: Any, rep: Any, org: Any) -> None:
    r = api.as_user(rep).post(
        f"/api/v1/organizations/{org.public_id}/roster-imports", data=b"x", content_type="multipart/form-data"
    )
    assert (r.status_code, _codes(r)) == (400, ["invalid_multipart"])


def test_a_nul_in_a_page_query_is_no_server_error(client: Any, clerk_a: Any) -> None:
    client.force_login(clerk_a)
    r = client.get("/registry/wards/?province_code=%00")
    assert r.status_code == 200 and r.content.count(b"<option") == 1  # only the empty choice: no such province

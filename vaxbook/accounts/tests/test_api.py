"""The accounts API: tokens, revocation, citizens' one-time codes, and /me."""

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from vaxbook.accounts.models import ApiToken, User
from vaxbook.accounts.tests.conftest import last_code
from vaxbook.common import testing as t
from vaxbook.common.models import SentMessage

PHONE = "+84912345678"


def error_codes(response: Any) -> list[str]:
    return [e["code"] for e in response.json()["errors"]]


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_a_staff_user_gets_a_token_and_uses_it(api: Any, clerk_a: User) -> None:
    response = api.post_json("/api/v1/auth/token", {"username": "clerk_a", "password": t.PASSWORD})
    assert response.status_code == 200
    token = response.json()["token"]
    assert response.json()["expires_at"]
    me = api.get("/api/v1/me", **bearer(token))
    assert me.status_code == 200
    assert me.json()["username"] == "clerk_a"


def test_me_by_token_needs_no_second_read_of_the_user(api: Any, clerk_a: User) -> None:
    """The token's look-up loads the user's columns that requests read (its name included): /me reads
    no deferred field, so no query reads the user's row again."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    clerk_a.first_name, clerk_a.last_name = "Lan", "Phạm"
    clerk_a.save(update_fields=["first_name", "last_name"])
    token = api.post_json("/api/v1/auth/token", {"username": "clerk_a", "password": t.PASSWORD}).json()["token"]
    with CaptureQueriesContext(connection) as ctx:
        me = api.get("/api/v1/me", **bearer(token))
    assert me.status_code == 200 and me.json()["full_name"] == "Phạm Lan"  # family name first
    user_reads = [q["sql"] for q in ctx.captured_queries if 'FROM "accounts_user"' in q["sql"]]
    assert user_reads == [], user_reads


def test_the_raw_token_is_not_in_the_database(api: Any, clerk_a: User) -> None:
    token = api.post_json("/api/v1/auth/token", {"username": "clerk_a", "password": t.PASSWORD}).json()["token"]
    for row in ApiToken.objects.values():
        assert not any(isinstance(v, str) and token[4:] in v for v in row.values())


def test_a_wrong_password_gets_401_invalid_credentials(api: Any, clerk_a: User) -> None:
    response = api.post_json("/api/v1/auth/token", {"username": "clerk_a", "password": "nope"})
    assert response.status_code == 401
    assert error_codes(response) == ["invalid_credentials"]


def test_a_locked_account_gets_401_account_locked(api: Any, clerk_a: User) -> None:
    for _ in range(5):
        api.post_json("/api/v1/auth/token", {"username": "clerk_a", "password": "nope"})
    response = api.post_json("/api/v1/auth/token", {"username": "clerk_a", "password": t.PASSWORD})
    assert response.status_code == 401
    assert error_codes(response) == ["account_locked"]


def test_revoke_ends_the_token_used(api: Any, clerk_a: User) -> None:
    token = api.post_json("/api/v1/auth/token", {"username": "clerk_a", "password": t.PASSWORD}).json()["token"]
    other = api.post_json("/api/v1/auth/token", {"username": "clerk_a", "password": t.PASSWORD}).json()["token"]
    response = api.post("/api/v1/auth/revoke", **bearer(token))
    assert response.status_code == 204
    gone = api.get("/api/v1/me", **bearer(token))
    assert gone.status_code == 401
    assert error_codes(gone) == ["not_authenticated"]
    assert api.get("/api/v1/me", **bearer(other)).status_code == 200


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kept_seconds", [0, 10])
def test_revoke_and_deactivation_end_a_kept_token_at_once(
    api: Any, clerk_a: User, settings: Any, kept_seconds: int
) -> None:
    """Outside a transaction, as in a server, with token look-ups kept (API_TOKEN_CACHE_SECONDS) or not:
    a token revoked, or its user deactivated, in this process is refused on the next request."""
    from vaxbook.accounts.services import token_cache_clear

    settings.API_TOKEN_CACHE_SECONDS = kept_seconds
    token_cache_clear()
    token = api.post_json("/api/v1/auth/token", {"username": "clerk_a", "password": t.PASSWORD}).json()["token"]
    other = api.post_json("/api/v1/auth/token", {"username": "clerk_a", "password": t.PASSWORD}).json()["token"]
    assert api.get("/api/v1/me", **bearer(token)).status_code == 200  # kept from here
    assert api.post("/api/v1/auth/revoke", **bearer(token)).status_code == 204
    assert error_codes(api.get("/api/v1/me", **bearer(token))) == ["not_authenticated"]
    assert api.get("/api/v1/me", **bearer(other)).status_code == 200
    clerk_a.is_active = False
    clerk_a.save(update_fields=["is_active"])
    assert error_codes(api.get("/api/v1/me", **bearer(other))) == ["not_authenticated"]
    token_cache_clear()


def test_revoke_needs_a_bearer_token(api: Any, clerk_a: User) -> None:
    api.force_login(clerk_a)
    response = api.post("/api/v1/auth/revoke")
    assert response.status_code == 401
    assert error_codes(response) == ["not_authenticated"]


def test_an_expired_token_is_refused(api: Any, clerk_a: User) -> None:
    token = api.post_json("/api/v1/auth/token", {"username": "clerk_a", "password": t.PASSWORD}).json()["token"]
    with time_machine.travel(timezone.now() + timedelta(days=30, minutes=1)):
        response = api.get("/api/v1/me", **bearer(token))
    assert response.status_code == 401
    assert error_codes(response) == ["not_authenticated"]


def test_me_shows_a_facility_membership(api: Any, clerk_a: User, facility_a: Any) -> None:
    body = api.as_user(clerk_a).get("/api/v1/me").json()
    assert body["id"] == str(clerk_a.public_id)
    assert body["memberships"] == [
        {
            "role": "data_clerk",
            "scope_type": "facility",
            "scope_id": str(facility_a.public_id),
            "scope_name": "Bệnh viện A",
        }
    ]


def test_me_shows_an_area_membership(api: Any, officer: User) -> None:
    [membership] = api.as_user(officer).get("/api/v1/me").json()["memberships"]
    assert (membership["role"], membership["scope_type"], membership["scope_id"]) == (
        "province_officer",
        "admin_unit",
        "75",
    )


def test_me_shows_an_organization_membership(api: Any, rep: User, org: Any) -> None:
    [membership] = api.as_user(rep).get("/api/v1/me").json()["memberships"]
    assert (membership["scope_type"], membership["scope_id"]) == ("organization", str(org.public_id))


def test_me_shows_a_national_membership(api: Any, admin_user: User) -> None:
    [membership] = api.as_user(admin_user).get("/api/v1/me").json()["memberships"]
    assert (membership["role"], membership["scope_type"], membership["scope_id"]) == (
        "national_admin",
        "national",
        None,
    )


def test_me_needs_authentication(api: Any, db: Any) -> None:
    response = api.get("/api/v1/me")
    assert response.status_code == 401
    assert error_codes(response) == ["not_authenticated"]


def test_an_unsafe_request_without_credentials_is_401_not_a_csrf_refusal(api: Any, db: Any) -> None:
    """Neither a bearer token nor a signed-in session: the client is told to sign in, whatever the
    method, and not asked for a CSRF token it could not have."""
    for path in ("/api/v1/persons", "/api/v1/doses", "/api/v1/checkins"):
        response = api.post_json(path, {})
        assert response.status_code == 401, path
        assert error_codes(response) == ["not_authenticated"]
    other_scheme = api.post_json("/api/v1/persons", {}, HTTP_AUTHORIZATION="Token abc")
    assert other_scheme.status_code == 401
    assert error_codes(other_scheme) == ["not_authenticated"]


def test_a_signed_in_session_needs_its_csrf_token_for_a_write(db: Any, clerk_a: User) -> None:
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(clerk_a)
    refused = browser.post("/api/v1/persons", data={}, content_type="application/json")
    assert refused.status_code == 403
    [item] = refused.json()["errors"]
    assert (item["field"], item["code"]) == ("X-CSRFToken", "csrf_failed")
    assert "tải lại trang" in item["message"]  # Vietnamese by default
    english = browser.post("/api/v1/persons", data={}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert "reload the page" in english.json()["errors"][0]["message"]
    assert browser.get("/api/v1/me").status_code == 200  # a read needs no token

    secret = "a" * 32  # the CSRF cookie's secret, sent back in the header as the portal's pages do
    browser.cookies["csrftoken"] = secret
    passed = browser.post("/api/v1/persons", data={}, content_type="application/json", HTTP_X_CSRFTOKEN=secret)
    assert passed.status_code == 422  # past authentication: the empty body is refused field by field
    assert "csrf_failed" not in error_codes(passed)


# --------------------------------------------------------------------------------------------
# Citizens
# --------------------------------------------------------------------------------------------


def test_a_citizen_signs_in_with_a_code(api: Any, ward1: Any) -> None:
    person = t.PersonFactory(phone=PHONE, ward=ward1)
    response = api.post_json("/api/v1/auth/otp/request", {"phone": "0912.345.678"})
    assert response.status_code == 202
    assert response.json()["phone"] == PHONE
    assert SentMessage.objects.filter(to=PHONE).count() == 1
    verified = api.post_json("/api/v1/auth/otp/verify", {"phone": "0912345678", "code": last_code(PHONE)})
    assert verified.status_code == 200
    me = api.get("/api/v1/me", **bearer(verified.json()["token"])).json()
    assert me["username"] == PHONE
    assert me["memberships"] == []
    assert User.objects.get(username=PHONE).person == person


def test_a_bad_phone_is_refused(api: Any, db: Any) -> None:
    response = api.post_json("/api/v1/auth/otp/request", {"phone": "hello"})
    assert response.status_code == 422
    assert error_codes(response) == ["phone_invalid"]


def test_the_fourth_code_request_is_rate_limited(api: Any, db: Any) -> None:
    for _ in range(3):
        assert api.post_json("/api/v1/auth/otp/request", {"phone": PHONE}).status_code == 202
    response = api.post_json("/api/v1/auth/otp/request", {"phone": PHONE})
    assert response.status_code == 429
    assert error_codes(response) == ["otp_rate_limited"]
    assert response.json()["retry_after"] > 0


def test_a_wrong_code_gets_401_otp_invalid(api: Any, db: Any) -> None:
    api.post_json("/api/v1/auth/otp/request", {"phone": PHONE})
    wrong = f"{(int(last_code(PHONE)) + 1) % 10**6:06d}"
    response = api.post_json("/api/v1/auth/otp/verify", {"phone": PHONE, "code": wrong})
    assert response.status_code == 401
    assert error_codes(response) == ["otp_invalid"]


def test_an_expired_code_gets_otp_expired(api: Any, db: Any) -> None:
    api.post_json("/api/v1/auth/otp/request", {"phone": PHONE})
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        response = api.post_json("/api/v1/auth/otp/verify", {"phone": PHONE, "code": last_code(PHONE)})
    assert response.status_code == 401
    assert error_codes(response) == ["otp_expired"]


def test_too_many_wrong_codes_get_429(api: Any, db: Any) -> None:
    api.post_json("/api/v1/auth/otp/request", {"phone": PHONE})
    code = last_code(PHONE)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        api.post_json("/api/v1/auth/otp/verify", {"phone": PHONE, "code": wrong})
    response = api.post_json("/api/v1/auth/otp/verify", {"phone": PHONE, "code": code})
    assert response.status_code == 429
    assert error_codes(response) == ["otp_too_many_attempts"]


def test_a_missing_field_uses_the_error_shape(api: Any, db: Any) -> None:
    response = api.post_json("/api/v1/auth/otp/verify", {"phone": PHONE})
    assert response.status_code == 422
    assert response.json()["errors"][0] | {"message": ""} == {"field": "code", "code": "required", "message": ""}

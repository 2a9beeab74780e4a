"""Account services: the lockout, API tokens, citizens' one-time codes, memberships.

The cast is the shared one (conftest.py): clerk_a works at facility A, officer oversees the province,
rep speaks for the organization, admin_user is national.
"""

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.db import IntegrityError, transaction
from django.test import RequestFactory
from django.utils import timezone

from vaxbook.accounts import services
from vaxbook.accounts.models import ApiToken, Membership, OneTimeCode, Role, User
from vaxbook.accounts.tests.conftest import last_code
from vaxbook.common import testing as t
from vaxbook.common.errors import DomainError
from vaxbook.common.models import AuditEvent, SentMessage

PHONE = "+84912345678"


def codes(exc: pytest.ExceptionInfo[DomainError]) -> list[str]:
    return exc.value.codes


def actions(subject: Any) -> list[str]:
    sid = str(getattr(subject, "public_id", None) or subject.pk)
    return list(
        AuditEvent.objects.filter(subject_type=subject._meta.label_lower, subject_id=sid)
        .order_by("id")
        .values_list("action", flat=True)
    )


# --------------------------------------------------------------------------------------------
# Lockout
# --------------------------------------------------------------------------------------------


def _fail(username: str, times: int) -> Any:
    request = RequestFactory().post("/")
    for _ in range(times):
        assert authenticate(request, username=username, password="wrong") is None
    return request


def test_four_failures_do_not_lock(clerk_a: User) -> None:
    _fail("clerk_a", 4)
    clerk_a.refresh_from_db()
    assert clerk_a.failed_logins == 4
    assert clerk_a.locked_until is None
    assert authenticate(None, username="clerk_a", password=t.PASSWORD) == clerk_a


def test_fifth_failure_locks_for_fifteen_minutes(clerk_a: User) -> None:
    request = _fail("clerk_a", 5)
    clerk_a.refresh_from_db()
    assert clerk_a.locked_until is not None
    remaining = clerk_a.locked_until - timezone.now()
    assert timedelta(minutes=14) < remaining <= timedelta(minutes=15)
    assert request.login_locked_until == clerk_a.locked_until
    assert "accounts.user.locked" in actions(clerk_a)


def test_a_locked_account_refuses_even_the_right_password(clerk_a: User) -> None:
    _fail("clerk_a", 5)
    request = RequestFactory().post("/")
    assert authenticate(request, username="clerk_a", password=t.PASSWORD) is None
    assert request.login_locked_until is not None


def test_the_lock_ends_after_fifteen_minutes(clerk_a: User) -> None:
    _fail("clerk_a", 5)
    with time_machine.travel(timezone.now() + timedelta(minutes=15, seconds=1)):
        assert authenticate(None, username="clerk_a", password=t.PASSWORD) == clerk_a
    clerk_a.refresh_from_db()
    assert (clerk_a.failed_logins, clerk_a.locked_until) == (0, None)


def test_a_success_resets_the_failures(clerk_a: User) -> None:
    _fail("clerk_a", 4)
    assert authenticate(None, username="clerk_a", password=t.PASSWORD) == clerk_a
    _fail("clerk_a", 4)
    clerk_a.refresh_from_db()
    assert clerk_a.failed_logins == 4
    assert clerk_a.locked_until is None


def test_an_unknown_username_is_refused_without_error(db: Any) -> None:
    assert authenticate(None, username="nobody", password="x") is None


# --------------------------------------------------------------------------------------------
# API tokens
# --------------------------------------------------------------------------------------------


def test_token_issue_stores_only_the_hash(clerk_a: User) -> None:
    raw, expires_at = services.token_issue(request=None, username="clerk_a", password=t.PASSWORD)
    token = ApiToken.objects.get(user=clerk_a)
    assert raw.startswith(services.TOKEN_PREFIX)
    stored = [str(v) for v in ApiToken.objects.values_list(*[f.attname for f in ApiToken._meta.fields]).get()]
    assert not any(raw in value or raw[4:] in value for value in stored)
    assert token.key_hash == services._hash(raw)
    assert expires_at - timezone.now() > timedelta(days=29)
    assert "accounts.token.issued" in actions(token)


def test_token_issue_refuses_a_wrong_password(clerk_a: User) -> None:
    with pytest.raises(DomainError) as exc:
        services.token_issue(request=None, username="clerk_a", password="wrong")
    assert codes(exc) == ["invalid_credentials"]
    assert exc.value.status == 401


def test_token_issue_says_when_the_account_is_locked(clerk_a: User) -> None:
    _fail("clerk_a", 5)
    with pytest.raises(DomainError) as exc:
        services.token_issue(request=RequestFactory().post("/"), username="clerk_a", password=t.PASSWORD)
    assert codes(exc) == ["account_locked"]
    assert exc.value.status == 401


def test_token_authenticate_finds_the_user_and_notes_the_use(clerk_a: User) -> None:
    raw, _ = services.token_issue(request=None, username="clerk_a", password=t.PASSWORD)
    assert services.token_authenticate(raw=raw) == clerk_a
    assert ApiToken.objects.get(user=clerk_a).last_used_at is not None
    assert services.token_authenticate(raw=raw + "x") is None
    assert services.token_authenticate(raw="not-a-token") is None


def test_a_token_expires(clerk_a: User) -> None:
    raw, expires_at = services.token_issue(request=None, username="clerk_a", password=t.PASSWORD)
    with time_machine.travel(expires_at - timedelta(seconds=1)):
        assert services.token_authenticate(raw=raw) == clerk_a
    with time_machine.travel(expires_at + timedelta(seconds=1)):
        assert services.token_authenticate(raw=raw) is None


def test_a_revoked_token_no_longer_works(clerk_a: User) -> None:
    raw, _ = services.token_issue(request=None, username="clerk_a", password=t.PASSWORD)
    services.token_revoke(actor=clerk_a, raw=raw)
    assert services.token_authenticate(raw=raw) is None
    token = ApiToken.objects.get(user=clerk_a)
    assert token.revoked_at is not None
    services.token_revoke(actor=clerk_a, raw=raw)  # twice: nothing more happens
    assert actions(token).count("accounts.token.revoked") == 1


def test_an_inactive_users_token_no_longer_works(clerk_a: User) -> None:
    raw, _ = services.token_issue(request=None, username="clerk_a", password=t.PASSWORD)
    User.objects.filter(pk=clerk_a.pk).update(is_active=False)
    assert services.token_authenticate(raw=raw) is None


@pytest.fixture
def kept_tokens(settings: Any) -> Any:
    """Token look-ups kept as in production (10 s), in a test outside a transaction (transaction=True):
    what is read inside one is never kept."""
    settings.API_TOKEN_CACHE_SECONDS = 10
    services.token_cache_clear()
    yield
    services.token_cache_clear()


@pytest.mark.django_db(transaction=True)
def test_a_kept_token_look_up_spares_the_database_and_gives_its_own_user(
    clerk_a: User, kept_tokens: Any, django_assert_num_queries: Any
) -> None:
    raw, _ = services.token_issue(request=None, username="clerk_a", password=t.PASSWORD)
    first = services.token_authenticate(raw=raw)
    with django_assert_num_queries(0):
        second = services.token_authenticate(raw=raw)
    assert first == second == clerk_a and first is not second


@pytest.mark.django_db(transaction=True)
def test_a_revocation_here_takes_effect_at_once_one_elsewhere_within_the_delay(clerk_a: User, kept_tokens: Any) -> None:
    raw, _ = services.token_issue(request=None, username="clerk_a", password=t.PASSWORD)
    other, _ = services.token_issue(request=None, username="clerk_a", password=t.PASSWORD)
    assert services.token_authenticate(raw=raw) == clerk_a
    assert services.token_authenticate(raw=other) == clerk_a
    services.token_revoke(actor=clerk_a, raw=raw)  # in this process
    assert services.token_authenticate(raw=raw) is None
    # Revoked by another process (no signal here): kept for at most API_TOKEN_CACHE_SECONDS.
    ApiToken.objects.filter(key_hash=services._hash(other)).update(revoked_at=timezone.now())
    assert services.token_authenticate(raw=other) == clerk_a
    with time_machine.travel(timezone.now() + timedelta(seconds=11)):
        assert services.token_authenticate(raw=other) is None


@pytest.mark.django_db(transaction=True)
def test_a_changed_user_or_membership_is_not_served_from_a_kept_look_up(clerk_a: User, kept_tokens: Any) -> None:
    raw, expires_at = services.token_issue(request=None, username="clerk_a", password=t.PASSWORD)
    version = services.token_authenticate(raw=raw).scope_version  # type: ignore[union-attr]
    membership = Membership.objects.filter(user=clerk_a).first()
    assert membership is not None
    membership.save()  # bumps scope_version; this process forgets its look-ups
    assert services.token_authenticate(raw=raw).scope_version == version + 1  # type: ignore[union-attr]
    clerk_a.refresh_from_db()
    clerk_a.is_active = False
    clerk_a.save()
    assert services.token_authenticate(raw=raw) is None
    clerk_a.is_active = True
    clerk_a.save()
    with time_machine.travel(expires_at - timedelta(seconds=1)):
        assert services.token_authenticate(raw=raw) == clerk_a  # kept from here
    with time_machine.travel(expires_at + timedelta(seconds=1)):
        assert services.token_authenticate(raw=raw) is None  # expired, kept or not


# --------------------------------------------------------------------------------------------
# One-time codes
# --------------------------------------------------------------------------------------------


def test_otp_request_sends_a_six_digit_code_by_sms_and_stores_only_its_hmac(db: Any) -> None:
    otc = services.otp_request(phone="0912 345 678")
    assert otc.phone == PHONE
    message = SentMessage.objects.get(to=PHONE)
    assert message.backend == "recording"
    code = last_code(PHONE)
    assert code not in otc.code_hash
    assert otc.code_hash == services._otp_hash(PHONE, code)
    assert otc.expires_at - timezone.now() == pytest.approx(timedelta(minutes=5), abs=timedelta(seconds=5))
    assert "accounts.otp.requested" in actions(otc)


def test_otp_request_refuses_a_bad_phone(db: Any) -> None:
    with pytest.raises(DomainError) as exc:
        services.otp_request(phone="12345")
    assert codes(exc) == ["phone_invalid"]
    assert not SentMessage.objects.exists()


def test_otp_request_allows_three_codes_per_phone_in_fifteen_minutes(db: Any) -> None:
    for _ in range(3):
        services.otp_request(phone=PHONE)
    with pytest.raises(DomainError) as exc:
        services.otp_request(phone=PHONE)
    assert codes(exc) == ["otp_rate_limited"]
    assert exc.value.status == 429
    assert 0 < exc.value.extra["retry_after"] <= 15 * 60 + 1
    assert SentMessage.objects.filter(to=PHONE).count() == 3
    services.otp_request(phone="+84912000000")  # another phone is not affected
    with time_machine.travel(timezone.now() + timedelta(minutes=15, seconds=1)):
        services.otp_request(phone=PHONE)


def test_otp_verify_creates_a_citizen_user(db: Any) -> None:
    services.otp_request(phone=PHONE)
    user = services.otp_verify(phone="0912345678", code=last_code(PHONE))
    assert user.username == PHONE
    assert user.phone == PHONE
    assert not user.has_usable_password()
    assert user.memberships.count() == 0
    assert OneTimeCode.objects.get(phone=PHONE).used_at is not None
    assert "accounts.citizen.created" in actions(user)


def test_otp_verify_signs_in_the_same_user_again(db: Any) -> None:
    services.otp_request(phone=PHONE)
    first = services.otp_verify(phone=PHONE, code=last_code(PHONE))
    services.otp_request(phone=PHONE)
    assert services.otp_verify(phone=PHONE, code=last_code(PHONE)) == first
    assert User.objects.filter(username=PHONE).count() == 1


def test_a_code_works_once(db: Any) -> None:
    services.otp_request(phone=PHONE)
    code = last_code(PHONE)
    services.otp_verify(phone=PHONE, code=code)
    with pytest.raises(DomainError) as exc:
        services.otp_verify(phone=PHONE, code=code)
    assert codes(exc) == ["otp_invalid"]


def test_a_wrong_code_is_refused_and_counted(db: Any) -> None:
    services.otp_request(phone=PHONE)
    code = last_code(PHONE)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    with pytest.raises(DomainError) as exc:
        services.otp_verify(phone=PHONE, code=wrong)
    assert codes(exc) == ["otp_invalid"]
    assert exc.value.status == 401
    otc = OneTimeCode.objects.get(phone=PHONE)
    assert otc.attempts == 1  # kept although the call failed
    assert "accounts.otp.failed" in actions(otc)
    assert services.otp_verify(phone=PHONE, code=code).username == PHONE


def test_five_wrong_codes_use_up_the_code(db: Any) -> None:
    services.otp_request(phone=PHONE)
    code = last_code(PHONE)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        with pytest.raises(DomainError) as exc:
            services.otp_verify(phone=PHONE, code=wrong)
        assert codes(exc) == ["otp_invalid"]
    with pytest.raises(DomainError) as exc:
        services.otp_verify(phone=PHONE, code=code)
    assert codes(exc) == ["otp_too_many_attempts"]
    assert exc.value.status == 429
    assert not User.objects.filter(username=PHONE).exists()


def test_a_code_expires_after_five_minutes(db: Any) -> None:
    services.otp_request(phone=PHONE)
    code = last_code(PHONE)
    with time_machine.travel(timezone.now() + timedelta(minutes=5, seconds=1)), pytest.raises(DomainError) as exc:
        services.otp_verify(phone=PHONE, code=code)
    assert codes(exc) == ["otp_expired"]


def test_only_the_latest_code_counts(db: Any) -> None:
    services.otp_request(phone=PHONE)
    old = last_code(PHONE)
    services.otp_request(phone=PHONE)
    new = last_code(PHONE)
    if old != new:
        with pytest.raises(DomainError) as exc:
            services.otp_verify(phone=PHONE, code=old)
        assert codes(exc) == ["otp_invalid"]
    assert services.otp_verify(phone=PHONE, code=new).username == PHONE


def test_verify_without_any_code_is_refused(db: Any) -> None:
    with pytest.raises(DomainError) as exc:
        services.otp_verify(phone=PHONE, code="123456")
    assert codes(exc) == ["otp_invalid"]


def test_a_disabled_citizen_cannot_sign_in(db: Any) -> None:
    User.objects.create(username=PHONE, phone=PHONE, is_active=False)
    services.otp_request(phone=PHONE)
    with pytest.raises(DomainError) as exc:
        services.otp_verify(phone=PHONE, code=last_code(PHONE))
    assert codes(exc) == ["account_disabled"]


def test_a_new_citizen_is_linked_to_the_one_person_with_their_phone(ward1: Any) -> None:
    person = t.PersonFactory(phone=PHONE, ward=ward1)
    services.otp_request(phone=PHONE)
    user = services.otp_verify(phone=PHONE, code=last_code(PHONE))
    assert user.person == person
    assert "accounts.citizen.linked" in actions(user)


def test_a_citizen_is_not_linked_when_several_persons_share_the_phone(ward1: Any) -> None:
    t.PersonFactory(phone=PHONE, ward=ward1)
    t.PersonFactory(phone=PHONE, ward=ward1, full_name="Trần Thị Hai")
    services.otp_request(phone=PHONE)
    assert services.otp_verify(phone=PHONE, code=last_code(PHONE)).person is None


def test_a_person_already_linked_to_another_user_is_not_linked_again(ward1: Any) -> None:
    person = t.PersonFactory(phone=PHONE, ward=ward1)
    User.objects.create(username="someone-else", person=person)
    services.otp_request(phone=PHONE)
    assert services.otp_verify(phone=PHONE, code=last_code(PHONE)).person is None


def test_the_sms_names_the_code_and_its_lifetime() -> None:
    body = services.otp_message("042917")
    assert "042917" in body
    assert "5" in body


def test_the_sms_is_in_the_language_asked_for(db: Any) -> None:
    services.otp_request(phone=PHONE, language="en")
    assert "sign-in code" in SentMessage.objects.get(to=PHONE).body


def test_the_sms_is_vietnamese_by_default_and_fits_one_gsm_message() -> None:
    from django.conf import settings
    from django.utils import translation

    catalog = settings.BASE_DIR / "locale" / "vi" / "LC_MESSAGES" / "django.mo"
    if not catalog.exists():
        pytest.skip("the Vietnamese catalog is not compiled (make locale)")
    with translation.override("en"):  # whatever the language of the moment
        body = services.otp_message("042917")
    assert "sign-in code" not in body
    assert body.isascii() and len(body) <= 160
    assert "sign-in code" in services.otp_message("042917", "en")


# --------------------------------------------------------------------------------------------
# Staff users and memberships
# --------------------------------------------------------------------------------------------


def test_user_create_staff_gives_one_membership(admin_user: User, facility_a: Any) -> None:
    user = services.user_create_staff(
        actor=admin_user, username="lan", password="a-good-pass-123", role=Role.DATA_CLERK, facility=facility_a
    )
    assert user.check_password("a-good-pass-123")
    assert not user.is_staff
    membership = user.memberships.get()
    assert (membership.role, membership.facility) == (Role.DATA_CLERK, facility_a)
    assert actions(user) == ["accounts.user.created"]
    assert actions(membership) == ["accounts.membership.granted"]


def test_a_national_admin_may_use_the_admin_site(db: Any) -> None:
    user = services.user_create_staff(actor=None, username="boss", password="pw-123456789", role=Role.NATIONAL_ADMIN)
    assert user.is_staff and user.is_superuser


def test_user_create_staff_refuses_a_taken_username(clerk_a: User, facility_a: Any) -> None:
    with pytest.raises(DomainError) as exc:
        services.user_create_staff(
            actor=None, username="CLERK_A", password="pw-123456789", role=Role.DATA_CLERK, facility=facility_a
        )
    assert codes(exc) == ["username_taken"]
    assert exc.value.status == 409


@pytest.mark.parametrize(
    ("role", "scope", "expected"),
    [
        ("chief", {}, ["role_unknown"]),
        (Role.DATA_CLERK, {}, ["scope_required"]),
        (Role.PROVINCE_OFFICER, {}, ["scope_required"]),
        (Role.ORG_REPRESENTATIVE, {"facility": "facility_a"}, ["scope_not_allowed", "scope_required"]),
        (Role.NATIONAL_ADMIN, {"admin_unit": "province"}, ["scope_not_allowed"]),
        (Role.PROVINCE_OFFICER, {"admin_unit": "ward1"}, ["scope_level_invalid"]),
    ],
)
def test_membership_grant_refuses_a_scope_that_does_not_fit_the_role(
    request: Any, clerk_b: User, role: str, scope: dict[str, str], expected: list[str]
) -> None:
    values = {name: request.getfixturevalue(fixture) for name, fixture in scope.items()}
    with pytest.raises(DomainError) as exc:
        services.membership_grant(actor=None, user=clerk_b, role=role, **values)
    assert codes(exc) == expected


def test_an_area_officer_may_oversee_a_ward(clerk_b: User, ward1: Any) -> None:
    membership = services.membership_grant(actor=None, user=clerk_b, role=Role.AREA_OFFICER, admin_unit=ward1)
    assert membership.scope_type == "admin_unit"


def test_membership_grant_and_revoke_are_audited(admin_user: User, clerk_b: User, facility_a: Any) -> None:
    granted = services.membership_grant(actor=admin_user, user=clerk_b, role=Role.VACCINATOR, facility=facility_a)
    assert (
        services.membership_grant(actor=admin_user, user=clerk_b, role=Role.VACCINATOR, facility=facility_a) == granted
    )
    revoked = services.membership_revoke(actor=admin_user, membership=granted)
    assert not revoked.active
    services.membership_revoke(actor=admin_user, membership=granted)  # twice: nothing more
    again = services.membership_grant(actor=admin_user, user=clerk_b, role=Role.VACCINATOR, facility=facility_a)
    assert again.pk == granted.pk and again.active
    assert actions(granted) == [
        "accounts.membership.granted",
        "accounts.membership.revoked",
        "accounts.membership.granted",
    ]
    event = AuditEvent.objects.filter(action="accounts.membership.revoked").get()
    assert event.actor == admin_user


def test_the_database_refuses_a_role_without_its_scope(clerk_b: User) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=clerk_b, role=Role.DATA_CLERK)


def test_the_database_refuses_a_national_admin_with_a_scope(clerk_b: User, province: Any) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=clerk_b, role=Role.NATIONAL_ADMIN, admin_unit=province)

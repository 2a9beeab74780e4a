"""Account writes: API tokens, citizens' one-time codes, staff users and their memberships.

Every write is audited in its own transaction. Refusals are DomainErrors with stable codes:

- tokens: `invalid_credentials` (401), `account_locked` (401);
- one-time codes: `phone_invalid` (422), `otp_rate_limited` (429), `otp_invalid` (401),
  `otp_expired` (401), `otp_too_many_attempts` (429), `account_disabled` (403);
- staff and memberships: `role_unknown`, `username_taken` (409), `scope_required`,
  `scope_not_allowed`, `scope_level_invalid`.
"""

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import connection, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from vaxbook.accounts.models import AREA_ROLES, FACILITY_ROLES, ApiToken, Membership, OneTimeCode, Role, User
from vaxbook.common.audit import audit_log
from vaxbook.common.errors import Conflict, DomainError, ErrorItem
from vaxbook.common.rows import ModelRows, fetch
from vaxbook.common.sms import sms_send

TOKEN_PREFIX = "vxb_"
# A token's last use is written at most this often, so that reading the API does not write on every call.
TOKEN_TOUCH_EVERY = timedelta(minutes=5)

OTP_DIGITS = 6
OTP_TTL = timedelta(minutes=getattr(settings, "OTP_TTL_MINUTES", 5))
OTP_MAX_REQUESTS = getattr(settings, "OTP_MAX_REQUESTS", 3)
OTP_REQUEST_WINDOW = timedelta(minutes=getattr(settings, "OTP_REQUEST_WINDOW_MINUTES", 15))
OTP_MAX_ATTEMPTS = getattr(settings, "OTP_MAX_ATTEMPTS", 5)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


# --------------------------------------------------------------------------------------------
# API tokens
# --------------------------------------------------------------------------------------------


def token_create(*, user: User, actor: Any = None) -> tuple[str, datetime]:
    """A new API token for `user` (already authenticated by the caller). Returns (raw token, expiry).

    Only the SHA-256 of the token is stored: the raw value is shown once, here.
    """
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = timezone.now() + timedelta(days=settings.API_TOKEN_DAYS)
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, key_hash=_hash(raw), prefix=raw[4:12], expires_at=expires_at)
        audit_log(actor=actor or user, action="accounts.token.issued", subject=token, data={"prefix": token.prefix})
    return raw, expires_at


def token_issue(*, request: HttpRequest | None, username: str, password: str) -> tuple[str, datetime]:
    """Check the password (with the lockout) and issue a new API token. Returns (raw token, expiry)."""
    user = authenticate(request, username=username, password=password)
    if user is None:
        if request is not None and getattr(request, "login_locked_until", None):
            raise DomainError.single(
                "username",
                "account_locked",
                _("Too many failed sign-ins: the account is locked for a while."),
                status=401,
            )
        raise DomainError.single("password", "invalid_credentials", _("Wrong username or password."), status=401)
    return token_create(user=user)


# The token and its user in one hand-written look-up: every API request makes it (see common/rows.py).
# Only the columns the requests read: the token's touch, and the user's identity, flags and what its
# scope's cache key is made of, and its name (GET /me); the rest (password, e-mail, lockout) is
# deferred, read on first use by the few requests that need it.
_TOKEN = ModelRows(ApiToken, "t", fields=["id", "last_used_at", "expires_at"])
_TOKEN_USER = ModelRows(
    User,
    "u",
    fields=[
        "id",
        "username",
        "first_name",
        "last_name",
        "is_active",
        "is_staff",
        "is_superuser",
        "public_id",
        "person_id",
        "date_joined",
        "scope_version",
    ],
)


#: Each process's recent token look-ups: key hash -> (the look-up's row, when it was read). Kept at most
#: API_TOKEN_CACHE_SECONDS; dropped here when a token is revoked or a user or membership saved.
_TOKEN_ROWS: dict[str, tuple[tuple[Any, ...], datetime]] = {}
_TOKEN_ROWS_MAX = 10_000


def token_cache_clear() -> None:
    """Forget every kept token look-up of this process (a user or a membership changed)."""
    _TOKEN_ROWS.clear()


def _token_row(key_hash: str, now: datetime) -> tuple[tuple[Any, ...] | None, bool]:
    """The token's look-up row (token and user) or None, and whether it was read from the database just
    now (else it was kept, at most API_TOKEN_CACHE_SECONDS, by this process)."""
    keep = timedelta(seconds=getattr(settings, "API_TOKEN_CACHE_SECONDS", 0))
    kept = _TOKEN_ROWS.get(key_hash) if keep else None
    if kept is not None and timedelta(0) <= now - kept[1] < keep:
        return kept[0], False
    sql = (
        f"SELECT {_TOKEN.columns(connection)}, {_TOKEN_USER.columns(connection)} FROM {_TOKEN.source(connection)}"  # noqa: S608
        f" JOIN {_TOKEN_USER.source(connection)} ON u.id = t.user_id"
        " WHERE t.key_hash = %s AND t.revoked_at IS NULL AND t.expires_at > %s"
    )
    rows = fetch(sql, [key_hash, connection.ops.adapt_datetimefield_value(now)])  # key_hash is unique
    if not rows:
        _TOKEN_ROWS.pop(key_hash, None)
        return None, True
    # Kept only when read outside a transaction: what a transaction reads may still be rolled back.
    if keep and not connection.in_atomic_block:
        if len(_TOKEN_ROWS) >= _TOKEN_ROWS_MAX:
            _TOKEN_ROWS.clear()
        _TOKEN_ROWS[key_hash] = (rows[0], now)
    return rows[0], True


def token_authenticate(*, raw: str) -> User | None:
    """The active user owning this unexpired, unrevoked token, or None. The look-up is kept a few
    seconds by each process (API_TOKEN_CACHE_SECONDS); every request gets user objects of its own."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    now = timezone.now()
    row, fresh = _token_row(_hash(raw), now)
    if row is None:
        return None
    token, user = _TOKEN.load(row), _TOKEN_USER.load(row, _TOKEN.width)
    if not user.is_active or token.expires_at <= now:
        return None
    token.user = user
    # The last use is written from a fresh look-up only (a kept one is at most seconds old).
    if fresh and (token.last_used_at is None or token.last_used_at < now - TOKEN_TOUCH_EVERY):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return user


def api_token_revoke(*, actor: Any, token: ApiToken) -> ApiToken:
    """Revoke a token (idempotent: revoking a revoked token changes nothing)."""
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
            transaction.on_commit(lambda: _TOKEN_ROWS.pop(locked.key_hash, None))
            audit_log(actor=actor, action="accounts.token.revoked", subject=locked, data={"prefix": locked.prefix})
    return locked


def token_revoke(*, actor: Any, raw: str) -> None:
    """Revoke the token with this raw value, if there is one."""
    token = ApiToken.objects.filter(key_hash=_hash(raw), revoked_at__isnull=True).first()
    if token is not None:
        api_token_revoke(actor=actor, token=token)


# --------------------------------------------------------------------------------------------
# Citizens: phone + one-time code
# --------------------------------------------------------------------------------------------


def _phone_or_error(phone: str) -> str:
    from vaxbook.registry.identity import normalize_phone

    e164 = normalize_phone(phone)
    if e164 is None:
        raise DomainError.single("phone", "phone_invalid", _("Enter a valid mobile phone number."))
    return e164


def _otp_hash(phone: str, code: str) -> str:
    """HMAC of the code with the server's secret key and the phone: a stolen table alone tells nothing."""
    return salted_hmac("vaxbook.accounts.otp", f"{phone}:{code}", algorithm="sha256").hexdigest()


def otp_message(code: str, language: str | None = None) -> str:
    """The SMS text in `language` (the recipient's), by default the platform's (Vietnamese)."""
    minutes = int(OTP_TTL.total_seconds() // 60)
    with translation.override(language or settings.LANGUAGE_CODE):
        # Translators: an SMS. Keep it under 160 characters and without diacritics (GSM-7: one SMS, any phone).
        return gettext(
            "Vaxbook: your sign-in code is %(code)s. It is valid for %(minutes)d minutes. Do not share it with anyone."
        ) % {"code": code, "minutes": minutes}


def otp_request(*, phone: str, language: str | None = None) -> OneTimeCode:
    """Send a 6-digit sign-in code to a phone by SMS.

    The code is valid OTP_TTL (5 minutes) and only its HMAC is stored; a phone gets at most
    OTP_MAX_REQUESTS (3) codes per OTP_REQUEST_WINDOW (15 minutes), then `otp_rate_limited` (429).
    The SMS is in `language` (the one the citizen uses), by default the platform's; it is sent after
    the code is committed, so a slow gateway does not hold the transaction.
    """
    e164 = _phone_or_error(phone)
    now = timezone.now()
    code = f"{secrets.randbelow(10**OTP_DIGITS):0{OTP_DIGITS}d}"
    with transaction.atomic():
        recent = list(
            OneTimeCode.objects.select_for_update().filter(phone=e164, created_at__gte=now - OTP_REQUEST_WINDOW)
        )
        if len(recent) >= OTP_MAX_REQUESTS:
            retry_at = min(c.created_at for c in recent) + OTP_REQUEST_WINDOW
            raise DomainError.single(
                "phone",
                "otp_rate_limited",
                _("Too many codes were sent to this phone. Try again in a few minutes."),
                status=429,
                extra={"retry_after": int((retry_at - now).total_seconds()) + 1},
            )
        otc = OneTimeCode.objects.create(phone=e164, code_hash=_otp_hash(e164, code), expires_at=now + OTP_TTL)
        audit_log(actor=None, action="accounts.otp.requested", subject=otc, data={"phone": e164})
    sms_send(to=e164, body=otp_message(code, language))
    return otc


def _otp_error(code: str) -> DomainError:
    messages = {
        "otp_invalid": (_("The code is not correct."), 401),
        "otp_expired": (_("The code has expired. Ask for a new one."), 401),
        "otp_too_many_attempts": (_("Too many wrong codes. Ask for a new one."), 429),
    }
    message, status = messages[code]
    return DomainError.single("code", code, message, status=status)


def otp_verify(*, phone: str, code: str) -> User:
    """Check a citizen's code; on success the citizen's user (created on first sign-in).

    A code allows OTP_MAX_ATTEMPTS (5) wrong tries, then `otp_too_many_attempts`; only the latest
    unused code of the phone counts. A wrong try is recorded (and audited) even though the call fails.
    A new user is linked to the registry person with this phone when exactly one exists and no other
    user holds it.
    """
    e164 = _phone_or_error(phone)
    typed = "".join((code or "").split())
    now = timezone.now()
    failure: str | None = None
    user: User | None = None
    with transaction.atomic():
        otc = (
            OneTimeCode.objects.select_for_update()
            .filter(phone=e164, used_at__isnull=True)
            .order_by("-created_at", "-id")
            .first()
        )
        if otc is None:
            failure = "otp_invalid"
        elif otc.expires_at <= now:
            failure = "otp_expired"
        elif otc.attempts >= OTP_MAX_ATTEMPTS:
            failure = "otp_too_many_attempts"
        elif not constant_time_compare(otc.code_hash, _otp_hash(e164, typed)):
            otc.attempts += 1
            otc.save(update_fields=["attempts"])
            failure = "otp_invalid"
        else:
            otc.used_at = now
            otc.save(update_fields=["used_at"])
            user = _citizen_for_phone(e164)
        if otc is not None:
            audit_log(
                actor=user,
                action="accounts.otp.verified" if user is not None else "accounts.otp.failed",
                subject=otc,
                data={"phone": e164, "attempts": otc.attempts} | ({"code": failure} if failure else {}),
            )
    if failure is not None:
        raise _otp_error(failure)
    assert user is not None
    if not user.is_active:
        raise DomainError.single("phone", "account_disabled", _("This account is disabled."), status=403)
    return user


def _citizen_for_phone(phone: str) -> User:
    """The citizen user of this phone, created (and linked to their registry record) on first sign-in."""
    user = User.objects.filter(username=phone).first()
    if user is None:
        user = User(username=phone, phone=phone)
        user.set_unusable_password()
        user.save()
        audit_log(actor=user, action="accounts.citizen.created", subject=user, data={"phone": phone})
    if user.person_id is None:
        from vaxbook.registry.models import Person

        candidates = list(Person.objects.filter(phone=phone, merged_into__isnull=True).values_list("pk", flat=True)[:2])
        if len(candidates) == 1 and not User.objects.filter(person_id=candidates[0]).exists():
            user.person_id = candidates[0]
            user.save(update_fields=["person"])
            audit_log(actor=user, action="accounts.citizen.linked", subject=user, data={"person": user.person})
    return user


# --------------------------------------------------------------------------------------------
# Staff users and memberships
# --------------------------------------------------------------------------------------------


def _scope_problems(*, role: str, facility: Any, organization: Any, admin_unit: Any) -> list[ErrorItem]:
    """What is wrong with this role's scope (the Membership check constraint, as messages)."""
    if role not in Role.values:
        return [ErrorItem("role", "role_unknown", _("Unknown role."))]
    wanted: str | None = None
    if role in FACILITY_ROLES:
        wanted = "facility"
    elif role in AREA_ROLES:
        wanted = "admin_unit"
    elif role == Role.ORG_REPRESENTATIVE:
        wanted = "organization"
    given = {"facility": facility, "organization": organization, "admin_unit": admin_unit}
    problems = [
        ErrorItem(name, "scope_not_allowed", _("This role does not take this kind of scope."))
        for name, value in given.items()
        if value is not None and name != wanted
    ]
    if wanted is not None and given[wanted] is None:
        problems.append(ErrorItem(wanted, "scope_required", _("This role needs its scope.")))
    if wanted == "admin_unit" and admin_unit is not None:
        from vaxbook.places.models import AdminUnit

        province, ward = AdminUnit.Level.PROVINCE, AdminUnit.Level.WARD
        allowed = {province} if role == Role.PROVINCE_OFFICER else {province, ward}
        if admin_unit.level not in allowed:
            problems.append(
                ErrorItem("admin_unit", "scope_level_invalid", _("This role needs a current province or ward."))
            )
    return problems


def membership_grant(
    *,
    actor: Any,
    user: User,
    role: str,
    facility: Any = None,
    organization: Any = None,
    admin_unit: Any = None,
) -> Membership:
    """Give `user` a role with its scope. Granting a membership the user already holds returns it
    (reactivated if it was revoked)."""
    problems = _scope_problems(role=role, facility=facility, organization=organization, admin_unit=admin_unit)
    if problems:
        raise DomainError(problems)
    with transaction.atomic():
        same = Q(user=user, role=role, facility=facility, organization=organization, admin_unit=admin_unit)
        membership = Membership.objects.select_for_update().filter(same).order_by("-active", "pk").first()
        if membership is not None and membership.active:
            return membership
        if membership is None:
            membership = Membership.objects.create(
                user=user, role=role, facility=facility, organization=organization, admin_unit=admin_unit
            )
        else:
            membership.active = True
            membership.save(update_fields=["active", "updated_at"])
        audit_log(
            actor=actor,
            action="accounts.membership.granted",
            subject=membership,
            data={"user": user.username, "role": role, "scope_type": membership.scope_type},
        )
    return membership


def membership_revoke(*, actor: Any, membership: Membership) -> Membership:
    """End a membership (kept, inactive, for the record). Revoking twice changes nothing."""
    with transaction.atomic():
        locked = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
        if locked.active:
            locked.active = False
            locked.save(update_fields=["active", "updated_at"])
            audit_log(
                actor=actor,
                action="accounts.membership.revoked",
                subject=locked,
                data={"user": locked.user.username, "role": locked.role},
            )
    return locked


def user_create_staff(
    *,
    actor: Any,
    username: str,
    password: str,
    role: str,
    facility: Any = None,
    organization: Any = None,
    admin_unit: Any = None,
    first_name: str = "",
    last_name: str = "",
) -> User:
    """A staff user with one membership (the role and its scope)."""
    problems = _scope_problems(role=role, facility=facility, organization=organization, admin_unit=admin_unit)
    if problems:
        raise DomainError(problems)
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict.single("username", "username_taken", _("This username is already in use."))
    with transaction.atomic():
        user = User(
            username=username, first_name=first_name, last_name=last_name, is_staff=(role == Role.NATIONAL_ADMIN)
        )
        user.set_password(password)
        user.is_superuser = role == Role.NATIONAL_ADMIN
        user.save()
        audit_log(actor=actor, action="accounts.user.created", subject=user, data={"role": role, "username": username})
        membership_grant(
            actor=actor, user=user, role=role, facility=facility, organization=organization, admin_unit=admin_unit
        )
    return user

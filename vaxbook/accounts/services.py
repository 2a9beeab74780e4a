import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vaxbook.accounts.models import ApiToken, Membership, Role, User
from vaxbook.common.audit import audit_log
from vaxbook.common.errors import DomainError

TOKEN_PREFIX = "vxb_"


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


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
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = timezone.now() + timedelta(days=settings.API_TOKEN_DAYS)
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, key_hash=_hash(raw), prefix=raw[4:12], expires_at=expires_at)
        audit_log(actor=user, action="accounts.token.issued", subject=token, data={"prefix": token.prefix})
    return raw, expires_at


def token_authenticate(*, raw: str) -> User | None:
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash(raw), revoked_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    return token.user


def token_revoke(*, actor: Any, raw: str) -> None:
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(key_hash=_hash(raw), revoked_at__isnull=True).first()
        if token is None:
            return
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_log(actor=actor, action="accounts.token.revoked", subject=token, data={"prefix": token.prefix})


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
    if role not in Role.values:
        raise DomainError.single("role", "role_unknown", _("Unknown role."))
    with transaction.atomic():
        user = User(
            username=username, first_name=first_name, last_name=last_name, is_staff=(role == Role.NATIONAL_ADMIN)
        )
        user.set_password(password)
        user.is_superuser = role == Role.NATIONAL_ADMIN
        user.save()
        membership = Membership.objects.create(
            user=user, role=role, facility=facility, organization=organization, admin_unit=admin_unit
        )
        audit_log(actor=actor, action="accounts.user.created", subject=user, data={"role": role, "username": username})
        audit_log(actor=actor, action="accounts.membership.created", subject=membership, data={"role": role})
    return user

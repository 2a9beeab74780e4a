"""Accounts API: staff tokens, citizens' one-time codes, and who am I."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import get_language
from ninja import Field, Router, Schema

from vaxbook.accounts.auth import BearerAuth
from vaxbook.accounts.models import User
from vaxbook.accounts.names import full_name
from vaxbook.accounts.selectors import memberships_for_user
from vaxbook.accounts.services import otp_request, otp_verify, token_create, token_issue, token_revoke
from vaxbook.common.apierrors import error_responses
from vaxbook.common.apifields import Body, column_text

router = Router(tags=["accounts"])


class TokenIn(Body):
    username: str = column_text(User, "username")
    password: str = Field(max_length=256)


class TokenOut(Schema):
    token: str
    expires_at: datetime


class OtpRequestIn(Body):
    phone: str = Field(max_length=40, description="A mobile number: 0912345678, +84912345678 …")


class OtpRequestOut(Schema):
    phone: str = Field(description="The number the code was sent to, in E.164.")
    expires_at: datetime


class OtpVerifyIn(Body):
    phone: str = Field(max_length=40)
    code: str = Field(max_length=12)


class MembershipOut(Schema):
    role: str
    scope_type: str
    scope_id: str | None
    scope_name: str | None


class MeOut(Schema):
    id: str
    username: str
    full_name: str
    memberships: list[MembershipOut]


@router.post(
    "/auth/token",
    auth=None,
    response={200: TokenOut},
    openapi_extra=error_responses({401: "`invalid_credentials`, `account_locked`."}),
)
def auth_token(request: HttpRequest, payload: TokenIn) -> dict:
    """A bearer token for a staff user. Refusals: 401 `invalid_credentials`, 401 `account_locked`."""
    raw, expires_at = token_issue(request=request, username=payload.username, password=payload.password)
    return {"token": raw, "expires_at": expires_at}


@router.post("/auth/revoke", auth=BearerAuth(), response={204: None})
def auth_revoke(request: HttpRequest) -> tuple[int, None]:
    """Revoke the bearer token this request was made with (sign out of the API)."""
    token_revoke(actor=request.user, raw=request.api_token)  # type: ignore[attr-defined]
    return 204, None


@router.post(
    "/auth/otp/request",
    auth=None,
    response={202: OtpRequestOut},
    openapi_extra=error_responses({429: "`otp_rate_limited`: too many codes asked for this phone."}),
)
def auth_otp_request(request: HttpRequest, payload: OtpRequestIn) -> tuple[int, dict]:
    """Send a citizen a sign-in code by SMS. Refusals: 422 `phone_invalid`, 429 `otp_rate_limited`."""
    otc = otp_request(phone=payload.phone, language=get_language())
    return 202, {"phone": otc.phone, "expires_at": otc.expires_at}


@router.post(
    "/auth/otp/verify",
    auth=None,
    response={200: TokenOut},
    openapi_extra=error_responses(
        {401: "`otp_invalid`, `otp_expired`.", 429: "`otp_too_many_attempts`: ask for a new code."}
    ),
)
def auth_otp_verify(request: HttpRequest, payload: OtpVerifyIn) -> dict:
    """Exchange a citizen's code for a bearer token.

    Refusals: 401 `otp_invalid`, 401 `otp_expired`, 429 `otp_too_many_attempts`, 403 `account_disabled`.
    """
    user = otp_verify(phone=payload.phone, code=payload.code)
    raw, expires_at = token_create(user=user)
    return {"token": raw, "expires_at": expires_at}


def _membership_out(m: Any) -> dict[str, Any]:
    scope_obj = m.facility or m.organization or m.admin_unit
    scope_id = None
    if m.facility is not None:
        scope_id = str(m.facility.public_id)
    elif m.organization is not None:
        scope_id = str(m.organization.public_id)
    elif m.admin_unit is not None:
        scope_id = m.admin_unit.code
    return {
        "role": m.role,
        "scope_type": m.scope_type,
        "scope_id": scope_id,
        "scope_name": str(scope_obj) if scope_obj else None,
    }


@router.get("/me", response=MeOut)
def me(request: HttpRequest) -> dict:
    user: Any = request.user
    return {
        "id": str(user.public_id),
        "username": user.username,
        "full_name": full_name(user),
        "memberships": [_membership_out(m) for m in memberships_for_user(user=user)],
    }

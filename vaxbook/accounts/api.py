from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema

from vaxbook.accounts.selectors import memberships_for_user
from vaxbook.accounts.services import token_issue

router = Router(tags=["accounts"])


class TokenIn(Schema):
    username: str
    password: str


class TokenOut(Schema):
    token: str
    expires_at: datetime


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


@router.post("/auth/token", auth=None, response={200: TokenOut})
def auth_token(request: HttpRequest, payload: TokenIn) -> dict:
    raw, expires_at = token_issue(request=request, username=payload.username, password=payload.password)
    return {"token": raw, "expires_at": expires_at}


@router.get("/me", response=MeOut)
def me(request: HttpRequest) -> dict:
    user = request.user
    out = []
    for m in memberships_for_user(user=user):
        scope_obj = m.facility or m.organization or m.admin_unit
        scope_id = None
        if m.facility is not None:
            scope_id = str(m.facility.public_id)
        elif m.organization is not None:
            scope_id = str(m.organization.public_id)
        elif m.admin_unit is not None:
            scope_id = m.admin_unit.code
        out.append(
            {
                "role": m.role,
                "scope_type": m.scope_type,
                "scope_id": scope_id,
                "scope_name": str(scope_obj) if scope_obj else None,
            }
        )
    return {
        "id": str(user.public_id),
        "username": user.username,
        "full_name": user.get_full_name(),
        "memberships": out,
    }
